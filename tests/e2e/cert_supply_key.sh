#!/usr/bin/env bash
# Issues 2 and 6 e2e: device.ssl-inspection.persist-private-keys off. vtpsd restarts with its
# certificates but none of their keys: it starts anyway, says it waits for keys (vtpsctl status,
# system.log, /readyz 503) and does not inspect the proxies that need them — a client reaches the
# origin directly. Keys handed back with `vtpsctl cert supply-key` (and POST
# /api/v1/certificates/NAME/key) bring the proxies in as their keys arrive, each supply audited;
# wrong keys, wrong passwords and unknown names are refused by name with nothing changed.
set -euo pipefail
# shellcheck source=lib/topology.sh
source "$(dirname "$0")/lib/topology.sh"

topo_up
pki_origin
free_port() { in_app python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
METRICS_PORT=$(free_port)
E2E_CONFIG=$E2E_TMP/vtps.yaml
vtps_config_write "$E2E_CONFIG"
sed -i "s|^  log-dir: .*|&\n  metrics: {listen: \"127.0.0.1:$METRICS_PORT\"}|" "$E2E_CONFIG"
pki_vtps
origin_start

d=$E2E_TMP/pki
vtps_issuer="O=vtps-e2e; CN=vtps-e2e Signing CA"
origin_issuer="O=vtps-e2e; CN=vtps-e2e Origin CA"
e2e_check "the served certificates get keys the operator holds (openssl), while keys persist"
# The keys pki_vtps made never left the keystore; an operator who runs with persist-private-keys
# off keeps the keys outside (here: files made with openssl, web2-ec's encrypted).
for name in web1 web2; do
  for kind in rsa ec; do
    base=$d/op-$name-$kind
    if [ "$kind" = rsa ]; then
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$base.key" 2>/dev/null
    else
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$base.key"
    fi
    openssl req -new -key "$base.key" -subj "/O=vtps-e2e/CN=$name.test" -out "$base.csr"
    openssl x509 -req -in "$base.csr" -CA "$d/vtps-signing.crt" -CAkey "$d/vtps-signing.pem" \
      -passin "file:$d/export.pw" -CAcreateserial -days 2 -sha256 \
      -extfile "$d/vtps-$name-$kind.ext" -out "$base.crt" 2>/dev/null
    vtpsctl cert replace "$name-$kind" --cert "$base.crt" --key "$base.key" >/dev/null
  done
done
printf 'key-password\n' >"$d/key.pw"
openssl pkey -in "$d/op-web2-ec.key" -aes256 -passout "file:$d/key.pw" -out "$d/op-web2-ec.enc.key"
e2e_ok "web1-rsa, web2-rsa, web1-ec, web2-ec replaced with operator-held keys"

e2e_check "persist-private-keys off: vtpsd starts and waits for the four keys"
sed -i 's|^  ssl-inspection: {server: true,|  ssl-inspection: {server: true, persist-private-keys: false,|' "$E2E_CONFIG"
grep -q 'persist-private-keys: false' "$E2E_CONFIG" || e2e_fail "persist-private-keys not set in config"
vtps_start "$E2E_CONFIG"
waiting="waiting for keys: web1-ec, web1-rsa, web2-ec, web2-rsa (left out until then: server proxy web-ec, server proxy web-rsa)"
e2e_expect_eq "vtpsctl status state" "$(vtpsctl status --json | jq -r .state)" "$waiting"
vtpsctl status | grep -qF "state:" || e2e_fail "vtpsctl status does not print the state"
e2e_wait_for "the waiting-for-keys warning in system.log" 5 \
  jq -s -e 'any(.[]; .event == "waiting-for-keys" and .severity == "warning")' "$E2E_LOG_DIR/system.log"
grep -F '"waiting-for-keys"' "$E2E_LOG_DIR/system.log" | grep -qF "$waiting" ||
  e2e_fail "system.log does not name every missing key"
readyz() { in_app curl -sS --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$METRICS_PORT/readyz"; }
e2e_expect_eq "GET /readyz" "$(readyz)" "not ready: waiting for keys: web1-ec, web1-rsa, web2-ec, web2-rsa
 503"
vtpsctl cert list | grep -E '^web1-rsa .*Key Missing$' >/dev/null ||
  e2e_fail "vtpsctl cert list does not show web1-rsa as Key Missing"
e2e_ok "web1-rsa listed as Key Missing"

e2e_check "nothing is inspected: the client reaches the origin itself"
e2e_expect_eq "issuer via web-rsa" "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP")" "$origin_issuer"
e2e_expect_eq "issuer via web-ec" "$(e2e_curl_issuer web1.test "$E2E_SERVER2_IP")" "$origin_issuer"

e2e_check "wrong key, unknown name, wrong password: refused by name, nothing changed"
err=$(vtpsctl cert supply-key web1-rsa --key "$d/op-web2-rsa.key" 2>&1 >/dev/null) && e2e_fail "mismatch accepted"
e2e_expect_eq "mismatch" "$err" "vtpsctl: supply key for web1-rsa: the key does not match the certificate"
err=$(vtpsctl cert supply-key nosuch --key "$d/op-web1-rsa.key" 2>&1 >/dev/null) && e2e_fail "unknown name accepted"
e2e_expect_eq "unknown name" "$err" \
  "vtpsctl: supply key for nosuch: no certificate of that name in the keystore $E2E_KEYSTORE (vtpsctl cert list shows what is there)"
printf 'wrong\n' >"$d/wrong.pw"
err=$(vtpsctl cert supply-key web2-ec --key "$d/op-web2-ec.enc.key" --password-file "$d/wrong.pw" 2>&1 >/dev/null) &&
  e2e_fail "wrong password accepted"
case "$err" in "vtpsctl: supply key for web2-ec: "*"$d/op-web2-ec.enc.key"*) e2e_ok "wrong password: $err" ;;
  *) e2e_fail "wrong password: unexpected message: $err" ;; esac
