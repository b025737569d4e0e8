#!/usr/bin/env bash
# Issue 4 e2e: never-decrypt and always-decrypt source addresses. With the client's network in
# never-decrypt, a trusted host is spliced; with the client in always-decrypt too, even an
# excluded domain is decrypted (always-decrypt comes first).
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/client.sh
source "$(dirname "$0")/lib/client.sh"
client_setup "never=10.10.1.0/24"

e2e_check "never-decrypt 10.10.1.0/24: good.test is spliced"
e2e_expect_eq "good.test issuer" "$(ccurl_issuer good.test)" "$E2E_PUBLIC_CN"
ssl_log_wait 1
e2e_expect_eq "reason" "$(ssl_log_field true reason)" "never-decrypt 10.10.1.0/24"

e2e_check "always-decrypt $E2E_CLIENT_IP/32 (config apply): excluded.test is decrypted"
client_config_text "never=10.10.1.0/24" "always=$E2E_CLIENT_IP/32" >"$E2E_TMP/always.yaml"
vtpsctl config apply "$E2E_TMP/always.yaml" >/dev/null
e2e_expect_eq "excluded.test issuer" "$(ccurl_issuer excluded.test)" "$E2E_SIGNING_CN"
ssl_log_wait 2
e2e_expect_eq "decision" "$(ssl_log_field '.sni == "excluded.test"' decision)" "Decrypted"
e2e_expect_eq "reason" "$(ssl_log_field '.sni == "excluded.test"' reason)" \
  "always-decrypt $E2E_CLIENT_IP/32"
e2e_expect_eq "sessionsNeverDecrypt" "$(counter npSslInspStats sessionsNeverDecrypt)" 1
e2e_expect_eq "sessionsAlwaysDecrypt" "$(counter npSslInspStats sessionsAlwaysDecrypt)" 1

vtps_stop
e2e_pass
