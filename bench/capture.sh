#!/usr/bin/env bash
# bench/capture.sh - live capture drops: vigil capture vs tcpdump -w vs
# netsniff-ng, across a veth pair (issue 4, benchmark (a)).
#
# Creates two network namespaces joined by a veth pair (nothing is sent
# anywhere else; both are deleted on exit, also on error or Ctrl-C), then for
# each rate replays the workload with tcpreplay from one end while ONE tool at
# a time captures on the other end.  Reports packets sent (tcpreplay), packets
# the tool wrote and the drops it reports (vigil's exit line / tcpdump's
# "dropped by kernel" / netsniff-ng's exit summary).  Needs root.
#
# Environment:
#   WORKLOAD=FILE   capture to replay (default bench/workload-small.pcap)
#   RATES="..."     tcpreplay rates: "top" (--topspeed) or Mbps numbers
#                   (default "top 100 500 1000 2000")
#   TOOLS="..."     subset of "vigil tcpdump netsniff" (default all three)
#   VIGIL=PATH      vigil binary (default: build/release/vigil, built first
#                   with `make BUILD=release`; B=DIR for another build directory)
#   VIGIL_B=MiB     vigil capture -B (default: vigil's own, 64 MiB)
#   TMPDIR_BASE=D   where the captured files go (default bench/.tmp-capture)
# Writes the table to stdout and bench/results/capture-<stamp>.md.
# Takes bench/results/.lock, like bench/run.sh (exit 2 when held).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
WORKLOAD=${WORKLOAD:-bench/workload-small.pcap}
RATES=${RATES:-top 100 500 1000 2000}
TOOLS=${TOOLS:-vigil tcpdump netsniff}
B=${B:-build/release}
T=${TMPDIR_BASE:-$ROOT/bench/.tmp-capture}
say() { printf '[capture %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

[[ $(id -u) == 0 ]] || { say "needs root (ip netns)"; exit 1; }
for t in ip tcpreplay tcpdump netsniff-ng capinfos; do
    command -v $t >/dev/null || { say "$t missing (scripts/deps.sh bench)"; exit 1; }
done
mkdir -p bench/results
exec 9>bench/results/.lock
flock -n 9 || { say "another benchmark holds bench/results/.lock"; exit 2; }
if [[ -z ${VIGIL:-} ]]; then   # this checkout's binary unless VIGIL names one
    mlog=$(mktemp)
    make -s -j2 BUILD=release B="$B" "$B/vigil" >"$mlog" 2>&1 ||
        { tail -20 "$mlog" >&2; rm -f "$mlog"; say "build failed"; exit 1; }
    rm -f "$mlog"
    VIGIL=$B/vigil
fi
VIGIL=$(realpath "$VIGIL")

NA=vgb-tx-$$ NB=vgb-rx-$$ IA=vgbtx$$ IB=vgbrx$$
IA=${IA:0:15} IB=${IB:0:15}
pid=
cleanup() {
    [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$T"; mkdir -p "$T"

ip netns add "$NA" && ip netns add "$NB" || { say "ip netns add failed"; exit 1; }
ip link add "$IA" type veth peer name "$IB" || { say "veth failed"; exit 1; }
ip link set "$IA" netns "$NA"; ip link set "$IB" netns "$NB"
for p in "$NA:$IA" "$NB:$IB"; do
    ns=${p%%:*} if=${p#*:}
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip link set "$if" mtu 9000 up
done
# no addresses: the receiving stack drops what is not for it, nothing answers

W_PKTS=$(capinfos -M -c "$WORKLOAD" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
say "workload $WORKLOAD, $W_PKTS packets; veth $IA ($NA) -> $IB ($NB)"

start_tool() {   # TOOL OUTDIR
    local tool=$1 o=$2
    case $tool in
        vigil)
            ip netns exec "$NB" "$VIGIL" capture -i "$IB" ${VIGIL_B:+-B "$VIGIL_B"} --data "$o/d" --sensor bench -l "$o/logs" 2>"$o/err" &
            pid=$! ;;
        tcpdump)
            ip netns exec "$NB" tcpdump -n -i "$IB" -s 0 -w "$o/td.pcap" 2>"$o/err" &
            pid=$! ;;
        netsniff)
            ip netns exec "$NB" netsniff-ng --in "$IB" --out "$o/ns.pcap" --silent 2>"$o/err" >"$o/out" &
            pid=$! ;;
    esac
    # ready: vigil writes capture.stats at start, tcpdump says "listening"
    for _ in $(seq 100); do
        case $tool in
            vigil) [[ -f $o/d/sensor_data/bench/capture.stats ]] && break ;;
            tcpdump) grep -q listening "$o/err" 2>/dev/null && break ;;
            netsniff) [[ -e $o/ns.pcap ]] && break ;;
        esac
        sleep 0.1
    done
    sleep 1
}

