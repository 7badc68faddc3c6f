#!/usr/bin/env bash
# make.sh - `make` for a fresh machine: installs the Debian packages the
# build needs (scripts/deps.sh; the test targets install their own extras),
# then runs GNU make with the same arguments.
#   ./make.sh demo     build and analyse the bundled sample captures
#   ./make.sh check    build and run every test suite (release + ASan/UBSan)
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh build
exec make -j"$(nproc 2>/dev/null || echo 2)" "$@"
