#!/usr/bin/env bash
# Issues 7 and 9 e2e: `vtpsctl debug trace` follows real sessions into trace.log at the chosen
# level and flags and stops when turned off; `vtpsctl show crypto` reports the seed source and the
# AES-GCM provider, and where vtpsd chose intel-ipsec-mb its counters prove it carried the
# proxied TLS traffic.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"

topo_up
pki_origin
E2E_CONFIG=$E2E_TMP/vtps.yaml
vtps_config_write "$E2E_CONFIG"
pki_vtps
origin_start
vtps_start "$E2E_CONFIG"
TRACE=$E2E_LOG_DIR/trace.log
trace_lines() { jq -s 'length' "$TRACE" 2>/dev/null || echo 0; }

e2e_check "debug trace refuses bad settings with the documented messages"
expect_refusal() {
  local want=$1 got
  shift
  got=$(vtpsctl debug trace set "$@" 2>&1 >/dev/null) && e2e_fail "accepted: $*"
  e2e_expect_eq "debug trace set $*" "$got" "vtpsctl: $want"
}
expect_refusal 'trace: unknown level "loud"; expected one of: brief, detail, extensive, verbose' \
  --level loud --flag proxy
expect_refusal 'trace: unknown flag "packets"; expected one of: configuration, termination, initiation, proxy' \
  --flag packets
expect_refusal 'trace: profile "nosuch" is not in the running config' --flag proxy --profile nosuch
e2e_expect_eq "trace is off by default" "$(vtpsctl debug trace show | cut -d';' -f1)" \
  "trace: level off, flags none"

e2e_check "detail tracing of initiation, proxy and termination follows one session"
vtpsctl debug trace set --level detail --flag initiation,proxy,termination >/dev/null
e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null https://web1.test/hello
ssl_log_wait 1
traced() { jq -se 'map(.message) | any(startswith("closed"))' "$TRACE" >/dev/null; }
e2e_wait_for "the close in trace.log" 10 traced
jq -c . "$TRACE" | while read -r l; do e2e_log "trace: $l"; done
has() { jq -se "$1" "$TRACE" >/dev/null || e2e_fail "trace.log has no line where $1"; }
has 'any(.[]; .flag == "proxy" and .level == "brief" and (.message | startswith("decision Decrypted (proxy \"web-rsa\", policy \"web-rsa-in\"")))'
has 'any(.[]; .flag == "initiation" and (.message | startswith("ClientHello: sni \"web1.test\"")))'
has 'any(.[]; .flag == "proxy" and .level == "detail" and .message == "upstream connected to '"$E2E_SERVER_IP"':443")'
has 'any(.[]; .flag == "termination" and (.message | test("^closed: [0-9]+ bytes client->server")))'
has 'any(.[]; .flag == "initiation" and .message == "accepted")'
has 'all(.[]; .session | startswith("'"$E2E_CLIENT_IP"':"))'
has 'all(.[]; .level == "brief" or .level == "detail")'
e2e_ok "accept, ClientHello, decision, upstream connect and close traced; nothing above detail"

e2e_check "verbose adds relay steps; a profile narrows to sessions from their decision on"
vtpsctl debug trace set --level verbose --flag initiation,proxy --profile default >/dev/null
first=$(trace_lines)
e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null https://web1.test/hello
ssl_log_wait 2
relay() { jq -se '.['"$first"':] | any(.[]; .level == "verbose" and (.message | startswith("TLS relay: +")))' "$TRACE" >/dev/null; }
e2e_wait_for "a verbose relay line" 10 relay
jq -se '.['"$first"':] | all(.[]; .flag == "proxy" and .profile == "default")' "$TRACE" >/dev/null ||
  e2e_fail "lines before the decision (accept, ClientHello) were traced despite --profile"
e2e_ok "verbose relay lines, only from the decision on"
vtpsctl debug trace off >/dev/null
sleep 0.5
before=$(trace_lines)
e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null https://web1.test/hello
ssl_log_wait 3
sleep 0.5
e2e_expect_eq "no trace lines after trace off" "$(trace_lines)" "$before"
system_log_has '"event":"trace"' || e2e_fail "system.log does not record the trace changes"

e2e_check "show crypto: seed source and AES-GCM provider"
vtpsctl show crypto
crypto=$(vtpsctl show crypto --json)
e2e_expect_eq "seed source" "$(jq -r .seed.source <<<"$crypto")" cpu
[ "$(jq .seed.requests <<<"$crypto")" -ge 1 ] || e2e_fail "the seed source served no request"
want=openssl
[ "$(jq -r '.aead.ipsecmb_vaes // false' <<<"$crypto")" = true ] && want=ipsec-mb
e2e_expect_eq "AES-GCM provider chosen by auto" "$(jq -r .aead.in_use <<<"$crypto")" "$want"
if [ "$want" = ipsec-mb ]; then
  # Contexts fold their counts in when freed: the sessions above are closed.
  sealed=$(jq .aead.bytes_sealed <<<"$crypto")
  opened=$(jq .aead.bytes_opened <<<"$crypto")
  [ "$sealed" -gt 0 ] && [ "$opened" -gt 0 ] ||
    e2e_fail "the provider carried no proxied TLS bytes (sealed $sealed, opened $opened)"
  e2e_ok "intel-ipsec-mb sealed $sealed and opened $opened bytes of the proxied sessions"
fi
system_log_has '"event":"crypto"' || e2e_fail "system.log has no crypto line"

vtps_stop
e2e_pass
