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
# shellcheck source=tests/bench/lib/release_build.sh
source "$repo/tests/bench/lib/release_build.sh"
bench_release_build "$build" aead_bench
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
"$build/tests/bench/aead_bench" "$@"
