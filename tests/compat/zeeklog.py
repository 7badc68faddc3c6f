"""zeeklog.py - what the corpus comparisons against Zeek share (a module, not a suite).

The *_vs_zeek.py scripts (and arkime_sessions.py) each compare one of Vigil's
logs with a peer's expectation on every corpus trace.  What they do alike
lives here, so that each script holds only what it compares:

  read_log       a Zeek ASCII log (`#fields` header; a .cut's first line
                 names the columns) as (fields, rows of dicts);
  analyze        `$VIGIL analyze -r TRACE -l DIR` into a directory;
  trace_for,     the trace a baseline belongs to (same base name, .pcap /
  baselines      .pcapng / .trace beside it);
  Known          a fenced `NAME-known` block of KNOWN-DIFFERENCES.md (tab-
                 separated lines) and which of its lines a run has seen, so
                 that an unlisted difference and a listed one that no longer
                 occurs both fail;
  pair_rows,     rows of the same key paired in order, Zeek's row against
  compare_rows,  the first unpaired one of ours; differences as (key, field)
  compare_grouped  with "missing" / "extra" for whole rows;
  masked, x_matches, delta, ts_of: value comparisons (X-masked wildcards,
                 time tolerances).

Not executable on purpose: tests/run.sh runs every executable script here.
"""
import os
import re
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
KNOWN_PATH = os.path.join(HERE, "KNOWN-DIFFERENCES.md")
TRACE_EXTS = (".pcap", ".pcapng", ".trace")
MASK = re.compile(r"X+(\.X+)?")


def environment(tmp_default):
    """(vigil, corpus, tmp) from $VIGIL, $CORPUS and $TEST_TMP."""
    return (os.environ.get("VIGIL", "build/release/vigil"),
            os.environ.get("CORPUS", "../shared/corpus"),
            os.environ.get("TEST_TMP", tmp_default))


def missing(vigil, corpus):
    """True (and says so) when the corpus or the vigil binary is not there: exit 77."""
    if os.path.isdir(corpus) and os.access(vigil, os.X_OK):
        return False
    print("# corpus or vigil missing")
    return True


def read_log(path, missing_ok=False):
    """(fields, rows) of a Zeek ASCII log, each row a dict field -> value.

    Comment lines (`#...`, btest headers included) are skipped; a file with
    no `#fields` line (a zeek-cut .cut) names its columns on its first line.
    missing_ok: a file that is not there reads as ([], [])."""
    if missing_ok and not os.path.exists(path):
        return [], []
    fields, rows = None, []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if not line or line.startswith("#"):
                continue
            if fields is None:
                fields = line.split("\t")
                continue
            rows.append(dict(zip(fields, line.split("\t"))))
    return fields or [], rows


def analyze(vigil, trace, out, args=(), quiet=True, clean=False):
    """Run `vigil analyze [-q] ARGS -r TRACE -l OUT` (OUT emptied first with
    clean); the finished process, its stderr kept (bytes), stdout dropped."""
    if clean:
        shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    cmd = [vigil, "analyze"] + (["-q"] if quiet else []) + list(args) + ["-r", trace, "-l", out]
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)


def trace_for(root, base):
    """The trace ROOT/BASE.pcap (.pcapng, .trace) a baseline belongs to, or None."""
    return next((os.path.join(root, base + e) for e in TRACE_EXTS
                 if os.path.exists(os.path.join(root, base + e))), None)


def baselines(corpus, pattern):
    """Sorted (path, trace, match) of every corpus file whose name matches
    `pattern` (group 1: the trace's base name) and whose trace is there."""
    out = []
    for root, _, files in os.walk(corpus):
        for f in files:
            m = re.match(pattern, f)
            trace = trace_for(root, m.group(1)) if m else None
            if trace:
                out.append((os.path.join(root, f), trace, m))
    return sorted(out, key=lambda b: b[0])


def known_block(name, width=3, path=KNOWN_PATH):
    """The lines of the fenced block(s) ```NAME-known of KNOWN-DIFFERENCES.md
    as tuples of `width` tab-separated fields (blank, # and other lines skipped)."""
    known, inside = set(), False
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return known
    for line in lines:
        if line.strip() == "```%s-known" % name:
            inside = True
        elif inside and line.startswith("```"):
            inside = False
        elif inside and line.strip() and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) == width:
                known.add(tuple(parts))
    return known


class Known:
    """A known-difference block and the lines of it a run has seen."""

    def __init__(self, name, width=3):
        self.listed = known_block(name, width)
        self.seen = set()

    def __contains__(self, tag):
        return tag in self.listed

    def unlisted(self, name, diffs):
        """The differences (tuples) of baseline `name` the block does not list;
        every one of them counts as seen."""
        tags = [(name,) + tuple(d) for d in diffs]
        self.seen.update(tags)
        return [d for d, t in zip(diffs, tags) if t not in self.listed]

    def note(self, tag):
        """Is `tag` listed?  If so it counts as seen."""
        if tag in self.listed:
            self.seen.add(tag)
            return True
        return False

    def stale(self, keep=None):
        """The listed lines no difference matched (those `keep` accepts), sorted."""
        return sorted(t for t in self.listed
                      if t not in self.seen and (keep is None or keep(t)))


