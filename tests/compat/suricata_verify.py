#!/usr/bin/env python3
"""suricata_verify.py - the corpus's suricata-verify alert tests against Vigil's engine.

For every `*.suricata-test.yaml` in $CORPUS that loads rules (`<test>.rules`,
`<test>.<file>.rules`) and checks alerts (a filter on event_type alert with
alert.signature_id, or on event_type alert alone: the total; a pcap_cnt
beside the signature id counts only that packet's alerts), run
`$VIGIL analyze -q -r TRACE -S RULES... -l DIR` and count the alerts in
DIR/eve.json: each check's `count` must be met exactly (`count: 0`: the
alert must not appear).  A check on a signature id counts the alerts that
also fit its src_ip, dest_ip, src_port, dest_port, proto, app_proto and
pcap_cnt when it names them, and, when the test's `<test>.suricata.yaml`
turns on the eve-log alert options payload, payload-printable or packet
(Vigil: `--eve-alert`), its payload, payload_printable, packet and stream;
its other match keys are not compared.  A stream alert's payload
(stream 1) is Suricata's reassembled stream data up to 4 KiB, with gap
markers; Vigil's is the stream window the rule matched in
(docs/alerts.md), so for those ours must be a part of Suricata's.  Checks that need
fields we do not compare (has-key, other match keys with no signature id)
or that apply only to older Suricata (`lt-version`, also under the
filter's `requires:`) are left out.  `args:` are Suricata options: the
ones Vigil has a switch for are passed on (ARG_SWITCHES: `--set
stream.midstream=true` -> `--midstream-reverse`, the app layer's reversal
of a midstream session whose responder sends the request; Vigil always
picks up midstream sessions), the others are ignored.

Files a test's rules load beside themselves (filemd5 hash lists) that
the corpus lacks are in tests/compat/sv-fixtures/<test>/ (README.md there
gives their upstream): the rules and those files are copied to one
temporary directory and the rules loaded from it.

A test whose rules Vigil rejects, or whose rules use a keyword the engine
parses but does not evaluate, is skipped with the keyword named.  One TAP
line per test.  Prints the pass rate over the tests run.  Fails on a test
failing that is not listed in tests/compat/KNOWN-DIFFERENCES.md (section
"suricata-verify alerts", fenced block `suricata-verify-known`, lines
`test<TAB>reason`), or on a listed test that now passes.
"""
import base64
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

VIGIL = os.environ.get("VIGIL", "build/release/vigil")
CORPUS = os.environ.get("CORPUS", os.path.join(os.path.dirname(__file__), "../../../shared/corpus"))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sv-fixtures")
KNOWN_MD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "KNOWN-DIFFERENCES.md")


def known_failures():
    try:
        text = open(KNOWN_MD, encoding="utf-8").read()
    except OSError:
        return {}
    m = re.search(r"```suricata-verify-known\n(.*?)```", text, re.S)
    out = {}
    for line in (m.group(1) if m else "").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition("\t")
            out[name.strip()] = why.strip()
    return out


def find_tests():
    for y in sorted(glob.glob(os.path.join(CORPUS, "**", "*.suricata-test.yaml"), recursive=True)):
        stem = y[: -len(".suricata-test.yaml")]
        parts = os.path.basename(stem).split(".")
        d = os.path.dirname(y)
        pcap = None
        for k in range(len(parts), 0, -1):
            cand = os.path.join(d, ".".join(parts[:k]) + ".pcap")
            if os.path.exists(cand):
                pcap = cand
                break
        rules = []
        for r in sorted(glob.glob(glob.escape(stem) + ".rules") + glob.glob(glob.escape(stem) + ".*.rules")):
            mid = r[len(stem) + 1: -len(".rules")]
            if mid and "." not in mid and os.path.exists(stem + "." + mid + ".suricata-test.yaml"):
                continue  # another test's rules on the same trace
            rules.append(r)
        yield os.path.relpath(stem, CORPUS), y, pcap, rules


# Alert fields a check on a signature id may also name that Vigil's alerts
# carry with Suricata's values; other match keys are not compared.
HEADER_KEYS = ("src_ip", "dest_ip", "src_port", "dest_port", "proto", "app_proto", "pcap_cnt",
               "payload", "payload_printable", "packet", "stream")
EVE_EXTRAS = {"payload": "payload", "payload-printable": "payload-printable", "packet": "packet"}


