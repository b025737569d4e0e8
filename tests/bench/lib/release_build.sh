# shellcheck shell=bash
# Sourced by the benchmarks that build what they run.
#
# bench_release_build DIR TARGET... [-- CMAKE_ARG...]: configures DIR as a Release build with the
# benchmarks on (only when it has no build.ninja yet; CMAKE_ARGs are added then) and builds the
# TARGETs at low priority. The build output is shown only when it fails, so that a benchmark's
# stdout is its table alone; a failed build ends the script.

BENCH_SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

bench_release_build() {
  local dir=$1 targets=() log
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    targets+=("$1")
    shift
  done
  [ $# -eq 0 ] || shift
  log=$(mktemp)
  if ! { [ -f "$dir/build.ninja" ] ||
    cmake -S "$BENCH_SOURCE_DIR" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DVTPS_BUILD_BENCH=ON "$@"; } >"$log" 2>&1 ||
    ! nice -n 10 ninja -C "$dir" "${targets[@]}" >>"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}
