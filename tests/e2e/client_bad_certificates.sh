#!/usr/bin/env bash
# Issue 4 e2e: servers with bad certificates. With block-invalid and block-expired on, curl's
# handshake to the expired, self-signed, wrong-host and RSA-1024 (below min-key-length 2048)
# hosts fails; each is in the SSL log as Blocked and in failed.log with the finding, and the
# counters match. With both options off (config apply), the same hosts are decrypted with leaves
# of the Untrusted Server CA, which curl refuses to verify.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/client.sh
source "$(dirname "$0")/lib/client.sh"
client_setup "block=true"

hosts=(expired.test selfsigned.test wronghost.test rsa1024.test)
e2e_check "blocked: the TLS handshake fails for every bad host"
for host in "${hosts[@]}"; do
  rc=0
  ccurl "$host" -o /dev/null "https://$host/hello" 2>"$E2E_TMP/curl.err" || rc=$?
  e2e_expect_eq "$host curl exit code (35: TLS handshake failed)" "$rc" 35
done
ssl_log_wait 4
failed_log_wait 4
declare -A want=(
  [expired.test]="server certificate expired: certificate has expired"
  [selfsigned.test]="server certificate untrusted: self-signed certificate"
  [wronghost.test]="server certificate hostname mismatch: hostname mismatch"
  [rsa1024.test]="server certificate key too short: RSA key of 1024 bits is shorter than the \
minimum of 2048"
)
for host in "${hosts[@]}"; do
  e2e_expect_eq "$host SSL log decision" "$(ssl_log_field ".sni == \"$host\"" decision)" "Blocked"
  e2e_expect_eq "$host SSL log reason" "$(ssl_log_field ".sni == \"$host\"" reason)" \
    "${want[$host]}"
  f=$(jq -cs "map(select(.domain == \"$host\")) | last" "$E2E_LOG_DIR/failed.log")
  e2e_expect_eq "$host failed.log side" "$(jq -r .side <<<"$f")" "server"
  e2e_expect_eq "$host failed.log reason" "$(jq -r .reason <<<"$f")" "${want[$host]}"
  e2e_expect_eq "$host failed.log verify_error ends the reason" \
    "$(jq -r '. as $f | $f.verify_error != "" and ($f.reason | endswith(": " + $f.verify_error))' \
      <<<"$f")" "true"
done
e2e_expect_eq "failed.log entries" "$(failed_log_count)" 4
e2e_expect_eq "sessionsBlockedInvalidCertificate" \
  "$(counter npSslInspStats sessionsBlockedInvalidCertificate)" 3
e2e_expect_eq "sessionsBlockedExpiredCertificate" \
  "$(counter npSslInspStats sessionsBlockedExpiredCertificate)" 1
e2e_expect_eq "failedConnections" "$(counter npSslInspStats failedConnections)" 4
e2e_expect_eq "serverCertKeyTooShort" "$(counter npSslInspProtocolStats serverCertKeyTooShort)" 1
e2e_expect_eq "serverCertExpired" "$(counter npSslInspProtocolStats serverCertExpired)" 1
e2e_expect_eq "serverCertHostnameMismatch" \
  "$(counter npSslInspProtocolStats serverCertHostnameMismatch)" 1

e2e_check "not blocked (config apply): leaves of the Untrusted Server CA, which curl refuses"
client_config_text "block=false" >"$E2E_TMP/open.yaml"
vtpsctl config apply "$E2E_TMP/open.yaml" >/dev/null
for host in "${hosts[@]}"; do
  e2e_expect_eq "$host issuer (curl -k)" "$(ccurl_issuer "$host" -k)" "$E2E_UNTRUSTED_CN"
  rc=0
  ccurl "$host" -o /dev/null "https://$host/hello" 2>/dev/null || rc=$?
  e2e_expect_eq "$host curl exit code without -k (60: certificate not trusted)" "$rc" 60
done
e2e_expect_eq "leavesUntrustedCa" "$(counter npSslInspProtocolStats leavesUntrustedCa)" 8

vtps_stop
e2e_pass
