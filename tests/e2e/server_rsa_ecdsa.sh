#!/usr/bin/env bash
# Issue 3 e2e: an RSA server proxy presents its RSA certificate and an ECDSA server proxy its
# ECDSA certificate (the keystore's, issued by the vtps-e2e signing CA, not the origin's), and
# the client leg negotiates a suite for that key type.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup
vtps_issuer="O=vtps-e2e; CN=vtps-e2e Signing CA"

e2e_check "web-rsa (10.10.2.2) presents the keystore's RSA certificate web1-rsa"
e2e_expect_eq "presented certificate (SHA-256 fingerprint)" \
  "$(pki_presented_fingerprint web1.test "$E2E_SERVER_IP")" \
  "$(pki_fingerprint "$E2E_TMP/pki/vtps-web1-rsa.crt")"
e2e_expect_eq "issuer curl verified" "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP")" "$vtps_issuer"

e2e_check "web-ec (10.10.2.3) presents the keystore's ECDSA certificate web1-ec"
e2e_expect_eq "presented certificate (SHA-256 fingerprint)" \
  "$(pki_presented_fingerprint web1.test "$E2E_SERVER2_IP")" \
  "$(pki_fingerprint "$E2E_TMP/pki/vtps-web1-ec.crt")"
e2e_expect_eq "issuer curl verified" "$(e2e_curl_issuer web1.test "$E2E_SERVER2_IP")" "$vtps_issuer"

e2e_check "TLS 1.2 suites follow the key type: ECDHE_RSA on web-rsa, ECDHE_ECDSA on web-ec"
for addr in "$E2E_SERVER_IP" "$E2E_SERVER2_IP"; do
  e2e_curl web1.test "$addr" --tls-max 1.2 -o "$E2E_TMP/body-$addr" https://web1.test/file10m
  e2e_expect_eq "SHA-256 via $addr" "$(e2e_sha256 "$E2E_TMP/body-$addr")" "$E2E_FILE10M_SHA256"
done
ssl_log_wait 6
rsa=$(ssl_log_field '.proxy == "web-rsa"' client_cipher)
ec=$(ssl_log_field '.proxy == "web-ec"' client_cipher)
[[ $rsa == TLS_ECDHE_RSA_WITH_* ]] || e2e_fail "web-rsa client cipher $rsa is not ECDHE_RSA"
e2e_ok "web-rsa client cipher $rsa"
[[ $ec == TLS_ECDHE_ECDSA_WITH_* ]] || e2e_fail "web-ec client cipher $ec is not ECDHE_ECDSA"
e2e_ok "web-ec client cipher $ec"

vtps_stop
e2e_pass
