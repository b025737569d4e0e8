#!/usr/bin/env bash
# Issue 6 e2e: the management REST API of a real vtpsd. Users and tokens made by vtpsctl; the
# viewer role refused a change; the same bad config refused with the same words by the CLI (control
# socket), the REST API and `vtpsctl --remote`; apply, history, rollback and export; every change
# in audit.log with digests; `display conf running ssl-inspection`; and sslscan showing the minimum
# TLS version enforced (TLS 1.2 by default, TLS 1.0 once the config allows it).
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup

in_app() { ip netns exec "$E2E_NS_APP" "$@"; }
URL=https://127.0.0.1:8443
CA=$E2E_TMP/management-cert.pem
[ -s "$CA" ] || e2e_fail "vtpsd did not generate its management certificate $CA"
# rest TOKEN_FILE METHOD PATH [BODY]: prints the body, then the HTTP status on the last line.
rest() {
  local args=(-sS --cacert "$CA" -H "Authorization: Bearer $(cat "$1")" -X "$2" -w '\n%{http_code}')
  [ $# -lt 4 ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
  in_app curl "${args[@]}" "$URL$3"
}
remote() { in_app "$VTPSCTL" --remote "$URL" --token-file "$1" --remote-ca "$CA" "${@:2}"; }

e2e_check "vtpsctl makes users, a role and tokens"
echo "admin-password" | vtpsctl user add admin --role administrator
echo "viewer-password" | vtpsctl user add watcher --role viewer
vtpsctl role add ssl-ops --capability ssl-inspection-management
vtpsctl token create admin >"$E2E_TMP/admin.token"
vtpsctl token create watcher >"$E2E_TMP/watcher.token"
grep -q "$(cut -c6-20 "$E2E_TMP/admin.token")" "$E2E_TMP/users.json" &&
  e2e_fail "users.json holds a token in clear"
e2e_ok "tokens stored as digests only"

e2e_check "REST status over HTTPS with a token, 401 without"
out=$(rest "$E2E_TMP/admin.token" GET /api/v1/status)
e2e_expect_eq "status code" "$(tail -n 1 <<<"$out")" 200
e2e_expect_eq "daemon" "$(head -n -1 <<<"$out" | jq -r .daemon)" vtpsd
code=$(in_app curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "$URL/api/v1/status")
e2e_expect_eq "without a token" "$code" 401

e2e_check "the viewer may read but not apply"
out=$(rest "$E2E_TMP/watcher.token" POST /api/v1/config/apply "$(jq -n --rawfile y "$E2E_CONFIG" '{yaml: $y}')")
e2e_expect_eq "viewer apply" "$(tail -n 1 <<<"$out")" 403
e2e_expect_eq "viewer apply error" "$(head -n -1 <<<"$out" | jq -r .error)" \
  "user watcher (role viewer) lacks the ssl-inspection-management capability"

e2e_check "the same bad config is refused with the same words by the CLI, REST and --remote"
sed 's/protocols: \[TLSv1.2, TLSv1.3\]/protocols: [TLSv1.0, TLSv1.3]/' "$E2E_CONFIG" >"$E2E_TMP/bad.yaml"
cli_err=$(vtpsctl config apply "$E2E_TMP/bad.yaml" 2>&1 >/dev/null | tail -n 1) || true
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/config/apply \
  "$(jq -n --rawfile y "$E2E_TMP/bad.yaml" --arg f "$E2E_TMP/bad.yaml" '{yaml: $y, file: $f}')")
e2e_expect_eq "REST status" "$(tail -n 1 <<<"$out")" 400
rest_err=$(head -n -1 <<<"$out" | jq -r .error)
case "$rest_err" in *"are enabled but"*) ;; *) e2e_fail "unexpected REST error: $rest_err" ;; esac
e2e_expect_eq "CLI error" "$cli_err" "vtpsctl: $rest_err"
remote_err=$(remote "$E2E_TMP/admin.token" config apply "$E2E_TMP/bad.yaml" 2>&1 >/dev/null | tail -n 1) || true
e2e_expect_eq "--remote error" "$remote_err" "vtpsctl: $rest_err"

e2e_check "apply, history, export and rollback"
original=$(vtpsctl config export | sha256sum | cut -c1-64)
e2e_expect_eq "export is the started config" "$original" "$(sha256sum <"$E2E_CONFIG" | cut -c1-64)"
sed 's/logging: true/logging: false/' "$E2E_CONFIG" >"$E2E_TMP/quiet.yaml"
remote "$E2E_TMP/admin.token" config apply "$E2E_TMP/quiet.yaml"
e2e_expect_eq "export after apply" "$(vtpsctl config export | sha256sum | cut -c1-64)" \
  "$(sha256sum <"$E2E_TMP/quiet.yaml" | cut -c1-64)"
e2e_expect_eq "history entries" "$(vtpsctl config history | wc -l)" 1
vtpsctl config rollback
e2e_expect_eq "export after rollback" "$(vtpsctl config export | sha256sum | cut -c1-64)" "$original"
e2e_wait_for "the rollback in audit.log" 5 jq -s -e 'any(.[]; .action == "rollback")' "$E2E_LOG_DIR/audit.log"
applied=$(jq -c 'select(.action == "apply" and .result == "ok")' "$E2E_LOG_DIR/audit.log" | tail -n 1)
e2e_expect_eq "audited apply actor" "$(jq -r .actor <<<"$applied" | cut -d' ' -f1-4)" "user admin via REST"
e2e_expect_eq "audited digest before" "$(jq -r .sha256_before <<<"$applied")" "$original"
rolled=$(jq -c 'select(.action == "rollback")' "$E2E_LOG_DIR/audit.log" | tail -n 1)
e2e_expect_eq "audited rollback actor" "$(jq -r .actor <<<"$rolled")" "root via control socket"
e2e_expect_eq "audited rollback after" "$(jq -r .sha256_after <<<"$rolled")" "$original"
e2e_expect_eq "vtpsctl logs audit --where action=rollback (local)" \
  "$(vtpsctl logs audit --where action=rollback --limit 1)" "$rolled"
