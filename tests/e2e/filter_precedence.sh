#!/usr/bin/env bash
# Issue 5 e2e: the TPS order of precedence, each case two stages that disagree, over SSL server
# inspection:
#   inspection bypass (10.10.1.77)    beats a signature drop: not even decrypted
#   traffic management trust (to web-ec, 10.10.2.3) beats a signature drop: proxied, not inspected
#   traffic management rate limit (10.10.1.88) slows a download
#   reputation URL block              beats a signature pass; a notify score permits + alerts
#   quarantine (10.10.1.66)           blocks HTTPS (never redirected) before any signature
# and a config apply that swaps the filters (a bad address refused, the running filters kept).
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"
# shellcheck source=lib/filters.sh
source "$(dirname "$0")/lib/filters.sh"
RULES_SRC=$(cd "$(dirname "$0")/filter_rules" && pwd)

filters_topology
mkdir -p "$E2E_TMP/rules" "$E2E_TMP/reputation"
cp "$RULES_SRC/precedence.rules" "$E2E_TMP/rules/"
printf '# url reputation\nweb1.test/download/ 95\nweb1.test/notify/ 60\n' \
  >"$E2E_TMP/reputation/url.txt"
for ip in 10.10.1.66 10.10.1.77 10.10.1.88; do in_cli ip addr add "$ip/24" dev vc0; done