e2e_expect_eq "still waiting for all four" "$(vtpsctl status --json | jq -r .state)" "$waiting"

e2e_check "the RSA keys bring web-rsa in; web-ec still waits"
vtpsctl cert supply-key web1-rsa --key "$d/op-web1-rsa.key" >/dev/null
out=$(vtpsctl cert supply-key web2-rsa --key "$d/op-web2-rsa.key")
e2e_expect_eq "supply-key output" "$out" \
  "supplied the key of web2-rsa to vtpsd; still waiting for keys: web1-ec, web2-ec"
e2e_expect_eq "state" "$(vtpsctl status --json | jq -r .state)" \
  "waiting for keys: web1-ec, web2-ec (left out until then: server proxy web-ec)"
e2e_expect_eq "issuer via web-rsa" "$(e2e_curl_issuer web1.test "$E2E_SERVER_IP")" "$vtps_issuer"
e2e_expect_eq "presented certificate" "$(pki_presented_fingerprint web1.test "$E2E_SERVER_IP")" \
  "$(pki_fingerprint "$d/op-web1-rsa.crt")"
e2e_expect_eq "issuer via web-ec" "$(e2e_curl_issuer web1.test "$E2E_SERVER2_IP")" "$origin_issuer"

e2e_check "the last keys (one through the REST API, one encrypted) apply the whole config"
echo "admin-password" | vtpsctl user add admin --role administrator
echo "viewer-password" | vtpsctl user add watcher --role viewer
vtpsctl token create admin >"$E2E_TMP/admin.token"
vtpsctl token create watcher >"$E2E_TMP/watcher.token"
URL=https://127.0.0.1:8443
rest() {
  local args=(-sS --cacert "$E2E_TMP/management-cert.pem" -H "Authorization: Bearer $(cat "$1")"
    -X "$2" -w '\n%{http_code}')
  [ $# -lt 4 ] || args+=(-H 'Content-Type: application/json' --data-binary "$4")
  in_app curl "${args[@]}" "$URL$3"
}
body=$(jq -n --rawfile k "$d/op-web1-ec.key" '{key: $k}')
out=$(rest "$E2E_TMP/watcher.token" POST /api/v1/certificates/web1-ec/key "$body")
e2e_expect_eq "viewer supply-key" "$(tail -n 1 <<<"$out")" 403
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificates/web1-ec/key "$body")
e2e_expect_eq "REST supply-key status" "$(tail -n 1 <<<"$out")" 200
e2e_expect_eq "REST still waiting" "$(head -n -1 <<<"$out" | jq -c .waiting_for_keys)" '["web2-ec"]'
out=$(vtpsctl cert supply-key web2-ec --key "$d/op-web2-ec.enc.key" --password-file "$d/key.pw")
e2e_expect_eq "last supply-key output" "$out" \
  "supplied the key of web2-ec to vtpsd; every key is there, the full configuration is applied"