e2e_expect_eq "vtpsctl logs audit --where action=rollback (--remote)" \
  "$(remote "$E2E_TMP/watcher.token" logs audit --where action=rollback --limit 1)" "$rolled"
e2e_expect_eq "the same page from GET /api/v1/logs/audit" \
  "$(rest "$E2E_TMP/watcher.token" GET '/api/v1/logs/audit?action=rollback&limit=1' |
    head -n -1 | jq -c '.entries[0]')" "$rolled"
log_err=$(vtpsctl logs nothing 2>&1 >/dev/null) && e2e_fail "vtpsctl logs nothing succeeded"
remote_log_err=$(remote "$E2E_TMP/watcher.token" logs nothing 2>&1 >/dev/null) &&
  e2e_fail "remote logs nothing succeeded"
e2e_expect_eq "unknown log: local and --remote" "$remote_log_err" "$log_err"
refused=$(jq -c 'select(.result == "refused")' "$E2E_LOG_DIR/audit.log" | wc -l)
[ "$refused" -ge 2 ] || e2e_fail "refused applies not audited ($refused lines)"
e2e_ok "refused applies audited too"

e2e_check "display conf running ssl-inspection, local and --remote"
vtpsctl display conf running ssl-inspection >"$E2E_TMP/display.txt"
grep -qx 'server "web-rsa"' "$E2E_TMP/display.txt" || e2e_fail "no server block"
grep -qx "  ip address $E2E_SERVER_IP/32" "$E2E_TMP/display.txt" || e2e_fail "no ip address statement"
grep -qx '  http2-to-http1-downgrade enable' "$E2E_TMP/display.txt" || e2e_fail "no downgrade statement"
remote "$E2E_TMP/watcher.token" display conf running ssl-inspection >"$E2E_TMP/display-remote.txt"
cmp -s "$E2E_TMP/display.txt" "$E2E_TMP/display-remote.txt" || e2e_fail "--remote display differs"
e2e_ok "TOS statements, the same through the REST API"

e2e_check "domain exclusions added and deleted through REST, refused with the CLI's words"
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/exclusions '{"domain": "Pinned.Example.com", "reason": "pinning"}')
e2e_expect_eq "add status" "$(tail -n 1 <<<"$out")" 200
e2e_expect_eq "added" "$(head -n -1 <<<"$out" | jq -r .excluded)" pinned.example.com
vtpsctl exclusions list | grep -q 'pinned.example.com' || e2e_fail "CLI does not list the REST exclusion"
cli_err=$(vtpsctl exclusions add pinned.example.com 2>&1 >/dev/null | tail -n 1) || true
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/exclusions '{"domain": "pinned.example.com"}')
e2e_expect_eq "duplicate status" "$(tail -n 1 <<<"$out")" 400
e2e_expect_eq "duplicate: CLI and REST" "$cli_err" "vtpsctl: $(head -n -1 <<<"$out" | jq -r .error)"
out=$(rest "$E2E_TMP/watcher.token" DELETE /api/v1/exclusions/pinned.example.com)
e2e_expect_eq "viewer delete" "$(tail -n 1 <<<"$out")" 403
out=$(rest "$E2E_TMP/admin.token" DELETE /api/v1/exclusions/pinned.example.com)
e2e_expect_eq "delete status" "$(tail -n 1 <<<"$out")" 200
cli_err=$(vtpsctl exclusions delete pinned.example.com 2>&1 >/dev/null | tail -n 1) || true
out=$(rest "$E2E_TMP/admin.token" DELETE /api/v1/exclusions/pinned.example.com)
e2e_expect_eq "missing status" "$(tail -n 1 <<<"$out")" 400
e2e_expect_eq "missing: CLI and REST" "$cli_err" "vtpsctl: $(head -n -1 <<<"$out" | jq -r .error)"
e2e_wait_for "the exclusion changes in audit.log" 5 \
  jq -s -e 'any(.[]; .action == "exclusion-delete" and .result == "refused")' "$E2E_LOG_DIR/audit.log"
e2e_ok "exclusions: REST and CLI edit one store and refuse alike"

# sslscan_protocol PROTOCOL: "enabled" or "disabled" as sslscan reports it for the API's port.
sslscan_protocol() {
  in_app sslscan --no-colour --no-ciphersuites --no-fallback --no-renegotiation --no-compression \
    --no-heartbleed --no-groups 127.0.0.1:8443 | awk -v p="$1" '$1 == p { print $2 }'
}
e2e_check "sslscan: TLS 1.0 and 1.1 refused by default"
e2e_expect_eq "TLSv1.0" "$(sslscan_protocol TLSv1.0)" disabled
e2e_expect_eq "TLSv1.1" "$(sslscan_protocol TLSv1.1)" disabled
e2e_expect_eq "TLSv1.2" "$(sslscan_protocol TLSv1.2)" enabled

e2e_check "sslscan: TLS 1.0 offered once device.management.min-tls allows it"
vtps_stop
sed -i "s|^  log-dir: .*|&\n  management: {min-tls: TLSv1.0}|" "$E2E_CONFIG"
vtps_start "$E2E_CONFIG"
e2e_expect_eq "TLSv1.0" "$(sslscan_protocol TLSv1.0)" enabled
e2e_expect_eq "TLSv1.2" "$(sslscan_protocol TLSv1.2)" enabled

vtps_stop
e2e_pass
