# shellcheck shell=bash
# SSL client inspection e2e (sourced by the client_*.sh cases after lib/topology.sh).
#
# The "internet" is vtps-srv:
#   nginx on 10.10.2.2:443 (HTTP/2 offered) answering, by SNI, with certificates of a test
#   public CA "vtps-e2e Public CA" (which the proxy's trust store holds):
#     good.test, excluded.test, www.wild.test, policy.test, pinned.test   valid
#     expired.test      expired a month ago
#     selfsigned.test   self-signed
#     wronghost.test    a valid certificate for other.test
#     rsa1024.test      valid, RSA 1024-bit key (below the proxy's min-key-length 2048)
#   `openssl s_server -Verify 1` on 10.10.2.3:8443 for mtls.test: requires a client certificate
#   of the public CA (client.crt/key, which the clients have).
# vtps: client proxy "out" (detection ports 443 and 8443, signing CA "vtps-e2e Signing CA"),
# trust store "internet" (the public CA only: hermetic), decryption policy "privacy"
# (policy.test), exclusions excluded.test and *.wild.test, policy "out-policy" in profile default.
# Clients (curl, openssl) trust the public CA and the signing CA ($E2E_TMP/pki/client-trust.pem).

E2E_SIGNING_CN="vtps-e2e Signing CA"
E2E_PUBLIC_CN="vtps-e2e Public CA"
# shellcheck disable=SC2034  # read by the cases
E2E_UNTRUSTED_CN="Untrusted Server CA"
E2E_HOSTS_GOOD=(good.test excluded.test www.wild.test policy.test pinned.test)

# client_leaf NAME CN DAYS_ARGS... : key + certificate NAME.{key,crt} signed by the public CA.
# DAYS_ARGS is "-days N" or "-startdate X -enddate Y" (openssl ca, for backdated certificates).
client_leaf() {
  local name=$1 cn=$2 keyspec=$3 d=$E2E_TMP/pki
  shift 3
  openssl genpkey -algorithm "${keyspec%%:*}" -pkeyopt "${keyspec#*:}" -out "$d/$name.key" \
    2>/dev/null
  openssl req -new -key "$d/$name.key" -subj "/O=vtps-e2e internet/CN=$cn" -out "$d/$name.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' \
    >"$d/$name.ext"
  printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:%s\n' "$cn" >>"$d/$name.ext"
  # The CA/Browser Forum domain-validated policy, which minted leaves do not carry: a client
  # that insists on it (pinned_client) accepts the origin and rejects the proxy.
  printf 'certificatePolicies=2.23.140.1.2.1\n' >>"$d/$name.ext"
  openssl ca -batch -notext -config "$d/ca.cnf" -cert "$d/public-ca.crt" -keyfile "$d/public-ca.key" \
    -in "$d/$name.csr" -out "$d/$name.crt" -extfile "$d/$name.ext" "$@" 2>/dev/null
}

client_pki() {
  local d=$E2E_TMP/pki
  mkdir -p "$d/newcerts"
  : >"$d/index.txt"
  printf '1000\n' >"$d/serial"
  cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = public
[ public ]
dir = $d
database = $d/index.txt
new_certs_dir = $d/newcerts
serial = $d/serial
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
organizationName = optional
EOF
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -sha256 \
    -keyout "$d/public-ca.key" -out "$d/public-ca.crt" -subj "/O=vtps-e2e/CN=$E2E_PUBLIC_CN" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
  local host
  for host in "${E2E_HOSTS_GOOD[@]}"; do
    client_leaf "$host" "$host" EC:ec_paramgen_curve:P-256 -days 2
  done
  client_leaf expired.test expired.test EC:ec_paramgen_curve:P-256 \
    -startdate 20200101000000Z -enddate 20200201000000Z
  client_leaf wronghost.test other.test EC:ec_paramgen_curve:P-256 -days 2
  client_leaf rsa1024.test rsa1024.test RSA:rsa_keygen_bits:1024 -days 2
  client_leaf mtls.test mtls.test EC:ec_paramgen_curve:P-256 -days 2
  client_leaf client client.e2e EC:ec_paramgen_curve:P-256 -days 2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$d/selfsigned.test.key" -out "$d/selfsigned.test.crt" -subj "/CN=selfsigned.test" \
    -addext subjectAltName=DNS:selfsigned.test 2>/dev/null
  e2e_log "internet PKI (openssl): $E2E_PUBLIC_CN; good, expired, self-signed, wrong-host," \
    "RSA-1024 and client-certificate hosts"
}