count_pcaps() { # FILES... -> packets
    local n=0 c
    for f in "$@"; do
        c=$(capinfos -M -c "$f" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
        n=$((n + ${c:-0}))
    done
    echo $n
}

ROWS=()
for rate in $RATES; do
    for tool in $TOOLS; do
        o=$T/$tool-$rate; mkdir -p "$o"
        start_tool "$tool" "$o"
        if [[ $rate == top ]]; then ropt=(--topspeed); else ropt=(--mbps "$rate"); fi
        ip netns exec "$NA" tcpreplay -i "$IA" "${ropt[@]}" "$WORKLOAD" >"$o/replay" 2>&1
        sent=$(awk '/Successful packets:/ {print $3}' "$o/replay")
        failed=$(awk '/Failed packets:/ {print $3}' "$o/replay")
        actual=$(grep -m1 'Rated:' "$o/replay" | sed 's/^ *//')
        sleep 2
        kill -INT "$pid"; wait "$pid"; rc=$?; pid=
        case $tool in
            vigil)
                line=$(grep 'dropped by the kernel' "$o/err" | tail -1)
                kd=$(sed -n 's/.* \([0-9]*\) dropped by the kernel.*/\1/p' <<<"$line")
                ifd=$(sed -n 's/.* \([0-9]*\) dropped by the interface.*/\1/p' <<<"$line")
                recv=$(sed -n 's/.*: \([0-9]*\) received,.*/\1/p' <<<"$line")
                got=$(count_pcaps $(find "$o/d" -name '*.pcap'))
                ;;
            tcpdump)
                kd=$(awk '/dropped by kernel/ {print $1}' "$o/err")
                ifd=$(awk '/dropped by interface/ {print $1}' "$o/err"); ifd=${ifd:-0}
                recv=$(awk '/received by filter/ {print $1}' "$o/err")
                got=$(count_pcaps "$o/td.pcap")
                ;;
            netsniff)
                # exit summary: "N packets incoming (M unread on exit)", "N packets passed filter", "N packets failed filter (out of space)"
                recv=$(tr -d '\r' <"$o/out" | awk '/packets incoming/ {print $1}' | tail -1)
                kd=$(tr -d '\r' <"$o/out" | awk '/failed filter/ {print $1}' | tail -1)
                ifd="-"
                got=$(count_pcaps "$o/ns.pcap")
                ;;
        esac
        ROWS+=("| ${rate/top/topspeed} | $tool | ${sent:-?} | ${failed:-?} | ${recv:-?} | $got | ${kd:-?} | ${ifd:-?} | $((${sent:-0} - got)) | $actual |")
        say "${ROWS[-1]} (rc $rc)"
        rm -rf "$o"
    done
done

STAMP=$(date -u +%Y-%m-%dT%H%MZ)
{
    echo "# capture drops, $STAMP"
    echo
    echo "- machine: $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- workload: $WORKLOAD ($W_PKTS packets), replayed by tcpreplay across a veth pair (MTU 9000) between two namespaces"
    echo "- vigil: $VIGIL capture ${VIGIL_B:+-B $VIGIL_B}(ring default 64 MiB); tcpdump -s 0 -w (default 2 MiB buffer); netsniff-ng --in --out --silent (defaults); netsniff-ng's kernel drops = its \"packets failed filter (out of space)\" (PACKET_STATISTICS tp_drops)"
    echo
    echo "| rate (Mbps) | tool | sent | replay failed | received (tool) | in file | kernel drops | if drops | sent - in file | tcpreplay rate |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${ROWS[@]}"
} | tee "bench/results/capture-$STAMP.md"
