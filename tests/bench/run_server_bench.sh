#!/usr/bin/env bash
# Issue 3 benchmark: SSL server inspection, vtpsd on one proxy core against HAProxy (nbthread 1)
# doing TLS termination and re-encryption, in one run, with the same origin (nginx in vtps-srv),
# the same certificate and key (ECDSA P-256, web1.test), the same client (tls_load, TLS 1.3, in
# vtps-cli) and the same measurements:
#   (a) new TLS 1.3 connections per CPU-second of the proxy, one 1 KiB request each;
#   (b) MiB relayed per CPU-second of the proxy, 1 MiB bodies on keep-alive connections;
#   (c) resident memory per idle established connection, at 10,000 connections.
# vtpsd is reached the way it is deployed: the client connects to the origin 10.10.2.3:443 and
# vtpsd intercepts it (TPROXY). HAProxy is a terminating proxy: the client connects to it on
# the appliance address 10.10.1.1:8443 and it connects to the origin 10.10.2.3:443.
#
#   sudo tests/bench/run_server_bench.sh [--conns N] [--bulk N] [--idle N]
# Needs root (network namespaces) and haproxy (ci/setup --bench). BUILD_DIR (default build-bench)
# is configured in Release mode and vtpsd, vtpsctl and tls_load built in it. Prints the table.
set -euo pipefail

conns=3000
bulk=2000
idle=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --conns) conns=$2; shift 2 ;;
    --bulk) bulk=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    *) echo "usage: $0 [--conns N] [--bulk N] [--idle N]" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
export E2E_BUILD_DIR=${BUILD_DIR:-$here/../../build-bench}
E2E_NAME=server_bench
# shellcheck source=tests/e2e/lib/topology.sh
source "$here/../e2e/lib/topology.sh"
# shellcheck source=tests/bench/lib/proxy_bench.sh
source "$here/lib/proxy_bench.sh"

command -v haproxy >/dev/null || { echo "$0: haproxy missing (run ci/setup --bench)" >&2; exit 1; }
bench_build
topo_up
bench_raise_limits
idle=$(bench_idle_count "$idle")
BENCH_RESULTS=$E2E_TMP/results
: >"$BENCH_RESULTS"

# Both proxies present the origin's own ECDSA web1.test certificate and key (imported into the
# vtps keystore; concatenated into a PEM file for HAProxy).
pki_origin
E2E_CONFIG=$E2E_TMP/vtps.yaml
vtps_paths
cat >"$E2E_CONFIG" <<EOF
device:
  dataplane: kernel
  cores: {proxy: [0]}
  ssl-inspection: {server: true, client: false, max-concurrent-connections: 50000}
  keystore: $E2E_KEYSTORE
  control-socket: $E2E_SOCKET
  log-dir: $E2E_LOG_DIR
ssl:
  server-proxies:
    - name: bench-ec
      destinations: [$E2E_SERVER2_IP/32]
      detection-ports: ["443"]
      decrypted-service: http
      certificates: [bench-ec]
      protocols: [TLSv1.2, TLSv1.3]
      cipher-suites: [TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256,
                      TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
      logging: false
profiles:
  - name: default
    ssl-server-policies:
      - {name: bench-in, enabled: true, server-proxy: bench-ec}
EOF
pki=$E2E_TMP/pki
vtpsctl cert import bench-ec --cert "$pki/origin-web1.test-ec.crt" \
  --key "$pki/origin-web1.test-ec.key" >/dev/null
cat "$pki/origin-web1.test-ec.crt" "$pki/origin-web1.test-ec.key" >"$pki/bench-ec.pem"

bench_origin_start "$(
  printf '  server {\n    listen %s:443 ssl;\n    listen %s:443 ssl;\n' "$E2E_SERVER_IP" \
    "$E2E_SERVER2_IP"
  printf '    server_name web1.test;\n    root %s/www;\n' "$E2E_TMP"
  printf '    ssl_certificate %s/origin-web1.test-ec.crt;\n' "$pki"
  printf '    ssl_certificate_key %s/origin-web1.test-ec.key;\n  }' "$pki"
)"

# The three measurements against one proxy (its root PID printed by the function named $2).
measure() {
  local label=$1 pid=$2 target=$3
  e2e_log "$label: warm-up (200 connections, 20 bulk requests)"
  bench_run_load "$E2E_TMP/warm-$label" "$target" --mode conn --count 200 --concurrency 10 \
    --path "$BENCH_SMALL" --sni web1.test
  bench_run_load "$E2E_TMP/warm2-$label" "$target" --mode bulk --count 20 --concurrency 2 \
    --path "$BENCH_LARGE" --sni web1.test
  bench_settle "$label" "$pid"
  bench_conns "$label" "$pid" "$target" "$conns" 20 --sni web1.test
  bench_bulk "$label" "$pid" "$target" "$bulk" 4 --sni web1.test
  bench_idle "$label" "$pid" "$target" "$idle" --sni web1.test
}