def eve_extras(stem):
    """The eve-log alert options the test's suricata.yaml turns on, as --eve-alert's list."""
    try:
        doc = yaml.safe_load(open(stem + ".suricata.yaml", encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    on = []
    for out in doc.get("outputs") or []:
        for t in ((out or {}).get("eve-log") or {}).get("types") or []:
            if isinstance(t, dict) and isinstance(t.get("alert"), dict):
                for k, v in t["alert"].items():
                    if k in EVE_EXTRAS and v in (True, "yes") and k not in on:
                        on.append(k)
    return on


def alert_checks(doc):
    checks = []
    for c in doc.get("checks") or []:
        f = c.get("filter") if isinstance(c, dict) else None
        if not f or "count" not in f or "lt-version" in f:
            continue
        if "lt-version" in (f.get("requires") or {}):
            continue  # a check for older Suricata than the one Vigil follows
        m = f.get("match") or {}
        if m.get("event_type") != "alert":
            continue
        sid = m.get("alert.signature_id")
        other = set(m) - {"event_type", "alert.signature_id"}
        if sid is None and other:
            continue
        hdr = {k: m[k] for k in HEADER_KEYS if k in m}
        checks.append((sid, int(f["count"]), hdr))
    return checks


def field_fits(ev, k, v):
    got = ev.get(k)
    if k in ("payload", "payload_printable") and ev.get("stream") == 1 and got is not None:
        if k == "payload":
            return base64.b64decode(got) in base64.b64decode(v)
        return got in v
    return str(got) == str(v)


def alert_fits(ev, hdr):
    return all(field_fits(ev, k, v) for k, v in hdr.items())


def skip_reason(stderr):
    kws = []
    for line in stderr.splitlines():
        m = re.search(r"keyword '([^']+)'", line)
        if m and ("parsed but not evaluated" in line or "rule sid" in line):
            kws.append(m.group(1))
        elif "header" in line and "rule sid" in line:
            kws.append("header")
        elif "rule sid" in line and "unsupported protocol" in line:
            m = re.search(r"unsupported protocol '([^']+)'", line)
            kws.append("protocol " + (m.group(1) if m else "?"))
    return sorted(set(kws))


# Suricata `args:` (as the yaml writes them, whitespace-normalised) ->
# the Vigil switch that does the same.
ARG_SWITCHES = {
    "--set stream.midstream=true": ["--midstream-reverse"],
}


def vigil_switches(doc):
    out = []
    args = doc.get("args") or []
    if isinstance(args, str):
        args = [args]
    for a in args:
        out += ARG_SWITCHES.get(" ".join(str(a).split()), [])
    return out


def run_test(name, pcap, rules, checks, tmp, extras=(), switches=()):
    out = os.path.join(tmp, re.sub(r"[^A-Za-z0-9_.-]", "_", name))
    os.makedirs(out, exist_ok=True)
    fix = os.path.join(FIXTURES, name)
    if os.path.isdir(fix):  # the rules beside the files they load
        rdir = os.path.join(out, "rules")
        shutil.copytree(fix, rdir, dirs_exist_ok=True)
        rules = [shutil.copy(r, rdir) for r in rules]
    cmd = [VIGIL, "analyze", "-q", "-r", pcap, "-l", out] + list(switches)
    for r in rules:
        cmd += ["-S", r]
    if extras:
        cmd += ["--eve-alert", ",".join(extras)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    skip = skip_reason(p.stderr)
    if skip:
        return "skip", "keywords: " + ", ".join(skip)
    if p.returncode not in (0, 3):
        return "fail", "vigil exit %d: %s" % (p.returncode, p.stderr.strip()[-300:])
    alerts = []
    try:
        with open(os.path.join(out, "eve.json"), encoding="utf-8") as f:
            for line in f:
                ev = json.loads(line)
                # gid 9000: Vigil's behaviour notices (docs/behaviour.md), not the rules'
                if ev.get("event_type") == "alert" and ev["alert"].get("gid") != 9000:
                    alerts.append(ev)
    except OSError:
        pass
    bad = []
    for sid, want, hdr in checks:
        got = len(alerts) if sid is None else sum(
            1 for ev in alerts if ev["alert"]["signature_id"] == sid and alert_fits(ev, hdr))
        if got != want:
            what = "alerts" if sid is None else "sid %s" % sid
            if hdr:
                what += " " + ",".join("%s=%s" % kv for kv in sorted(hdr.items()))
            bad.append("%s: want %d got %d" % (what, want, got))
    return ("fail", "; ".join(bad)) if bad else ("pass", "")


def main():
    known = known_failures()
    tmp = os.environ.get("TEST_TMP") or tempfile.mkdtemp(prefix="sv-")
    n = passed = failed = skipped = regress = 0
    skipped_kw = {}
    for name, y, pcap, rules in find_tests():
        try:
            doc = yaml.safe_load(open(y, encoding="utf-8")) or {}
        except yaml.YAMLError:
            continue
        checks = alert_checks(doc)
        if not rules or not checks or not pcap:
            continue
        n += 1
        status, why = run_test(name, pcap, rules, checks, tmp,
                               eve_extras(y[: -len(".suricata-test.yaml")]), vigil_switches(doc))
        if status == "skip":
            skipped += 1
            print("ok - %s # SKIP %s" % (name, why))
            for k in why[len("keywords: "):].split(", "):
                skipped_kw[k] = skipped_kw.get(k, 0) + 1
        elif status == "pass":
            passed += 1
            if name in known:
                regress += 1
                print("not ok - %s passes now: remove it from the known list" % name)
            else:
                print("ok - %s" % name)
        else:
            failed += 1
            if name in known:
                print("ok - %s # known: %s (%s)" % (name, known[name], why))
            else:
                regress += 1
                print("not ok - %s: %s" % (name, why))
    run = passed + failed
    rate = 100.0 * passed / run if run else 0.0
    print("# suricata-verify alert tests: %d passed / %d run (%.1f%%), %d skipped, %d total"
          % (passed, run, rate, skipped, n))
    if skipped_kw:
        print("# skipped for keywords: " + ", ".join("%s (%d)" % kv for kv in sorted(skipped_kw.items())))
    print("1..%d" % n)
    return 1 if regress else 0


if __name__ == "__main__":
    sys.exit(main())
