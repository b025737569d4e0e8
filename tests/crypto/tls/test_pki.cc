#include "tests/crypto/tls/test_pki.h"

#include <openssl/ec.h>
#include <openssl/rsa.h>

#include <atomic>
#include <stdexcept>

namespace vtps::tls::testing {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + ossl::drainErrors());
}

void addExtension(X509* cert, const X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, const_cast<X509*>(issuer), cert, nullptr, nullptr, 0);
  ossl::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

}  // namespace

ossl::EvpPkeyPtr makeKey(KeyKind kind) {
  EVP_PKEY* key = nullptr;
  switch (kind) {
    case KeyKind::kRsa2048:
      key = EVP_RSA_gen(2048);
      break;
    case KeyKind::kRsa1024:
      key = EVP_RSA_gen(1024);
      break;
    case KeyKind::kEcP256:
      key = EVP_EC_gen("P-256");
      break;
  }
  check(key != nullptr, "key generation");
  return ossl::EvpPkeyPtr(key);
}

ossl::X509Ptr issue(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                    EVP_PKEY* issuer_key) {
  static std::atomic<long> serial{1000};  // NOLINT(runtime/int)
  ossl::X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after);
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1,
                                   0) == 1,
        "subject");
  const X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");
  check(X509_set_pubkey(cert.get(), subject_key) == 1, "X509_set_pubkey");
  if (spec.ca) {
    addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  if (!spec.dns_sans.empty()) {
    std::string sans;
    for (const auto& n : spec.dns_sans)
      sans += (sans.empty() ? "DNS:" : ",DNS:") + n;
    addExtension(cert.get(), signer, NID_subject_alt_name, sans);
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : subject_key, EVP_sha256()) > 0,
        "X509_sign");
  return cert;
}

KeyedCert makeCa(const std::string& cn, KeyKind kind) {
  auto key = makeKey(kind);
  CertSpec spec{.cn = cn, .ca = true};
  auto cert = issue(spec, key.get(), nullptr, nullptr);
  return {std::move(cert), std::move(key)};
}

KeyedCert makeLeaf(const KeyedCert& ca, const CertSpec& spec, KeyKind kind) {
  auto key = makeKey(kind);
  auto cert = issue(spec, key.get(), ca.cert.get(), ca.key.get());
  return {std::move(cert), std::move(key)};
}

KeyedCert makeSelfSigned(const CertSpec& spec, KeyKind kind) {
  auto key = makeKey(kind);
  auto cert = issue(spec, key.get(), nullptr, nullptr);
  return {std::move(cert), std::move(key)};
}

ossl::X509Ptr upRef(X509* cert) {
  X509_up_ref(cert);
  return ossl::X509Ptr(cert);
}

ossl::EvpPkeyPtr upRef(EVP_PKEY* key) {
  EVP_PKEY_up_ref(key);
  return ossl::EvpPkeyPtr(key);
}

ServerCertificate serverCertificate(const std::string& name, const KeyedCert& leaf,
                                    const KeyedCert* ca) {
  ServerCertificate out{name, upRef(leaf.cert.get()), upRef(leaf.key.get()), {}};
  if (ca != nullptr) out.chain.push_back(upRef(ca->cert.get()));
  return out;
}

ossl::X509StorePtr storeWith(X509* ca) {
  ossl::X509StorePtr store(X509_STORE_new());
  check(store != nullptr && X509_STORE_add_cert(store.get(), ca) == 1, "X509_STORE_add_cert");
  return store;
}

std::string peerCommonName(const SSL* ssl) {
  const X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return {};
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof(buf));
  return buf;
}

}  // namespace vtps::tls::testing
