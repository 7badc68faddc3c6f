#!/usr/bin/env python3
"""alerts_et_open.py - `vigil analyze -S` with every Emerging Threats Open
rule on corpus traces with HTTP, TLS and DNS traffic (issue 7).

rules_et_open.py checks that ET Open parses; this checks that the engine
runs it.  For each trace:
  - vigil exits 0 (it exited 1 before any packet when Vectorscan refused a
    fast pattern);
  - the engine's "detect:" figures line is there and adds up: rules
    evaluated + skipped = rules loaded (the "rules:" line), most of the
    loaded rules are evaluated, every trace's packets are inspected and
    its transactions too;
  - every eve.json line is a JSON alert event with Suricata's required
    fields and types, its sid is an enabled ET rule whose msg is the
    signature, and eve.json, fast.log and the alert counter agree.
Over all traces at least one alert must be written.  The figures are
printed.  Exit 77 without the corpus or the rules.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

VIGIL = os.environ.get("VIGIL", "build/release/vigil")
CORPUS = os.environ.get("CORPUS", os.path.join(os.path.dirname(__file__), "../../../shared/corpus"))
ET = os.path.join(CORPUS, "..", "rules", "et-open")
TRACES = [  # (trace, application protocols it carries)
    "malware/corelight-asyncrat.pcap",            # DNS, HTTP, TLS
    "malware/cs-ek_to_cryptowall4.pcapng",        # HTTP
    "malware/corelight-agenttesla-c2-http.pcap",  # HTTP, TLS, DNS
    "tls/arkime-curl-enabled-tls13.pcap",         # TLS 1.3
    "dns/arkime-dns-udp.pcap",                    # DNS
]
DETECT = re.compile(
    r"^detect: (\d+) rules evaluated \((\d+) with a fast pattern\), (\d+) skipped; "
    r"load ([\d.]+) s, build ([\d.]+) s CPU \([^)]*\); (\d+) packets, (\d+) transactions inspected, "
    r"(\d+) rule evaluations, (\d+) alerts, (\d+) suppressed$", re.M)
LOADED = re.compile(r"^rules: (\d+) loaded, (\d+) rejected, (\d+) disabled$", re.M)
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$")


def et_msgs():
    """sid -> msg of every enabled ET rule."""
    msgs = {}
    for f in os.listdir(ET):
        if not f.endswith(".rules"):
            continue
        with open(os.path.join(ET, f), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.startswith("alert"):
                    continue
                sid = re.search(r"[(;]\s*sid:\s*(\d+);", line)
                msg = re.search(r'msg:"((?:[^"\\]|\\.)*)";', line)
                if sid and msg:
                    msgs[int(sid.group(1))] = re.sub(r"\\(.)", r"\1", msg.group(1))
    return msgs


def alert_problems(ev, msgs):
    """What is wrong with one eve.json alert event (empty: nothing)."""
    bad = []
    want = {"timestamp": str, "flow_id": int, "event_type": str, "src_ip": str, "dest_ip": str,
            "proto": str, "alert": dict}
    for k, t in want.items():
        if not isinstance(ev.get(k), t):
            bad.append("%s missing or not %s" % (k, t.__name__))
    if bad:
        return bad
    if ev["event_type"] != "alert":
        bad.append("event_type %r" % ev["event_type"])
    if not TS.match(ev["timestamp"]):
        bad.append("timestamp %r" % ev["timestamp"])
    if ev["proto"] in ("TCP", "UDP"):
        for k in ("src_port", "dest_port"):
            if not isinstance(ev.get(k), int):
                bad.append(k + " missing")
    a = ev["alert"]
    for k, t in {"action": str, "gid": int, "signature_id": int, "rev": int, "signature": str,
                 "severity": int}.items():
        if not isinstance(a.get(k), t):
            bad.append("alert.%s missing or not %s" % (k, t.__name__))
    if not bad:
        if a["signature_id"] not in msgs:
            bad.append("sid %d is not an enabled ET rule" % a["signature_id"])
        elif msgs[a["signature_id"]] != a["signature"]:
            bad.append("sid %d: signature %r, the rule says %r"
                       % (a["signature_id"], a["signature"], msgs[a["signature_id"]]))
    return bad


def run(trace, msgs, tmp):
    out = os.path.join(tmp, re.sub(r"[^A-Za-z0-9_.-]", "_", trace))
    p = subprocess.run([VIGIL, "analyze", "-q", "-r", os.path.join(CORPUS, trace), "-l", out,
                        "-S", ET], capture_output=True, text=True)
    if p.returncode != 0:
        return ["vigil exited %d: %s" % (p.returncode, p.stderr.strip()[-300:])], None
    d, l = DETECT.search(p.stderr), LOADED.search(p.stderr)
    if not d or not l:
        return ["no detect:/rules: figures line on stderr"], None
    ev, pf, sk, load, build, pk, tx, evals, al, sup = d.groups()
    ev, pf, sk, pk, tx, evals, al = map(int, (ev, pf, sk, pk, tx, evals, al))
    loaded = int(l.group(1))
    fig = {"evaluated": ev, "prefilter": pf, "skipped": sk, "loaded": loaded, "load": load,
           "build": build, "packets": pk, "transactions": tx, "evals": evals, "alerts": al}
    bad = []
    if ev + sk != loaded:
        bad.append("evaluated %d + skipped %d != loaded %d" % (ev, sk, loaded))
    if ev < loaded // 2 or pf > ev:
        bad.append("evaluated %d (prefilter %d) of %d loaded" % (ev, pf, loaded))
    if pk == 0 or tx == 0:
        bad.append("%d packets, %d transactions inspected" % (pk, tx))
    events = []
    with open(os.path.join(out, "eve.json"), encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                events.append(json.loads(line))
            except ValueError as e:
                bad.append("eve.json line %d is not JSON: %s" % (n, e))
    for e in events:
        bad += ["eve.json: " + b for b in alert_problems(e, msgs)][:3]
    with open(os.path.join(out, "fast.log"), encoding="utf-8") as fh:
        fast = sum(1 for _ in fh)
    if not (len(events) == fast == al):
        bad.append("eve.json %d, fast.log %d, alert counter %d" % (len(events), fast, al))
    return bad, fig


def main():
    if not os.path.isdir(ET) or not os.path.isdir(CORPUS):
        print("# corpus or rules not found")
        return 77
    msgs = et_msgs()
    failed = alerts = 0
    with tempfile.TemporaryDirectory() as tmp:
        for t in TRACES:
            if not os.path.exists(os.path.join(CORPUS, t)):
                print("not ok - %s: trace missing" % t)
                failed += 1
                continue
            bad, fig = run(t, msgs, tmp)
            if fig:
                alerts += fig["alerts"]
                print("# %s: %d of %d loaded rules evaluated (%d with a fast pattern), %d skipped; "
                      "load %s s, build %s s CPU; %d packets, %d transactions, %d rule "
                      "evaluations, %d alerts" % (t, fig["evaluated"], fig["loaded"],
                                                  fig["prefilter"], fig["skipped"], fig["load"],
                                                  fig["build"], fig["packets"],
                                                  fig["transactions"], fig["evals"],
                                                  fig["alerts"]))
            print("%s - %s: analyze -S et-open%s" % ("not ok" if bad else "ok", t,
                                                    (": " + "; ".join(bad[:5])) if bad else ""))
            failed += bool(bad)
    ok = alerts > 0
    print("%s - at least one ET alert over the traces (%d)" % ("ok" if ok else "not ok", alerts))
    failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
