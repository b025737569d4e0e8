#!/usr/bin/env bash
# Issue 4 benchmark: SSL client inspection, vtpsd on one proxy core against SSLsplit, Squid
# ssl-bump (squid-openssl) and mitmproxy (mitmdump), in one run, with the same signing CA (an
# ECDSA P-256 and an RSA-2048 variant, made by vtpsctl and exported with its key for the
# others), the same origin (nginx in vtps-srv, one certificate of its own per hostname, signed by
# an "internet" CA every proxy trusts) and the same client (tls_load, TLS 1.3, in vtps-cli):
#   (a) new connections per CPU-second of the proxy, warm mint cache (one hostname);
#   (b) the same with a new hostname on every connection (cold cache: hN.bench.test);
#   (c) MiB relayed per CPU-second of the proxy (1 MiB bodies, keep-alive);
#   (d) resident memory per idle connection at 10,000 connections.
# (a) and (b) run with both CA variants, (c) and (d) with the ECDSA one (the CA's key type does
# not enter the relay or the idle state).
# Every proxy is transparent: the client connects to the origin 10.10.2.2:443. vtpsd intercepts
# with TPROXY (its own rules); the anchors listen on 8443 behind an nftables REDIRECT of port 443
# in vtps-app and find the original destination with SO_ORIGINAL_DST (sslsplit's netfilter NAT
# engine, Squid's https_port intercept, mitmproxy --mode transparent).
# Upstream verification: vtpsd, Squid and mitmproxy verify the origin against the internet CA;
# SSLsplit 0.5.5 does not verify upstream certificates at all.
#
#   sudo tests/bench/run_client_bench.sh [--conns N] [--cold N] [--bulk N] [--idle N]
#                                        [--mitm-idle N] [--only LIST]
# --only takes a comma-separated subset of vtps,sslsplit,squid,mitmproxy. Needs root and the
# anchors (ci/setup --bench). BUILD_DIR as in run_server_bench.sh. Prints the tables.
set -euo pipefail

conns=3000
cold=2000
bulk=1000
idle=10000
mitm_idle=10000
only=vtps,sslsplit,squid,mitmproxy
while [ $# -gt 0 ]; do
  case "$1" in
    --conns) conns=$2; shift 2 ;;
    --cold) cold=$2; shift 2 ;;
    --bulk) bulk=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --mitm-idle) mitm_idle=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: $0 [--conns N] [--cold N] [--bulk N] [--idle N] [--mitm-idle N] [--only LIST]" >&2
       exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
export E2E_BUILD_DIR=${BUILD_DIR:-$here/../../build-bench}
E2E_NAME=client_bench
# shellcheck source=tests/e2e/lib/topology.sh
source "$here/../e2e/lib/topology.sh"
# shellcheck source=tests/bench/lib/proxy_bench.sh
source "$here/lib/proxy_bench.sh"

for tool in sslsplit squid mitmdump python3; do
  command -v "$tool" >/dev/null || { echo "$0: $tool missing (run ci/setup --bench)" >&2; exit 1; }
done
bench_build
topo_up
bench_raise_limits
idle=$(bench_idle_count "$idle")
mitm_idle=$(bench_idle_count "$mitm_idle")
BENCH_RESULTS=$E2E_TMP/results
: >"$BENCH_RESULTS"
pki=$E2E_TMP/pki
target=$E2E_SERVER_IP:443
anchor_port=8443
warm_host=warm.bench.test