e2e_expect_eq "state" "$(vtpsctl status --json | jq -r .state)" inspecting
e2e_expect_eq "GET /readyz" "$(readyz)" "ready
 200"
e2e_expect_eq "issuer via web-ec" "$(e2e_curl_issuer web1.test "$E2E_SERVER2_IP")" "$vtps_issuer"
e2e_curl web1.test "$E2E_SERVER2_IP" -o "$E2E_TMP/body" https://web1.test/file10m
e2e_expect_eq "SHA-256 through web-ec" "$(e2e_sha256 "$E2E_TMP/body")" "$E2E_FILE10M_SHA256"
e2e_wait_for "the keys-supplied log line" 5 grep -qF '"keys-supplied"' "$E2E_LOG_DIR/system.log"

e2e_check "every supply audited: actor, digests before and after"
supplied=$(jq -c 'select(.action == "cert-supply-key" and .result == "ok")' "$E2E_LOG_DIR/audit.log")
e2e_expect_eq "supplies audited" "$(wc -l <<<"$supplied")" 4
rest_line=$(jq -c 'select(.object == "web1-ec")' <<<"$supplied")
e2e_expect_eq "REST actor" "$(jq -r .actor <<<"$rest_line" | cut -d' ' -f1-4)" "user admin via REST"
[ "$(jq -r .sha256_before <<<"$rest_line")" != "$(jq -r .sha256_after <<<"$rest_line")" ] ||
  e2e_fail "the digests before and after a supply are equal"
e2e_expect_eq "refusals audited" \
  "$(jq -c 'select(.action == "cert-supply-key" and .result == "refused")' "$E2E_LOG_DIR/audit.log" | wc -l)" 3
e2e_expect_eq "keys-supplied applies audited" \
  "$(jq -c 'select(.action == "keys-supplied" and .result == "ok")' "$E2E_LOG_DIR/audit.log" | wc -l)" 4

# Issue 6: the keystore through the REST API. With persist-private-keys off the keys made or
# imported this way live in vtpsd's memory, which the offline vtpsctl cannot do.
CA=$E2E_TMP/management-cert.pem
e2e_check "REST: CSR new and export, the CA-signed certificate imported onto the pending key"
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificate-requests \
  '{"name": "rest-web", "cn": "web1.test", "dns": ["web1.test"], "o": "vtps-e2e", "key": "ec:prime256v1"}')
e2e_expect_eq "CSR new status" "$(tail -n 1 <<<"$out")" 200
out=$(rest "$E2E_TMP/watcher.token" GET /api/v1/certificate-requests/rest-web)
e2e_expect_eq "CSR export status (viewer)" "$(tail -n 1 <<<"$out")" 200
head -n -1 <<<"$out" | jq -r .pem >"$d/rest-web.csr"
openssl req -in "$d/rest-web.csr" -noout -verify 2>&1 | grep -q 'verify OK' ||
  e2e_fail "openssl req -verify refuses the REST CSR"
grep -q 'PRIVATE KEY' "$d/rest-web.csr" && e2e_fail "the CSR export carries a key"
openssl x509 -req -in "$d/rest-web.csr" -CA "$d/vtps-signing.crt" -CAkey "$d/vtps-signing.pem" \
  -passin "file:$d/export.pw" -CAcreateserial -days 2 -sha256 -extfile "$d/vtps-web1-ec.ext" \
  -out "$d/rest-web.crt" 2>/dev/null
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificates \
  "$(jq -n --rawfile c "$d/rest-web.crt" '{name: "rest-web", cert: $c}')")
