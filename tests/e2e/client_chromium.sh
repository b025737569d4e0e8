#!/usr/bin/env bash
# Issue 4 e2e: a real browser. Headless Chromium in vtps-cli, with the vtps signing CA (only) in
# its NSS database, loads a page from good.test through SSL client inspection: the page renders
# (the browser accepted the minted certificate) and the SSL log shows the decrypted session.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/client.sh
source "$(dirname "$0")/lib/client.sh"
command -v chromium >/dev/null || e2e_fail "chromium is not installed (ci/setup installs it)"
command -v certutil >/dev/null || e2e_fail "certutil is not installed (libnss3-tools)"
client_setup

home=$E2E_TMP/chromium-home
mkdir -p "$home/.pki/nssdb"
certutil -d "sql:$home/.pki/nssdb" -N --empty-password
certutil -d "sql:$home/.pki/nssdb" -A -t "C,," -n "vtps-e2e signing CA" \
  -i "$E2E_TMP/pki/vtps-signing.crt"
e2e_log "NSS database $home/.pki/nssdb trusts: $(certutil -d "sql:$home/.pki/nssdb" -L |
  tail -n 1)"

# Chromium abandons a page load with net::ERR_NETWORK_CHANGED when the kernel reports an address
# change meanwhile; the fresh namespace's IPv6 link-local addresses finish duplicate address
# detection about a second after the links come up, so wait for that first.
no_tentative_addresses() { [ -z "$(in_cli ip -6 addr show tentative)" ]; }
e2e_wait_for "IPv6 duplicate address detection in $E2E_NS_CLI" 10 no_tentative_addresses

e2e_check "Chromium renders https://good.test/page.html through the proxy"
dom=$(in_cli env HOME="$home" timeout 90 chromium --headless=new --no-sandbox --disable-gpu \
  --no-first-run --disable-extensions --user-data-dir="$home/profile" \
  --host-resolver-rules="MAP good.test $E2E_SERVER_IP" --dump-dom https://good.test/page.html \
  2>"$E2E_TMP/chromium.stderr") || { cat "$E2E_TMP/chromium.stderr" >&2; e2e_fail "chromium failed"; }
grep -q '<p id="greeting">hello through vtps</p>' <<<"$dom" ||
  { printf '%s\n' "$dom" >&2; e2e_fail "the page did not render"; }
e2e_ok "the page rendered: $(grep -o '<p id="greeting">[^<]*</p>' <<<"$dom")"

e2e_check "the SSL log shows Chromium's session decrypted"
ssl_log_wait 1
e2e_expect_eq "decision of the good.test session" \
  "$(ssl_log_field '.sni == "good.test" and .decision == "Decrypted"' decision)" "Decrypted"
e2e_expect_eq "client version" \
  "$(ssl_log_field '.sni == "good.test" and .decision == "Decrypted"' client_version)" "TLSv1.3"
e2e_expect_eq "failed.log entries" "$(failed_log_count)" 0
grep -q 'GET /page.html' "$E2E_TMP/nginx/access.log" || e2e_fail "nginx did not serve the page"
e2e_ok "nginx served it: $(grep 'GET /page.html' "$E2E_TMP/nginx/access.log" | tail -n 1)"

vtps_stop
e2e_pass