# ---- the internet: a CA, one certificate per hostname (a shared ECDSA key), nginx ----
pki_origin  # origin-ca.{crt,key}: the internet CA here
mkdir -p "$pki/names"
{
  printf '%s\n' "$warm_host"
  for ((i = 1; i <= cold; i++)); do printf 'h%d.bench.test\n' "$i"; done
} >"$E2E_TMP/names"
python3 - "$pki" "$E2E_TMP/names" <<'EOF'
# One certificate per name, signed by the internet CA; python-cryptography does a thousand in a
# second where an openssl process per name would take a minute.
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
pki, names = sys.argv[1], open(sys.argv[2]).read().split()
ca_key = serialization.load_pem_private_key(open(f"{pki}/origin-ca.key", "rb").read(), None)
ca = x509.load_pem_x509_certificate(open(f"{pki}/origin-ca.crt", "rb").read())
key = ec.generate_private_key(ec.SECP256R1())
open(f"{pki}/names/leaf.key", "wb").write(key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
now = datetime.datetime.now(datetime.timezone.utc)
for n in names:
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bench internet"),
                                     x509.NameAttribute(NameOID.COMMON_NAME, n)]))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    open(f"{pki}/names/{n}.crt", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
EOF
awk -v ip="$E2E_SERVER_IP" '{ print ip, $1 }' "$E2E_TMP/names" >"$E2E_TMP/hosts"
e2e_log "internet PKI: $(wc -l <"$E2E_TMP/names") hostnames, one certificate each"
# nginx picks the certificate file by SNI at each handshake.
bench_origin_start "$(
  printf '  server {\n    listen %s:443 ssl default_server;\n' "$E2E_SERVER_IP"
  printf '    root %s/www;\n' "$E2E_TMP"
  # shellcheck disable=SC2016
  printf '    ssl_certificate %s/names/$ssl_server_name.crt;\n' "$pki"
  printf '    ssl_certificate_key %s/names/leaf.key;\n  }' "$pki"
)"

# ---- the signing CAs: made by vtpsctl, exported with their keys for the anchors ----
E2E_CONFIG=$E2E_TMP/vtps.yaml
vtps_paths
vtps_client_config() {
  cat <<EOF
device:
  dataplane: kernel
  cores: {proxy: [0]}
  ssl-inspection: {server: false, client: true, max-concurrent-connections: 50000}
  keystore: $E2E_KEYSTORE
  control-socket: $E2E_SOCKET
  log-dir: $E2E_LOG_DIR
ssl:
  client-proxies:
    - name: out
      signing-certificate: bench-$1
      detection-ports: ["443"]
      decrypted-service: http
      logging: false
      block-invalid-certificates: true
      block-expired-certificates: true
  trust-stores:
    - {name: internet, include-default-ca: false, ca-certificates: [internet-ca]}
  domain-exclusions: {automatic: false}
profiles:
  - name: default
    ssl-client-policies:
      - {name: out-policy, enabled: true, client-proxy: out, trust-store: internet}
EOF
}
vtps_client_config ec >"$E2E_CONFIG"
printf 'bench-export-password\n' >"$pki/export.pw"
for v in ec rsa; do
  spec=ec:prime256v1
  [ "$v" = rsa ] && spec=rsa:2048
  vtpsctl cert new-signing "bench-$v" --cn "vtps-bench Signing CA ($v)" --o vtps-bench \
    --key "$spec" --exportable >/dev/null
  vtpsctl cert export "bench-$v" --out "$pki/ca-$v.enc.pem" --with-key \
    --password-file "$pki/export.pw" >/dev/null
  openssl x509 -in "$pki/ca-$v.enc.pem" -out "$pki/ca-$v.crt"
  openssl pkey -in "$pki/ca-$v.enc.pem" -passin "file:$pki/export.pw" -out "$pki/ca-$v.key"
  # SSLsplit's leaf key (-K): the CA's key type, as Squid and mitmproxy, whose minted leaves
  # carry the CA's own key pair.
  if [ "$v" = ec ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/leaf-$v.key"
  else
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/leaf-$v.key" 2>/dev/null
  fi
done
vtpsctl ca import internet-ca --cert "$pki/origin-ca.crt" >/dev/null
# Squid drops to user proxy: it must read the CA and write its certificate database.
chmod a+r "$pki"/ca-*.key "$pki"/ca-*.crt "$pki/origin-ca.crt"
e2e_log "signing CAs bench-ec (P-256) and bench-rsa (RSA 2048) exported for the anchors"

# ---- the anchors: start functions set proxy_pid ----
redirect_on() {
  in_app nft -f - <<EOF
table ip bench_redirect {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "va0" tcp dport 443 redirect to :$anchor_port
  }
}
EOF
}
redirect_off() { in_app nft delete table ip bench_redirect 2>/dev/null || true; }

