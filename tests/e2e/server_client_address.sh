#!/usr/bin/env bash
# Issue 3 e2e: the upstream leg uses the client's own source address, so the server sees the
# real client (nginx's $remote_addr is 10.10.1.10), for decrypted and spliced sessions alike.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
e2e_setup "exceptions=$E2E_CLIENT_IP/32"

e2e_check "decrypted session (web-ec, 10.10.2.3): nginx logs the client's address"
e2e_curl web1.test "$E2E_SERVER2_IP" -o /dev/null https://web1.test/hello
e2e_check "spliced session (web-rsa, source exception, 10.10.2.2): nginx logs the client's address"
e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null https://web1.test/hello
ssl_log_wait 2
e2e_expect_eq "SSL log decision (web-ec)" "$(ssl_log_field '.proxy == "web-ec"' decision)" "Decrypted"
e2e_expect_eq "SSL log decision (web-rsa)" "$(ssl_log_field '.proxy == "web-rsa"' decision)" \
  "Not decrypted"

for addr in "$E2E_SERVER2_IP" "$E2E_SERVER_IP"; do
  e2e_wait_for "nginx access log line for $addr" 5 grep -q " $addr:443 " "$E2E_TMP/nginx/access.log"
  seen=$(awk -v a="$addr:443" '$2 == a { print $1 }' "$E2E_TMP/nginx/access.log" | sort -u)
  e2e_expect_eq "address nginx saw for requests to $addr" "$seen" "$E2E_CLIENT_IP"
done
e2e_expect_eq "SSL log client_address" "$(ssl_log_field true client_address)" "$E2E_CLIENT_IP"

vtps_stop
e2e_pass
