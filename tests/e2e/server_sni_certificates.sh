#!/usr/bin/env bash
# Issue 3 e2e: two hostnames on one address (web1.test and web2.test at 10.10.2.2) each get
# their own certificate, chosen by SNI; no SNI gets the first (default) certificate; the SNI is
# forwarded upstream (nginx logs the server name it was asked for).
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup

for name in web1 web2; do
  e2e_check "SNI $name.test on $E2E_SERVER_IP gets certificate $name-rsa"
  e2e_expect_eq "presented certificate (SHA-256 fingerprint)" \
    "$(pki_presented_fingerprint "$name.test" "$E2E_SERVER_IP")" \
    "$(pki_fingerprint "$E2E_TMP/pki/vtps-$name-rsa.crt")"
  body=$(e2e_curl "$name.test" "$E2E_SERVER_IP" "https://$name.test/hello")
  e2e_expect_eq "body of https://$name.test/hello" "$body" "hello from ORIGIN"
done

e2e_check "a ClientHello without SNI gets the default (first) certificate web1-rsa"
e2e_expect_eq "presented certificate (SHA-256 fingerprint)" \
  "$(pki_presented_fingerprint "" "$E2E_SERVER_IP")" \
  "$(pki_fingerprint "$E2E_TMP/pki/vtps-web1-rsa.crt")"

e2e_check "the SNI reaches the origin: nginx logged web2.test as the server name"
e2e_wait_for "nginx access log line for web2.test" 5 \
  grep -q " $E2E_SERVER_IP:443 web2.test \"GET /hello" "$E2E_TMP/nginx/access.log"
e2e_ok "nginx: $(grep " web2.test " "$E2E_TMP/nginx/access.log" | head -n 1)"
ssl_log_wait 2
e2e_expect_eq "SSL log sni" "$(ssl_log_field '.sni == "web2.test"' sni)" "web2.test"

vtps_stop
e2e_pass
