#!/usr/bin/env bash
# Builds and runs the leaf-minting benchmark (issue 2) and prints its table.
#   tests/bench/run_mint_bench.sh [mint_bench options: --iterations N --rsa-iterations M --cpu C]
# BUILD_DIR (default: build-bench in the repository) is configured with Ninja in Release mode.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$repo/build-bench}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Build output is shown only when the build fails, so that stdout is the table alone.
if ! { [[ -f "$build/build.ninja" ]] ||
       cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVTPS_BUILD_BENCH=ON; } \
       >"$log" 2>&1 || ! ninja -C "$build" mint_bench >>"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
"$build/tests/bench/mint_bench" "$@"
