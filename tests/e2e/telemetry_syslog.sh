#!/usr/bin/env bash
# Issue 7 e2e: vtpsd sends its JSON logs as RFC 5424 syslog to Debian's rsyslog, over TLS (rsyslog's
# ossl stream driver, the collector's certificate verified against a keystore CA and its name) and
# over plain TCP. Collectors vtpsd must refuse: one whose certificate carries another name, and
# one that speaks only TLS 1.1 (vtpsd's minimum is TLS 1.2). All collectors run on the appliance's
# loopback.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"

RSYSLOGD=${RSYSLOGD:-/usr/sbin/rsyslogd}
[ -x "$RSYSLOGD" ] ||
  { echo "telemetry_syslog: $RSYSLOGD not found (ci/setup installs rsyslog and rsyslog-openssl)" >&2; exit 1; }
REQUESTS=3

topo_up
pki_origin
free_port() { in_app python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ports=()
while [ "${#ports[@]}" -lt 4 ]; do
  p=$(free_port)
  [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
done
TLS_PORT=${ports[0]} TCP_PORT=${ports[1]} TLS11_PORT=${ports[2]} WRONG_NAME_PORT=${ports[0]}

e2e_log "collector PKI: a syslog CA and a certificate for syslog.test"
d=$E2E_TMP/syslog
mkdir -p "$d/work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/ca.key" \
  -out "$d/ca.crt" -days 2 -subj "/CN=vtps-e2e Syslog CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/collector.key" \
  -out "$d/collector.csr" -subj "/CN=syslog.test" 2>/dev/null
printf 'subjectAltName=DNS:syslog.test\nextendedKeyUsage=serverAuth\n' >"$d/collector.ext"
openssl x509 -req -in "$d/collector.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
  -days 2 -extfile "$d/collector.ext" -out "$d/collector.crt" 2>/dev/null

cat >"$d/rsyslog.conf" <<EOF
global(workDirectory="$d/work"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="$d/ca.crt"
       DefaultNetstreamDriverCertFile="$d/collector.crt"
       DefaultNetstreamDriverKeyFile="$d/collector.key")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="$TLS_PORT" address="127.0.0.1" ruleset="tls")
module(load="imptcp")
input(type="imptcp" port="$TCP_PORT" address="127.0.0.1" ruleset="tcp")
template(name="full" type="string" string="%rawmsg%\n")
ruleset(name="tls") { action(type="omfile" file="$d/tls.log" template="full") }
ruleset(name="tcp") { action(type="omfile" file="$d/tcp.log" template="full") }
EOF
e2e_spawn RSYSLOG_PID "$E2E_NS_APP" "$d/rsyslogd.out" "$RSYSLOGD" -n -f "$d/rsyslog.conf" \
  -i "$d/rsyslogd.pid"
port_open() { in_app bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
rsyslog_open() { port_open "$TLS_PORT" && port_open "$TCP_PORT"; }
e2e_wait_for "rsyslog listening on TLS :$TLS_PORT and TCP :$TCP_PORT" 20 rsyslog_open
e2e_spawn TLS11_PID "$E2E_NS_APP" "$d/s_server.out" openssl s_server -quiet -tls1_1 \
  -cipher 'DEFAULT:@SECLEVEL=0' -accept "127.0.0.1:$TLS11_PORT" -cert "$d/collector.crt" \
  -key "$d/collector.key"
e2e_wait_for "a TLS 1.1-only collector on :$TLS11_PORT" 20 port_open "$TLS11_PORT"

E2E_CONFIG=$E2E_TMP/vtps.yaml
vtps_config_write "$E2E_CONFIG"
cat >"$d/syslog.yaml" <<EOF
  syslog:
    - {address: "127.0.0.1:$TLS_PORT", transport: tls, ca-certificate: syslog-ca,
       server-name: syslog.test, facility: local3, logs: [ssl, system]}
    - {address: "127.0.0.1:$TCP_PORT", transport: tcp, logs: [system]}
    - {address: "127.0.0.1:$WRONG_NAME_PORT", ca-certificate: syslog-ca, server-name: other.test}
    - {address: "127.0.0.1:$TLS11_PORT", ca-certificate: syslog-ca, server-name: syslog.test}
EOF
sed -i "/^  log-dir: /r $d/syslog.yaml" "$E2E_CONFIG"
pki_vtps
vtpsctl ca import syslog-ca --cert "$d/ca.crt" >/dev/null
vtpsctl config validate "$E2E_CONFIG" >/dev/null || e2e_fail "config with device.syslog does not validate"
origin_start
vtps_start "$E2E_CONFIG"

for ((i = 0; i < REQUESTS; i++)); do
  e2e_curl web1.test "$E2E_SERVER_IP" -o /dev/null https://web1.test/hello
done
ssl_log_wait "$REQUESTS"

received() { [ "$(grep -c "$2" "$d/$1.log" 2>/dev/null)" -ge "$3" ]; }
e2e_check "rsyslog received the SSL log over TLS, as RFC 5424 with the JSON line as MSG"
e2e_wait_for "$REQUESTS ssl messages in tls.log" 20 received tls ' vtpsd [0-9]* ssl - {' "$REQUESTS"
line=$(grep -m1 ' vtpsd [0-9]* ssl - {' "$d/tls.log")
# local3 (19) * 8 + info (6) = 158
[[ $line == "<158>1 "* ]] || e2e_fail "unexpected PRI/version in: $line"
json=${line#* ssl - }
e2e_expect_eq "the MSG is the SSL log's JSON (sni)" "$(jq -r .sni <<<"$json")" web1.test
e2e_wait_for "the system log's start line in tls.log" 20 received tls ' system - {.*"event":"start"' 1
e2e_check "the plain TCP collector takes only the system log"
e2e_wait_for "system messages in tcp.log" 20 received tcp ' vtpsd [0-9]* system - {' 1
! grep -q ' ssl - {' "$d/tcp.log" || e2e_fail "the tcp collector received SSL log messages"
e2e_ok "no SSL log messages on the tcp collector"

e2e_check "collectors vtpsd must refuse are refused and counted"
status=$(vtpsctl status --json)
collector() { jq -c --arg c "127.0.0.1:$1" '[.syslog[] | select(.collector == $c)] | .['"$2"']' <<<"$status"; }
wrong=$(collector "$WRONG_NAME_PORT" 1)
old=$(collector "$TLS11_PORT" 0)
e2e_log "wrong name: $wrong"
e2e_log "TLS 1.1: $old"
[ "$(jq .sent <<<"$wrong")" = 0 ] && [ "$(jq .connect_failures <<<"$wrong")" -ge 1 ] ||
  e2e_fail "the collector with the wrong name was not refused: $wrong"
jq -r .last_error <<<"$wrong" | grep -q 'hostname mismatch' ||
  e2e_fail "the refusal does not say hostname mismatch: $wrong"
[ "$(jq .sent <<<"$old")" = 0 ] && [ "$(jq .connect_failures <<<"$old")" -ge 1 ] ||
  e2e_fail "the TLS 1.1 collector was not refused: $old"
jq -r .last_error <<<"$old" | grep -Eq 'protocol version|unsupported protocol|no protocols available' ||
  e2e_fail "the TLS 1.1 refusal does not name the protocol version: $old"
e2e_ok "wrong certificate name and TLS 1.1 refused"
good=$(collector "$TLS_PORT" 0)
[ "$(jq .connected <<<"$good")" = true ] && [ "$(jq .sent <<<"$good")" -ge "$REQUESTS" ] ||
  e2e_fail "the TLS collector's stats do not show the messages: $good"
e2e_ok "status: $good"

vtps_stop
e2e_stop "$TLS11_PID" 5 || true
e2e_stop "$RSYSLOG_PID" 10 || true
e2e_pass
