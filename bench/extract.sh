#!/usr/bin/env bash
# bench/extract.sh - extraction throughput: vigil extract vs tcpflow vs
# tshark --export-objects http (issue 6).
#
# One run each (RUNS=N for best of N, round robin) on the workload, page cache
# warmed first; CPU seconds (user+sys) and wall from /usr/bin/time, peak RSS,
# files written and their bytes.  The output directories are deleted after
# each run.  The tools do different jobs - tcpflow writes every TCP stream's
# reassembled bytes (one file per direction), tshark every HTTP object,
# vigil every HTTP/SMTP/FTP file de-chunked, decompressed, hashed (MD5, SHA-1,
# SHA-256), typed with libmagic and stored once by SHA-256 - so the
# comparison is "the time to get the files out", as issue 6 asks.
#
# Environment: WORKLOAD=FILE (default bench/workload.pcap, else ../main's),
#   RUNS=1, VIGIL=PATH (default: build/release/vigil, built first with
#   `make BUILD=release`), B=DIR (that build directory),
#   OUT=DIR (scratch, default bench/.tmp-extract), TOOLS="vigil tcpflow tshark".
# Writes the table to stdout and bench/results/extract-<stamp>.md; takes
# bench/results/.lock (exit 2 when held).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
WORKLOAD=${WORKLOAD:-bench/workload.pcap}
[[ -e $WORKLOAD ]] || WORKLOAD=$PWD/../../main/bench/workload.pcap
RUNS=${RUNS:-1}
TOOLS=${TOOLS:-vigil tcpflow tshark}
B=${B:-build/release}
OUT=${OUT:-$PWD/bench/.tmp-extract}
say() { printf '[extract %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
for t in /usr/bin/time tcpflow tshark; do command -v $t >/dev/null || { say "$t missing (scripts/deps.sh test)"; exit 1; }; done
[[ -r $WORKLOAD ]] || { say "no workload at $WORKLOAD (bench/run.sh makes one)"; exit 1; }
WORKLOAD=$(realpath "$WORKLOAD")
mkdir -p bench/results
exec 9>bench/results/.lock
flock -n 9 || { say "another benchmark holds bench/results/.lock"; exit 2; }
trap 'rm -rf "$OUT"' EXIT
# the binary of this checkout unless VIGIL names one (a stale build
# directory measured a stale binary once)
if [[ -z ${VIGIL:-} ]]; then
    mkdir -p "$OUT"
    make -s -j2 BUILD=release B="$B" "$B/vigil" >"$OUT/make.log" 2>&1 ||
        { tail -20 "$OUT/make.log" >&2; say "build failed"; exit 1; }
    VIGIL=$B/vigil
fi
VIGIL=$(realpath "$VIGIL")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git status --porcelain --untracked-files=no src 2>/dev/null) ]] && COMMIT+=" + uncommitted changes in src/"
W_BYTES=$(stat -c %s "$WORKLOAD")
cat "$WORKLOAD" >/dev/null   # warm the page cache

declare -A CPU WALL RSS FILES FBYTES
for ((r = 0; r < RUNS; r++)); do
    for tool in $TOOLS; do
        rm -rf "$OUT"; mkdir -p "$OUT/o"
        case $tool in
            vigil) cmd=("$VIGIL" extract -q -r "$WORKLOAD" -o "$OUT/o") ;;
            tcpflow) cmd=(tcpflow -r "$WORKLOAD" -o "$OUT/o") ;;
            tshark) cmd=(tshark -n -r "$WORKLOAD" -q --export-objects "http,$OUT/o") ;;
        esac
        /usr/bin/time -o "$OUT/time" -f '%U %S %M %e' "${cmd[@]}" >"$OUT/stdout" 2>"$OUT/stderr"
        rc=$?
        read -r u s m e < <(tail -1 "$OUT/time")
        cpu=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
        # files written: vigil's carved files (not its index.tsv), tcpflow's
        # stream files (not report.xml), tshark's objects
        nf=$(find "$OUT/o" -type f ! -name index.tsv ! -name report.xml | wc -l)
        nb=$(find "$OUT/o" -type f ! -name index.tsv ! -name report.xml -printf '%s\n' | awk '{s += $1} END {print s + 0}')
        say "$tool run $r: rc $rc, $cpu CPU s, $e s wall, ${m} KB, $nf files, $nb bytes"
        ((rc != 0)) && tail -3 "$OUT/stderr" >&2
        if [[ -z ${CPU[$tool]:-} ]] || awk -v a="$cpu" -v b="${CPU[$tool]}" 'BEGIN {exit !(a < b)}'; then
            CPU[$tool]=$cpu WALL[$tool]=$e RSS[$tool]=$m FILES[$tool]=$nf FBYTES[$tool]=$nb
        fi
    done
done

STAMP=$(date -u +%Y-%m-%dT%H%MZ)
{
    echo "# extraction, $STAMP"
    echo
    echo "- machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- workload: $WORKLOAD ($W_BYTES bytes); best of $RUNS run(s), page cache warm; vigil: $VIGIL (checkout at $COMMIT)"
    echo
    echo "| tool | CPU s (user+sys) | wall s | peak RSS | MB/s per CPU s | files written | bytes written |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for tool in $TOOLS; do
        case $tool in
            vigil) nm="\`vigil extract -r W -o DIR\`" ;; tcpflow) nm="\`tcpflow -r W -o DIR\`" ;; tshark) nm="\`tshark -r W --export-objects http,DIR\`" ;;
        esac
        echo "| $nm | ${CPU[$tool]} | ${WALL[$tool]} | $((RSS[$tool] / 1024)) MB | $(awk -v b="$W_BYTES" -v c="${CPU[$tool]}" 'BEGIN {printf "%.0f", b / 1e6 / c}') | ${FILES[$tool]} | ${FBYTES[$tool]} |"
    done
    echo
    if [[ -n ${CPU[vigil]:-} && -n ${CPU[tcpflow]:-} ]]; then
        v=$(awk -v a="${CPU[tcpflow]}" -v b="${CPU[vigil]}" 'BEGIN {printf "%.2f", a / b}')
        echo "vigil extract vs tcpflow (tcpflow CPU / vigil CPU): ${v}x, target >= 3x: $(awk -v v="$v" 'BEGIN {print (v >= 3) ? "met" : "**not met**"}'); wall ratio $(awk -v a="${WALL[tcpflow]}" -v b="${WALL[vigil]}" 'BEGIN {printf "%.2f", a / b}')x."
    fi
    if [[ -n ${CPU[vigil]:-} && -n ${CPU[tshark]:-} ]]; then # (an && list here made the script exit 1 without tshark)
        echo "vigil extract vs tshark --export-objects http (CPU): $(awk -v a="${CPU[tshark]}" -v b="${CPU[vigil]}" 'BEGIN {printf "%.2f", a / b}')x."
    fi
} | tee "bench/results/extract-$STAMP.md"
