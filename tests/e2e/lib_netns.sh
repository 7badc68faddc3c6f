# lib_netns.sh - sourced by the tests/e2e scripts that need a live interface:
# two network namespaces joined by a veth pair, torn down by an EXIT trap
# together with the background processes the test names; and the TAP
# helpers those scripts print their checks with.  Not a test itself (not
# executable: tests/run.sh runs the executable scripts here).
#
#   . "$(dirname "$0")/lib_netns.sh"
#   netns_require ip tcpdump ...   exit 77 ("skipped: ...") without root or a tool
#   netns_kill_on_exit vpid spid   on exit, kill the pids these variables hold
#                                  (a variable set empty after `wait` is left alone)
#   netns_on_exit() { ...; }       optional: run first on exit
#   netns_up TAG NET [LINK-OPTS]   namespaces $NA/$NB, veth $IA (in NA, NET.1/30)
#                                  and $IB (in NB, NET.2/30), IPv6 off, lo up;
#                                  LINK-OPTS go to `ip link set` (e.g. mtu 9000);
#                                  exit 77 when namespaces or veth cannot be made
#   netns_no_offload               TSO/GSO/GRO off on both ends (packets on the wire
#                                  as the sockets wrote them)
#   check WHAT 'SHELL TEST'        prints "ok - WHAT" or "not ok - WHAT" ($fails counts)
# Traffic stays inside the namespaces; both are deleted on exit.

fails=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }

netns_require() {
  [ "$(id -u)" -eq 0 ] || { echo "skipped: creating network namespaces needs root"; exit 77; }
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "skipped: $t is not installed (scripts/deps.sh test)"; exit 77; }
  done
}

NETNS_KILL=""
netns_kill_on_exit() { NETNS_KILL="$NETNS_KILL $*"; }

netns_cleanup() {
  local v
  declare -F netns_on_exit >/dev/null && netns_on_exit
  for v in $NETNS_KILL; do
    [ -n "${!v:-}" ] && kill "${!v}" 2>/dev/null
  done
  [ -n "${NA:-}" ] && ip netns del "$NA" 2>/dev/null
  [ -n "${NB:-}" ] && ip netns del "$NB" 2>/dev/null
  return 0
}
trap netns_cleanup EXIT

netns_up() {
  local tag="$1" net="$2" x
  local opts=("${@:3}")
  NA="vg$tag-a-$$"; NB="vg$tag-b-$$"; IA="v${tag}a$$"; IB="v${tag}b$$"
  IA=${IA:0:15}; IB=${IB:0:15}
  ip netns add "$NA" 2>/dev/null || { NA=; echo "skipped: 'ip netns add' is not available here"; exit 77; }
  ip netns add "$NB" || { NB=; exit 77; }
  ip link add "$IA" type veth peer name "$IB" || { echo "skipped: cannot create a veth pair"; exit 77; }
  ip link set "$IA" netns "$NA"; ip link set "$IB" netns "$NB"
  for x in "$NA $IA $net.1/30" "$NB $IB $net.2/30"; do
    set -- $x
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$1" ip link set lo up
    ip netns exec "$1" ip link set "$2" "${opts[@]}" up
    ip netns exec "$1" ip addr add "$3" dev "$2"
  done
}

netns_no_offload() {
  ip netns exec "$NA" ethtool -K "$IA" tso off gso off gro off >/dev/null 2>&1
  ip netns exec "$NB" ethtool -K "$IB" tso off gso off gro off >/dev/null 2>&1
  return 0
}
