# shellcheck shell=bash
# The appliance under test (sourced by topology.sh): vtpsd in vtps-app with its keystore, logs
# and control socket in $E2E_TMP, and helpers to read its SSL log, system log and counters.
#
#   vtps_config_write FILE [KEY=VALUE...]   writes the test config (see vtps_config_text)
#   vtps_start FILE                         starts vtpsd, waits until `vtpsctl status` answers
#   vtps_stop                               SIGTERM; fails unless vtpsd exits 0
#   vtpsctl ARGS...                         the CLI against the running config
#   ssl_log_json                            the SSL log as one JSON array
#   counter GROUP NAME                      one counter's value

E2E_VTPSD_PID=""
E2E_CONFIG=""

vtps_paths() {
  E2E_KEYSTORE=$E2E_TMP/keystore
  E2E_LOG_DIR=$E2E_TMP/log
  E2E_SOCKET=$E2E_TMP/run/vtpsd.sock
}

# vtps_config_text [max=N] [over=bypass|block] [exceptions=CIDR,...] [downgrade=true|false]
#                  [protocols=TLSv1.2,TLSv1.3] [logging=true|false]
# Two server proxies: web-rsa (10.10.2.2:443, RSA certificates for web1.test, web2.test, default
# suites) and web-ec (10.10.2.3:443, ECDSA certificates and suites), each with its policy in
# profile "default". In inline mode (E2E_DATAPLANE=dpdk) the dpdk device keys and segment seg1
# (vtps_dataplane_yaml, vtps_segments_yaml); the rest is the same.
vtps_config_text() {
  vtps_paths
  local max=10000 over=bypass exceptions="" downgrade=true protocols="TLSv1.2, TLSv1.3"
  local logging=true kv
  for kv in "$@"; do
    case "$kv" in
      max=*) max=${kv#max=} ;;
      over=*) over=${kv#over=} ;;
      exceptions=*) exceptions=${kv#exceptions=} ;;
      downgrade=*) downgrade=${kv#downgrade=} ;;
      protocols=*) protocols=${kv#protocols=} ;;
      logging=*) logging=${kv#logging=} ;;
      *) e2e_fail "vtps_config_text: unknown setting $kv" ;;
    esac
  done
  exceptions=${exceptions//,/, }
  # A server proxy's default suites are the RSA ones (the documented default): the ECDSA proxy
  # names its suites.
  local ec_suites="TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
  ec_suites+=", TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
  if [[ $protocols == *TLSv1.3* ]]; then
    ec_suites="TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, $ec_suites"
  fi
  vtps_segments_yaml
  cat <<EOF
device:
$(vtps_dataplane_yaml)
  ssl-inspection: {server: true, client: false, max-concurrent-connections: $max,
                   over-threshold: $over}
  keystore: $E2E_KEYSTORE
  control-socket: $E2E_SOCKET
  log-dir: $E2E_LOG_DIR
ssl:
  server-proxies:
    - name: web-rsa
      destinations: [$E2E_SERVER_IP/32]
      detection-ports: ["443"]
      decrypted-service: http
      certificates: [web1-rsa, web2-rsa]
      protocols: [$protocols]
      logging: $logging
      tcp-reset: true
      http2-to-http1-downgrade: $downgrade
    - name: web-ec
      destinations: [$E2E_SERVER2_IP/32]
      detection-ports: ["443"]
      decrypted-service: http
      certificates: [web1-ec, web2-ec]
      protocols: [$protocols]
      cipher-suites: [$ec_suites]
      logging: $logging
      http2-to-http1-downgrade: $downgrade
profiles:
  - name: default
    ssl-server-policies:
      - {name: web-rsa-in, enabled: true, server-proxy: web-rsa, source-exceptions: [$exceptions]}
      - {name: web-ec-in, enabled: true, server-proxy: web-ec}
EOF
}

# vtps_dataplane_yaml: the device keys that pick the dataplane (E2E_DATAPLANE, lib/topology.sh).
vtps_dataplane_yaml() {
  if [ "$E2E_DATAPLANE" = dpdk ]; then
    printf '  dataplane: dpdk\n  mode: standard\n  cores: {proxy: [0], dataplane: [1]}\n'
  else
    printf '  dataplane: kernel\n  cores: {proxy: [0]}\n'
  fi
}

# vtps_segments_yaml: in inline mode the top-level segments section (the two veths of vtps-app
# as net_af_packet ports); nothing for the kernel dataplane. Config writers print it first.
vtps_segments_yaml() {
  [ "$E2E_DATAPLANE" = dpdk ] || return 0
  printf 'segments:\n  - name: seg1\n'
  printf '    ports: ["net_af_packet0,iface=va0", "net_af_packet1,iface=va1"]\n'
}

vtps_config_write() {
  local file=$1
  shift
  vtps_config_text "$@" >"$file"
}

vtpsctl() { "$VTPSCTL" --config "$E2E_CONFIG" "$@"; }

vtps_status_ok() { vtpsctl status >/dev/null 2>&1; }