# The signing CA (vtpsctl cert new-signing) and the public CA in the keystore (vtpsctl ca import).
client_pki_vtps() {
  local d=$E2E_TMP/pki
  vtpsctl cert new-signing e2e-signing --cn "$E2E_SIGNING_CN" --o vtps-e2e --key ec:prime256v1 \
    >/dev/null
  vtpsctl cert export e2e-signing --out "$d/vtps-signing.crt" >/dev/null
  vtpsctl ca import public-ca --cert "$d/public-ca.crt" >/dev/null
  cat "$d/public-ca.crt" "$d/vtps-signing.crt" >"$d/client-trust.pem"
  e2e_log "vtps PKI (vtpsctl): signing CA e2e-signing; CA public-ca in the keystore"
}

client_server_block() {
  local host=$1 cert=${2:-$1}
  printf '  server {\n    listen %s:443 ssl http2;\n    server_name %s;\n' "$E2E_SERVER_IP" "$host"
  printf '    ssl_certificate %s/pki/%s.crt;\n' "$E2E_TMP" "$cert"
  printf '    ssl_certificate_key %s/pki/%s.key;\n' "$E2E_TMP" "$cert"
  printf '    ssl_protocols TLSv1.2 TLSv1.3;\n    root %s/www;\n  }\n' "$E2E_TMP"
}

client_origin_start() {
  origin_write_content
  printf '<!DOCTYPE html><html><head><title>vtps e2e</title></head><body><p id="greeting">%s</p></body></html>\n' \
    "hello through vtps" >"$E2E_TMP/www/page.html"
  local d=$E2E_TMP/nginx host
  mkdir -p "$d"
  # The RSA-1024 host must load at all: OpenSSL's default security level refuses its key.
  printf 'openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\n' >"$d/openssl.cnf"
  printf 'CipherString = DEFAULT@SECLEVEL=0\n' >>"$d/openssl.cnf"
  {
    printf 'worker_processes 1;\ndaemon off;\nuser root;\n'
    printf 'pid %s/nginx.pid;\nerror_log %s/error.log info;\n' "$d" "$d"
    printf 'events { worker_connections 1024; }\nhttp {\n'
    printf '  types { text/html html; }\n  default_type application/octet-stream;\n'
    # shellcheck disable=SC2016
    printf '  log_format e2e '\''$remote_addr $ssl_server_name "$request" $status $server_protocol'\'';\n'
    printf '  access_log %s/access.log e2e;\n' "$d"
    printf '  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n' "$d" "$d"
    printf '  fastcgi_temp_path %s/fastcgi;\n  uwsgi_temp_path %s/uwsgi;\n' "$d" "$d"
    printf '  scgi_temp_path %s/scgi;\n' "$d"
    for host in "${E2E_HOSTS_GOOD[@]}" expired.test selfsigned.test wronghost.test rsa1024.test; do
      client_server_block "$host"
    done
    printf '}\n'
  } >"$d/nginx.conf"
  OPENSSL_CONF=$d/openssl.cnf in_srv nginx -t -q -c "$d/nginx.conf" ||
    e2e_fail "nginx config rejected"
  e2e_spawn E2E_NGINX_PID "$E2E_NS_SRV" "$d/stderr.log" \
    env OPENSSL_CONF="$d/openssl.cnf" nginx -c "$d/nginx.conf"
  local p=$E2E_TMP/pki
  e2e_spawn E2E_MTLS_PID "$E2E_NS_SRV" "$E2E_TMP/s_server.log" \
    openssl s_server -accept "$E2E_SERVER2_IP:8443" -cert "$p/mtls.test.crt" \
    -key "$p/mtls.test.key" -Verify 1 -CAfile "$p/public-ca.crt" -www -quiet
  e2e_wait_for "nginx on $E2E_SERVER_IP:443" 10 origin_port_open "$E2E_SERVER_IP" 443
  e2e_wait_for "s_server on $E2E_SERVER2_IP:8443" 10 origin_port_open "$E2E_SERVER2_IP" 8443
  e2e_log "internet: nginx (pid $E2E_NGINX_PID) on $E2E_SERVER_IP:443," \
    "openssl s_server -Verify 1 (pid $E2E_MTLS_PID) on $E2E_SERVER2_IP:8443"
}