def keyer(fields, absent=""):
    """A row's key: its values of `fields` joined by "|" (`absent` for a missing one)."""
    return lambda r: "|".join(r.get(k, absent) for k in fields)


def ts_of(r):
    """A row's ts as a number (0 when it is masked, "-" or not there)."""
    try:
        return float(r.get("ts", "0"))
    except ValueError:
        return 0.0


def pair_rows(zrows, vrows, key, order=None):
    """Pair each Zeek row (sorted by `order` if given) with the first unpaired
    row of ours of the same key.  Returns ([(key, zeek row, our row or None)],
    [(key, our row) left unpaired])."""
    if order:
        zrows, vrows = sorted(zrows, key=order), sorted(vrows, key=order)
    pool = {}
    for r in vrows:
        pool.setdefault(key(r), []).append(r)
    pairs = []
    for z in zrows:
        k = key(z)
        cands = pool.get(k)
        pairs.append((k, z, cands.pop(0) if cands else None))
    return pairs, [(k, r) for k, rest in pool.items() for r in rest]


def compare_rows(zrows, vrows, key, differing, order=None):
    """Differences as (key, field) - field "missing" for a Zeek row with no
    row of ours, "extra" for one of ours left over - and how many Zeek rows
    are equal on every field; differing(zeek row, our row) lists the fields
    that differ."""
    pairs, extra = pair_rows(zrows, vrows, key, order)
    diffs, equal = [], 0
    for k, z, v in pairs:
        if v is None:
            diffs.append((k, "missing"))
            continue
        bad = differing(z, v)
        diffs.extend((k, f) for f in bad)
        equal += not bad
    diffs.extend((k, "extra") for k, _ in extra)
    return diffs, equal


def compare_grouped(zrows, vrows, key, differing):
    """As compare_rows, but records are paired per key in log order and named
    key#n (n: the record's place among its key's), keys in sorted order."""
    zg, vg = {}, {}
    for rows, g in ((zrows, zg), (vrows, vg)):
        for r in rows:
            g.setdefault(key(r), []).append(r)
    diffs, equal = [], 0
    for k in sorted(set(zg) | set(vg)):
        zl, vl = zg.get(k, []), vg.get(k, [])
        for n in range(max(len(zl), len(vl))):
            name = "%s#%d" % (k, n)
            if n >= len(vl):
                diffs.append((name, "missing"))
            elif n >= len(zl):
                diffs.append((name, "extra"))
            else:
                bad = differing(zl[n], vl[n])
                diffs.extend((name, f) for f in bad)
                equal += not bad
    return diffs, equal


def masked(v):
    """Is a baseline value masked out with X (XXXX or XXXX.XXXX): a wildcard?"""
    return v is not None and MASK.fullmatch(v) is not None


def x_matches(want, got):
    """Equal but where `want` has an X, which stands for any one character."""
    if "X" not in want or len(want) != len(got or ""):
        return False
    return all(w == "X" or w == g for w, g in zip(want, got))


def delta(a, b):
    """|a - b| as numbers, None when either is not a number."""
    try:
        return abs(float(a) - float(b))
    except (TypeError, ValueError):
        return None


def tap_baseline(n, rel, unknown, equal, rows, diffs):
    """TAP line n for baseline `rel`: not ok with its first unlisted
    differences, or ok with `equal` of `rows` Zeek rows equal.  True when ok."""
    if unknown:
        print("not ok %d - %s: %d new difference(s)" % (n, rel, len(unknown)))
        for k, f in unknown[:10]:
            print("#   %s %s" % (k, f))
        return False
    print("ok %d - %s (%d/%d equal%s)" % (n, rel, equal, rows,
                                         ", known differences" if diffs else ""))
    return True


def tap_stale(n, stale, bad, good, most=10):
    """TAP line n on the listed differences that no longer occur (`bad`, with
    the first `most` of them) or on there being none (`good`).  True when ok."""
    if stale:
        print("not ok %d - %s" % (n, bad))
        for s in stale[:most]:
            print("#   " + "\t".join(s))
        return False
    print("ok %d - %s" % (n, good))
    return True


def print_unlisted(log, unlisted, zrows, vrows, key, most=20):
    """A comment line per unlisted difference (the first `most`): baseline,
    key, field and the two values (of the first row of that key on each side)."""
    for k, f in unlisted[:most]:
        z = next((r for r in zrows if key(r) == k), {})
        v = next((r for r in vrows if key(r) == k), {})
        print(f"#   {log}\t{k}\t{f}\tzeek={z.get(f, '')!r} vigil={v.get(f, '')!r}")
