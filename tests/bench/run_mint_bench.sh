#!/usr/bin/env bash
# Builds and runs the leaf-minting benchmark (issue 2) and prints its table.
#   tests/bench/run_mint_bench.sh [mint_bench options: --iterations N --rsa-iterations M --cpu C]
# BUILD_DIR (default: build-bench in the repository) is configured with Ninja in Release mode.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:-$repo/build-bench}"

# shellcheck source=tests/bench/lib/release_build.sh
source "$repo/tests/bench/lib/release_build.sh"
bench_release_build "$build" mint_bench
"$build/tests/bench/mint_bench" "$@"
