#!/usr/bin/env bash
# Issue 5 e2e: cleartext flows in kernel mode. A cleartext inspection tuple (10.10.2.0/24 port 80)
# makes vtpsd TPROXY plain HTTP to its workers, which connect upstream with the client's address
# and relay through the same filters as decrypted sessions. curl in clear: attack strings in the
# URI, a header and the body are blocked or alerted per the rules (SSL Inspect = false); an
# allowed request reaches nginx from the real client address; DNS reputation judges the Host
# header; a quarantined host gets 302 to the redirect page; an inspection bypass rule lets a flow
# through uninspected; traffic management blocks, trusts and rate-limits hosts; IP reputation
# blocks a listed client; `debug np ssl-clear` leaves cleartext sessions open; TLS on the SSL tuple
# is still decrypted. The TPROXY rules for the tuple go away on reload (tuple removed) and on exit.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/filters.sh
source "$(dirname "$0")/lib/filters.sh"
RULES_SRC=$(cd "$(dirname "$0")/filter_rules" && pwd)

QUARANTINED_IP=10.10.1.66
TRUSTED_IP=10.10.1.77
TM_BLOCKED_IP=10.10.1.88
BAD_REPUTATION_IP=10.10.1.89
SLOW_IP=10.10.1.99
REDIRECT_URL=http://remediation.example/quarantined

filters_topology
# More client addresses, one per host the filters single out.
for addr in "$QUARANTINED_IP" "$TRUSTED_IP" "$TM_BLOCKED_IP" "$BAD_REPUTATION_IP" "$SLOW_IP"; do
  ip -n "$E2E_NS_CLI" addr add "$addr/24" dev vc0