start_vtps() {
  vtps_client_config "$1" >"$E2E_CONFIG"
  vtps_start "$E2E_CONFIG"
  proxy_pid=$E2E_VTPSD_PID
}
stop_vtps() { vtps_stop; }

start_sslsplit() {
  e2e_spawn proxy_pid "$E2E_NS_APP" "$E2E_TMP/sslsplit-$1.log" \
    sslsplit -k "$pki/ca-$1.key" -c "$pki/ca-$1.crt" -K "$pki/leaf-$1.key" \
    ssl 0.0.0.0 "$anchor_port"
  bench_wait_port "$E2E_NS_APP" 127.0.0.1 "$anchor_port"
}

start_squid() {
  local d=$E2E_TMP/squid-$1
  mkdir -p "$d"
  /usr/lib/squid/security_file_certgen -c -s "$d/ssldb" -M 64MB >/dev/null
  chown -R proxy:proxy "$d"
  cat >"$d/squid.conf" <<EOF
http_port 127.0.0.1:3128
https_port $anchor_port intercept ssl-bump tls-cert=$pki/ca-$1.crt tls-key=$pki/ca-$1.key generate-host-certificates=on dynamic_cert_mem_cache_size=64MB
sslcrtd_program /usr/lib/squid/security_file_certgen -s $d/ssldb -M 64MB
sslcrtd_children 8 startup=1 idle=1
acl step1 at_step SslBump1
ssl_bump peek step1
ssl_bump bump all
tls_outgoing_options cafile=$pki/origin-ca.crt
http_access allow all
cache deny all
cache_mem 8 MB
access_log none
cache_store_log none
cache_log $d/cache.log
pid_filename $d/squid.pid
coredump_dir $d
hosts_file $E2E_TMP/hosts
dns_nameservers 127.0.0.1
max_filedescriptors 65536
client_idle_pconn_timeout 15 minutes
read_timeout 15 minutes
shutdown_lifetime 1 second
cache_effective_user proxy
EOF
  in_app squid -k parse -f "$d/squid.conf" >"$d/parse.log" 2>&1 ||
    { cat "$d/parse.log" >&2; e2e_fail "squid config rejected"; }
  e2e_spawn proxy_pid "$E2E_NS_APP" "$d/stderr.log" squid -N -f "$d/squid.conf"
  bench_wait_port "$E2E_NS_APP" 127.0.0.1 "$anchor_port"
}

start_mitmproxy() {
  local d=$E2E_TMP/mitm-$1
  mkdir -p "$d"
  cat "$pki/ca-$1.key" "$pki/ca-$1.crt" >"$d/mitmproxy-ca.pem"
  e2e_spawn proxy_pid "$E2E_NS_APP" "$d/stderr.log" \
    mitmdump --mode transparent --listen-host 0.0.0.0 --listen-port "$anchor_port" \
    --set confdir="$d" --set ssl_verify_upstream_trusted_ca="$pki/origin-ca.crt" \
    --set flow_detail=0 --set termlog_verbosity=error --set connection_strategy=eager -q
  bench_wait_port "$E2E_NS_APP" 127.0.0.1 "$anchor_port"
}

stop_anchor() { e2e_stop "$proxy_pid" 10 || true; }

