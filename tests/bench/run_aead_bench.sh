#!/usr/bin/env bash
# AES-GCM throughput per core (issue 9): the vtps-ipsecmb provider (intel-ipsec-mb) beside
# OpenSSL's default provider at 64 B, 1,400 B and 16 KiB, seal and open, in one run.
#   tests/bench/run_aead_bench.sh [aead_bench options: --rounds R --min-ms M --cpu C]
# BUILD_DIR (default: build-bench in the repository) is configured with Ninja in Release mode.
# aead_bench pins itself to one CPU (the last one, unless --cpu), so the figures are per core;
# its output is the table recorded in docs/performance.md.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$repo/build-bench}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Build output is shown only when the build fails, so that stdout is the table alone.
if ! { [[ -f "$build/build.ninja" ]] ||
       cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVTPS_BUILD_BENCH=ON; } \
       >"$log" 2>&1 || ! ninja -C "$build" aead_bench >>"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
"$build/tests/bench/aead_bench" "$@"
