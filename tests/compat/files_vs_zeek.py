#!/usr/bin/env python3
"""files_vs_zeek.py - compare Vigil's files.log and carved files with Zeek's.

For each trace in $CORPUS with a `*.zeek8-files.log` (Zeek 8.2.2 with
policy/frameworks/files/hash-all-files: MD5, SHA-1 and SHA-256 of every
file) or a `*.zeek-files.log*` btest baseline, run
`$VIGIL analyze --extract -r TRACE -l $TEST_TMP/x` and compare files.log
per file.  fuids and uids are random in Zeek, so files are paired by what
does not depend on them: the connection's id fields, source and is_orig,
in log order within that key.  Compared: source, depth, mime_type,
filename, is_orig, seen_bytes, total_bytes, missing_bytes, overflow_bytes,
md5, sha1, sha256 (columns the baseline has; X-masked values are
wildcards).  duration (last chunk minus first) is measured, not failed on:
one TAP line tells on how many paired files it is within 1 ms of Zeek's.
Not compared: ts, analyzers (Zeek lists its own analyzer set),
local_orig, timedout, extracted*.

Carving: for every `*.zeek-extracted-*` and `*.zeek-extract_files.*` file
of the corpus, a file with the same SHA-256 must be among the files
Vigil stored under x/extract_files/ for that trace.

One TAP line per baseline and per carved file.  Fails on a difference not
listed in KNOWN-DIFFERENCES.md (fenced block `files-known`, lines
`baseline<TAB>key#n<TAB>field`), on a listed difference that no longer
shows, or when fewer than 95% of Zeek's files are equal on every compared
field.  Exit 77: no corpus.
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtp_vs_zeek as cmp  # noqa: E402
import zeeklog as zl  # noqa: E402

TARGET = 95.0
KEY = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "source", "is_orig"]
FIELDS = ["source", "depth", "mime_type", "filename", "is_orig", "seen_bytes", "total_bytes",
          "missing_bytes", "overflow_bytes", "md5", "sha1", "sha256"]


def run(vigil, trace, tmp):
    out = os.path.join(tmp, "x")
    zl.analyze(vigil, trace, out, ["--extract"], clean=True)
    rows = zl.read_log(os.path.join(out, "files.log"), missing_ok=True)[1]
    stored = set()
    d = os.path.join(out, "extract_files")
    if os.path.isdir(d):
        for f in os.listdir(d):
            with open(os.path.join(d, f), "rb") as fh:
                stored.add(hashlib.sha256(fh.read()).hexdigest())
    return rows, stored


def hashed(row, field):
    """Did Zeek run the hash analyzer of this field (btest baselines often do not)?"""
    if field not in ("md5", "sha1", "sha256") or "analyzers" not in row:
        return True
    return field.upper() in row["analyzers"].split(",")


DURATION = [0, 0]  # paired files within 1 ms of Zeek's duration, paired files with one


def duration_close(z, v):
    try:
        zd, vd = float(z.get("duration", "")), float(v.get("duration", ""))
    except ValueError:
        return None
    return abs(zd - vd) < 1e-3


def compare(zfields, zrows, vrows):
    """Pairs by the key columns the baseline has (.cut baselines lack the id fields)."""
    def differing(z, v):
        d = duration_close(z, v)
        if d is not None:
            DURATION[0] += d
            DURATION[1] += 1
        return [f for f in FIELDS if f in z and hashed(z, f) and not cmp.same(f, z.get(f), v.get(f))]
    return zl.compare_grouped(zrows, vrows, zl.keyer([k for k in KEY if k in zfields]), differing)


def carved(corpus):
    """(rel, path, trace) of every file Zeek carved."""
    return [(os.path.relpath(path, corpus), path, trace) for path, trace, _ in
            zl.baselines(corpus, r"(.*)\.(zeek-extracted-.*|zeek-extract_files\..*)$")]


def main():
    corpus = os.environ.get("CORPUS", "")
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    tmp = os.environ.get("TEST_TMP", "/tmp")
    if not corpus or not os.path.isdir(corpus):
        print("1..0 # SKIP no corpus")
        return 77
    known = zl.Known("files")
    cache = {}
    n = failed = total = equal_all = 0
    for rel, path, trace in cmp.baselines(corpus, "files"):
        zfields, zrows = zl.read_log(path)
        if trace not in cache:
            cache[trace] = run(vigil, trace, tmp)
        diffs, equal = compare(zfields, zrows, cache[trace][0])
        total += len(zrows)
        equal_all += equal
        unknown = known.unlisted(rel, diffs)
        n += 1
        if unknown:
            failed += 1
            print("not ok %d - %s: %d/%d files equal" % (n, rel, equal, len(zrows)))
            for k, f in (unknown if os.environ.get("FILES_LIST") else unknown[:20]):
                print("#   %s\t%s\t%s" % (rel, k, f))
        else:
            print("ok %d - %s: %d/%d files equal%s" % (
                n, rel, equal, len(zrows), " (%d known differences)" % len(diffs) if diffs else ""))
    for rel, path, trace in carved(corpus):
        if trace not in cache:
            cache[trace] = run(vigil, trace, tmp)
        with open(path, "rb") as fh:
            want = hashlib.sha256(fh.read()).hexdigest()
        n += 1
        ok = known.note((rel, "carved", "sha256")) or want in cache[trace][1]
        if not ok:
            failed += 1
        print("%s %d - carved %s: %s" % ("ok" if ok else "not ok", n, rel,
                                         "stored by Vigil" if want in cache[trace][1]
                                         else "not stored (known)" if ok else "not stored"))
    stale = known.stale()
    n += 1
    failed += not zl.tap_stale(n, stale, "listed differences that no longer show (remove them)",
                               "every listed difference still shows", most=20)
    n += 1
    print("ok %d - duration within 1 ms of Zeek's on %d/%d paired files" % (
        n, DURATION[0], DURATION[1]))
    pct = 100.0 * equal_all / total if total else 100.0
    n += 1
    print("%s %d - %d/%d Zeek files equal on every compared field (%.1f%%, target %.0f%%)" % (
        "ok" if pct >= TARGET else "not ok", n, equal_all, total, pct, TARGET))
    if pct < TARGET:
        failed += 1
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
