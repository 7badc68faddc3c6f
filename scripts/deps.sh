#!/usr/bin/env bash
# deps.sh - install the Debian packages Vigil needs that are missing.
#
#   scripts/deps.sh build   compiler and libraries to build vigil
#   scripts/deps.sh test    the above plus what the test suites run
#                           (cmocka, tcpdump and capinfos as peers, python3)
#   scripts/deps.sh fuzz    the above plus clang and its libFuzzer runtime
#   scripts/deps.sh bench   the above plus the peer tools of bench/
#
# Only missing packages are installed (apt-get, non-interactive); run as
# root or with sudo available.  Nothing is downloaded from anywhere else.
set -euo pipefail

build_pkgs=(gcc make pkg-config libc6-dev libpcap-dev libjansson-dev libssl-dev zlib1g-dev libpcre2-dev libmagic-dev libvectorscan-dev libyara-dev)
test_pkgs=(libcmocka-dev tcpdump wireshark-common tshark python3 tcpreplay iproute2 tcpflow)
bench_pkgs=(argus-server argus-client tcpreplay time clang netsniff-ng)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  fuzz) want+=("${test_pkgs[@]}" clang libclang-rt-14-dev) ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: scripts/deps.sh build|test|fuzz|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
