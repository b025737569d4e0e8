#!/usr/bin/env bash
# Issue 3 e2e: the SSL log and the three counter groups match a known sequence of sessions:
#   2 x web1.test via web-rsa (TLS 1.3), 1 x web2.test via web-ec (TLS 1.2),
#   1 x cleartext on 10.10.2.2:443, 1 x HTTP on port 80 (not an SSL tuple: neither logged nor
#   counted).
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup

e2e_log "traffic: 2 x web1.test via web-rsa TLS 1.3, 1 x web2.test via web-ec TLS 1.2,"
e2e_log "         1 x cleartext to $E2E_SERVER_IP:443, 1 x HTTP to $E2E_SERVER_IP:80"
for _ in 1 2; do
  e2e_curl web1.test "$E2E_SERVER_IP" --tlsv1.3 -o /dev/null https://web1.test/hello
done
e2e_curl web2.test "$E2E_SERVER2_IP" --tls-max 1.2 -o /dev/null https://web2.test/file10m
in_cli curl -sS --max-time 10 "http://$E2E_SERVER_IP:443/hello" >/dev/null 2>&1 || true
in_cli curl -sS --max-time 10 "http://$E2E_SERVER_IP/hello" >/dev/null

e2e_check "the SSL log has one entry per TLS session, with what happened"
ssl_log_wait 3
sleep 0.3
e2e_expect_eq "SSL log entries" "$(ssl_log_count)" 3
log=$(ssl_log_json)
q() { jq -r "$1" <<<"$log"; }
e2e_expect_eq "decisions" "$(q '[.[].decision] | unique | join(",")')" "Decrypted"
e2e_expect_eq "proxies" "$(q '[.[].proxy] | join(",")')" "web-rsa,web-rsa,web-ec"
e2e_expect_eq "policies" "$(q '[.[].policy] | join(",")')" "web-rsa-in,web-rsa-in,web-ec-in"
e2e_expect_eq "profiles" "$(q '[.[].profile] | unique | join(",")')" "default"
e2e_expect_eq "SNIs" "$(q '[.[].sni] | join(",")')" "web1.test,web1.test,web2.test"
e2e_expect_eq "client versions" "$(q '[.[].client_version] | join(",")')" "TLSv1.3,TLSv1.3,TLSv1.2"
# One proxy worker: the second web1.test session resumes the ticket the origin gave the first.
e2e_expect_eq "upstream resumption" "$(q '[.[].server_resumed] | map(tostring) | join(",")')" \
  "false,true,false"
e2e_expect_eq "client addresses" "$(q '[.[].client_address] | unique | join(",")')" "$E2E_CLIENT_IP"
e2e_expect_eq "server endpoints" "$(q '[.[] | "\(.server_address):\(.server_port)"] | join(",")')" \
  "$E2E_SERVER_IP:443,$E2E_SERVER_IP:443,$E2E_SERVER2_IP:443"
e2e_expect_eq "time format (RFC 3339 UTC)" \
  "$(q '[.[].time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$")] | all')" "true"
big=$(q '.[2].bytes_server_to_client')
[ "$big" -gt $((10 * 1024 * 1024)) ] || e2e_fail "web2.test bytes_server_to_client $big <= 10 MiB"
e2e_ok "web2.test bytes_server_to_client = $big"

e2e_check "the counters say the same"
e2e_expect_eq "npSslInspStats sessionsDecrypted" "$(counter npSslInspStats sessionsDecrypted)" 3
e2e_expect_eq "npSslInspStats sessionsCleartextDropped" \
  "$(counter npSslInspStats sessionsCleartextDropped)" 1
e2e_expect_eq "npSslInspStats sessionsActive" "$(counter npSslInspStats sessionsActive)" 0
e2e_expect_eq "npSslInspProtocolStats clientTls13" \
  "$(counter npSslInspProtocolStats clientTls13)" 2
e2e_expect_eq "npSslInspProtocolStats clientTls12" \
  "$(counter npSslInspProtocolStats clientTls12)" 1
e2e_expect_eq "npSslInspProtocolStats clientCipherOther" \
  "$(counter npSslInspProtocolStats clientCipherOther)" 0
e2e_expect_eq "npSslInspProtocolStats serverConnFailures" \
  "$(counter npSslInspProtocolStats serverConnFailures)" 0
e2e_expect_eq "npSslInspProtocolStats serverResumed (the second web1.test)" \
  "$(counter npSslInspProtocolStats serverResumed)" 1
e2e_expect_eq "npTcpProxyStats tcpAccepted (3 TLS + 1 cleartext)" \
  "$(counter npTcpProxyStats tcpAccepted)" 4
e2e_expect_eq "npTcpProxyStats tcpUpstreamConnected" \
  "$(counter npTcpProxyStats tcpUpstreamConnected)" 3
e2e_expect_eq "npTcpProxyStats tcpBytesServerToClient = SSL log sum" \
  "$(counter npTcpProxyStats tcpBytesServerToClient)" "$(q 'map(.bytes_server_to_client) | add')"
e2e_expect_eq "npTcpProxyStats tcpBytesClientToServer = SSL log sum" \
  "$(counter npTcpProxyStats tcpBytesClientToServer)" "$(q 'map(.bytes_client_to_server) | add')"

vtps_stop
e2e_pass