filters_yaml() {
  local trust=$1 destination=${2:-10.10.2.3}
  cat <<YAML
filters:
  rules: $E2E_TMP/rules/*.rules
  trace-dir: $E2E_TMP/traces
  inspection-bypass:
    - {name: bypass-77, source: 10.10.1.77}
  traffic-management:
    - {name: slow-88, action: rate-limit, rate-limit-kbps: 2000, source: 10.10.1.88}
YAML
  [ "$trust" = no ] ||
    printf '    - {name: trust-web-ec, action: trust, destination: "%s"}\n' "$destination"
  cat <<YAML
  reputation: {url-list: $E2E_TMP/reputation/url.txt, block-threshold: 80, notify-threshold: 50}
  quarantine:
    hosts: ["10.10.1.66"]
    action: redirect
    redirect-url: http://remediation.example/quarantined
YAML
}
filters_start "$(filters_yaml yes)"

# get FROM HOST ADDR PATH [CURL_ARGS...]: the HTTP status, or "blocked" when the session failed.
get() {
  local from=$1 host=$2 addr=$3 path=$4 code
  shift 4
  code=$(e2e_curl "$host" "$addr" --interface "$from" -o /dev/null -w '%{http_code}' "$@" \
    "https://$host$path" 2>/dev/null) || code=blocked
  printf '%s\n' "$code"
}
show() { vtpsctl show filters --json | jq -r ".counters.$1"; }

e2e_check "control: the signature drops /etc/passwd to web1.test"
e2e_expect_eq "10.10.1.10 -> web1.test/etc/passwd" \
  "$(get "$E2E_CLIENT_IP" web1.test "$E2E_SERVER_IP" /etc/passwd)" blocked
filter_log_wait block 1
e2e_expect_eq "block.log stage" "$(filter_log_field block '.sid == 2000001' stage)" signature

e2e_check "traffic management trust beats the signature drop (web-ec stays proxied)"
e2e_expect_eq "10.10.1.10 -> web2.test/etc/passwd on 10.10.2.3" \
  "$(get "$E2E_CLIENT_IP" web2.test "$E2E_SERVER2_IP" /etc/passwd)" 404
e2e_expect_eq "issuer (the proxy's certificate: still decrypted)" \
  "$(e2e_curl_issuer web2.test "$E2E_SERVER2_IP")" "O=vtps-e2e; CN=vtps-e2e Signing CA"
e2e_expect_eq "block.log entries for 10.10.2.3" \
  "$(jq -s "map(select(.server == \"$E2E_SERVER2_IP:443\")) | length" "$E2E_LOG_DIR/block.log")" 0
e2e_expect_eq "counter traffic_management_trusted" "$(show traffic_management_trusted)" 2

e2e_check "reputation URL block beats the signature pass"
e2e_expect_eq "web1.test/download/tool" \
  "$(get "$E2E_CLIENT_IP" web1.test "$E2E_SERVER_IP" /download/tool)" blocked
filter_log_wait block 2
sel='.stage == "reputation"'
e2e_expect_eq "block.log filter" "$(filter_log_field block "$sel" filter)" web1.test/download/
e2e_expect_eq "block.log score" "$(filter_log_field block "$sel" score)" 95
e2e_expect_eq "block.log SSL Inspect (URL reputation reports decrypted sessions)" \
  "$(filter_log_field block "$sel" ssl_inspect)" true
e2e_expect_eq "counter signature_passed" "$(show signature_passed)" 0

e2e_check "a reputation score between the thresholds permits and notifies"
e2e_expect_eq "web1.test/notify/x" \
  "$(get "$E2E_CLIENT_IP" web1.test "$E2E_SERVER_IP" /notify/x)" 404
filter_log_wait alert 1
e2e_expect_eq "alert.log score" "$(filter_log_field alert "$sel" score)" 60
e2e_expect_eq "alert.log action" "$(filter_log_field alert "$sel" action)" permit+notify
e2e_expect_eq "alert.log SSL Inspect" "$(filter_log_field alert "$sel" ssl_inspect)" true

e2e_check "a quarantined host's HTTPS is blocked, not redirected"
e2e_expect_eq "10.10.1.66 -> web1.test/hello" \
  "$(get 10.10.1.66 web1.test "$E2E_SERVER_IP" /hello)" blocked
filter_log_wait block 3
sel='.stage == "quarantine"'
e2e_expect_eq "block.log reason" "$(filter_log_field block "$sel" reason)" "quarantine 10.10.1.66"
e2e_expect_eq "block.log client" "$(filter_log_field block "$sel" client | cut -d: -f1)" 10.10.1.66
grep -q '^10.10.1.66 ' "$E2E_TMP/nginx/access.log" &&
  e2e_fail "nginx received the quarantined request"
e2e_ok "nginx never saw 10.10.1.66"

e2e_check "an inspection bypass rule beats the signature drop: the session is not decrypted"
e2e_expect_eq "10.10.1.77 -> web1.test/etc/passwd" \
  "$(get 10.10.1.77 web1.test "$E2E_SERVER_IP" /etc/passwd)" 404
e2e_expect_eq "issuer (the origin's own certificate)" \
  "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP" --interface 10.10.1.77)" \
  "O=vtps-e2e; CN=vtps-e2e Origin CA"
e2e_expect_eq "ssl.log reason" "$(ssl_log_field '.client_address == "10.10.1.77"' reason)" \
  "inspection bypass rule bypass-77"
e2e_expect_eq "ssl.log decision" "$(ssl_log_field '.client_address == "10.10.1.77"' decision)" \
  "Not decrypted"

e2e_check "a rate-limit filter slows the session down (2000 kbit/s, 2 MiB)"
t0=$(date +%s.%N)
e2e_curl web1.test "$E2E_SERVER_IP" --interface 10.10.1.88 -r 0-2097151 \
  -o "$E2E_TMP/slow.bin" https://web1.test/file10m
t1=$(date +%s.%N)
e2e_expect_eq "bytes received" "$(stat -c %s "$E2E_TMP/slow.bin")" 2097152
cmp -n 2097152 "$E2E_TMP/slow.bin" "$E2E_TMP/www/file10m" || e2e_fail "rate-limited bytes differ"
took=$(echo "$t1 - $t0" | bc)
(($(echo "$took >= 5" | bc))) || e2e_fail "2 MiB at 2000 kbit/s took ${took}s (expected >= 5 s)"
e2e_ok "2 MiB took ${took}s"
[ "$(show traffic_management_throttled)" -gt 0 ] || e2e_fail "no throttled pieces counted"
e2e_ok "counter traffic_management_throttled > 0"

e2e_check "config apply with a bad filter address is refused; the running filters stay"
filters_yaml yes 10.10.2.300 >"$E2E_TMP/bad-filters.yaml"
vtps_config_text >"$E2E_TMP/bad.yaml"
cat "$E2E_TMP/bad-filters.yaml" >>"$E2E_TMP/bad.yaml"
if vtpsctl config apply "$E2E_TMP/bad.yaml" 2>"$E2E_TMP/apply.err"; then
  e2e_fail "config apply accepted destination 10.10.2.300"
fi
want='bad.yaml:[0-9]+:[0-9]+: error: filters.traffic-management\[1\].destination: '
want+='bad address "10.10.2.300"'
if ! grep -E "$want" "$E2E_TMP/apply.err" >/dev/null; then
  cat "$E2E_TMP/apply.err" >&2
  e2e_fail "no FILE:LINE:COL diagnostic for the bad address"
fi
e2e_ok "refused with the field's FILE:LINE:COL"
e2e_expect_eq "still trusted" "$(get "$E2E_CLIENT_IP" web2.test "$E2E_SERVER2_IP" /etc/passwd)" 404

e2e_check "config apply without the trust filter: web2.test/etc/passwd is now dropped"
vtps_config_text >"$E2E_TMP/next.yaml"
filters_yaml no >>"$E2E_TMP/next.yaml"
vtpsctl config apply "$E2E_TMP/next.yaml" >/dev/null
e2e_expect_eq "10.10.1.10 -> web2.test/etc/passwd" \
  "$(get "$E2E_CLIENT_IP" web2.test "$E2E_SERVER2_IP" /etc/passwd)" blocked

vtps_stop
e2e_pass
