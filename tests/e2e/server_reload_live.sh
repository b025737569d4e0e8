#!/usr/bin/env bash
# Issue 3 e2e: config reloads during a live decrypted transfer — SIGHUP, `vtpsctl config apply`
# of a changed config, and a refused (invalid) apply — leave the transfer running; it completes
# intact, and the system log and status record each reload.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup

e2e_check "a 10 MiB decrypted download at 2 MiB/s is live"
dl_pid=""
e2e_spawn dl_pid "$E2E_NS_CLI" "$E2E_TMP/dl.log" curl -sS --max-time 60 --limit-rate 2M \
  --resolve "web1.test:443:$E2E_SERVER_IP" --cacert "$E2E_TMP/pki/trust.pem" \
  -o "$E2E_TMP/dl.body" https://web1.test/file10m
e2e_wait_sessions 1

e2e_check "SIGHUP mid-transfer reloads the config file"
kill -HUP "$E2E_VTPSD_PID"
e2e_wait_for "system log: reload succeeded" 10 system_log_has "reload of $E2E_CONFIG succeeded"
e2e_ok "system.log: reload of $E2E_CONFIG succeeded"

e2e_check "vtpsctl config apply of a changed config mid-transfer"
vtps_config_write "$E2E_TMP/changed.yaml" "max=5000"
vtpsctl config apply "$E2E_TMP/changed.yaml"
e2e_wait_for "system log: apply succeeded" 10 system_log_has "apply of $E2E_TMP/changed.yaml succeeded"
e2e_ok "system.log: apply of changed.yaml succeeded"

e2e_check "an invalid config is refused with its diagnostics; the running config stays"
sed 's/max-concurrent-connections: 5000/max-concurrent-connections: -3/' "$E2E_TMP/changed.yaml" \
  >"$E2E_TMP/bad.yaml"
rc=0
vtpsctl config apply "$E2E_TMP/bad.yaml" 2>"$E2E_TMP/bad.err" || rc=$?
e2e_expect_eq "vtpsctl config apply exit code" "$rc" 1
grep -q "^$E2E_TMP/bad.yaml:[0-9]*:[0-9]*: error: " "$E2E_TMP/bad.err" ||
  e2e_fail "no FILE:LINE:COL diagnostic in: $(cat "$E2E_TMP/bad.err")"
e2e_ok "diagnostic: $(head -n 1 "$E2E_TMP/bad.err")"
e2e_wait_for "system log: apply-failed" 10 grep -q '"event":"apply-failed"' "$E2E_LOG_DIR/system.log"
e2e_expect_eq "status config_source" "$(vtpsctl status --json | jq -r .config_source)" \
  "$E2E_TMP/changed.yaml"

e2e_check "the transfer was live through all of it and completes intact"
kill -0 "$dl_pid" 2>/dev/null || e2e_fail "the download ended before the reloads finished"
e2e_ok "download still running after the reloads"
wait "$dl_pid" || e2e_fail "download failed: $(cat "$E2E_TMP/dl.log")"
e2e_expect_eq "SHA-256 of the body" "$(e2e_sha256 "$E2E_TMP/dl.body")" "$E2E_FILE10M_SHA256"
ssl_log_wait 1
e2e_expect_eq "SSL log decision" "$(ssl_log_field true decision)" "Decrypted"
status=$(vtpsctl status --json)
e2e_expect_eq "status reloads_ok" "$(jq -r .reloads_ok <<<"$status")" 2
e2e_expect_eq "status reloads_failed" "$(jq -r .reloads_failed <<<"$status")" 1

vtps_stop
e2e_pass
