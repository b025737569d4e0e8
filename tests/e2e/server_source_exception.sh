#!/usr/bin/env bash
# Issue 3 e2e: a client in a server policy's source exceptions passes through undecrypted: the
# SSL log says "Not decrypted", curl sees the origin's own certificate, and the spliced bytes
# (10 MiB) arrive intact. Traffic to a proxy without the exception is still decrypted.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup "exceptions=$E2E_CLIENT_IP/32"

e2e_check "client $E2E_CLIENT_IP (a source exception of web-rsa-in) sees the origin's certificate"
# nginx holds an RSA and an ECDSA certificate: ask for RSA signatures to know which to expect.
e2e_expect_eq "presented certificate (SHA-256 fingerprint)" \
  "$(pki_presented_fingerprint web1.test "$E2E_SERVER_IP" -sigalgs RSA-PSS+SHA256:RSA+SHA256)" \
  "$(pki_fingerprint "$E2E_TMP/pki/origin-web1.test-rsa.crt")"
e2e_expect_eq "issuer curl verified" "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP")" \
  "O=vtps-e2e; CN=vtps-e2e Origin CA"

e2e_check "the spliced 10 MiB body arrives intact and the SSL log says Not decrypted"
e2e_curl web1.test "$E2E_SERVER_IP" -o "$E2E_TMP/body" https://web1.test/file10m
e2e_expect_eq "SHA-256 of the body" "$(e2e_sha256 "$E2E_TMP/body")" "$E2E_FILE10M_SHA256"
ssl_log_wait 3
e2e_expect_eq "SSL log decision" "$(ssl_log_field '.proxy == "web-rsa"' decision)" "Not decrypted"
e2e_ok "SSL log reason: $(ssl_log_field '.proxy == "web-rsa"' reason)"
sx=$(counter npSslInspStats sessionsSourceException)
[ "$sx" = 3 ] || e2e_fail "npSslInspStats sessionsSourceException = $sx, expected 3"
e2e_ok "npSslInspStats sessionsSourceException = 3"

e2e_check "web-ec (no source exception) still decrypts for the same client"
e2e_expect_eq "issuer curl verified" "$(e2e_curl_issuer web1.test "$E2E_SERVER2_IP")" \
  "O=vtps-e2e; CN=vtps-e2e Signing CA"
ssl_log_wait 4
e2e_expect_eq "SSL log decision (web-ec)" "$(ssl_log_field '.proxy == "web-ec"' decision)" "Decrypted"

vtps_stop
e2e_pass
