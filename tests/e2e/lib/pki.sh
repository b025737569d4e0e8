# shellcheck shell=bash
# Test PKI, generated at test time (sourced by topology.sh). Everything lands in $E2E_TMP/pki.
#
# pki_origin (openssl): the origin's own CA "vtps-e2e Origin CA" and, for web1.test and
# web2.test, an RSA 2048 and an ECDSA P-256 server certificate:
#   origin-ca.crt, origin-NAME-rsa.{crt,key}, origin-NAME-ec.{crt,key}
# These are what nginx presents, and what a client sees when vtps does not decrypt.
#
# pki_vtps (vtpsctl, into the keystore of $E2E_CONFIG): a signing CA "vtps-e2e Signing CA"
# (`cert new-signing`, exported with `cert export --with-key`), and certificates web1-rsa,
# web2-rsa (RSA 2048) and web1-ec, web2-ec (ECDSA P-256) for web1.test / web2.test: key and CSR
# made by `cert csr new`, CSR written by `cert csr export`, signed by the signing CA with openssl
# (vtpsctl has no CSR-signing command: a real deployment gets them signed by its own CA), and
# imported back with `cert import` (the key comes from the pending request). These are what vtps
# presents when it decrypts, so a client can tell vtps from the origin by the issuer.
#   vtps-signing.crt, vtps-NAME-KIND.crt; trust.pem = origin CA + vtps signing CA (for curl)

pki_openssl_ext() {
  local name=$1
  printf 'basicConstraints=critical,CA:FALSE\n'
  printf 'keyUsage=critical,digitalSignature,keyEncipherment\n'
  printf 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' "$name"
}

# pki_origin_leaf NAME rsa|ec
pki_origin_leaf() {
  local name=$1 kind=$2 d=$E2E_TMP/pki base
  base=$d/origin-$name-$kind
  if [ "$kind" = rsa ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$base.key" 2>/dev/null
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$base.key"
  fi
  openssl req -new -key "$base.key" -subj "/O=vtps-e2e origin/CN=$name" -out "$base.csr"
  pki_openssl_ext "$name" >"$base.ext"
  openssl x509 -req -in "$base.csr" -CA "$d/origin-ca.crt" -CAkey "$d/origin-ca.key" \
    -CAcreateserial -days 2 -sha256 -extfile "$base.ext" -out "$base.crt" 2>/dev/null
}

pki_origin() {
  local d=$E2E_TMP/pki name kind
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/origin-ca.key" -out "$d/origin-ca.crt" \
    -days 2 -sha256 -subj "/O=vtps-e2e/CN=vtps-e2e Origin CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
  for name in web1.test web2.test; do
    for kind in rsa ec; do
      pki_origin_leaf "$name" "$kind"
    done
  done
  e2e_log "origin PKI (openssl): origin-ca.crt; web1.test and web2.test, RSA and ECDSA"
}

pki_vtps() {
  local d=$E2E_TMP/pki name kind spec
  printf 'e2e-export-password\n' >"$d/export.pw"
  vtpsctl cert new-signing e2e-signing --cn "vtps-e2e Signing CA" --o vtps-e2e \
    --key ec:prime256v1 --exportable >/dev/null
  vtpsctl cert export e2e-signing --out "$d/vtps-signing.pem" --with-key \
    --password-file "$d/export.pw" >/dev/null
  openssl x509 -in "$d/vtps-signing.pem" -out "$d/vtps-signing.crt"
  for name in web1 web2; do
    for kind in rsa ec; do
      spec=rsa:2048
      [ "$kind" = ec ] && spec=ec:prime256v1
      vtpsctl cert csr new "$name-$kind" --cn "$name.test" --dns "$name.test" --o "vtps-e2e" \
        --key "$spec" >/dev/null
      vtpsctl cert csr export "$name-$kind" --out "$d/vtps-$name-$kind.csr" >/dev/null
      pki_openssl_ext "$name.test" >"$d/vtps-$name-$kind.ext"
      openssl x509 -req -in "$d/vtps-$name-$kind.csr" -CA "$d/vtps-signing.crt" \
        -CAkey "$d/vtps-signing.pem" -passin "file:$d/export.pw" -CAcreateserial -days 2 \
        -sha256 -extfile "$d/vtps-$name-$kind.ext" -out "$d/vtps-$name-$kind.crt" 2>/dev/null
      vtpsctl cert import "$name-$kind" --cert "$d/vtps-$name-$kind.crt" >/dev/null
    done
  done
  cat "$d/origin-ca.crt" "$d/vtps-signing.crt" >"$d/trust.pem"
  e2e_log "vtps PKI (vtpsctl): signing CA e2e-signing; web1-rsa, web2-rsa, web1-ec, web2-ec"
}

# pki_fingerprint CERT_FILE: SHA-256 fingerprint of a PEM certificate.
pki_fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }

# pki_presented_fingerprint HOST ADDR [OPENSSL_ARGS...]: the fingerprint of the certificate the
# client sees when it connects to ADDR:443 with SNI HOST (no SNI when HOST is empty).
pki_presented_fingerprint() {
  local host=$1 addr=$2 sni=(-noservername)
  shift 2
  [ -z "$host" ] || sni=(-servername "$host")
  in_cli openssl s_client -connect "$addr:443" "${sni[@]}" "$@" </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 | cut -d= -f2
}
