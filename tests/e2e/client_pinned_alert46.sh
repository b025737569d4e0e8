#!/usr/bin/env bash
# Issue 4 e2e: a client that pins its server's certificate rejects the minted leaf with alert 46
# (certificate_unknown). Each rejection is a failed.log entry; at auto-failure-threshold (2 here)
# the domain joins the automatic exclusions and the next connection reaches the origin, which the
# client accepts.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/client.sh
source "$(dirname "$0")/lib/client.sh"
client_setup "threshold=2"

e2e_check "two rejections of the minted certificate"
for i in 1 2; do
  if pinned_client pinned.test; then e2e_fail "attempt $i: the pinned client accepted the leaf"; fi
  grep -q "verify error:num=43" "$E2E_TMP/pinned.out" || e2e_fail "attempt $i: no policy error"
  e2e_ok "attempt $i rejected (no explicit policy), alert certificate_unknown sent"
done
failed_log_wait 2
log=$(failed_log_json)
e2e_expect_eq "failed.log sides" "$(jq -r 'map(.side) | join(",")' <<<"$log")" "client,client"
e2e_expect_eq "failed.log alerts" "$(jq -r 'map(.alert) | join(",")' <<<"$log")" \
  "certificate_unknown,certificate_unknown"
e2e_expect_eq "failed.log alert codes" "$(jq -r 'map(.alert_code) | join(",")' <<<"$log")" "46,46"
e2e_expect_eq "failed.log auto_excluded" "$(jq -r 'map(.auto_excluded) | join(",")' <<<"$log")" \
  "false,true"

e2e_check "third connection: excluded, the pinned client accepts the origin"
pinned_client pinned.test || e2e_fail "the pinned client refused the origin: $(cat "$E2E_TMP/pinned.out")"
grep -q "issuer=O = vtps-e2e, CN = $E2E_PUBLIC_CN" "$E2E_TMP/pinned.out" ||
  e2e_fail "the pinned client did not see the origin's issuer"
e2e_ok "verified the origin certificate"
ssl_log_wait 3
e2e_expect_eq "SSL log reason" "$(ssl_log_field '.decision == "Not decrypted"' reason)" \
  "domain exclusion pinned.test (automatic)"
e2e_expect_eq "clientCertRejections" "$(counter npSslInspProtocolStats clientCertRejections)" 2
e2e_expect_eq "domainsAutoExcluded" "$(counter npSslInspStats domainsAutoExcluded)" 1

vtps_stop
e2e_pass
