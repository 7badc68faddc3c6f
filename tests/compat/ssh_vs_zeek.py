#!/usr/bin/env python3
"""ssh_vs_zeek.py - compare Vigil's ssh.log with Zeek's.

For each trace in $CORPUS with a `*.zeek8-ssh.log` (Zeek 8.2.2, default
scripts: the main target) or a `*.zeek-ssh.log*` btest baseline, run
`$VIGIL analyze -r TRACE -l DIR` once and compare field by field every
field the baseline has, except uid (Zeek's uids are random).  Rows are
keyed by the connection 4-tuple (rows with the same key paired in order).
ts within 1 ms; values masked with X are wildcards.

Differences must be listed in tests/compat/KNOWN-DIFFERENCES.md, section
"ssh.log vs Zeek 8", fenced block `ssh-known`, lines
`trace-log<TAB>key<TAB>field` (field "missing": Zeek has the row and we do
not, "extra": the reverse).  A listed difference that no longer occurs
fails too.  At least 95% of the Zeek 8 rows must be equal on every
compared field.

Also the suricata-verify expectations (`*.suricata-test.yaml` under ssh/)
of `event_type: ssh` checks on ssh.client.hassh.hash and
ssh.server.hassh.hash, against our hassh / hasshServer columns: count N > 0
needs a row of ours with those values, count 0 needs none (a failing check
i is listed as `yaml<TAB>i<TAB>suricata`).

The machinery is ssl_vs_zeek.py's (main() with ssh.log's key and checks).

TAP lines; exit 1 on failure, 77 when the corpus or vigil is missing.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssl_vs_zeek as cmp  # noqa: E402

KEYS = {"ssh": ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]}
LOG_RE = re.compile(r"^(.*)\.(zeek8|zeek)-(ssh)\.(log|log\.cut|cut)$")
SV_FIELDS = {"ssh.client.hassh.hash": "hassh", "ssh.server.hassh.hash": "hasshServer"}


def sv_checks(path):
    """(index, count, {our field: value}) of the ssh checks on our fields."""
    return cmp.sv_filters(path, "ssh", SV_FIELDS)


if __name__ == "__main__":
    sys.exit(cmp.main(block="ssh", keys=KEYS, log_re=LOG_RE, sv_dir="ssh", checks_of=sv_checks,
                      sv_log="ssh.log"))
