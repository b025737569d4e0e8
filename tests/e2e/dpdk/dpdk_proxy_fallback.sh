#!/usr/bin/env bash
# e2e (issue 8, inline): the proxy watchdog's layer-2 fallback. vtpsd's dpdk dataplane bridges
# the segment of lib/topology.sh's inline mode and steers the SSL tuples to its proxy workers.
# `vtpsctl debug np proxy-stall` makes the workers sleep; within the watchdog's 3 s threshold
# the proxy is unavailable:
#   - system.log has a critical proxy-fallback entry, /metrics vtps_dataplane_proxy_available 0,
#     `show dataplane` proxy_available false;
#   - fail-open: a new HTTPS connection crosses the segment uninspected (curl verifies the
#     origin's own certificate, issued by the origin CA, not vtps's) and is counted bypassed;
#   - a decrypted 10 MiB download live across the stall is not cleared: it completes with the
#     right SHA-256;
#   - when the workers wake, an info proxy-fallback entry says so, the gauge is 1 again and a new
#     connection is decrypted again (vtps signing CA).
# Then vtpsd restarts with fail-closed: a new connection during the stall gets no answer (its SYN
# is dropped, counted refused), and one after it is decrypted.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "[dpdk_proxy_fallback] SKIP: needs root (network namespaces, DPDK)"
  exit 77
fi
# The inline mode of the lib (read by topology.sh and appliance.sh).
# shellcheck disable=SC2034
E2E_DATAPLANE=dpdk
# shellcheck source=tests/e2e/lib/topology.sh
source "$(dirname "$0")/../lib/topology.sh"

METRICS_PORT=9471
# Long enough for the watchdog (3 s threshold, checked twice a second) and a new connection
# inside the stall on a loaded machine.
STALL_S=8
VTPS_ISSUER="O=vtps-e2e; CN=vtps-e2e Signing CA"
ORIGIN_ISSUER="O=vtps-e2e; CN=vtps-e2e Origin CA"

# write_config FALLBACK: the inline test config with /metrics and device.dataplane-fallback.
write_config() {
  vtps_config_write "$E2E_CONFIG"
  sed -i "s|^  log-dir: .*|&\n  metrics: {listen: \"127.0.0.1:$METRICS_PORT\"}\n  dataplane-fallback: $1|" \
    "$E2E_CONFIG"
  grep -q "^  dataplane-fallback: $1\$" "$E2E_CONFIG" || e2e_fail "dataplane-fallback not set"
}

metric() {
  in_app curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" |
    awk -v n="$1" '$1 == n { print $2 }'
}
metric_is() { [ "$(metric "$1")" = "$2" ]; }

# fallback_entries SEVERITY TEXT: how many proxy-fallback system.log entries of SEVERITY contain
# TEXT.
fallback_entries() {
  jq -s --arg sev "$1" --arg text "$2" \
    '[.[] | select(.event == "proxy-fallback" and .severity == $sev and
                   (.message | contains($text)))] | length' "$E2E_LOG_DIR/system.log"
}
fallback_entries_reach() { [ "$(fallback_entries "$1" "$2")" -ge "$3" ]; }

# exception_total FIELD: FIELD of the lcores' exception counters, summed.
exception_total() {
  vtpsctl show dataplane --json | jq "[.lcores[].exception.$1 // 0] | add"
}

stall() {
  e2e_expect_eq "vtpsctl debug np proxy-stall --seconds $STALL_S" \
    "$(vtpsctl debug np proxy-stall --seconds "$STALL_S")" "1 proxy worker stalled for $STALL_S s"
}

topo_up
pki_origin
E2E_CONFIG=$E2E_TMP/vtps.yaml
write_config fail-open
pki_vtps
origin_start
vtps_start "$E2E_CONFIG"

e2e_check "before: the proxy is available and decrypts"
e2e_expect_eq "vtps_dataplane_proxy_available" "$(metric vtps_dataplane_proxy_available)" 1
e2e_expect_eq "issuer curl verified" "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP")" "$VTPS_ISSUER"

e2e_check "the control method refuses a duration outside 1..60"
answer=$(python3 - "$E2E_SOCKET" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"method":"proxy-stall","seconds":0}\n')
print(json.loads(s.makefile().readline())["error"])
EOF
)
e2e_expect_eq "proxy-stall with seconds 0" "$answer" \
  'proxy-stall: "seconds" must be an integer from 1 to 60, got 0'