e2e_expect_eq "import status" "$(tail -n 1 <<<"$out")" 200
# The e2e signing CA is a keystore certificate, not an imported CA: no trust anchor, as the CLI says.
e2e_expect_eq "imported" "$(head -n -1 <<<"$out" | jq -r '.imported[0].name + " " + .imported[0].status')" \
  "rest-web No Trust Anchor"

e2e_check "REST: PKCS#12 import with a password, key export only when exportable and encrypted"
openssl pkcs12 -export -in "$d/op-web1-rsa.crt" -inkey "$d/op-web1-rsa.key" \
  -passout pass:p12-password -out "$d/op.p12"
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificates "$(jq -n --arg b "$(base64 -w0 "$d/op.p12")" \
  '{name: "p12", cert_base64: $b, format: "pkcs12", password: "wrong"}')")
e2e_expect_eq "wrong PKCS#12 password" "$(tail -n 1 <<<"$out")" 400
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificates "$(jq -n --arg b "$(base64 -w0 "$d/op.p12")" \
  '{name: "p12", cert_base64: $b, format: "pkcs12", password: "p12-password", exportable: true}')")
e2e_expect_eq "PKCS#12 import status" "$(tail -n 1 <<<"$out")" 200
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificates/rest-web/export '{"with_key": true, "password": "x"}')
e2e_expect_eq "key export of a non-exportable certificate" "$(tail -n 1 <<<"$out")" 400
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificates/p12/export '{"with_key": true}')
e2e_expect_eq "key export without a password" "$(head -n -1 <<<"$out" | jq -r .error)" \
  'export certificate p12: a password (--password-file, or "password" in a REST request) is required to protect the exported key'
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificates/p12/export '{"with_key": true, "password": "out-pw"}')
e2e_expect_eq "key export status" "$(tail -n 1 <<<"$out")" 200
head -n -1 <<<"$out" | jq -r .pem >"$d/p12-export.pem"
grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$d/p12-export.pem" || e2e_fail "the exported key is not encrypted"
e2e_expect_eq "exported key is the imported one" \
  "$(openssl pkey -in "$d/p12-export.pem" -passin pass:out-pw -pubout | sha256sum)" \
  "$(openssl pkey -in "$d/op-web1-rsa.key" -pubout | sha256sum)"

e2e_check "the same bad input gets the same words from vtpsctl and from the REST API"
cli_err=$(vtpsctl cert export rest-web --out "$E2E_TMP/x.pem" --format pfx 2>&1 >/dev/null) && e2e_fail "pfx accepted"
out=$(rest "$E2E_TMP/admin.token" POST /api/v1/certificates/rest-web/export '{"format": "pfx"}')
e2e_expect_eq "bad format: CLI and REST" "$cli_err" "vtpsctl: $(head -n -1 <<<"$out" | jq -r .error)"
cli_err=$(vtpsctl cert csr export nosuch --out "$E2E_TMP/x.csr" 2>&1 >/dev/null) && e2e_fail "unknown CSR exported"
out=$(rest "$E2E_TMP/admin.token" GET /api/v1/certificate-requests/nosuch)
e2e_expect_eq "unknown CSR: CLI and REST" "$cli_err" "vtpsctl: $(head -n -1 <<<"$out" | jq -r .error)"

e2e_check "REST: replace a served certificate; the old one kept as NAME_REPLACED, the new one served"
base=$d/op-web1-rsa-v2
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$base.key" 2>/dev/null
openssl req -new -key "$base.key" -subj "/O=vtps-e2e/CN=web1.test" -out "$base.csr"
openssl x509 -req -in "$base.csr" -CA "$d/vtps-signing.crt" -CAkey "$d/vtps-signing.pem" \
  -passin "file:$d/export.pw" -CAcreateserial -days 2 -sha256 -extfile "$d/vtps-web1-rsa.ext" \
  -out "$base.crt" 2>/dev/null
