#!/usr/bin/env bash
# Issue 9, proxy level: MiB of HTTPS relayed per CPU-second of vtpsd (server inspection, one proxy
# core), with AES-GCM served by OpenSSL's default provider against the intel-ipsec-mb provider,
# in one run on the same origin, certificates and client. Both legs of every session use AES-GCM
# (TLS 1.3 TLS_AES_256_GCM_SHA384 and TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256 in turn), so each
# relayed byte is decrypted and encrypted twice by the proxy.
#
#   sudo tests/bench/run_proxy_aead_bench.sh [--rounds N] [--mib M]
# Needs root (network namespaces). BUILD_DIR (default build-bench) is configured in Release mode
# and vtpsd and vtpsctl built in it, as the other proxy benchmarks do (BENCH_PREBUILT=1 with
# VTPSD, VTPSCTL and TLS_LOAD set uses existing binaries).
set -euo pipefail
ROUNDS=3
MIB=200
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --mib) MIB=$2; shift 2 ;;
    *) echo "run_proxy_aead_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
export E2E_BUILD_DIR=${BUILD_DIR:-$here/../../build-bench}
E2E_NAME=proxy_aead_bench
# shellcheck source=tests/e2e/lib/topology.sh
source "$here/../e2e/lib/topology.sh"
# shellcheck source=tests/bench/lib/proxy_bench.sh
source "$here/lib/proxy_bench.sh"

bench_build
topo_up
pki_origin
E2E_CONFIG=$E2E_TMP/vtps.yaml
vtps_config_write "$E2E_CONFIG"
pki_vtps
origin_start
downloads=$(((MIB + 9) / 10))

# cpu_ticks PID: utime + stime of every thread, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# measure AEAD TLS: MiB per CPU-second of vtpsd for $downloads x 10 MiB on one keep-alive
# connection.
measure() {
  local aead=$1 tls=$2 cfg=$E2E_TMP/vtps-$1.yaml urls=() i
  sed "s|^  log-dir: .*|&\n  crypto: {aead: $aead}|" "$E2E_CONFIG" >"$cfg"
  vtps_start "$cfg" >&2
  local tls_args=(--tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384)
  [ "$tls" = 1.2 ] && tls_args=(--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256)
  for ((i = 0; i < downloads; i++)); do urls+=(-o /dev/null https://web1.test/file10m); done
  local before after bytes
  before=$(cpu_ticks "$E2E_VTPSD_PID")
  bytes=$(e2e_curl web1.test "$E2E_SERVER_IP" "${tls_args[@]}" -w '%{size_download}\n' "${urls[@]}" |
    awk '{s += $1} END {print s}')
  after=$(cpu_ticks "$E2E_VTPSD_PID")
  local in_use
  in_use=$(vtpsctl show crypto --json | jq -r .aead.in_use)
  vtps_stop >&2
  [ "$in_use" = "$aead" ] || e2e_fail "asked for $aead, vtpsd used $in_use"
  awk -v b="$bytes" -v t=$((after - before)) -v hz="$hz" \
    'BEGIN { printf "%.1f\n", (b / 1048576) / (t / hz) }'
}

results=$E2E_TMP/results.txt
: >"$results"
for ((r = 1; r <= ROUNDS; r++)); do
  for tls in 1.3 1.2; do
    for aead in openssl ipsec-mb; do
      v=$(measure "$aead" "$tls")
      e2e_log "round $r TLS $tls $aead: $v MiB per CPU-second"
      echo "$tls $aead $v" >>"$results"
    done
  done
done

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
printf '\n| TLS | OpenSSL AES-GCM (MiB/CPU-s) | intel-ipsec-mb (MiB/CPU-s) | ratio |\n|---|---|---|---|\n'
for tls in 1.3 1.2; do
  o=$(awk -v t="$tls" '$1 == t && $2 == "openssl" {print $3}' "$results" | median)
  i=$(awk -v t="$tls" '$1 == t && $2 == "ipsec-mb" {print $3}' "$results" | median)
  printf '| %s | %s | %s | %.2fx |\n' "$tls" "$o" "$i" "$(awk -v a="$i" -v b="$o" 'BEGIN {print a / b}')"
done
printf '\n(median of %d rounds, %d MiB per measurement through one keep-alive connection; load average %s)\n' \
  "$ROUNDS" "$((downloads * 10))" "$(cut -d' ' -f1-3 /proc/loadavg)"
e2e_pass
