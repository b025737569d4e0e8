#!/usr/bin/env bash
# Issue 4 e2e: a server that requires a client certificate (`openssl s_server -Verify 1`) cannot
# be inspected. The first connection fails and is logged; the domain joins the automatic
# exclusions; the next connection passes through untouched, so the client's own certificate
# reaches the server and mutual TLS works end to end.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/client.sh
source "$(dirname "$0")/lib/client.sh"
client_setup

p=$E2E_TMP/pki
e2e_check "first connection: the proxy is asked for a client certificate and gives up"
rc=0
ccurl mtls.test --cert "$p/client.crt" --key "$p/client.key" -o /dev/null \
  https://mtls.test:8443/ 2>/dev/null || rc=$?
[ "$rc" != 0 ] || e2e_fail "the first connection to mtls.test succeeded"
e2e_ok "curl failed (exit $rc)"
failed_log_wait 1
f=$(jq -cs 'last' "$E2E_LOG_DIR/failed.log")
e2e_expect_eq "failed.log domain" "$(jq -r .domain <<<"$f")" "mtls.test"
e2e_expect_eq "failed.log side" "$(jq -r .side <<<"$f")" "server"
e2e_expect_eq "failed.log reason" "$(jq -r .reason <<<"$f")" \
  "server requested a client certificate; the session cannot be inspected"
e2e_expect_eq "failed.log auto_excluded" "$(jq -r .auto_excluded <<<"$f")" "true"
e2e_wait_for "system.log line" 5 system_log_has "SSL client domain exclusion added: mtls.test"
e2e_expect_eq "automatic exclusion listed" \
  "$(vtpsctl exclusions list --json | jq -r 'map(select(.source == "automatic")) | .[0].domain')" \
  "mtls.test"

e2e_check "next connection: spliced, the client's certificate reaches the server"
code=$(ccurl mtls.test --cert "$p/client.crt" --key "$p/client.key" -o /dev/null \
  -w '%{http_code}' https://mtls.test:8443/)
e2e_expect_eq "HTTP status from s_server -www" "$code" 200
e2e_expect_eq "issuer" "$(ccurl_issuer mtls.test --cert "$p/client.crt" --key "$p/client.key")" \
  "$E2E_PUBLIC_CN"
ssl_log_wait 2
e2e_expect_eq "SSL log reason" "$(ssl_log_field '.decision == "Not decrypted"' reason)" \
  "domain exclusion mtls.test (automatic)"
e2e_expect_eq "domainsAutoExcluded" "$(counter npSslInspStats domainsAutoExcluded)" 1
e2e_expect_eq "sessionsBlockedClientCertificate" \
  "$(counter npSslInspStats sessionsBlockedClientCertificate)" 1
e2e_wait_for "state file" 5 grep -q '"mtls.test"' "$E2E_KEYSTORE/domain-exclusions.json"
e2e_ok "persisted in $E2E_KEYSTORE/domain-exclusions.json"

vtps_stop
e2e_pass
