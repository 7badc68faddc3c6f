#!/usr/bin/env bash
# bench/run.sh - Vigil against its peer tools, side by side on one capture.
#
# Builds what it needs (vigil, the libpcap floor, the synthetic-flow writer),
# makes the workload if it is missing, installs the peers (scripts/deps.sh
# bench), then runs every tool RUNS times, round robin so that background load
# hits all of them alike, and keeps each tool's best run (least user+sys CPU
# seconds) and its largest peak RSS.  Prints a Markdown table with the ratios
# the issues ask for and writes it to bench/results/<date>.md.  What each line
# measures and the targets: bench/README.md.
#
# Environment:
#   WORKLOAD=FILE    capture to measure (default bench/workload.pcap; made
#                    with ../shared/bench/make-workload.sh when missing)
#   WORKLOAD_MIB=N   size of the workload made when missing (default 1024)
#   RUNS=N           runs per tool, best kept (default 3)
#   VIGIL=PATH       a vigil binary to measure instead of building one
#   VIGIL_REV=REV    build and measure that commit (git archive into a
#                    temporary directory; the working tree is not touched)
#   FALLBACK_HEAD=0  fail when the working tree does not build (default:
#                    measure the committed HEAD instead, and say so)
#   B=DIR            build directory (default build/release)
#   FLOWS=N          flows in the synthetic concurrent-flow capture
#                    (default 1000000; 0 skips the flow-memory test)
#   FLOW_PEERS=0     leave argus + racluster out of the flow-memory test
#                    (it takes them about 2.5 CPU minutes at 1M flows)
#   DEPS=0           do not run scripts/deps.sh bench
#   DECODE_FLAG=OPT  the `vigil read` option that decodes every packet and
#                    prints nothing (default: --decode-only when its --help
#                    lists it; else `vigil stats` stands for the decode path)
#
# Exit codes: 0 ok (also when some vigil subcommands do not exist yet),
# 1 a build or the workload failed, 2 another benchmark is running.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
RUNS=${RUNS:-3}
WORKLOAD=${WORKLOAD:-bench/workload.pcap}
WORKLOAD_MIB=${WORKLOAD_MIB:-1024}
B=${B:-build/release}
FLOWS=${FLOWS:-1000000}
MAKE_WORKLOAD=${MAKE_WORKLOAD:-$ROOT/../shared/bench/make-workload.sh}
RESULTS=bench/results
TIMEFMT='%U %S %M %e'

# Zeek's reference figure (../shared/bench/README.md, 1 GiB workload, quiet
# 2-core machine, 2026-11-28): Zeek 8.2.2 with default scripts, and the
# libpcap floor measured on the same machine and file.
ZEEK_REF_CPU=7.96
ZEEK_REF_RSS_MB=187
ZEEK_REF_FLOOR_CPU=0.24

say() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$RESULTS"
exec 9>"$RESULTS/.lock"
flock -n 9 || { say "another bench/run.sh is running (lock $RESULTS/.lock)"; exit 2; }

TMP=$(mktemp -d "$ROOT/$RESULTS/.run.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ------------------------------------------------------------------ setup --
if [[ ${DEPS:-1} != 0 ]]; then
    scripts/deps.sh bench || die "scripts/deps.sh bench failed"
fi
for t in /usr/bin/time tcpdump capinfos editcap argus racluster; do
    command -v "$t" >/dev/null || die "$t is missing (scripts/deps.sh bench installs it)"
done

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git status --porcelain --untracked-files=normal src 2>/dev/null) ]] && COMMIT+=" + uncommitted changes in src/"
build_rev() {   # REV: build that commit from `git archive`, outside the tree
    local src=$TMP/src-$1
    mkdir -p "$src" && git archive "$1" | tar -x -C "$src" || return 1
    make -s -C "$src" -j2 BUILD=release B=build/release build/release/vigil >"$TMP/make-rev.log" 2>&1 ||
        { tail -20 "$TMP/make-rev.log" >&2; return 1; }
    VIGIL=$src/build/release/vigil
    COMMIT="$(git rev-parse --short "$1") ($1, built from git archive)"
}
if [[ -n ${VIGIL_REV:-} ]]; then
    say "building vigil at $VIGIL_REV"
    build_rev "$VIGIL_REV" || die "building $VIGIL_REV failed"
