# shellcheck shell=bash
# The protected servers (sourced by topology.sh): nginx in vtps-srv with the origin certificates
# from pki_origin, serving on 10.10.2.2 and 10.10.2.3, ports 443 (TLS, HTTP/2 offered) and 80.
#
#   /file10m   10 MiB of random bytes ($E2E_TMP/www/file10m; its SHA-256 in $E2E_FILE10M_SHA256)
#   /hello     "hello from ORIGIN\n"
# The access log ($E2E_TMP/nginx/access.log) records, per request:
#   $remote_addr $server_addr:$server_port $ssl_server_name "$request" $status $body_bytes_sent
#   $ssl_protocol $ssl_cipher $server_protocol

E2E_NGINX_PID=""

origin_write_content() {
  mkdir -p "$E2E_TMP/www"
  head -c $((10 * 1024 * 1024)) /dev/urandom >"$E2E_TMP/www/file10m"
  printf 'hello from ORIGIN\n' >"$E2E_TMP/www/hello"
  chmod -R a+rX "$E2E_TMP/www"
  # shellcheck disable=SC2034  # read by the cases
  E2E_FILE10M_SHA256=$(e2e_sha256 "$E2E_TMP/www/file10m")
}

# origin_server_block NAME: one TLS server block per hostname, RSA and ECDSA certificates both
# loaded (nginx picks by the client's signature algorithms).
origin_server_block() {
  local name=$1 addr
  printf '  server {\n'
  for addr in "$E2E_SERVER_IP" "$E2E_SERVER2_IP"; do
    printf '    listen %s:443 ssl http2;\n' "$addr"
  done
  printf '    server_name %s;\n' "$name"
  printf '    ssl_certificate %s/pki/origin-%s-rsa.crt;\n' "$E2E_TMP" "$name"
  printf '    ssl_certificate_key %s/pki/origin-%s-rsa.key;\n' "$E2E_TMP" "$name"
  printf '    ssl_certificate %s/pki/origin-%s-ec.crt;\n' "$E2E_TMP" "$name"
  printf '    ssl_certificate_key %s/pki/origin-%s-ec.key;\n' "$E2E_TMP" "$name"
  printf '    ssl_protocols TLSv1.2 TLSv1.3;\n'
  printf '    root %s/www;\n' "$E2E_TMP"
  printf '  }\n'
}

origin_write_config() {
  local d=$E2E_TMP/nginx
  mkdir -p "$d"
  {
    printf 'worker_processes 1;\ndaemon off;\nuser root;\n'
    printf 'pid %s/nginx.pid;\nerror_log %s/error.log info;\n' "$d" "$d"
    printf 'events { worker_connections 1024; }\n'
    printf 'http {\n'
    printf '  default_type application/octet-stream;\n'
    # shellcheck disable=SC2016
    printf '  log_format e2e '\''$remote_addr $server_addr:$server_port $ssl_server_name "$request" $status $body_bytes_sent $ssl_protocol $ssl_cipher $server_protocol'\'';\n'
    printf '  access_log %s/access.log e2e;\n' "$d"
    printf '  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n' "$d" "$d"
    printf '  fastcgi_temp_path %s/fastcgi;\n  uwsgi_temp_path %s/uwsgi;\n' "$d" "$d"
    printf '  scgi_temp_path %s/scgi;\n' "$d"
    printf '  keepalive_timeout 30;\n  sendfile on;\n'
    origin_server_block web1.test
    origin_server_block web2.test
    printf '  server {\n    listen %s:80;\n    listen %s:80;\n    root %s/www;\n  }\n' \
      "$E2E_SERVER_IP" "$E2E_SERVER2_IP" "$E2E_TMP"
    printf '}\n'
  } >"$d/nginx.conf"
}

origin_port_open() { in_srv bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# origin_start: content, config, nginx in vtps-srv; waits until it listens.
origin_start() {
  origin_write_content
  origin_write_config
  in_srv nginx -t -q -c "$E2E_TMP/nginx/nginx.conf" || e2e_fail "nginx config rejected"
  e2e_spawn E2E_NGINX_PID "$E2E_NS_SRV" "$E2E_TMP/nginx/stderr.log" \
    nginx -c "$E2E_TMP/nginx/nginx.conf"
  e2e_wait_for "nginx on $E2E_SERVER_IP:443" 10 origin_port_open "$E2E_SERVER_IP" 443
  e2e_wait_for "nginx on $E2E_SERVER2_IP:80" 10 origin_port_open "$E2E_SERVER2_IP" 80
  e2e_log "origin nginx (pid $E2E_NGINX_PID) serving web1.test, web2.test on" \
    "$E2E_SERVER_IP and $E2E_SERVER2_IP"
}

origin_access_log() { cat "$E2E_TMP/nginx/access.log" 2>/dev/null || true; }
