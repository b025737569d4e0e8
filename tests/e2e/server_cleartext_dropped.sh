#!/usr/bin/env bash
# Issue 3 e2e: cleartext sent to an SSL tuple (HTTP to 10.10.2.2:443) is dropped and counted: the
# client gets no answer and the origin never sees the request. Port 80 of the same server is not
# an SSL tuple and is routed as usual.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup

e2e_check "plain HTTP to $E2E_SERVER_IP:443 gets no HTTP answer"
if reply=$(in_cli curl -sS --max-time 10 "http://$E2E_SERVER_IP:443/hello" 2>&1); then
  e2e_fail "cleartext on the SSL tuple was answered: $reply"
fi
e2e_ok "curl failed as expected: $reply"

e2e_check "the origin never saw it (without vtps nginx answers 400 to HTTP on its TLS port)"
sleep 0.5
if grep -q '" 400 ' "$E2E_TMP/nginx/access.log" 2>/dev/null; then
  e2e_fail "nginx logged the cleartext request: $(grep '" 400 ' "$E2E_TMP/nginx/access.log")"
fi
e2e_ok "no 400 in the nginx access log"
e2e_expect_eq "npSslInspStats sessionsCleartextDropped" \
  "$(counter npSslInspStats sessionsCleartextDropped)" 1
e2e_expect_eq "npSslInspStats sessionsDecrypted" "$(counter npSslInspStats sessionsDecrypted)" 0

e2e_check "port 80 of the same server is not an SSL tuple: routed untouched"
body=$(in_cli curl -sS --max-time 10 "http://$E2E_SERVER_IP/hello")
e2e_expect_eq "body of http://$E2E_SERVER_IP/hello" "$body" "hello from ORIGIN"
e2e_expect_eq "npTcpProxyStats tcpAccepted (only the cleartext attempt)" \
  "$(counter npTcpProxyStats tcpAccepted)" 1

vtps_stop
e2e_pass
