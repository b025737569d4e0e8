#!/usr/bin/env bash
# Issue 4 e2e: HTTP/2 through the client proxy. With the downgrade on, `curl --http2` speaks
# HTTP/1.1 to nginx (which offers h2) and the session is inspected; with it off, HTTP/2 passes
# and the session is "Decrypted but not inspected".
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/client.sh
source "$(dirname "$0")/lib/client.sh"
client_setup "downgrade=true"

e2e_check "downgrade on: HTTP/1.1"
version=$(ccurl good.test --http2 -o /dev/null -w '%{http_version}' https://good.test/hello)
e2e_expect_eq "HTTP version" "$version" "1.1"
ssl_log_wait 1
e2e_expect_eq "decision" "$(ssl_log_field true decision)" "Decrypted"
e2e_expect_eq "alpnDowngrades" "$(counter npSslInspProtocolStats alpnDowngrades)" 1

e2e_check "downgrade off (config apply): HTTP/2, decrypted but not inspected"
client_config_text "downgrade=false" >"$E2E_TMP/h2.yaml"
vtpsctl config apply "$E2E_TMP/h2.yaml" >/dev/null
version=$(ccurl good.test --http2 -o /dev/null -w '%{http_version}' https://good.test/hello)
e2e_expect_eq "HTTP version" "$version" "2"
e2e_expect_eq "issuer" "$(ccurl_issuer good.test --http2)" "$E2E_SIGNING_CN"
ssl_log_wait 2
e2e_expect_eq "decision" "$(jq -rs '.[1].decision' "$E2E_LOG_DIR/ssl.log")" \
  "Decrypted but not inspected"
e2e_expect_eq "reason" "$(jq -rs '.[1].reason' "$E2E_LOG_DIR/ssl.log")" \
  "HTTP/2 negotiated (downgrade off)"

vtps_stop
e2e_pass
