#!/usr/bin/env bash
# Issue 4 e2e: domains that are not decrypted. Config exclusions (excluded.test, *.wild.test) and
# the decryption policy (policy.test) reach the origin untouched, as the origin's issuer shows.
# `vtpsctl exclusions add|list|delete` change what a running vtpsd does within seconds, and the
# manual exclusion survives a restart.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/client.sh
source "$(dirname "$0")/lib/client.sh"
client_setup

e2e_check "excluded, wildcard-excluded and policy domains are spliced"
for host in excluded.test www.wild.test policy.test; do
  e2e_expect_eq "$host issuer" "$(ccurl_issuer "$host")" "$E2E_PUBLIC_CN"
  e2e_expect_eq "$host body" "$(ccurl "$host" "https://$host/hello")" "hello from ORIGIN"
done
ssl_log_wait 6
e2e_expect_eq "reason (excluded.test)" "$(ssl_log_field '.sni == "excluded.test"' reason)" \
  "domain exclusion excluded.test (config)"
e2e_expect_eq "reason (www.wild.test)" "$(ssl_log_field '.sni == "www.wild.test"' reason)" \
  "domain exclusion *.wild.test (config)"
e2e_expect_eq "reason (policy.test)" "$(ssl_log_field '.sni == "policy.test"' reason)" \
  "domain policy.test in decryption policy privacy"
e2e_expect_eq "sessionsDomainExcluded" "$(counter npSslInspStats sessionsDomainExcluded)" 4
e2e_expect_eq "sessionsPolicyDomain" "$(counter npSslInspStats sessionsPolicyDomain)" 2

e2e_check "vtpsctl exclusions add: the running vtpsd stops decrypting good.test"
e2e_expect_eq "good.test issuer before" "$(ccurl_issuer good.test)" "$E2E_SIGNING_CN"
vtpsctl exclusions add good.test --reason "e2e manual" >/dev/null
spliced_good() { [ "$(ccurl_issuer good.test)" = "$E2E_PUBLIC_CN" ]; }
e2e_wait_for "good.test spliced" 10 spliced_good
e2e_ok "good.test now reaches the origin untouched"
list=$(vtpsctl exclusions list --json)
e2e_expect_eq "exclusions list" "$(jq -r 'map("\(.domain)/\(.source)") | join(",")' <<<"$list")" \
  "excluded.test/config,*.wild.test/config,good.test/manual"
e2e_expect_eq "state file entry" \
  "$(jq -r '.exclusions[0].domain' "$E2E_KEYSTORE/domain-exclusions.json")" "good.test"

e2e_check "the manual exclusion survives a restart"
vtps_stop
vtps_start "$E2E_CONFIG"
e2e_expect_eq "good.test issuer after restart" "$(ccurl_issuer good.test)" "$E2E_PUBLIC_CN"

e2e_check "vtpsctl exclusions delete: decrypted again; config entries cannot be deleted"
vtpsctl exclusions delete good.test >/dev/null
decrypted_good() { [ "$(ccurl_issuer good.test)" = "$E2E_SIGNING_CN" ]; }
e2e_wait_for "good.test decrypted" 10 decrypted_good
e2e_ok "good.test decrypted again"
rc=0
out=$(vtpsctl exclusions delete excluded.test 2>&1) || rc=$?
e2e_expect_eq "exit code deleting a config entry" "$rc" 1
e2e_expect_eq "message" "$out" "vtpsctl: excluded.test is excluded by the config \
(ssl.domain-exclusions.domains); remove it there"

vtps_stop
e2e_pass
