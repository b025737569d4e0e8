#!/usr/bin/env bash
# What the TLS library version does to vtpsd: the server benchmark (issue 3, against HAProxy) and
# the client benchmark (issue 4, against SSLsplit) run with vtpsd built on bookworm's OpenSSL 3.0
# (the shipped build) and with the same source built on Debian 13's OpenSSL 3.5
# (build_openssl_trixie.sh), in alternating rounds, with one load generator (tls_load on OpenSSL
# 3.0) and the anchors as Debian 12 ships them. Prints each run's table, then every vtpsd figure
# side by side (docs/performance.md, "vtpsd on OpenSSL 3.5").
#
#   sudo tests/bench/run_openssl_version_bench.sh [--rounds N]
# Needs root and ci/setup --bench. BUILD_DIR (default build-bench) is the OpenSSL 3.0 Release
# build; the OpenSSL 3.5 build goes to BUILD_DIR-openssl-trixie. SERVER_ARGS and CLIENT_ARGS
# override the two benchmarks' sizes (defaults below: about 6 minutes a round).
set -euo pipefail
rounds=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N]" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
base=${BUILD_DIR:-$repo/build-bench}
trixie_build=$base-openssl-trixie
server_args=${SERVER_ARGS:---conns 2000 --bulk 1000 --idle 2000}
client_args=${CLIENT_ARGS:---only vtps,sslsplit --conns 1500 --cold 1000 --bulk 200 --idle 2000}

prefix=$("$here/build_openssl_trixie.sh" | tail -1)
# shellcheck source=tests/bench/lib/release_build.sh
source "$here/lib/release_build.sh"
targets=(appliance/vtpsd appliance/vtpsctl tests/bench/tls_load)
bench_release_build "$base" "${targets[@]}"
bench_release_build "$trixie_build" "${targets[@]}" -- -DOPENSSL_ROOT_DIR="$prefix"
libs=(3.0 3.5)
declare -A vtpsd=([3.0]=$base/appliance/vtpsd [3.5]=$trixie_build/appliance/vtpsd)
for lib in "${libs[@]}"; do
  echo "vtpsd on OpenSSL $lib: $(ldd "${vtpsd[$lib]}" | awk '/libssl/ {print $3}')"
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for lib in "${libs[@]}"; do
    for bench in server client; do
      args=$server_args
      [ "$bench" = client ] && args=$client_args
      printf '\n==== round %d, %s benchmark, vtpsd on OpenSSL %s ====\n' "$r" "$bench" "$lib"
      # shellcheck disable=SC2086 # the sizes are words
      BENCH_PREBUILT=1 VTPSD=${vtpsd[$lib]} VTPSCTL=$base/appliance/vtpsctl \
        TLS_LOAD=$base/tests/bench/tls_load "$here/run_${bench}_bench.sh" $args |
        tee "$out/$bench-$lib-$r"
    done
  done
done

# Side by side: each metric line of the tables ("(a) ... vtps anchor ratio"), per library.
printf '\n==== vtpsd on OpenSSL 3.0 and 3.5, per round (vtps figure / ratio to the anchor) ====\n'
for bench in server client; do
  for ((r = 1; r <= rounds; r++)); do
    paste -d'|' <(grep '^(' "$out/$bench-3.0-$r") <(grep '^(' "$out/$bench-3.5-$r") |
      awk -F'|' -v b="$bench" -v r="$r" '{
        split($1, a, /  +/); split($2, c, /  +/); split(a[4], ra, " "); split(c[4], rc, " ")
        printf "%-6s r%d  %-42s 3.0: %8s (%5s)   3.5: %8s (%5s)\n", b, r, a[1], a[2], ra[1], c[2], rc[1]
      }'
  done
done