# vtps_start CONFIG_FILE: vtpsd in the appliance namespace; returns once its control socket
# answers (vtpsd serves it only once the engine and its TPROXY rules are up).
vtps_start() {
  E2E_CONFIG=$1
  vtps_paths
  [ -x "$VTPSD" ] || e2e_fail "vtpsd not built: $VTPSD"
  e2e_spawn E2E_VTPSD_PID "$E2E_NS_APP" "$E2E_TMP/vtpsd.stderr" \
    "$VTPSD" --config "$E2E_CONFIG" --foreground --pid-file "$E2E_TMP/run/vtpsd.pid"
  local i
  for ((i = 0; i < 100; i++)); do
    vtps_status_ok && break
    if ! kill -0 "$E2E_VTPSD_PID" 2>/dev/null; then
      cat "$E2E_TMP/vtpsd.stderr" >&2
      e2e_fail "vtpsd exited during start"
    fi
    sleep 0.1
  done
  vtps_status_ok || e2e_fail "vtpsd did not answer on $E2E_SOCKET within 10 s"
  [ "$(cat "$E2E_TMP/run/vtpsd.pid" 2>/dev/null)" = "$E2E_VTPSD_PID" ] ||
    e2e_fail "pid file $E2E_TMP/run/vtpsd.pid does not hold vtpsd's PID $E2E_VTPSD_PID"
  e2e_log "vtpsd (pid $E2E_VTPSD_PID) running in $E2E_NS_APP, logs in $E2E_LOG_DIR"
}

vtps_stop() {
  [ -n "$E2E_VTPSD_PID" ] || return 0
  local rc=0
  e2e_stop "$E2E_VTPSD_PID" 15 || rc=$?
  E2E_VTPSD_PID=""
  [ "$rc" = 0 ] || e2e_fail "vtpsd exited with $rc after SIGTERM (expected 0)"
  [ ! -e "$E2E_SOCKET" ] || e2e_fail "vtpsd left its control socket $E2E_SOCKET behind"
  [ ! -e "$E2E_TMP/run/vtpsd.pid" ] || e2e_fail "vtpsd left its pid file behind"
  e2e_ok "vtpsd drained and exited 0 on SIGTERM (socket and pid file removed)"
}

# The SSL log as a JSON array (entries reach the file through the logging thread: wait a little
# for a count when asserting on it, see ssl_log_wait).
ssl_log_json() { jq -s . "$E2E_LOG_DIR/ssl.log"; }
ssl_log_count() { jq -s 'length' "$E2E_LOG_DIR/ssl.log"; }

# ssl_log_wait N: waits until the SSL log has at least N entries (sessions log when they close).
ssl_log_wait() {
  local want=$1 i
  for ((i = 0; i < 100; i++)); do
    [ "$(ssl_log_count)" -ge "$want" ] && return 0
    sleep 0.1
  done
  e2e_fail "SSL log has $(ssl_log_count) entries, expected at least $want"
}

# ssl_log_last [JQ_FILTER]: the last entry (optionally of the entries selected by JQ_FILTER).
ssl_log_last() { jq -s "map(select(${1:-true})) | last" "$E2E_LOG_DIR/ssl.log"; }

system_log_has() { grep -F -- "$1" "$E2E_LOG_DIR/system.log" >/dev/null 2>&1; }

# counter GROUP NAME: prints the value of one counter from `vtpsctl debug np stats show GROUP`.
counter() {
  local v
  v=$(vtpsctl debug np stats show "$1" | awk -v n="$2" '$1 == n":" { print $2 }')
  [ -n "$v" ] || e2e_fail "counter $1.$2 not shown by vtpsctl debug np stats show $1"
  printf '%s\n' "$v"
}

# e2e_curl HOST ADDR ARGS...: curl from the client namespace to https://HOST (resolved to ADDR),
# trusting both the origin CA and the vtps signing CA.
e2e_curl() {
  local host=$1 addr=$2
  shift 2
  in_cli curl -sS --max-time 60 --resolve "$host:443:$addr" --cacert "$E2E_TMP/pki/trust.pem" \
    "$@"
}

# e2e_curl_issuer HOST ADDR [CURL_ARGS...]: the issuer of the certificate curl verified for
# https://HOST/hello, as curl -v prints it ("O=vtps-e2e; CN=vtps-e2e Signing CA").
e2e_curl_issuer() {
  local host=$1 addr=$2
  shift 2
  e2e_curl "$host" "$addr" -v -o /dev/null "$@" "https://$host/hello" 2>&1 |
    sed -n 's/^\*  issuer: //p' | head -n 1
}

# ssl_log_field SELECT FIELD: FIELD of the last SSL log entry matching the jq condition SELECT.
ssl_log_field() { jq -rs "map(select($1)) | last | .$2" "$E2E_LOG_DIR/ssl.log"; }

# e2e_wait_sessions N: waits until vtpsd reports N live sessions.
e2e_wait_sessions() {
  local want=$1 i n=""
  for ((i = 0; i < 100; i++)); do
    n=$(vtpsctl status --json | jq -r .live_sessions)
    [ "$n" = "$want" ] && return 0
    sleep 0.1
  done
  e2e_fail "vtpsd reports $n live sessions, expected $want"
}