# ---- vtpsd: TPROXY interception of 10.10.2.3:443 ----
vtps_start "$E2E_CONFIG"
measure vtps "$E2E_VTPSD_PID" "$E2E_SERVER2_IP:443"
decrypted=$(counter npSslInspStats sessionsDecrypted)
[ "$decrypted" -ge "$((conns + idle))" ] ||
  e2e_fail "vtpsd decrypted $decrypted sessions, expected at least $((conns + idle))"
e2e_ok "vtpsd decrypted $decrypted sessions (every connection of the run)"
bench_report_resumption
vtps_stop

# ---- HAProxy: nbthread 1, TLS termination on 10.10.1.1:8443, re-encryption to the origin ----
cat >"$E2E_TMP/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn $((($(ulimit -Sn) - 200) / 2))
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode tcp
  timeout connect 5s
  timeout client 900s
  timeout server 900s
frontend bench
  bind $E2E_APP_CLI_IP:8443 ssl crt $pki/bench-ec.pem
  default_backend origin
backend origin
  server web1 $E2E_SERVER2_IP:443 ssl verify none sni str(web1.test)
EOF
haproxy_pid=""
in_app haproxy -c -q -f "$E2E_TMP/haproxy.cfg" || e2e_fail "haproxy config rejected"
e2e_spawn haproxy_pid "$E2E_NS_APP" "$E2E_TMP/haproxy.log" haproxy -db -f "$E2E_TMP/haproxy.cfg"
bench_wait_port "$E2E_NS_CLI" "$E2E_APP_CLI_IP" 8443
e2e_log "haproxy $(haproxy -v | sed -n '1s/HAProxy version \([^ ]*\).*/\1/p') (pid $haproxy_pid)"
measure haproxy "$haproxy_pid" "$E2E_APP_CLI_IP:8443"
e2e_stop "$haproxy_pid" 10 || true

# For reference only, (a) once more with HAProxy's upstream TLS session reuse off (no-ssl-reuse):
# vtpsd makes a full handshake to the origin for every connection, HAProxy by default resumes.
sed -i 's/ssl verify none sni str(web1.test)$/& no-ssl-reuse/' "$E2E_TMP/haproxy.cfg"
e2e_spawn haproxy_pid "$E2E_NS_APP" "$E2E_TMP/haproxy-noreuse.log" haproxy -db \
  -f "$E2E_TMP/haproxy.cfg"
bench_wait_port "$E2E_NS_CLI" "$E2E_APP_CLI_IP" 8443
bench_run_load "$E2E_TMP/warm-noreuse" "$E2E_APP_CLI_IP:8443" --mode conn --count 200 \
  --concurrency 10 --path "$BENCH_SMALL" --sni web1.test
bench_conns haproxy-noreuse "$haproxy_pid" "$E2E_APP_CLI_IP:8443" "$conns" 20 --sni web1.test
e2e_stop "$haproxy_pid" 10 || true

# ---- table ----
{
  printf '\nSSL server inspection, vtpsd (1 proxy core) vs HAProxy %s (nbthread 1)\n' \
    "$(haproxy -v | sed -n '1s/HAProxy version \([^ ]*\).*/\1/p')"
  printf '%-36s %12s %12s %8s %s\n' metric vtps haproxy ratio goal
  v="" h=""
  row() {
    v=$(bench_get vtps "$1")
    h=$(bench_get haproxy "$1")
    printf '%-36s %12s %12s %8s %s\n' "$2" "$v" "$h" "$(bench_ratio "$v" "$h")" "$3"
  }
  row conns_per_cpu_s "(a) new TLS 1.3 conns / CPU-s" ">= 2.0"
  row mib_per_cpu_s "(b) MiB relayed / CPU-s (1 MiB)" ">= 2.0"
  row kib_per_idle_conn "(c) KiB RSS / idle conn" "<= 1.0"
  v=$(bench_get vtps conns_per_cpu_s)
  h=$(bench_get haproxy-noreuse conns_per_cpu_s)
  printf '%-36s %12s %12s %8s %s\n' "(a') same, HAProxy no-ssl-reuse" "$v" "$h" \
    "$(bench_ratio "$v" "$h")" "(reference)"
  printf '\ndetails:\n'
  grep '_detail ' "$BENCH_RESULTS" | sed 's/^/  /'
  bench_machine_notes
} | tee "$E2E_TMP/table"
e2e_pass