elif [[ -z ${VIGIL:-} ]]; then
    say "building vigil in $B"
    # Only the binary: the 'all' target would repoint the ./vigil symlink.
    if make -s -j2 BUILD=release B="$B" "$B/vigil" >"$TMP/make.log" 2>&1; then
        VIGIL=$B/vigil
    elif [[ ${FALLBACK_HEAD:-1} != 0 ]]; then
        tail -5 "$TMP/make.log" >&2
        say "the working tree does not build; measuring the committed HEAD instead"
        build_rev HEAD || die "HEAD does not build either"
        COMMIT+="; the working tree did not build"
    else
        tail -20 "$TMP/make.log" >&2; die "make failed (the tree does not build)"
    fi
else
    COMMIT="$COMMIT (VIGIL given: the binary may be older)"
fi
[[ -x $VIGIL ]] || die "$VIGIL: no such program"
mkdir -p "$B/bench"
FLOOR=$B/bench/pcap_floor
SYNTH=$B/bench/flows_synth
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -Werror -o "$FLOOR" bench/pcap_floor.c $(pkg-config --cflags --libs libpcap) ||
    die "building the libpcap floor failed"
cc -O2 -Wall -Wextra -Werror -o "$SYNTH" bench/flows_synth.c || die "building flows_synth failed"

if [[ ! -s $WORKLOAD ]]; then
    say "no workload at $WORKLOAD: making a $WORKLOAD_MIB MiB one (needs root, a few minutes)"
    [[ -x $MAKE_WORKLOAD ]] || die "$MAKE_WORKLOAD not found (set MAKE_WORKLOAD or WORKLOAD)"
    "$MAKE_WORKLOAD" "$WORKLOAD" "$WORKLOAD_MIB" >"$TMP/workload.log" 2>&1 ||
        { tail -20 "$TMP/workload.log" >&2; die "making the workload failed"; }
fi
W=$WORKLOAD
W_BYTES=$(stat -c %s "$W")

