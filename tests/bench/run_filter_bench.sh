#!/usr/bin/env bash
# Signature matching throughput per core (issue 5): the Hyperscan matcher beside a naive per-rule
# memmem scan, and the full pipeline, with 1,000 and 10,000 content rules, in one run.
#   tests/bench/run_filter_bench.sh [filter_bench options: --seconds S --rules N,M --transactions N]
# BUILD_DIR (default: build-bench in the repository) is configured with Ninja in Release mode.
# The benchmark runs pinned to one CPU (taskset) so that the figures are per core; its output is
# the table recorded in docs/performance.md.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$repo/build-bench}"
# shellcheck source=tests/bench/lib/release_build.sh
source "$repo/tests/bench/lib/release_build.sh"
bench_release_build "$build" filter_bench
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), hyperscan $(pkg-config --modversion libhs)"
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c "$(($(nproc) - 1))"); fi
"${pin[@]}" "$build/tests/bench/filter_bench" "$@"