e2e_check "a 10 MiB decrypted download at 768 KiB/s is live"
dl_pid=""
e2e_spawn dl_pid "$E2E_NS_CLI" "$E2E_TMP/dl.log" curl -sS --max-time 120 --limit-rate 768K \
  --resolve "web1.test:443:$E2E_SERVER_IP" --cacert "$E2E_TMP/pki/trust.pem" \
  -o "$E2E_TMP/dl.body" https://web1.test/file10m
e2e_wait_sessions 1
bypassed_before=$(exception_total flows_bypassed)

e2e_check "proxy-stall: the watchdog enters fail-open fallback"
stall
e2e_wait_for "a critical proxy-fallback entry (fail-open)" 6 \
  fallback_entries_reach critical "entered layer-2 fallback (fail-open): new SSL flows are bridged uninspected" 1
e2e_ok "system.log: $(jq -rs 'map(select(.event == "proxy-fallback")) | last | .message' \
  "$E2E_LOG_DIR/system.log")"

e2e_check "a new connection during the stall crosses the segment uninspected"
e2e_expect_eq "issuer curl verified" \
  "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP" --max-time 5)" "$ORIGIN_ISSUER"
e2e_expect_eq "vtps_dataplane_proxy_available" "$(metric vtps_dataplane_proxy_available)" 0
e2e_expect_eq "show dataplane proxy_available" \
  "$(vtpsctl show dataplane --json | jq -r .proxy_available)" false
bypassed=$(exception_total flows_bypassed)
[ "$bypassed" -gt "$bypassed_before" ] ||
  e2e_fail "exception flows_bypassed stayed at $bypassed (before the stall: $bypassed_before)"
e2e_ok "exception flows_bypassed $bypassed_before -> $bypassed"
kill -0 "$dl_pid" 2>/dev/null || e2e_fail "the download ended during the stall: $(cat "$E2E_TMP/dl.log")"
e2e_ok "the decrypted download is still live"

e2e_check "the workers wake: the proxy is available again"
e2e_wait_for "an info proxy-fallback entry" $((STALL_S + 4)) \
  fallback_entries_reach info "left layer-2 fallback" 1
e2e_ok "system.log: $(jq -rs 'map(select(.event == "proxy-fallback")) | last | .message' \
  "$E2E_LOG_DIR/system.log")"
e2e_wait_for "vtps_dataplane_proxy_available 1" 3 metric_is vtps_dataplane_proxy_available 1
e2e_ok "vtps_dataplane_proxy_available = 1"
e2e_expect_eq "issuer curl verified" "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP")" "$VTPS_ISSUER"

e2e_check "the download live across the stall completes intact"
wait "$dl_pid" || e2e_fail "download failed: $(cat "$E2E_TMP/dl.log")"
e2e_expect_eq "SHA-256 of the body" "$(e2e_sha256 "$E2E_TMP/dl.body")" "$E2E_FILE10M_SHA256"
ssl_log_wait 3
e2e_expect_eq "SSL log decision of the download" \
  "$(ssl_log_field '.bytes_server_to_client > 10000000' decision)" "Decrypted"
e2e_expect_eq "npSslInspStats sessionsCleared" "$(counter npSslInspStats sessionsCleared)" 0
e2e_wait_for "the proxy-stall audit.log line" 5 jq -s -e \
  "any(.[]; .action == \"proxy-stall\" and .object == \"1 proxy worker for $STALL_S s\")" \
  "$E2E_LOG_DIR/audit.log"
e2e_ok "audit.log: proxy-stall by root via control socket"

e2e_check "fail-closed: a new connection during the stall is dropped"
vtps_stop
write_config fail-closed
vtps_start "$E2E_CONFIG"
refused_before=$(exception_total flows_refused)
stall
e2e_wait_for "a critical proxy-fallback entry (fail-closed)" 6 \
  fallback_entries_reach critical "entered layer-2 fallback (fail-closed): new SSL flows are dropped" 1
rc=0
e2e_curl web1.test "$E2E_SERVER_IP" --connect-timeout 2 -o /dev/null https://web1.test/hello \
  2>"$E2E_TMP/closed.err" || rc=$?
e2e_expect_eq "curl exit code (28: connect timed out)" "$rc" 28
refused=$(exception_total flows_refused)
[ "$refused" -gt "$refused_before" ] ||
  e2e_fail "exception flows_refused stayed at $refused (before the stall: $refused_before)"
e2e_ok "exception flows_refused $refused_before -> $refused"
e2e_wait_for "the second info proxy-fallback entry" $((STALL_S + 4)) \
  fallback_entries_reach info "left layer-2 fallback" 2
e2e_ok "left fail-closed fallback"
e2e_expect_eq "issuer curl verified" "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP")" "$VTPS_ISSUER"

vtps_stop
e2e_pass
