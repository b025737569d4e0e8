#!/usr/bin/env bash
# Issue 7 e2e: Debian's Prometheus scrapes vtpsd's /metrics every second on the appliance's
# loopback while curl sends traffic through the proxy; queries through Prometheus' HTTP API
# (/api/v1/query) return the vtps_ series with the values the traffic implies, a SIGHUP reload
# shows up as a new config generation, every expression of the Grafana dashboard evaluates, and
# /healthz and /readyz answer.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"

PROMETHEUS=${PROMETHEUS:-prometheus}
command -v "$PROMETHEUS" >/dev/null ||
  { echo "telemetry_prometheus: $PROMETHEUS not found (ci/setup installs Debian's prometheus)" >&2; exit 1; }
DASHBOARD=$E2E_REPO/appliance/telemetry/dashboards/vtps.json
REQUESTS=5

topo_up
pki_origin
# A port nothing in the (new) appliance namespace listens on, picked by the kernel.
free_port() { in_app python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
METRICS_PORT=$(free_port)
PROM_PORT=$(free_port)
[ "$METRICS_PORT" != "$PROM_PORT" ] || PROM_PORT=$(free_port)
E2E_CONFIG=$E2E_TMP/vtps.yaml
vtps_config_write "$E2E_CONFIG"
sed -i "s|^  log-dir: .*|&\n  metrics: {listen: \"127.0.0.1:$METRICS_PORT\"}|" "$E2E_CONFIG"
grep -q "listen: \"127.0.0.1:$METRICS_PORT\"" "$E2E_CONFIG" || e2e_fail "metrics listen not set in config"
pki_vtps
origin_start
vtps_start "$E2E_CONFIG"

app_get() { in_app curl -sS --max-time 5 -o /dev/null -w '%{http_code} ' "$@"; }
e2e_check "vtpsd's probes answer on 127.0.0.1:$METRICS_PORT"
e2e_expect_eq "GET /healthz" "$(in_app curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/healthz")" "ok"
e2e_expect_eq "GET /readyz" "$(in_app curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/readyz")" "ready"
e2e_expect_eq "GET /metrics status" "$(app_get "http://127.0.0.1:$METRICS_PORT/metrics")" "200 "
in_app curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" >"$E2E_TMP/metrics.txt"
promtool check metrics <"$E2E_TMP/metrics.txt" || e2e_fail "promtool check metrics failed on vtpsd's output"
e2e_ok "promtool check metrics passes on the live output"

e2e_check "Prometheus ($("$PROMETHEUS" --version 2>&1 | head -n 1)) scrapes vtpsd every second"
cat >"$E2E_TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vtps
    static_configs:
      - targets: ["127.0.0.1:$METRICS_PORT"]
YAML
mkdir -p "$E2E_TMP/prometheus-data"
e2e_spawn PROM_PID "$E2E_NS_APP" "$E2E_TMP/prometheus.log" "$PROMETHEUS" \
  --config.file="$E2E_TMP/prometheus.yml" --storage.tsdb.path="$E2E_TMP/prometheus-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --storage.tsdb.retention.time=1h
prom_ready() { in_app curl -sf --max-time 2 "http://127.0.0.1:$PROM_PORT/-/ready"; }
e2e_wait_for "Prometheus ready on 127.0.0.1:$PROM_PORT" 60 prom_ready

# prom_query PROMQL: the API's JSON answer; prom_value PROMQL: the first sample's value or "none".
prom_query() {
  in_app curl -sS --max-time 5 -G "http://127.0.0.1:$PROM_PORT/api/v1/query" \
    --data-urlencode "query=$1"
}
prom_value() { prom_query "$1" | jq -r '.data.result[0].value[1] // "none"'; }
# prom_expect WHAT PROMQL EXPECTED: waits up to 20 s for the query to return EXPECTED.
prom_expect() {
  local what=$1 query=$2 want=$3 got="" i
  for ((i = 0; i < 200; i++)); do
    got=$(prom_value "$query")
    [ "$got" = "$want" ] && break
    sleep 0.1
  done
  e2e_expect_eq "$what [$query]" "$got" "$want"
}
prom_expect "target up" 'up{job="vtps"}' 1
prom_expect "ready" 'vtps_ready' 1
prom_expect "config generation" 'vtps_config_generation' 1
prom_expect "workers" 'vtps_workers' 1