# ------------------------------------------------------ what vigil can do --
# A subcommand counts when `vigil --help` lists it and it runs cleanly on the
# first 2000 packets of the workload (stubs print "not built yet").
SLICE=$TMP/slice.pcap
editcap -F pcap -r "$W" "$SLICE" 1-2000 >/dev/null 2>&1 || die "editcap could not cut $W"
mapfile -t LISTED < <("$VIGIL" --help 2>&1 | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
declare -A HAVE WHY
probe() {   # NAME ARGS... (vigil arguments, @W@ = the capture)
    local name=$1; shift
    local args=("${@//@W@/$SLICE}")
    if [[ " ${LISTED[*]} " != *" $name "* ]]; then
        HAVE[$name]=0; WHY[$name]="not yet built"; return
    fi
    if "$VIGIL" "${args[@]}" >/dev/null 2>"$TMP/probe.err"; then
        HAVE[$name]=1
    else
        HAVE[$name]=0
        WHY[$name]="not yet built"
        grep -q "not built yet" "$TMP/probe.err" ||
            WHY[$name]="fails on the first 2000 packets: $(head -c 120 "$TMP/probe.err" | head -1)"
    fi
}
mkdir -p "$TMP/probe-logs"
probe read read -n -r @W@ -w /dev/null 'tcp port 80'
probe stats stats -r @W@
probe sessions sessions -n -r @W@
probe analyze analyze -r @W@ -l "$TMP/probe-logs"

# Same work as the peer? vigil read -w must select exactly tcpdump's packets.
SAME_READ=""
if [[ ${HAVE[read]} == 1 ]]; then
    "$VIGIL" read -n -r "$SLICE" -w "$TMP/v.pcap" 'tcp port 80' 2>/dev/null
    tcpdump -n -r "$SLICE" -w "$TMP/t.pcap" 'tcp port 80' 2>/dev/null
    if cmp -s <(tail -c +25 "$TMP/v.pcap") <(tail -c +25 "$TMP/t.pcap"); then
        SAME_READ="vigil read -w wrote the same packet records as tcpdump -w (first 2000 packets, 'tcp port 80')"
    else
        SAME_READ="**vigil read -w and tcpdump -w wrote different packet records** (first 2000 packets, 'tcp port 80')"
    fi
fi

# The decode path: a mode of `vigil read` that decodes every packet and prints
# nothing, when there is one; else `vigil stats`, which decodes every packet.
DECODE_FLAG=${DECODE_FLAG:-$("$VIGIL" read --help 2>&1 | grep -oE -- '--decode-only' | head -1)}
DECODE_NOTE=""
if [[ -n $DECODE_FLAG && ${HAVE[read]} == 1 ]] && "$VIGIL" read "$DECODE_FLAG" -r "$SLICE" >/dev/null 2>&1; then
    DECODE_CMD="@T1@ $VIGIL read $DECODE_FLAG -r $W >/dev/null"
    DECODE_NAME="vigil read $DECODE_FLAG"
elif [[ ${HAVE[stats]} == 1 ]]; then
    DECODE_CMD=""   # the stats line doubles as the decode path
    DECODE_NAME="vigil stats"
    DECODE_NOTE="vigil read has no decode-only mode: \`vigil stats\` (decodes every packet and also counts protocols, talkers and ports) stands for the decode path"
else
    DECODE_CMD=""; DECODE_NAME=""
fi

# ---------------------------------------------------------------- measure --
# Each tool: an id, a label and a command line for bash -c, in which @T1@ and
# @T2@ stand for `/usr/bin/time -o FILE` (two for a pipeline, summed).
declare -a IDS
declare -A LABEL CMD CPU RSS WALL FAIL DETAIL
tool() { IDS+=("$1"); LABEL[$1]=$2; CMD[$1]=$3; }

tool floor "libpcap floor (pcap_next_ex only)" "@T1@ $FLOOR $W >/dev/null"
# Not the floor: the same loop on a stream with a 1 MiB buffer, which shows
# how much of the floor is 4 KiB read(2) calls (bench/pcap_floor.c).
tool floor_1m "libpcap loop, 1 MiB stdio buffer (pcap_floor -b)" "@T1@ $FLOOR -b 1048576 $W >/dev/null"
if [[ -n $DECODE_CMD ]]; then
    tool decode "$DECODE_NAME -r W" "$DECODE_CMD"
fi
if [[ ${HAVE[read]} == 1 ]]; then
    tool vread "vigil read -r W -w /dev/null 'tcp port 80'" "@T1@ $VIGIL read -n -r $W -w /dev/null 'tcp port 80'"
fi
tool tcpdump "tcpdump -r W -w /dev/null 'tcp port 80'" "@T1@ tcpdump -n -r $W -w /dev/null 'tcp port 80'"
if [[ ${HAVE[stats]} == 1 ]]; then
    tool vstats "vigil stats -r W" "@T1@ $VIGIL stats -r $W >/dev/null"
fi
tool capinfos "capinfos W" "@T1@ capinfos $W >/dev/null"
# capinfos's default output includes three hashes of the whole file, which
# vigil stats does not compute: the same infos without them, for a fair pair.
tool capinfos_nh "capinfos without hashes (-tEIFkcsdlueoyizxnD W)" "@T1@ capinfos -t -E -I -F -k -c -s -d -l -u -a -e -o -y -i -z -x -n -D $W >/dev/null"
if [[ ${HAVE[sessions]} == 1 ]]; then
    tool vsess "vigil sessions -n -r W" "@T1@ $VIGIL sessions -n -r $W >/dev/null"
fi
tool argus "argus -r W -w - \\| racluster -n -r -" "@T1@ argus -r $W -w - | @T2@ racluster -n -r - >/dev/null"
if [[ ${HAVE[analyze]} == 1 ]]; then
    tool vanalyze "vigil analyze -r W -l DIR" "rm -rf $TMP/logs && mkdir $TMP/logs && @T1@ $VIGIL analyze -r $W -l $TMP/logs"
fi

status_text() {   # RC ERRFILE: "exit status N (first line)" or "crashed (SIGSEGV)"
    local msg
    msg=$(grep -v '^Command exited\|^Command terminated' "$2" | head -1 | head -c 100)
    if (($1 > 128)); then
        echo "crashed ($(kill -l $(($1 - 128)) 2>/dev/null | sed 's/^/SIG/'))${msg:+: $msg}"
    else
        echo "exit status $1${msg:+: $msg}"
    fi
}

run_once() {   # ID: one timed run; folds it into CPU/RSS/WALL
    local id=$1 t1=$TMP/$1.t1 t2=$TMP/$1.t2 cmd rc
    local time1="/usr/bin/time -f '$TIMEFMT' -o $t1" time2="/usr/bin/time -f '$TIMEFMT' -o $t2"
    rm -f "$t1" "$t2"
    cmd=${CMD[$id]//@T1@/$time1}
    cmd=${cmd//@T2@/$time2}
    bash -o pipefail -c "$cmd" 2>"$TMP/$id.err"
    rc=$?
    if ((rc != 0)); then
        FAIL[$id]="$(status_text "$rc" "$TMP/$id.err")"
        return
    fi
    local u s m e cpu=0 rss=0 wall=0 detail=""
    for f in "$t1" "$t2"; do
        [[ -s $f ]] || continue
        read -r u s m e < <(tail -1 "$f")
        cpu=$(awk -v a="$cpu" -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", a + u + s}')
        rss=$((rss + m))
        wall=$(awk -v a="$wall" -v e="$e" 'BEGIN {print (e > a) ? e : a}')
        detail+="${detail:+ + }$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}') s/$((m / 1024)) MB"
    done
    if [[ -z ${CPU[$id]:-} ]] || awk -v a="$cpu" -v b="${CPU[$id]}" 'BEGIN {exit !(a < b)}'; then
        CPU[$id]=$cpu; WALL[$id]=$wall; DETAIL[$id]=$detail
    fi
    if ((rss > ${RSS[$id]:-0})); then RSS[$id]=$rss; fi
}

say "workload $W ($W_BYTES bytes); warming the page cache"
cat "$W" >/dev/null
PACKETS=$("$FLOOR" "$W" | awk '{print $2}')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= RUNS; r++)); do
    say "run $r/$RUNS: ${IDS[*]}"
    for id in "${IDS[@]}"; do
        [[ -n ${FAIL[$id]:-} ]] || run_once "$id"
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------- concurrent-flow memory --
# Synthetic captures of FLOWS and FLOWS/10 concurrent flows, all alive at the
# end (bench/flows_synth.c): the RSS difference over the flow difference is
# the memory per flow without the fixed costs (binary, pools sized at
# start-up, buffers).  Two kinds: "idle" flows that never carry payload
# (-p 0: only the flow table holds state for them; the <= 256 B target), and
# flows that carried 32 bytes each way before going idle (-p 32: what the
# application layer keeps for an undetected protocol comes on top).
declare -A FL_RSS FL_CPU FL_FAIL FL_NOTE
FLOW_KEYS=()   # tool/payload
if ((FLOWS > 0)); then
    [[ ${HAVE[sessions]} == 1 ]] && FLOW_KEYS+=(vsess/0)
    [[ ${HAVE[analyze]} == 1 ]] && FLOW_KEYS+=(vanalyze/0 vanalyze/32)
    [[ ${HAVE[analyze]} != 1 && ${HAVE[sessions]} == 1 ]] && FLOW_KEYS+=(vsess/32)
fi
if ((${#FLOW_KEYS[@]} > 0)); then
    [[ ${FLOW_PEERS:-1} != 0 ]] && FLOW_KEYS+=(argus/0)
    SMALL=$((FLOWS / 10))
    for n in "$SMALL" "$FLOWS"; do
        for key in "${FLOW_KEYS[@]}"; do
            id=${key%/*} pay=${key#*/}
            f=bench/workload-flows-v2-p$pay-$n.pcap
            [[ -s $f ]] || "$SYNTH" -p "$pay" "$f" "$n" >/dev/null || die "flows_synth failed"
            case $id in
                vsess) c="@T1@ $VIGIL sessions -n -r $f >/dev/null" ;;
                vanalyze) c="rm -rf $TMP/fl-logs && mkdir $TMP/fl-logs && @T1@ $VIGIL analyze -r $f -l $TMP/fl-logs" ;;
                argus) c="@T1@ argus -r $f -w - | @T2@ racluster -n -r - >/dev/null" ;;
            esac
            c=${c//@T1@//usr/bin/time -f "'$TIMEFMT'" -o $TMP/fl.t1}
            c=${c//@T2@//usr/bin/time -f "'$TIMEFMT'" -o $TMP/fl.t2}
            say "flow memory: $id on $n flows, payload $pay"
            rm -f "$TMP/fl.t1" "$TMP/fl.t2"
            bash -o pipefail -c "$c" 2>"$TMP/fl.err"
            rc=$?
            if ((rc != 0)); then
                FL_FAIL[$key]="$(status_text "$rc" "$TMP/fl.err")"
                continue
            fi
            rss=0; cpu=0
            for t in "$TMP/fl.t1" "$TMP/fl.t2"; do
                [[ -s $t ]] || continue
                read -r u s m e < <(tail -1 "$t")
                rss=$((rss + m)); cpu=$(awk -v a="$cpu" -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", a + u + s}')
            done
            FL_RSS[$key,$n]=$rss; FL_CPU[$key,$n]=$cpu
            ev=$(grep -ihE 'evict|memcap|shed|dropped' "$TMP/fl.err" | head -2 | tr '\n' ' ')
            [[ -n $ev ]] && FL_NOTE[$key]=$ev
        done
    done
fi

# ------------------------------------------------------------------ report --
mb() { awk -v k="$1" 'BEGIN {printf "%.0f MB", k / 1024}'; }
thr() {   # CPU-S -> "MB/s | packets/s" per CPU second
    awk -v c="$1" -v b="$W_BYTES" -v p="$PACKETS" 'BEGIN {
        if (c <= 0) c = 0.005
        printf "%.0f | %.2fM", b / 1e6 / c, p / c / 1e6 }'
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f%%", (b > 0) ? 100 * a / b : 0}'; }
ratio_x() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", (b > 0) ? a / b : 0}'; }
meets() { awk -v v="$1" -v t="$2" 'BEGIN {print (v + 0 >= t) ? "met" : "**not met**"}'; }
ok() { [[ -n ${CPU[$1]:-} && -z ${FAIL[$1]:-} ]]; }

DATE=$(date -u +%Y-%m-%d)
STAMP=$(date -u +%Y-%m-%dT%H%MZ)
CPU_MODEL=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
OUTFILE=$RESULTS/$STAMP.md
{
    echo "# Vigil benchmark, $STAMP"
    echo
    echo "- machine: $(nproc) cores ($CPU_MODEL), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr); load average $LOAD_BEFORE before, $LOAD_AFTER after"
    echo "- vigil: $VIGIL, commit $COMMIT"
    echo "- workload: $W, $W_BYTES bytes, $PACKETS packets (page cache warm)"
    echo "- best of $RUNS runs (least user+sys CPU), runs interleaved round robin; peak RSS is the largest of the runs; throughput is per CPU second"
    echo
    echo "| tool | CPU s (user+sys) | wall s | peak RSS | MB/s | packets/s |"
    echo "|---|---:|---:|---:|---:|---:|"
    for id in "${IDS[@]}"; do
        if ok "$id"; then
            d=""
            [[ $id == argus ]] && d=" (${DETAIL[$id]})"
            echo "| ${LABEL[$id]}$d | ${CPU[$id]} | ${WALL[$id]} | $(mb "${RSS[$id]}") | $(thr "${CPU[$id]}") |"
        else
            echo "| ${LABEL[$id]} | failed: ${FAIL[$id]:-no run} | | | | |"
        fi
    done
    for name in read stats sessions analyze; do
        [[ ${HAVE[$name]} == 1 ]] || echo "| vigil $name | ${WHY[$name]} | | | | |"
    done
    echo "| Zeek 8.2.2, default scripts (reference figure, not run here) | $ZEEK_REF_CPU | | $ZEEK_REF_RSS_MB MB | | |"
    echo
    echo "| comparison | ratio | target | |"
    echo "|---|---:|---:|---|"
    dec=""
    if [[ -n $DECODE_CMD ]]; then dec=decode; elif [[ ${HAVE[stats]} == 1 ]]; then dec=vstats; fi
    if [[ -n $dec ]] && ok floor && ok "$dec"; then
        v=$(pct "${CPU[floor]}" "${CPU[$dec]}")
        echo "| decode path ($DECODE_NAME) throughput, % of the floor | $v | >= 80% | $(meets "${v%\%}" 80) |"
    else
        echo "| decode path, % of the floor | not yet built | >= 80% | |"
    fi
    if ok vread && ok tcpdump; then
        v=$(ratio_x "${CPU[tcpdump]}" "${CPU[vread]}")
        echo "| vigil read vs tcpdump, 'tcp port 80' (tcpdump CPU / vigil CPU) | $v | > 1x | $(awk -v v="${v%x}" 'BEGIN {print (v > 1) ? "met" : "**not met**"}') |"
    else
        echo "| vigil read vs tcpdump, 'tcp port 80' | not yet built | > 1x | |"
    fi
    if ok vstats && ok capinfos; then
        echo "| vigil stats vs capinfos (capinfos CPU / vigil CPU) | $(ratio_x "${CPU[capinfos]}" "${CPU[vstats]}") | (none) | |"
        ok capinfos_nh &&
            echo "| vigil stats vs capinfos without hashes | $(ratio_x "${CPU[capinfos_nh]}" "${CPU[vstats]}") | (none) | |"
    else
        echo "| vigil stats vs capinfos | not yet built | (none) | |"
    fi
    if ok vsess && ok argus; then
        v=$(ratio_x "${CPU[argus]}" "${CPU[vsess]}")
        echo "| vigil sessions vs argus + racluster (their CPU / vigil CPU) | $v | >= 3x | $(meets "${v%x}" 3) |"
        v=$(pct "${CPU[floor]}" "${CPU[vsess]}")
        echo "| vigil sessions throughput, % of the floor | $v | >= 70% | $(meets "${v%\%}" 70) |"
    else
        echo "| vigil sessions vs argus + racluster | not yet built | >= 3x | |"
        echo "| vigil sessions, % of the floor | not yet built | >= 70% | |"
    fi
    if ok vanalyze && ok floor; then
        # Zeek's figure scaled by this machine's floor / the reference floor.
        zk=$(awk -v z="$ZEEK_REF_CPU" -v f="${CPU[floor]}" -v r="$ZEEK_REF_FLOOR_CPU" 'BEGIN {printf "%.2f", z * f / r}')
        echo "| vigil analyze vs Zeek (reference $ZEEK_REF_CPU s scaled by floor ${CPU[floor]}/$ZEEK_REF_FLOOR_CPU s = $zk s; Zeek / vigil) | $(ratio_x "$zk" "${CPU[vanalyze]}") | (none yet) | |"
        echo "| vigil analyze throughput, % of the floor (Zeek: $(pct "$ZEEK_REF_FLOOR_CPU" "$ZEEK_REF_CPU")) | $(pct "${CPU[floor]}" "${CPU[vanalyze]}") | | |"
    else
        echo "| vigil analyze vs Zeek (reference figure) | not yet built | | |"
    fi
    if ((${#FLOW_KEYS[@]} > 0)); then
        echo
        echo "Concurrent flows (bench/flows_synth.c, all alive at the end; per flow = (RSS at $FLOWS - RSS at $SMALL) / $((FLOWS - SMALL))):"
        echo
        echo "| command | flows | peak RSS at $SMALL | peak RSS at $FLOWS | CPU s at $FLOWS | bytes per flow | target |"
        echo "|---|---|---:|---:|---:|---:|---|"
        for key in "${FLOW_KEYS[@]}"; do
            id=${key%/*} pay=${key#*/}
            case $id in
                vsess) nm="vigil sessions -n (keeps its records)" ;; vanalyze) nm="vigil analyze" ;; argus) nm="argus \\| racluster (RSS summed)" ;;
            esac
            kind="idle, no payload"
            ((pay > 0)) && kind="$pay B each way, then idle"
            if [[ -n ${FL_FAIL[$key]:-} || -z ${FL_RSS[$key,$FLOWS]:-} || -z ${FL_RSS[$key,$SMALL]:-} ]]; then
                echo "| $nm | $kind | failed: ${FL_FAIL[$key]:-no run} | | | | |"
                continue
            fi
            per=$(awk -v a="${FL_RSS[$key,$FLOWS]}" -v b="${FL_RSS[$key,$SMALL]}" -v n="$FLOWS" -v m="$SMALL" \
                'BEGIN {printf "%.0f", (a - b) * 1024 / (n - m)}')
            tgt=""
            # The target is the flow table's: vigil analyze streams its records,
            # vigil sessions keeps them all (measured only when analyze is absent).
            if [[ $pay == 0 && ($id == vanalyze || ($id == vsess && ${HAVE[analyze]} != 1)) ]]; then
                tgt="<= 256 B: $(awk -v v="$per" 'BEGIN {print (v <= 256) ? "met" : "**not met**"}')"
            fi
            echo "| $nm${FL_NOTE[$key]:+ (stderr: ${FL_NOTE[$key]})} | $kind | $(mb "${FL_RSS[$key,$SMALL]}") | $(mb "${FL_RSS[$key,$FLOWS]}") | ${FL_CPU[$key,$FLOWS]} | $per B | $tgt |"
        done
    elif ((FLOWS > 0)); then
        echo
        echo "Concurrent flows: not yet built (needs vigil sessions or vigil analyze)."
    fi
    echo
    [[ -n $DECODE_NOTE ]] && echo "Decode path: $DECODE_NOTE."
    [[ -n $SAME_READ ]] && echo "Check: $SAME_READ."
    echo "Peer commands as run: \`tcpdump -n -r W -w /dev/null 'tcp port 80'\`, \`capinfos W\` (all of its default output, which includes SHA256/SHA1 hashes of the file), \`argus -r W -w - | racluster -n -r -\` (CPU and RSS of both summed). Zeek is not installed here: its line is the reference figure of ../shared/bench/README.md, measured on another machine, scaled by the floor ratio for the comparison."
} >"$OUTFILE"
cp "$OUTFILE" "$RESULTS/$DATE.md"
cat "$OUTFILE"
say "written to $OUTFILE (and $RESULTS/$DATE.md)"
