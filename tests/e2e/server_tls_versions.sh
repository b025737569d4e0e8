#!/usr/bin/env bash
# Issue 3 e2e: TLS 1.2 and TLS 1.3 clients are inspected, each leg negotiated on its own; a proxy
# restricted to TLS 1.2 refuses a TLS 1.3-only client and counts the refusal.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup

e2e_check "a TLS 1.2 client (curl --tls-max 1.2) is decrypted with TLS 1.2 on the client leg"
e2e_curl web1.test "$E2E_SERVER_IP" --tlsv1.2 --tls-max 1.2 -o /dev/null https://web1.test/hello
ssl_log_wait 1
e2e_expect_eq "SSL log client_version" "$(ssl_log_field true client_version)" "TLSv1.2"
e2e_expect_eq "SSL log decision" "$(ssl_log_field true decision)" "Decrypted"
cipher=$(ssl_log_field true client_cipher)
[[ $cipher == TLS_ECDHE_RSA_WITH_* ]] || e2e_fail "client cipher $cipher is not an ECDHE_RSA suite"
e2e_ok "client cipher $cipher (IANA name)"

e2e_check "a TLS 1.3 client (curl --tlsv1.3) is decrypted with TLS 1.3 on the client leg"
e2e_curl web1.test "$E2E_SERVER_IP" --tlsv1.3 -o /dev/null https://web1.test/hello
ssl_log_wait 2
e2e_expect_eq "SSL log client_version" "$(ssl_log_field true client_version)" "TLSv1.3"
e2e_expect_eq "SSL log server_version (origin offers 1.2 and 1.3)" \
  "$(ssl_log_field true server_version)" "TLSv1.3"
e2e_expect_eq "npSslInspProtocolStats clientTls12" "$(counter npSslInspProtocolStats clientTls12)" 1
e2e_expect_eq "npSslInspProtocolStats clientTls13" "$(counter npSslInspProtocolStats clientTls13)" 1

e2e_check "with protocols [TLSv1.2] applied, a TLS 1.3-only client is refused and counted"
vtps_config_write "$E2E_TMP/tls12.yaml" "protocols=TLSv1.2"
vtpsctl config apply "$E2E_TMP/tls12.yaml"
if e2e_curl web1.test "$E2E_SERVER_IP" --tlsv1.3 -o /dev/null https://web1.test/hello 2>/dev/null; then
  e2e_fail "a TLS 1.3-only client got through a TLS 1.2-only proxy"
fi
e2e_ok "TLS 1.3-only client refused"
refused=$(counter npSslInspStats sessionsRefused)
[ "$refused" -ge 1 ] || e2e_fail "npSslInspStats sessionsRefused = $refused, expected >= 1"
e2e_ok "npSslInspStats sessionsRefused = $refused"
sleep 0.3  # the refused session's log entry, if any, is written before we count
before=$(ssl_log_count)
e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null https://web1.test/hello
ssl_log_wait $((before + 1))
e2e_expect_eq "SSL log decision under TLS 1.2 only" "$(ssl_log_field true decision)" "Decrypted"
e2e_expect_eq "SSL log client_version under TLS 1.2 only" \
  "$(ssl_log_field true client_version)" "TLSv1.2"

vtps_stop
e2e_pass
