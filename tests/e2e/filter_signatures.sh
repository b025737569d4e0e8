#!/usr/bin/env bash
# Issue 5 e2e: signature filters on SSL server inspection. curl sends an attack string in the
# URI, in a header and in the body over TLS; drop/reject rules block the session before the
# request reaches nginx, alert rules let it through; block.log and alert.log record each with
# SSL Inspect set. A rule file with bad lines loads its good rules, and `vtpsctl show filters`
# reports the loaded and failed counts; `show filters top` and /metrics count the actions.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/filters.sh
source "$(dirname "$0")/lib/filters.sh"
RULES_SRC=$(cd "$(dirname "$0")/filter_rules" && pwd)

filters_topology
mkdir -p "$E2E_TMP/rules"
cp "$RULES_SRC/web.rules" "$RULES_SRC/corpus-with-errors.rules" "$E2E_TMP/rules/"
filters_start "filters:
  rules: $E2E_TMP/rules/*.rules
  address-vars: {HOME_NET: \"[10.10.2.0/24]\"}"

# blocked CURL_ARGS...: the request must fail (the session is closed before any response).
blocked() {
  if e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null "$@" 2>/dev/null; then
    e2e_fail "curl $* succeeded; expected the session to be blocked"
  fi
}

e2e_check "an attack string in the URI is dropped before it reaches the server"
blocked https://web1.test/etc/passwd
filter_log_wait block 1
q() { filter_log_field "$@"; }
e2e_expect_eq "block.log sid" "$(q block '.sid == 1000001' sid)" 1000001
e2e_expect_eq "block.log stage" "$(q block '.sid == 1000001' stage)" signature
e2e_expect_eq "block.log action" "$(q block '.sid == 1000001' action)" drop
e2e_expect_eq "block.log SSL Inspect" "$(q block '.sid == 1000001' ssl_inspect)" true
e2e_expect_eq "block.log msg" "$(q block '.sid == 1000001' msg)" "attack in URI"
e2e_expect_eq "block.log classtype" "$(q block '.sid == 1000001' classtype)" attempted-recon
e2e_expect_eq "block.log http_uri" "$(q block '.sid == 1000001' http_uri)" /etc/passwd
e2e_expect_eq "block.log http_host" "$(q block '.sid == 1000001' http_host)" web1.test
e2e_expect_eq "block.log proxy/policy" \
  "$(q block '.sid == 1000001' proxy)/$(q block '.sid == 1000001' policy)" web-rsa/web-rsa-in
e2e_expect_eq "block.log server" "$(q block '.sid == 1000001' server)" "$E2E_SERVER_IP:443"
origin_saw /etc/passwd && e2e_fail "nginx received the blocked request"
e2e_ok "nginx never saw GET /etc/passwd"
ssl_log_wait 1
e2e_expect_eq "ssl.log decision" "$(ssl_log_field 'true' decision)" Blocked
e2e_expect_eq "ssl.log reason" "$(ssl_log_field 'true' reason)" \
  "blocked by inspector: signature 1000001: attack in URI"

e2e_check "an attack string in a header is dropped"
blocked -A "sqlmap/1.7" https://web1.test/hello
filter_log_wait block 2
e2e_expect_eq "block.log msg" "$(q block '.sid == 1000002' msg)" "attack in header"
e2e_expect_eq "block.log SSL Inspect" "$(q block '.sid == 1000002' ssl_inspect)" true

e2e_check "an alert rule on the body lets the request through and writes alert.log"
status=$(e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null -w '%{http_code}' \
  --data "id=1 UNION SELECT password FROM users" https://web1.test/hello)
e2e_expect_eq "HTTP status from nginx (POST to a static file)" "$status" 405
filter_log_wait alert 1
e2e_expect_eq "alert.log sid" "$(q alert '.sid == 1000003' sid)" 1000003
e2e_expect_eq "alert.log action" "$(q alert '.sid == 1000003' action)" permit+notify
e2e_expect_eq "alert.log SSL Inspect" "$(q alert '.sid == 1000003' ssl_inspect)" true
e2e_expect_eq "alert.log rev" "$(q alert '.sid == 1000003' rev)" 2
e2e_expect_eq "alert.log http_method" "$(q alert '.sid == 1000003' http_method)" POST
origin_saw /hello || e2e_fail "nginx did not receive the alerted POST"
e2e_ok "nginx received the alerted POST /hello"

e2e_check "a reject rule on the body blocks the request"
blocked --data "name=x'; DROP TABLE users; --" https://web1.test/hello
filter_log_wait block 3
e2e_expect_eq "block.log action" "$(q block '.sid == 1000004' action)" reject

e2e_check "the good rule of the file with bad lines loaded"
e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null https://web1.test/good-alert 2>/dev/null || true
filter_log_wait alert 2
e2e_expect_eq "alert.log msg" "$(q alert '.sid == 1000006' msg)" "good rule in a file with errors"

e2e_check "vtpsctl show filters reports loaded and failed rules, with FILE:LINE for the bad ones"
show=$(vtpsctl show filters --json)
e2e_expect_eq "rule sets" "$(jq '.rule_sets | length' <<<"$show")" 1
e2e_expect_eq "files" "$(jq '.rule_sets[0].files | length' <<<"$show")" 2
e2e_expect_eq "loaded" "$(jq '.rule_sets[0].loaded' <<<"$show")" 5
e2e_expect_eq "failed" "$(jq '.rule_sets[0].failed' <<<"$show")" 2
bad=$E2E_TMP/rules/corpus-with-errors.rules
e2e_expect_eq "errors name the bad lines" \
  "$(jq -r '.rule_sets[0].errors[] | split(": ")[0]' <<<"$show" | paste -sd' ')" "$bad:3 $bad:4"
vtpsctl show filters | grep -F "loaded: 5, failed: 2" >/dev/null ||
  e2e_fail "vtpsctl show filters does not print 'loaded: 5, failed: 2'"
e2e_ok "text output: loaded: 5, failed: 2"
e2e_expect_eq "counter signature_blocked" "$(jq '.counters.signature_blocked' <<<"$show")" 3
e2e_expect_eq "counter signature_notified" "$(jq '.counters.signature_notified' <<<"$show")" 2
e2e_expect_eq "counter action_block" "$(jq '.counters.action_block' <<<"$show")" 3
e2e_expect_eq "counter action_permit_notify" "$(jq '.counters.action_permit_notify' <<<"$show")" 2
system_log_has "rule set $E2E_TMP/rules/*.rules: 2 files, 5 rules loaded, 2 failed" ||
  e2e_fail "system.log does not report the rule set load"
e2e_ok "system.log reports the rule set load"

e2e_check "vtpsctl show filters top lists rules by hits"
top=$(vtpsctl show filters top --count 3 --json)
e2e_expect_eq "rules listed" "$(jq '.rules | length' <<<"$top")" 3
e2e_expect_eq "hits of the first" "$(jq '.rules[0].hits' <<<"$top")" 1
vtpsctl show filters top --count 10 | grep -E '^1000001 +1 +drop +1 +attack in URI$' >/dev/null ||
  e2e_fail "show filters top does not list sid 1000001 with 1 hit"
e2e_ok "show filters top: 1000001 drop, 1 hit"
if vtpsctl show filters top --count 0 >/dev/null 2>&1; then
  e2e_fail "--count 0 accepted"
fi
e2e_ok "--count 0 refused"

e2e_check "/metrics counts the filter actions (no per-rule labels)"
metrics=$(in_app curl -sS --max-time 5 http://127.0.0.1:9100/metrics)
grep -F 'vtps_filter_actions_total{action="block"} 3' <<<"$metrics" >/dev/null ||
  e2e_fail "vtps_filter_actions_total{action=\"block\"} is not 3"
grep -F 'vtps_filter_actions_total{action="permit_notify"} 2' <<<"$metrics" >/dev/null ||
  e2e_fail "vtps_filter_actions_total{action=\"permit_notify\"} is not 2"
grep -E 'vtps_filter_.*sid' <<<"$metrics" && e2e_fail "a filter metric has a per-rule label"
e2e_ok "vtps_filter_actions_total block 3, permit_notify 2"

vtps_stop
e2e_pass
