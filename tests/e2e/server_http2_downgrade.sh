#!/usr/bin/env bash
# Issue 3 e2e: with http2-to-http1-downgrade on, `curl --http2` gets HTTP/1.1 (ALPN rewritten on
# both legs: nginx, which offers h2, is spoken to in HTTP/1.1 too); with it off, HTTP/2 passes
# and the session is "Decrypted but not inspected".
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup "downgrade=true"

e2e_check "downgrade on: curl --http2 negotiates HTTP/1.1 through vtps"
version=$(e2e_curl web1.test "$E2E_SERVER_IP" --http2 -o /dev/null -w '%{http_version}' \
  https://web1.test/hello)
e2e_expect_eq "HTTP version curl used" "$version" "1.1"
e2e_wait_for "nginx access log line" 5 grep -q 'GET /hello HTTP/1.1' "$E2E_TMP/nginx/access.log"
e2e_ok "nginx served it as HTTP/1.1: $(tail -n 1 "$E2E_TMP/nginx/access.log")"
ssl_log_wait 1
e2e_expect_eq "SSL log decision" "$(ssl_log_field true decision)" "Decrypted"
e2e_expect_eq "npSslInspProtocolStats alpnDowngrades" \
  "$(counter npSslInspProtocolStats alpnDowngrades)" 1

e2e_check "downgrade off (config apply): curl --http2 gets HTTP/2, not inspected"
vtps_config_write "$E2E_TMP/h2.yaml" "downgrade=false"
vtpsctl config apply "$E2E_TMP/h2.yaml"
version=$(e2e_curl web1.test "$E2E_SERVER_IP" --http2 -o /dev/null -w '%{http_version}' \
  https://web1.test/hello)
e2e_expect_eq "HTTP version curl used" "$version" "2"
ssl_log_wait 2
e2e_expect_eq "SSL log decision" "$(ssl_log_field true decision)" "Decrypted but not inspected"
e2e_ok "SSL log reason: $(ssl_log_field true reason)"

vtps_stop
e2e_pass
