#!/usr/bin/env bash
# demo.sh - the README's first command: analyse the sample captures that
# tools/gen_samples.c writes (build/<b>/samples/office.pcap) and show what
# Vigil finds in them.  Each step is a subcommand an analyst would run.
set -euo pipefail
b="${1:-build/release}"
v="$b/vigil"
s="$b/samples/office.pcap"
has() { "$v" --help | grep -q "^  $1 "; }
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "Capture summary, protocol hierarchy, top talkers (vigil stats)" "$v" stats -r "$s"
step "The first packets, tcpdump-style (vigil read)" "$v" read -n -c 12 -r "$s"
step "Only the SMTP dialogue (BPF filter)" "$v" read -n -r "$s" tcp port 25 and 'tcp[tcpflags] & tcp-push != 0'
if has analyze; then
  out=$(mktemp -d)
  step "Session records, Zeek conn.log format (vigil analyze)" "$v" analyze -r "$s" -l "$out"
  step "conn.log" cat "$out/conn.log"
  rm -rf "$out"
fi
if has sessions; then
  step "Sessions to the web server, racluster-style (vigil sessions)" \
    "$v" sessions -n -r "$s" -s stime saddr sport daddr dport sbytes dbytes state - tcp and dst port 80
  step "Bytes per host pair (vigil sessions -m)" "$v" sessions -n -r "$s" -m saddr daddr -s saddr daddr pkts bytes
fi
step "Storage for full content at this sample's rate, and at 100 Mbps (vigil estimate)" "$v" estimate -r "$s"
"$v" estimate --mbps 100 --days 30
