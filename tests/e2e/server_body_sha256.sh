#!/usr/bin/env bash
# Issue 3 e2e: a 10 MiB body fetched with curl through the proxy arrives bit for bit, through the
# RSA server proxy (web1.test at 10.10.2.2) and the ECDSA one (web1.test at 10.10.2.3).
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup

for addr in "$E2E_SERVER_IP" "$E2E_SERVER2_IP"; do
  e2e_check "10 MiB body via $addr is decrypted, re-encrypted and arrives with the same SHA-256"
  out=$E2E_TMP/body-$addr
  e2e_curl web1.test "$addr" -o "$out" https://web1.test/file10m
  e2e_expect_eq "SHA-256 of the body via $addr" "$(e2e_sha256 "$out")" "$E2E_FILE10M_SHA256"
done

ssl_log_wait 2
for proxy in web-rsa web-ec; do
  sel=".proxy == \"$proxy\""
  e2e_expect_eq "SSL log decision ($proxy)" "$(ssl_log_field "$sel" decision)" "Decrypted"
  bytes=$(ssl_log_field "$sel" bytes_server_to_client)
  [ "$bytes" -ge $((10 * 1024 * 1024)) ] ||
    e2e_fail "SSL log bytes_server_to_client ($proxy) = $bytes, expected at least 10 MiB"
  e2e_ok "SSL log bytes_server_to_client ($proxy) = $bytes"
done
e2e_expect_eq "npSslInspStats sessionsDecrypted" "$(counter npSslInspStats sessionsDecrypted)" 2

e2e_check "a second vtpsd on the same config refuses to start and leaves the first one alone"
rc=0
in_app timeout 20 "$VTPSD" --config "$E2E_CONFIG" --pid-file "$E2E_TMP/run/vtpsd.pid" \
  2>"$E2E_TMP/second.err" || rc=$?
e2e_expect_eq "second vtpsd exit code" "$rc" 1
grep -q "another process is listening on it (is vtpsd already running?)" "$E2E_TMP/second.err" ||
  e2e_fail "unexpected refusal: $(cat "$E2E_TMP/second.err")"
e2e_ok "refused: $(head -n 1 "$E2E_TMP/second.err")"
e2e_expect_eq "pid file still names the first vtpsd" "$(cat "$E2E_TMP/run/vtpsd.pid")" \
  "$E2E_VTPSD_PID"
e2e_expect_eq "issuer curl verified afterwards" "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP")" \
  "O=vtps-e2e; CN=vtps-e2e Signing CA"

vtps_stop
e2e_pass
