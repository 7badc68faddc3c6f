#!/usr/bin/env bash
# demo.sh - the README's first command: analyse the sample capture that
# tools/gen_samples.c writes (build/<b>/samples/office.pcap) and show what
# Vigil finds in it.  Each step is a subcommand an analyst would run.
set -euo pipefail
b="${1:-build/release}"
v="$b/vigil"
s="$b/samples/office.pcap"
out=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo.XXXXXX")
trap 'rm -rf "$out"' EXIT
bold() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$1"; else printf '\n== %s\n' "$1"; fi; }
step() { bold "$1"; printf '$ %s\n' "${*:2}"; "${@:2}"; }
cols() { # print some columns of a Zeek TSV log, by name
  awk -F'\t' -v want="$2" 'BEGIN{n=split(want,w," ")} /^#fields/{for(i=2;i<=NF;i++)ix[$i]=i-1; next}
    /^#/{next} {line=""; for(j=1;j<=n;j++) line=line (j>1?"  ":"") $(ix[w[j]]); print line}' "$1"; }

step "Capture summary, protocol hierarchy, top talkers (vigil stats)" "$v" stats -r "$s"
step "The first packets, tcpdump-style (vigil read)" "$v" read -n -c 12 -r "$s"
step "Session, transaction and file logs, Zeek's formats (vigil analyze)" \
  "$v" analyze -r "$s" -l "$out/logs" --extract
ls "$out/logs"
bold "dns.log: query, type, answers"; cols "$out/logs/dns.log" "id.orig_h query qtype_name rcode_name answers"
bold "http.log: method, host, uri, status, user agent"; cols "$out/logs/http.log" "id.orig_h method host uri status_code user_agent"
bold "smtp.log: from, to, subject"; cols "$out/logs/smtp.log" "helo mailfrom rcptto subject"
bold "ssh.log: client and server"; cols "$out/logs/ssh.log" "id.orig_h id.resp_h client server"
bold "files.log: what was carried"; cols "$out/logs/files.log" "source mime_type seen_bytes sha256"
step "Sessions to the web server, racluster-style (vigil sessions)" \
  "$v" sessions -n -r "$out/logs/conn.log" -s stime saddr sport daddr dport sbytes dbytes state - tcp and dst port 80
step "Packets and bytes per host pair (vigil sessions -m)" \
  "$v" sessions -n -r "$out/logs/conn.log" -m saddr daddr -s saddr daddr pkts bytes
step "The SMTP conversation as text, Sguil-style (vigil transcript)" "$v" transcript -r "$s" tcp port 25 and host 192.168.56.21
step "Into the full-content archive (vigil ingest)" "$v" ingest -r "$s" --data "$out/nsm" -l "$out/ingest-logs"
uid=$(awk -F'\t' '/^#/{next} $6==25 {print $2; exit}' "$out/ingest-logs/conn.log")
step "The SMTP session's packets back from the archive by uid (vigil pcap)" \
  "$v" pcap --data "$out/nsm" --uid "$uid" -w "$out/smtp.pcap"
"$v" read -n -c 5 -r "$out/smtp.pcap"
step "Storage for full content at this sample's rate (vigil estimate)" "$v" estimate -r "$s"
step "... and at 100 Mbps for 30 days" "$v" estimate --mbps 100 --days 30
