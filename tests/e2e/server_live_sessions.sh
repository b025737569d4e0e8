#!/usr/bin/env bash
# Issue 3 e2e: `vtpsctl show tse ssl-inspection` lists a live decrypted session, and
# `vtpsctl debug np ssl-clear` closes it: the transfer is cut, the list is empty, the counters
# and the SSL log record it.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup

e2e_check "a slow decrypted download is listed by show tse ssl-inspection"
dl_pid=""
e2e_spawn dl_pid "$E2E_NS_CLI" "$E2E_TMP/dl.log" curl -sS --max-time 60 --limit-rate 1M \
  --resolve "web1.test:443:$E2E_SERVER_IP" --cacert "$E2E_TMP/pki/trust.pem" \
  -o "$E2E_TMP/dl.body" https://web1.test/file10m
e2e_wait_sessions 1
vtpsctl show tse ssl-inspection | tee "$E2E_TMP/show.txt"
grep -q "^$E2E_CLIENT_IP:[0-9]* *$E2E_SERVER_IP:443 *web1.test *web-rsa *default/web-rsa-in *Decrypted" \
  "$E2E_TMP/show.txt" || e2e_fail "the live session is not listed as expected"
e2e_ok "listed: client, server, SNI, proxy, profile/policy, decision"
e2e_expect_eq "summary line" "$(tail -n 1 "$E2E_TMP/show.txt")" "1 live SSL session"

e2e_check "debug np ssl-clear closes it"
e2e_expect_eq "vtpsctl debug np ssl-clear" "$(vtpsctl debug np ssl-clear)" "1 SSL session cleared"
rc=0
wait "$dl_pid" || rc=$?
[ "$rc" != 0 ] || e2e_fail "the download completed although its session was cleared"
e2e_ok "the download was cut (curl exit $rc)"
e2e_expect_eq "show tse ssl-inspection afterwards" \
  "$(vtpsctl show tse ssl-inspection | tail -n 1)" "0 live SSL sessions"
e2e_expect_eq "npSslInspStats sessionsCleared" "$(counter npSslInspStats sessionsCleared)" 1
ssl_log_wait 1
e2e_ok "SSL log: $(ssl_log_field true decision), reason '$(ssl_log_field true reason)'"
e2e_wait_for "system log ssl-clear entry" 5 system_log_has "closed by the operator"
e2e_wait_for "the ssl-clear audit.log line" 5 jq -s -e \
  'any(.[]; .action == "ssl-clear" and .actor == "root via control socket" and .object == "1 live SSL sessions")' \
  "$E2E_LOG_DIR/audit.log"

vtps_stop
e2e_pass
