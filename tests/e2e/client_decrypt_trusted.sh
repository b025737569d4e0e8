#!/usr/bin/env bash
# Issue 4 e2e: SSL client inspection decrypts a trusted host. curl, trusting the signing CA,
# verifies a leaf issued by it; the body arrives intact (10 MiB, SHA-256); nginx sees the
# client's own address; the SSL log and counters agree.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/client.sh
source "$(dirname "$0")/lib/client.sh"
client_setup

e2e_check "good.test is decrypted with a leaf of the signing CA"
e2e_expect_eq "issuer curl verified" "$(ccurl_issuer good.test)" "$E2E_SIGNING_CN"
e2e_expect_eq "body" "$(ccurl good.test https://good.test/hello)" "hello from ORIGIN"
ccurl good.test -o "$E2E_TMP/file10m.got" https://good.test/file10m
e2e_expect_eq "10 MiB body SHA-256" "$(e2e_sha256 "$E2E_TMP/file10m.got")" "$E2E_FILE10M_SHA256"
e2e_expect_eq "client address nginx saw" \
  "$(awk '{print $1}' "$E2E_TMP/nginx/access.log" | sort -u)" "$E2E_CLIENT_IP"

e2e_check "SSL log and counters"
ssl_log_wait 3
sleep 0.3
e2e_expect_eq "SSL log entries" "$(ssl_log_count)" 3
e2e_expect_eq "decisions" "$(jq -rs '[.[].decision] | unique | join(",")' "$E2E_LOG_DIR/ssl.log")" \
  "Decrypted"
e2e_expect_eq "policy" "$(ssl_log_field true policy)" "out-policy"
e2e_expect_eq "proxy" "$(ssl_log_field true proxy)" "out"
e2e_expect_eq "clientPolicySessions" "$(counter npSslInspStats clientPolicySessions)" 3
e2e_expect_eq "serverCertTrusted" "$(counter npSslInspProtocolStats serverCertTrusted)" 3
e2e_expect_eq "leavesSigningCa" "$(counter npSslInspProtocolStats leavesSigningCa)" 3
e2e_expect_eq "failed.log entries" "$(failed_log_count)" 0

vtps_stop
e2e_pass