done
mkdir -p "$E2E_TMP/rules"
cp "$RULES_SRC/web.rules" "$E2E_TMP/rules/"
printf 'bad.example 90\n' >"$E2E_TMP/dns.txt"
printf '%s 90\n' "$BAD_REPUTATION_IP" >"$E2E_TMP/ip.txt"
CLEARTEXT_YAML="  cleartext-inspection:
    - {name: web-plain, destinations: [10.10.2.0/24], ports: [\"80\"], tcp-reset: true}"
FILTERS_YAML="filters:
  rules: $E2E_TMP/rules/*.rules
  address-vars: {HOME_NET: \"[10.10.2.0/24]\"}
  inspection-bypass:
    - {name: backup-host, destination: $E2E_SERVER2_IP, destination-ports: \"80\"}
  traffic-management:
    - {name: trusted-host, action: trust, source: $TRUSTED_IP}
    - {name: blocked-host, action: block, source: $TM_BLOCKED_IP}
    - {name: slow-host, action: rate-limit, rate-limit-kbps: 20000, source: $SLOW_IP}
  reputation: {ip-list: $E2E_TMP/ip.txt, dns-list: $E2E_TMP/dns.txt, block-threshold: 80,
               notify-threshold: 50}
  quarantine: {hosts: [\"$QUARANTINED_IP\"], action: redirect, redirect-url: \"$REDIRECT_URL\"}"
filters_start "$FILTERS_YAML
$CLEARTEXT_YAML"

# plain ADDR PATH [CURL_ARGS...]: curl http://ADDR/PATH from the client namespace.
plain() {
  local addr=$1 path=$2
  shift 2
  in_cli curl -sS --max-time 20 "$@" "http://$addr$path"
}
# blocked ADDR PATH [CURL_ARGS...]: the request must fail (the session is closed, no response).
blocked() {
  if plain "$@" -o /dev/null 2>/dev/null; then
    e2e_fail "curl http://$1$2 ${*:3} succeeded; expected the session to be blocked"
  fi
}
q() { filter_log_field "$@"; }

e2e_check "vtpsd installed a TPROXY rule for the cleartext tuple"
rules=$(in_app nft list table inet vtps)
grep -F "ip daddr 10.10.2.0/24 tcp dport 80 " <<<"$rules" >/dev/null ||
  e2e_fail "no TPROXY rule for 10.10.2.0/24 port 80 in: $rules"
e2e_ok "ip daddr 10.10.2.0/24 tcp dport 80 ... tproxy"

e2e_check "a plain allowed request passes; nginx sees the client's own address"
body=$(plain "$E2E_SERVER_IP" /hello)
e2e_expect_eq "body" "$body" "hello from ORIGIN"
line=$(origin_access_log | grep -F '"GET /hello HTTP/1.1"' | tail -n 1)
e2e_expect_eq "nginx remote_addr" "$(cut -d' ' -f1 <<<"$line")" "$E2E_CLIENT_IP"
e2e_expect_eq "nginx server_addr:port" "$(cut -d' ' -f2 <<<"$line")" "$E2E_SERVER_IP:80"
e2e_expect_eq "cleartextInspected" "$(counter npTcpProxyStats cleartextInspected)" 1

e2e_check "an attack string in the URI is dropped before it reaches the server"
blocked "$E2E_SERVER_IP" /etc/passwd
filter_log_wait block 1
e2e_expect_eq "block.log sid" "$(q block '.sid == 1000001' sid)" 1000001
e2e_expect_eq "block.log action" "$(q block '.sid == 1000001' action)" drop
e2e_expect_eq "block.log SSL Inspect" "$(q block '.sid == 1000001' ssl_inspect)" false
e2e_expect_eq "block.log proxy (the tuple)" "$(q block '.sid == 1000001' proxy)" web-plain
e2e_expect_eq "block.log server" "$(q block '.sid == 1000001' server)" "$E2E_SERVER_IP:80"
e2e_expect_eq "block.log client address" \
  "$(q block '.sid == 1000001' client | cut -d: -f1)" "$E2E_CLIENT_IP"
e2e_expect_eq "block.log http_uri" "$(q block '.sid == 1000001' http_uri)" /etc/passwd
origin_saw /etc/passwd && e2e_fail "nginx received the blocked request"
e2e_ok "nginx never saw GET /etc/passwd"

e2e_check "an attack string in a header is dropped"
blocked "$E2E_SERVER_IP" /hello -A "sqlmap/1.7"
filter_log_wait block 2
e2e_expect_eq "block.log msg" "$(q block '.sid == 1000002' msg)" "attack in header"
e2e_expect_eq "block.log SSL Inspect" "$(q block '.sid == 1000002' ssl_inspect)" false

e2e_check "an alert rule on the body lets the request through and writes alert.log"
status=$(plain "$E2E_SERVER_IP" /hello -o /dev/null -w '%{http_code}' \
  --data "id=1 UNION SELECT password FROM users")
e2e_expect_eq "HTTP status from nginx (POST to a static file)" "$status" 405
filter_log_wait alert 1
e2e_expect_eq "alert.log action" "$(q alert '.sid == 1000003' action)" permit+notify
e2e_expect_eq "alert.log SSL Inspect" "$(q alert '.sid == 1000003' ssl_inspect)" false
e2e_expect_eq "alert.log http_method" "$(q alert '.sid == 1000003' http_method)" POST

e2e_check "a reject rule on the body blocks the request with a TCP reset"
err=$(plain "$E2E_SERVER_IP" /hello -o /dev/null --data "name=x'; DROP TABLE users; --" 2>&1) &&
  e2e_fail "the rejected POST succeeded"
grep -qi "reset" <<<"$err" || e2e_fail "curl did not see a reset: $err"
e2e_ok "curl: $err"
filter_log_wait block 3
e2e_expect_eq "block.log action" "$(q block '.sid == 1000004' action)" reject

e2e_check "DNS reputation judges the Host header of a cleartext request"
blocked "$E2E_SERVER_IP" /hello -H "Host: bad.example"
filter_log_wait block 4
e2e_expect_eq "block.log stage" "$(q block '.stage == "reputation"' stage)" reputation
e2e_expect_eq "block.log filter" "$(q block '.stage == "reputation"' filter)" bad.example
e2e_expect_eq "block.log SSL Inspect" "$(q block '.stage == "reputation"' ssl_inspect)" false

e2e_check "a quarantined host's cleartext HTTP request gets 302 to the redirect page"
headers=$(plain "$E2E_SERVER_IP" /hello --interface "$QUARANTINED_IP" -o /dev/null -D -)
e2e_expect_eq "status line" "$(head -n 1 <<<"$headers" | tr -d '\r')" "HTTP/1.1 302 Found"
e2e_expect_eq "Location" "$(sed -n 's/^Location: //p' <<<"$headers" | tr -d '\r')" "$REDIRECT_URL"
filter_log_wait block 5
e2e_expect_eq "block.log action" "$(q block '.stage == "quarantine"' action)" redirect
e2e_expect_eq "block.log client" \
  "$(q block '.stage == "quarantine"' client | cut -d: -f1)" "$QUARANTINED_IP"
origin_access_log | grep -F "$QUARANTINED_IP " >/dev/null &&
  e2e_fail "nginx received the quarantined host's request"
e2e_ok "nginx never saw the quarantined host's request"

e2e_check "an inspection bypass rule lets the flow through uninspected"
body=$(plain "$E2E_SERVER2_IP" /etc/passwd -o /dev/null -w '%{http_code}')
e2e_expect_eq "HTTP status from nginx (no such file)" "$body" 404
origin_access_log | grep -F "$E2E_SERVER2_IP:80 " | grep -F '"GET /etc/passwd' >/dev/null ||
  e2e_fail "nginx did not receive the bypassed request"
e2e_ok "nginx received GET /etc/passwd on $E2E_SERVER2_IP"
e2e_expect_eq "cleartextNotInspected" "$(counter npTcpProxyStats cleartextNotInspected)" 1
e2e_expect_eq "block.log entries (no new block)" "$(filter_log_count block)" 5

e2e_check "traffic management: a blocked host is refused before the server is contacted"
connects=$(counter npTcpProxyStats tcpUpstreamConnects)
blocked "$E2E_SERVER_IP" /hello --interface "$TM_BLOCKED_IP"
filter_log_wait block 6
e2e_expect_eq "block.log filter" "$(q block '.stage == "traffic-management"' filter)" blocked-host
e2e_expect_eq "block.log SSL Inspect" \
  "$(q block '.stage == "traffic-management"' ssl_inspect)" false
e2e_expect_eq "tcpUpstreamConnects unchanged" "$(counter npTcpProxyStats tcpUpstreamConnects)" \
  "$connects"

e2e_check "IP reputation: a listed client is refused"
blocked "$E2E_SERVER_IP" /hello --interface "$BAD_REPUTATION_IP"
filter_log_wait block 7
e2e_expect_eq "block.log filter" "$(q block '.filter == "'"$BAD_REPUTATION_IP"'"' filter)" \
  "$BAD_REPUTATION_IP"
e2e_expect_eq "block.log score" "$(q block '.filter == "'"$BAD_REPUTATION_IP"'"' score)" 90

e2e_check "traffic management: a trusted host is relayed without signature matching"
status=$(plain "$E2E_SERVER_IP" /etc/passwd --interface "$TRUSTED_IP" -o /dev/null -w '%{http_code}')
e2e_expect_eq "HTTP status from nginx (no such file)" "$status" 404
e2e_expect_eq "block.log entries (no new block)" "$(filter_log_count block)" 7

e2e_check "traffic management: a rate-limited host's download is slowed and arrives intact;" \
  "debug np ssl-clear meanwhile leaves it open (a cleartext session is not an SSL session)"
start=$(date +%s%N)
slow_pid=""
e2e_spawn slow_pid "$E2E_NS_CLI" "$E2E_TMP/slow.log" curl -sS --max-time 20 \
  --interface "$SLOW_IP" -o "$E2E_TMP/file10m.slow" "http://$E2E_SERVER_IP/file10m"
cleartext_live() { [ "$(counter npTcpProxyStats cleartextSessionsActive)" = 1 ]; }
e2e_wait_for "the download's cleartext session" 5 cleartext_live
e2e_expect_eq "vtpsctl debug np ssl-clear" "$(vtpsctl debug np ssl-clear)" "0 SSL sessions cleared"
wait "$slow_pid" || e2e_fail "the rate-limited download failed: $(cat "$E2E_TMP/slow.log")"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
e2e_expect_eq "SHA-256 of the download" "$(e2e_sha256 "$E2E_TMP/file10m.slow")" \
  "$E2E_FILE10M_SHA256"
# 10 MiB at 20000 kbit/s with a 1 s burst: about 3.2 s; unthrottled it takes a fraction of that.
[ "$elapsed_ms" -ge 2000 ] || e2e_fail "the rate-limited download took only $elapsed_ms ms"
e2e_ok "the rate-limited download took $elapsed_ms ms"
filters=$(vtpsctl show filters --json)
e2e_expect_eq "counter traffic_management_trusted" \
  "$(jq '.counters.traffic_management_trusted' <<<"$filters")" 1
e2e_expect_eq "counter traffic_management_rate_limited" \
  "$(jq '.counters.traffic_management_rate_limited' <<<"$filters")" 1
e2e_expect_eq "show filters: the cleartext tuple" \
  "$(jq -S -c '.cleartext_tuples' <<<"$filters")" \
  '[{"destinations":["10.10.2.0/24"],"name":"web-plain","ports":["80"],"profile":"","tcp_reset":true}]'
vtpsctl show filters | grep -qxF '  web-plain: 10.10.2.0/24 port 80, profile (default), tcp-reset' ||
  e2e_fail "vtpsctl show filters does not list web-plain: $(vtpsctl show filters)"

e2e_check "TLS on the SSL tuple is still decrypted and inspected"
status=$(e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null -w '%{http_code}' https://web1.test/hello)
e2e_expect_eq "HTTPS status" "$status" 200
ssl_log_wait 1
e2e_expect_eq "ssl.log decision" "$(ssl_log_field 'true' decision)" Decrypted

e2e_check "counters and metrics count the cleartext sessions apart from the SSL ones"
e2e_expect_eq "cleartextSessions" "$(counter npTcpProxyStats cleartextSessions)" 12
e2e_expect_eq "cleartextBlocked" "$(counter npTcpProxyStats cleartextBlocked)" 7
# Counted when taken, as the SSL decisions are: a session blocked mid-relay was inspected first.
e2e_expect_eq "cleartextInspected" "$(counter npTcpProxyStats cleartextInspected)" 9
e2e_expect_eq "cleartextSessionsActive" "$(counter npTcpProxyStats cleartextSessionsActive)" 0
e2e_expect_eq "sessionsDecrypted (SSL only)" "$(counter npSslInspStats sessionsDecrypted)" 1
e2e_expect_eq "sessionsCleared (SSL only)" "$(counter npSslInspStats sessionsCleared)" 0
e2e_expect_eq "ssl.log entries (SSL sessions only)" "$(jq -s length "$E2E_LOG_DIR/ssl.log")" 1
metrics=$(in_app curl -sS --max-time 5 http://127.0.0.1:9100/metrics)
for sample in 'vtps_cleartext_sessions_total{decision="blocked"} 7' \
  'vtps_cleartext_sessions_total{decision="inspected"} 9' \
  'vtps_cleartext_sessions_total{decision="not_inspected"} 1' \
  'vtps_ssl_connections_accepted_total 1'; do
  grep -F "$sample" <<<"$metrics" >/dev/null || e2e_fail "/metrics lacks: $sample"
  e2e_ok "/metrics: $sample"
done

e2e_check "a reload without the tuple removes its TPROXY rule; plain HTTP then goes uninspected"
vtps_config_write "$E2E_CONFIG"
printf '%s\n' "$FILTERS_YAML" >>"$E2E_CONFIG"
kill -HUP "$E2E_VTPSD_PID"
e2e_wait_for "system log: reload succeeded" 10 system_log_has "reload of $E2E_CONFIG succeeded"
in_app nft list table inet vtps | grep -F "tcp dport 80 " &&
  e2e_fail "the TPROXY rule for port 80 is still installed after the reload"
e2e_ok "no TPROXY rule for port 80"
status=$(plain "$E2E_SERVER_IP" /etc/passwd -o /dev/null -w '%{http_code}')
e2e_expect_eq "HTTP status from nginx (routed, not proxied)" "$status" 404
e2e_expect_eq "cleartextSessions unchanged" "$(counter npTcpProxyStats cleartextSessions)" 12

vtps_stop
e2e_check "vtpsd removed its TPROXY table on exit"
in_app nft list table inet vtps >/dev/null 2>&1 && e2e_fail "table inet vtps is still there"
e2e_ok "table inet vtps removed"
e2e_pass