# client_config_text [block=true|false] [downgrade=true|false] [never=CIDR] [always=CIDR]
#                    [automatic=true|false] [threshold=N] [reset=true|false]
client_config_text() {
  vtps_paths
  local block=true downgrade=true never="" always="" automatic=true threshold=3 reset=false kv
  for kv in "$@"; do
    case "$kv" in
      block=*) block=${kv#block=} ;;
      downgrade=*) downgrade=${kv#downgrade=} ;;
      never=*) never=${kv#never=} ;;
      always=*) always=${kv#always=} ;;
      automatic=*) automatic=${kv#automatic=} ;;
      threshold=*) threshold=${kv#threshold=} ;;
      reset=*) reset=${kv#reset=} ;;
      *) e2e_fail "client_config_text: unknown setting $kv" ;;
    esac
  done
  vtps_segments_yaml
  cat <<EOF
device:
$(vtps_dataplane_yaml)
  ssl-inspection: {server: true, client: true}
  keystore: $E2E_KEYSTORE
  control-socket: $E2E_SOCKET
  log-dir: $E2E_LOG_DIR
ssl:
  client-proxies:
    - name: out
      signing-certificate: e2e-signing
      detection-ports: ["443", "8443"]
      decrypted-service: http
      min-key-length: 2048
      logging: true
      tcp-reset: $reset
      block-invalid-certificates: $block
      block-expired-certificates: $block
      http2-to-http1-downgrade: $downgrade
  trust-stores:
    - {name: internet, include-default-ca: false, ca-certificates: [public-ca]}
  decryption-policies:
    - {name: privacy, domains: [policy.test]}
  domain-exclusions:
    automatic: $automatic
    domains: [excluded.test, "*.wild.test"]
    auto-failure-threshold: $threshold
    auto-failure-window: 300
profiles:
  - name: default
    ssl-client-policies:
      - {name: out-policy, enabled: true, client-proxy: out, decryption-policy: privacy,
         trust-store: internet, never-decrypt: [$never], always-decrypt: [$always]}
EOF
}

# client_setup [SETTINGS...]: topology, PKIs, origins, config, vtpsd.
client_setup() {
  topo_up
  client_pki
  E2E_CONFIG=$E2E_TMP/vtps.yaml
  client_config_text "$@" >"$E2E_CONFIG"
  client_pki_vtps
  client_origin_start
  vtps_start "$E2E_CONFIG"
}

# ccurl HOST [CURL_ARGS...]: curl from vtps-cli with HOST resolved to the origin (mtls.test: the
# s_server), trusting the public CA and the signing CA.
ccurl() {
  local host=$1 addr=$E2E_SERVER_IP port=443
  shift
  [ "$host" = mtls.test ] && { addr=$E2E_SERVER2_IP; port=8443; }
  in_cli curl -sS --max-time 30 --resolve "$host:$port:$addr" \
    --cacert "$E2E_TMP/pki/client-trust.pem" "$@"
}

# ccurl_issuer HOST [CURL_ARGS...]: the CN of the issuer of the certificate curl was shown.
ccurl_issuer() {
  local host=$1 url="https://$1/hello"
  shift
  [ "$host" = mtls.test ] && url="https://mtls.test:8443/"
  ccurl "$host" -v -o /dev/null "$@" "$url" 2>&1 | sed -n 's/^\*  issuer: .*CN=//p' | head -n 1
}

# pinned_client HOST: an openssl client that behaves like an application with a pinned
# certificate: it trusts the CAs but also requires the origin's certificate policy, which a
# minted leaf lacks, so it rejects the proxy's certificate with alert certificate_unknown (46),
# OpenSSL's alert for a failed policy check. Succeeds (exit 0) when the handshake verified.
pinned_client() {
  in_cli openssl s_client -connect "$E2E_SERVER_IP:443" -servername "$1" \
    -CAfile "$E2E_TMP/pki/client-trust.pem" -verify_return_error -policy_check \
    -explicit_policy -policy 2.23.140.1.2.1 </dev/null >"$E2E_TMP/pinned.out" 2>&1
}

failed_log_count() { jq -s 'length' "$E2E_LOG_DIR/failed.log"; }
failed_log_json() { jq -s . "$E2E_LOG_DIR/failed.log"; }
failed_log_wait() {
  local want=$1 i
  for ((i = 0; i < 100; i++)); do
    [ "$(failed_log_count)" -ge "$want" ] && return 0
    sleep 0.1
  done
  e2e_fail "failed.log has $(failed_log_count) entries, expected at least $want"
}
