#!/usr/bin/env bash
# bench/pivot.sh - `vigil pcap` pivot latency against archive size, and the
# seed's tcpdump loop (issue 4, benchmark (b)).
#
# Builds an archive by ingesting the workload repeatedly, each copy shifted
# by one more day (editcap -t), and at each size of SIZES (in copies of the
# workload, i.e. GiB for the 1 GiB workload) times, for a few sessions:
#   vigil pcap --data DATA --uid UID -w /dev/null        (median of REPS)
#   vigil pcap --data DATA --host A --port P -w /dev/null (median of REPS)
# and once per size the seed's loop
#   for f in $(find DATA -name '*.pcap'); do tcpdump -n -r $f host A and tcp; done
# The sessions are picked from the first copy's conn.log: the TCP session with
# the most packets, one at the median and one with few packets.  The disk is
# checked first (df): sizes that do not fit with 20% to spare are skipped,
# and said.  The archive is deleted at the end (KEEP=1 keeps it).
#
# Environment:
#   WORKLOAD=FILE  (default bench/workload.pcap)   SIZES="1 4 16"   REPS=10
#   DATA=DIR       archive root (default /tmp/vigil-pivot-bench.$$)
#   VIGIL=PATH     (default build/release/vigil)
#   LOOP=0         skip the tcpdump loop
#   KEEP=1         keep the archive; REUSE=1 SIZES=N DATA=DIR measures an archive
#                  kept from an earlier run (N copies) without ingesting
# Writes the table to stdout and bench/results/pivot-<stamp>.md; takes
# bench/results/.lock like bench/run.sh (exit 2 when held).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
WORKLOAD=$(realpath "${WORKLOAD:-bench/workload.pcap}")
SIZES=${SIZES:-1 4 16}
REPS=${REPS:-10}
DATA=${DATA:-/tmp/vigil-pivot-bench.$$}
VIGIL=${VIGIL:-}
[[ -z $VIGIL && -x build/release/vigil ]] && VIGIL=build/release/vigil
[[ -z $VIGIL ]] && VIGIL=./vigil
VIGIL=$(realpath "$VIGIL")
say() { printf '[pivot %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

mkdir -p bench/results
exec 9>bench/results/.lock
flock -n 9 || { say "another benchmark holds bench/results/.lock"; exit 2; }
mkdir -p "$DATA" || exit 1
SHIFTED=$DATA/.shifted.pcap
cleanup() { rm -f "$SHIFTED"; [[ ${KEEP:-0} == 1 ]] || rm -rf "$DATA"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

W_BYTES=$(stat -c %s "$WORKLOAD")
# disk: the archive (pcap + ~1% index) plus one shifted copy, with 20% to spare
avail=$(df -B1 --output=avail "$DATA" | tail -1)
fit=()
for s in $SIZES; do
    need=$(awk -v s="$s" -v w="$W_BYTES" 'BEGIN {printf "%.0f", (s * w * 1.02 + w) * 1.2}')
    if ((need <= avail)); then fit+=("$s"); else say "size $s x workload needs $need bytes with 20% spare, $avail available: skipped"; SKIPPED+="$s "; fi
done
((${#fit[@]})) || { say "nothing fits"; exit 1; }
MAX=${fit[-1]}
say "df: $avail bytes available on $(df --output=target "$DATA" | tail -1); building up to $MAX copies of $WORKLOAD ($W_BYTES bytes)"

ms_now() { echo "${EPOCHREALTIME/./}"; }   # microseconds
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }
stats3() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f %.1f %.1f\n", m, a[1], a[NR]}'; }
time_pcap() {   # ARGS... -> "median min max" wall ms, REPS runs, then "median" of vigil's own -v total
    local t0 t1 i
    : >"$DATA/.vtotal"
    for ((i = 0; i < REPS; i++)); do
        t0=$(ms_now)
        "$VIGIL" pcap --data "$DATA" "$@" -w /dev/null -v 2>"$DATA/.verr"
        t1=$(ms_now)
        sed -n 's/.*, total \([0-9.]*\) ms.*/\1/p' "$DATA/.verr" >>"$DATA/.vtotal"
        echo $(((t1 - t0)))
    done | awk '{print $1 / 1000}' | stats3 | tr '\n' ' '
    stats3 <"$DATA/.vtotal" | awk '{print $1}'
}
startup_ms() { local t0 t1 i; for ((i = 0; i < REPS; i++)); do t0=$(ms_now); "$VIGIL" --version >/dev/null 2>&1; t1=$(ms_now); echo $(((t1 - t0))); done | awk '{print $1 / 1000}' | stats3 | awk '{print $1}'; }

ROWS=() LROWS=() IROWS=()
copies=0
for s in "${fit[@]}"; do
    # REUSE=1: DATA already holds an archive made by this script (KEEP=1); measure it as it is
    [[ ${REUSE:-0} == 1 ]] && copies=$s
    while ((copies < s)); do
        shift_s=$((copies * 86400))
        src=$WORKLOAD
        if ((copies > 0)); then
            editcap -t "$shift_s" "$WORKLOAD" "$SHIFTED" || { say "editcap failed"; exit 1; }
            src=$SHIFTED
        fi
        out=$( { /usr/bin/time -f '%U %S %e' "$VIGIL" ingest -r "$src" --data "$DATA" --sensor bench -l "$DATA/logs-$copies" --max-disk-pct 99 2>&1; } 2>&1)
        say "copy $copies (+${shift_s}s): $(grep 'vigil: ingest' <<<"$out")"
        IROWS+=("$copies $(tail -1 <<<"$out")")
        rm -f "$SHIFTED"
        copies=$((copies + 1))
    done
    if [[ -z ${UIDS:-} ]]; then
        # conn.log of copy 0: uid, orig host, resp port, packets (TSV with #fields, or JSON)
        c=$DATA/logs-0/conn.log
        [[ -f $c ]] || c=$(find "$DATA/logs-0" -name 'conn.log*' | head -1)
        awk -F'\t' '/^#fields/ {for (i = 2; i <= NF; i++) f[$i] = i - 1; next} /^#/ {next}
            $f["proto"] == "tcp" && $f["conn_state"] == "SF" {
                print $f["uid"], $f["id.orig_h"], $f["id.resp_p"], $f["orig_pkts"] + $f["resp_pkts"] }' "$c" |
            sort -k4,4n >"$DATA/.sessions"
        n=$(wc -l <"$DATA/.sessions")
        ((n > 0)) || { say "no TCP SF session in $c"; exit 1; }
        mapfile -t PICK < <(sed -n "$n p; $(((n + 1) / 2)) p; $(((n + 9) / 10)) p" "$DATA/.sessions" | sort -k4,4nr)
        UIDS=1
        say "sessions: ${PICK[*]}"
    fi
    bytes=$(du -sb "$DATA/sensor_data" | cut -f1)
    files=$(find "$DATA" -name '*.pcap' | wc -l)
    gb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e9}')
    for p in "${PICK[@]}"; do
        read -r uid host port pk <<<"$p"
        cnt=$("$VIGIL" pcap --data "$DATA" --uid "$uid" --count -q 2>/dev/null | tail -1)
        ROWS+=("| $gb GB ($files files) | \`--uid $uid\` ($pk pkts in conn.log; $cnt) | $(time_pcap --uid "$uid" | awk '{print $1 " | " $2 " | " $3 " | " $4}') |")
        say "${ROWS[-1]}"
    done
    read -r uid host port pk <<<"${PICK[0]}"
    ROWS+=("| $gb GB ($files files) | \`--host $host --port $port\` | $(time_pcap --host "$host" --port "$port" | awk '{print $1 " | " $2 " | " $3 " | " $4}') |")
    ROWS+=("| $gb GB ($files files) | \`vigil --version\` (process start-up, no query) | $(startup_ms) | | | |")
    say "${ROWS[-1]}"
    if [[ ${LOOP:-1} != 0 ]]; then
        # the seed's loop, once; host A = the biggest session's originator
        lt=$( { /usr/bin/time -f '%e %U %S' bash -c 'for f in $(find "$1" -name "*.pcap"); do tcpdump -n -r $f host "$2" and tcp; done >/dev/null 2>&1' _ "$DATA/sensor_data" "$host"; } 2>&1 | tail -1)
        vm=$(time_pcap --host "$host" | awk '{print $1}')
        LROWS+=("| $gb GB | host $host and tcp | $(awk '{print $1 " | " $2 + $3}' <<<"$lt") | $vm | $(awk -v l="$(cut -d' ' -f1 <<<"$lt")" -v v="$vm" 'BEGIN {printf "%.0fx", l * 1000 / v}') |")
        say "${LROWS[-1]}"
    fi
done

STAMP=$(date -u +%Y-%m-%dT%H%MZ)
{
    echo "# pivot latency, $STAMP"
    echo
    echo "- machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- archive: $DATA, copies of $WORKLOAD ($W_BYTES bytes) each shifted by one more day, ingested with \`vigil ingest\`${SKIPPED:+; sizes skipped for disk space: $SKIPPED}"
    echo "- latency: wall ms of \`vigil pcap --data DATA ... -w /dev/null\`, $REPS runs, page cache as it is (the archive was just written)"
    echo
    echo "| archive | query | median ms | min ms | max ms | vigil's own time (-v total), median ms |"
    echo "|---|---|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    if ((${#LROWS[@]})); then
        echo
        echo "| archive | seed's loop (tcpdump over every file) | loop wall s | loop CPU s | vigil pcap --host A (median ms) | loop / vigil |"
        echo "|---|---|---:|---:|---:|---:|"
        printf '%s\n' "${LROWS[@]}"
    fi
    echo
    echo "Ingest per copy (user s, sys s, wall s): $(printf '%s; ' "${IROWS[@]}")"
} | tee "bench/results/pivot-$STAMP.md"