vtpsctl cert delete web1-rsa_REPLACED >/dev/null  # left by the replace before the restart
out=$(rest "$E2E_TMP/admin.token" PUT /api/v1/certificates/web1-rsa \
  "$(jq -n --rawfile c "$base.crt" --rawfile k "$base.key" '{cert: $c, key: $k}')")
e2e_expect_eq "replace status" "$(tail -n 1 <<<"$out")" 200
e2e_expect_eq "replace answer" "$(head -n -1 <<<"$out" | jq -r '.previous + " " + (.reapplied|tostring)')" \
  "web1-rsa_REPLACED true"
e2e_expect_eq "presented certificate" "$(pki_presented_fingerprint web1.test "$E2E_SERVER_IP")" \
  "$(pki_fingerprint "$base.crt")"
vtpsctl cert list | grep -q '^web1-rsa_REPLACED ' || e2e_fail "web1-rsa_REPLACED not listed"
e2e_expect_eq "state" "$(vtpsctl status --json | jq -r .state)" inspecting
for action in cert-csr-new cert-import cert-export cert-replace; do
  line=$(jq -c "select(.action == \"$action\" and .result == \"ok\")" "$E2E_LOG_DIR/audit.log" | tail -n 1)
  [ -n "$line" ] || e2e_fail "$action not audited"
  [ "$(jq -r .sha256_before <<<"$line" | wc -c)" = 65 ] || e2e_fail "$action audited without a digest"
done
e2e_ok "CSR, import, export and replace audited with digests"

e2e_check "vtpsctl --remote runs cert supply-key through the REST API"
out=$(in_app "$VTPSCTL" --remote "$URL" --token-file "$E2E_TMP/admin.token" --remote-ca "$CA" \
  cert supply-key web2-rsa --key "$d/op-web2-rsa.key")
e2e_expect_eq "remote supply-key" "$out" "supplied the key of web2-rsa to vtpsd"

e2e_check "vtpsctl --remote cert csr new/export, import, export, delete through the REST API"
remote() { in_app "$VTPSCTL" --remote "$URL" --token-file "$E2E_TMP/admin.token" --remote-ca "$CA" "$@"; }
out=$(remote cert csr new remote-web --cn web2.test --dns web2.test --key ec:prime256v1)
[[ $out == "created signing request remote-web: "* ]] || e2e_fail "remote csr new: $out"
remote cert csr export remote-web --out "$d/remote-web.csr" >/dev/null
openssl x509 -req -in "$d/remote-web.csr" -CA "$d/vtps-signing.crt" -CAkey "$d/vtps-signing.pem" \
  -passin "file:$d/export.pw" -CAcreateserial -days 2 -sha256 -extfile "$d/vtps-web2-ec.ext" \
  -out "$d/remote-web.crt" 2>/dev/null
e2e_expect_eq "remote import" "$(remote cert import remote-web --cert "$d/remote-web.crt")" \
  "imported certificate remote-web: $(openssl x509 -in "$d/remote-web.crt" -noout -subject -nameopt RFC2253 | sed 's/^subject=//') (No Trust Anchor)"
remote cert export remote-web --out "$d/remote-web.pem" >/dev/null
e2e_expect_eq "remote export" "$(pki_fingerprint "$d/remote-web.pem")" "$(pki_fingerprint "$d/remote-web.crt")"
remote_err=$(remote cert export remote-web --out "$E2E_TMP/x.pem" --format pfx 2>&1 >/dev/null) &&
  e2e_fail "remote pfx accepted"
local_err=$(vtpsctl cert export remote-web --out "$E2E_TMP/x.pem" --format pfx 2>&1 >/dev/null) &&
  e2e_fail "local pfx accepted"
e2e_expect_eq "bad format: --remote and local" "$remote_err" "$local_err"
e2e_expect_eq "remote delete" "$(remote cert delete remote-web)" "deleted remote-web"
vtpsctl cert list | grep -q '^remote-web ' && e2e_fail "remote-web still listed after the remote delete"
e2e_ok "remote-web gone"

