#!/usr/bin/env bash
# Issue 3 e2e: with max-concurrent-connections 1 and over-threshold bypass, a second session
# while the first is being decrypted is allowed but bypassed (spliced: the client sees the
# origin's certificate), the system log gets the documents' message, and both transfers complete.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup "max=1" "over=bypass"

e2e_check "first transfer (10 MiB at 2 MiB/s) holds the one decryption slot"
first_pid=""
e2e_spawn first_pid "$E2E_NS_CLI" "$E2E_TMP/first.log" curl -sS --max-time 60 --limit-rate 2M \
  --resolve "web1.test:443:$E2E_SERVER_IP" --cacert "$E2E_TMP/pki/trust.pem" \
  -o "$E2E_TMP/first.body" https://web1.test/file10m
e2e_wait_sessions 1

e2e_check "second transfer during the first is bypassed: origin certificate, body intact"
e2e_expect_eq "issuer curl verified" "$(e2e_curl_issuer web2.test "$E2E_SERVER_IP")" \
  "O=vtps-e2e; CN=vtps-e2e Origin CA"
e2e_curl web2.test "$E2E_SERVER_IP" -o "$E2E_TMP/second.body" https://web2.test/file10m
e2e_expect_eq "SHA-256 of the second body" "$(e2e_sha256 "$E2E_TMP/second.body")" \
  "$E2E_FILE10M_SHA256"

e2e_check "the system log has the threshold message"
msg="SSL Inspection reached Critical threshold of Max Concurrent Connections. Action: Allow but bypass Inspection"
e2e_wait_for "system log threshold message" 5 system_log_has "$msg"
e2e_ok "system.log: $msg"

e2e_check "the first transfer completes intact and was decrypted"
wait "$first_pid" || e2e_fail "first transfer failed: $(cat "$E2E_TMP/first.log")"
e2e_expect_eq "SHA-256 of the first body" "$(e2e_sha256 "$E2E_TMP/first.body")" \
  "$E2E_FILE10M_SHA256"
ssl_log_wait 3
e2e_expect_eq "SSL log decision (web1.test)" "$(ssl_log_field '.sni == "web1.test"' decision)" \
  "Decrypted"
e2e_expect_eq "SSL log decision (web2.test)" "$(ssl_log_field '.sni == "web2.test"' decision)" \
  "Bypassed"
e2e_ok "SSL log reason (web2.test): $(ssl_log_field '.sni == "web2.test"' reason)"
e2e_expect_eq "npSslInspStats sessionsBypassed" "$(counter npSslInspStats sessionsBypassed)" 2
e2e_expect_eq "npSslInspStats thresholdCrossings" "$(counter npSslInspStats thresholdCrossings)" 1

vtps_stop
e2e_pass