e2e_log "traffic: $REQUESTS x https://web1.test/hello via web-rsa (TLS 1.3), 1 x cleartext on :443"
for ((i = 0; i < REQUESTS; i++)); do
  e2e_curl web1.test "$E2E_SERVER_IP" --tlsv1.3 -o /dev/null https://web1.test/hello
done
in_cli curl -sS --max-time 10 "http://$E2E_SERVER_IP:443/hello" >/dev/null 2>&1 || true
ssl_log_wait "$REQUESTS"
in_app curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" >"$E2E_TMP/metrics-after.txt"

e2e_check "the scraped series hold what the traffic did"
prom_expect "new SSL connections (TLS + cleartext)" 'vtps_ssl_connections_accepted_total' \
  $((REQUESTS + 1))
prom_expect "closed sessions by proxy, policy, decision" \
  'vtps_ssl_connections_total{proxy="web-rsa",policy="web-rsa-in",decision="decrypted"}' "$REQUESTS"
prom_expect "decisions" 'vtps_ssl_decisions_total{decision="decrypted"}' "$REQUESTS"
prom_expect "dropped cleartext" 'vtps_ssl_dropped_total{reason="cleartext"}' 1
prom_expect "client-leg TLS 1.3 handshakes" \
  'sum(vtps_ssl_handshakes_total{side="client",version="TLSv1.3",result="success"})' "$REQUESTS"
prom_expect "server-leg handshakes timed" \
  'vtps_ssl_handshake_duration_seconds_count{side="server"}' "$REQUESTS"
prom_expect "mean server-leg handshake below 5 s (the clock starts with the handshake)" \
  'vtps_ssl_handshake_duration_seconds_sum{side="server"} / vtps_ssl_handshake_duration_seconds_count{side="server"} < bool 5' 1
prom_expect "mean client-leg handshake below 5 s" \
  'vtps_ssl_handshake_duration_seconds_sum{side="client"} / vtps_ssl_handshake_duration_seconds_count{side="client"} < bool 5' 1
prom_expect "sessions open now" 'vtps_ssl_sessions_active' 0
prom_expect "troubleshooting counter tcpUpstreamConnected" \
  'vtps_np_stats_total{group="npTcpProxyStats",stat="tcpUpstreamConnected"}' "$REQUESTS"
prom_expect "bytes seen = bytes of decrypted sessions (all were decrypted)" \
  'sum(vtps_ssl_bytes_total) - sum(vtps_ssl_session_bytes_total{decision="decrypted"})' 0
prom_expect "bytes seen > 0" 'sum(vtps_ssl_bytes_total) > bool 0' 1
prom_expect "close_notify alerts sent to the server" \
  'sum(vtps_tls_alerts_total{side="server",direction="sent",alert="close_notify"}) >= bool 1' 1
prom_expect "worker busy time recorded" 'sum(vtps_worker_busy_seconds_total) > bool 0' 1
prom_expect "build info" "vtps_build_info{version=\"$(grep -oP 'project\(vtps VERSION \K[0-9.]+' "$E2E_REPO/CMakeLists.txt")\"}" 1
prom_expect "the handshake p99 is a number of seconds below 10" \
  'histogram_quantile(0.99, sum by (le) (rate(vtps_ssl_handshake_duration_seconds_bucket{side="server"}[1m]))) < bool 10' 1

e2e_check "a SIGHUP reload is counted and raises the config generation"
kill -HUP "$E2E_VTPSD_PID"
prom_expect "config generation after reload" 'vtps_config_generation' 2
prom_expect "successful reloads" 'vtps_config_reloads_total{result="success"}' 1
prom_expect "failed reloads" 'vtps_config_reloads_total{result="failure"}' 0

e2e_check "every expression of the Grafana dashboard evaluates on this Prometheus"
count=0
while IFS= read -r expr; do
  expr=${expr//\$instance/.*}
  answer=$(prom_query "$expr")
  [ "$(jq -r .status <<<"$answer")" = success ] || e2e_fail "dashboard expression failed: $expr: $answer"
  count=$((count + 1))
done < <(jq -r '.. | objects | .expr? // empty' "$DASHBOARD")
[ "$count" -ge 30 ] || e2e_fail "only $count expressions found in $DASHBOARD"
e2e_ok "$count dashboard expressions evaluated"
prom_expect "the SSL Decrypted Traffic graph's 'seen' series has data" \
  'sum(rate(vtps_ssl_bytes_total{instance=~".*"}[1m])) * 8 > bool 0' 1

e2e_stop "$PROM_PID" 10 || true
vtps_stop
e2e_pass