e2e_check "vtpsctl --remote cert list/show/refresh-status and ca import/list/delete"
remote cert list >"$E2E_TMP/remote-list.txt"
vtpsctl cert list >"$E2E_TMP/local-list.txt"
# The same certificates (statuses differ: keys live only in the remote vtpsd's memory here).
e2e_expect_eq "remote cert list names = local cert list names" \
  "$(awk '{print $1}' "$E2E_TMP/remote-list.txt")" "$(awk '{print $1}' "$E2E_TMP/local-list.txt")"
# The daemon holds web1-rsa's supplied key; the offline listing cannot.
grep '^web1-rsa ' "$E2E_TMP/remote-list.txt" | grep -q 'Key Missing' &&
  e2e_fail "remote cert list: the daemon's web1-rsa has no key: $(cat "$E2E_TMP/remote-list.txt")"
grep '^web1-rsa ' "$E2E_TMP/local-list.txt" | grep -q 'Key Missing' ||
  e2e_fail "local cert list: web1-rsa is not Key Missing offline: $(cat "$E2E_TMP/local-list.txt")"
remote cert refresh-status | grep -q '^web1-rsa ' || e2e_fail "remote refresh-status lists no web1-rsa"
e2e_expect_eq "remote cert show: fingerprint" \
  "$(remote cert show web1-rsa | sed -n 's/^SHA-256: *//p')" \
  "$(vtpsctl cert show web1-rsa | sed -n 's/^SHA-256: *//p')"
remote_err=$(remote cert show nothing-here 2>&1 >/dev/null) && e2e_fail "remote show of nothing succeeded"
[[ $remote_err == *"show certificate nothing-here: no certificate"* ]] ||
  e2e_fail "remote show error: $remote_err"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout /dev/null \
  -subj "/CN=remote-root" -days 30 -out "$d/remote-root.crt" 2>/dev/null
out=$(remote ca import remote-root --cert "$d/remote-root.crt")
[[ $out == "imported CA certificate remote-root: CN=remote-root (Valid)" ]] ||
  e2e_fail "remote ca import: $out"
remote ca list | grep -q '^remote-root .*Valid' || e2e_fail "remote ca list lacks remote-root"
vtpsctl ca list --no-default | grep -q '^remote-root ' || e2e_fail "local ca list lacks remote-root"
openssl x509 -in "$d/remote-root.crt" -outform DER -out "$d/remote-root.der"
remote_err=$(remote ca import remote-der --cert "$d/remote-root.der" --format der 2>&1 >/dev/null) &&
  e2e_fail "remote DER ca import accepted"
[[ $remote_err == *"--remote takes PEM files"* ]] || e2e_fail "remote DER error: $remote_err"
e2e_expect_eq "remote ca delete" "$(remote ca delete remote-root)" "deleted CA certificate remote-root"
vtpsctl ca list --no-default | grep -q '^remote-root ' && e2e_fail "remote-root still listed"
e2e_wait_for "the remote ca import in audit.log" 5 \
  jq -s -e 'any(.[]; .action == "ca-import" and .object == "remote-root" and .result == "ok")' \
  "$E2E_LOG_DIR/audit.log"
e2e_ok "remote ca import/delete audited"

vtps_stop

e2e_check "a certificate missing altogether still refuses the start"
sed 's/certificates: \[web1-rsa, web2-rsa\]/certificates: [web1-rsa, absent]/' "$E2E_CONFIG" >"$E2E_TMP/absent.yaml"
grep -q 'absent\]' "$E2E_TMP/absent.yaml" || e2e_fail "absent.yaml does not name the absent certificate"
in_app timeout 20 "$VTPSD" --config "$E2E_TMP/absent.yaml" --foreground >"$E2E_TMP/absent.out" 2>&1 &&
  e2e_fail "vtpsd started with a certificate missing from the keystore"
grep -qF "certificate 'absent' is not in the keystore" "$E2E_TMP/absent.out" ||
  e2e_fail "vtpsd's refusal does not name the absent certificate: $(cat "$E2E_TMP/absent.out")"
e2e_ok "refused: $(grep -F "'absent'" "$E2E_TMP/absent.out" | head -n 1)"
e2e_pass
