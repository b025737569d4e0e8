#!/usr/bin/env bash
# What a TLS 1.3 handshake, full and resumed, costs each side in Debian's OpenSSL 3.0, in
# Debian's BoringSSL (android-libboringssl-dev, installed by `ci/setup --bench`) and, when
# build_openssl_trixie.sh has built it (OPENSSL_TRIXIE, default
# /var/cache/vtps-bench/openssl-trixie), in Debian 13's OpenSSL 3.5, from one source
# (tests/bench/tls_library_bench.cc), in alternating rounds on one CPU: the per-connection floor
# of any proxy built on the library (docs/performance.md, issues 3 and 4).
#   tests/bench/run_tls_library_bench.sh [HANDSHAKES per round, default 3000] [ROUNDS, default 3]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
n="${1:-3000}"
rounds="${2:-3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src="$repo/tests/bench/tls_library_bench.cc"
cpu=$(($(nproc) - 1))

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=bench.test -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
libs=(openssl)
g++ -std=c++20 -O2 "$src" -o "$work/openssl" -lssl -lcrypto
boring=/usr/lib/x86_64-linux-gnu/android
if [ -f /usr/include/android/openssl/is_boringssl.h ] && [ -f "$boring/libssl.so" ]; then
  g++ -std=c++20 -O2 -I/usr/include/android "$src" -o "$work/boringssl" \
    -L"$boring" -Wl,-rpath,"$boring" -lssl -lcrypto
  libs+=(boringssl)
else
  echo "BoringSSL not installed (sudo ./ci/setup --bench): OpenSSL only" >&2
fi

trixie=${OPENSSL_TRIXIE:-/var/cache/vtps-bench/openssl-trixie}
if [ -f "$trixie/lib/libssl.so.3" ]; then
  g++ -std=c++20 -O2 -I"$trixie/include" "$src" -o "$work/openssl-trixie" \
    -L"$trixie/lib" -Wl,-rpath,"$trixie/lib" -lssl -lcrypto
  libs+=(openssl-trixie)
fi

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), pinned to cpu $cpu"
for ((r = 1; r <= rounds; r++)); do
  for lib in "${libs[@]}"; do
    taskset -c "$cpu" "$work/$lib" "$work/cert.pem" "$work/key.pem" "$n" | tee -a "$work/out"
  done
done
# Medians per library and side, full and resumed, and each library's cost as a share of
# OpenSSL 3.0's.
awk '
  { lib = ($1 == "BoringSSL:") ? "BoringSSL" : $1 " " $2
    if (lib ~ /^OpenSSL 3\.0/) base = lib
    for (i = 1; i <= NF; i++) {
      if ($i == "server") s[lib] = s[lib] " " $(i + 1)
      if ($i == "client") c[lib] = c[lib] " " $(i + 1)
      if ($i == "resumed-server") rs[lib] = rs[lib] " " $(i + 1)
      if ($i == "resumed-client") rc[lib] = rc[lib] " " $(i + 1)
    } }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (lib in s)
      printf "median %s: full: server %.1f us, client %.1f us; resumed: server %.1f us, client %.1f us per handshake\n",
        lib, median(s[lib]), median(c[lib]), median(rs[lib]), median(rc[lib])
    for (lib in s) if (lib != base)
      printf "%s / %s CPU per handshake: full: server %.2f, client %.2f; resumed: server %.2f, client %.2f\n",
        lib, base, median(s[lib]) / median(s[base]), median(c[lib]) / median(c[base]),
        median(rs[lib]) / median(rs[base]), median(rc[lib]) / median(rc[base])
  }' "$work/out"