version_of() {
  case "$1" in
    vtps) printf 'vtpsd' ;;
    sslsplit) sslsplit -V 2>&1 | sed -n '1s/SSLsplit \([^ ]*\).*/SSLsplit \1/p' ;;
    squid) squid -v | sed -n '1s/Squid Cache: Version \(.*\)/Squid \1/p' ;;
    mitmproxy) mitmdump --version | sed -n 's/^Mitmproxy: \(.*\)/mitmproxy \1/p' ;;
  esac
}

run_proxy() {
  local p=$1 v=$2 n=$conns c=$cold b=$bulk i=$idle
  if [ "$p" = mitmproxy ]; then n=$((conns / 4)) c=$((cold / 4)) b=$((bulk / 3)) i=$mitm_idle; fi
  if [ "$p" = vtps ]; then redirect_off; else redirect_on; fi
  "start_$p" "$v"
  e2e_log "$(version_of "$p") (pid $proxy_pid), signing CA $v"
  bench_expect_issuer "$target" "$warm_host" "vtps-bench Signing CA ($v)"
  bench_run_load "$E2E_TMP/warm-$p-$v" "$target" --mode conn --count 100 --concurrency 10 \
    --sni "$warm_host"
  bench_settle "$p" "$proxy_pid"
  bench_conns "$p-$v-warm" "$proxy_pid" "$target" "$n" 20 --sni "$warm_host"
  bench_conns "$p-$v-cold" "$proxy_pid" "$target" "$c" 20 --sni-pattern 'h%d.bench.test' \
    --first 1
  if [ "$v" = ec ]; then
    bench_bulk "$p" "$proxy_pid" "$target" "$b" 4 --sni "$warm_host"
    bench_idle "$p" "$proxy_pid" "$target" "$i" --sni "$warm_host"
  fi
  if [ "$p" = vtps ]; then
    bench_report_resumption
    stop_vtps
  else
    stop_anchor
  fi
}

IFS=, read -r -a proxies <<<"$only"
for v in ec rsa; do
  for p in "${proxies[@]}"; do run_proxy "$p" "$v"; done
done
redirect_off

# ---- tables ----
{
  printf '\nSSL client inspection: vtpsd (1 proxy core) vs %s\n' \
    "$(for p in "${proxies[@]}"; do [ "$p" = vtps ] || printf '%s; ' "$(version_of "$p")"; done)"
  printf '%-34s' metric
  for p in "${proxies[@]}"; do printf ' %10s' "$p"; done
  for p in "${proxies[@]}"; do [ "$p" = vtps ] || printf ' %13s' "vtps/$p"; done
  printf '\n'
  row() {
    local label=$1 metric=$2 title=$3 p v
    printf '%-34s' "$title"
    for p in "${proxies[@]}"; do printf ' %10s' "$(bench_get "$p$label" "$metric")"; done
    v=$(bench_get "vtps$label" "$metric")
    for p in "${proxies[@]}"; do
      [ "$p" = vtps ] || printf ' %13s' "$(bench_ratio "$v" "$(bench_get "$p$label" "$metric")")"
    done
    printf '\n'
  }
  row -ec-warm conns_per_cpu_s "(a) conns/CPU-s warm, ECDSA CA"
  row -rsa-warm conns_per_cpu_s "(a) conns/CPU-s warm, RSA CA"
  row -ec-cold conns_per_cpu_s "(b) conns/CPU-s cold, ECDSA CA"
  row -rsa-cold conns_per_cpu_s "(b) conns/CPU-s cold, RSA CA"
  row "" mib_per_cpu_s "(c) MiB relayed/CPU-s"
  row "" kib_per_idle_conn "(d) KiB RSS/idle conn"
  printf 'goals: (a) >= 3x SSLsplit, >= 5x Squid; (b) >= 3x SSLsplit; (c) >= 3x SSLsplit;'
  printf ' (d) <= SSLsplit (ratio <= 1)\n\ndetails:\n'
  grep '_detail ' "$BENCH_RESULTS" | sed 's/^/  /'
  bench_machine_notes
} | tee "$E2E_TMP/table"
e2e_pass
