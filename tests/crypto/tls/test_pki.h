// Test-local PKI: keys, CAs and leaves generated in-process, so the TLS tests need no files.
#pragma once

#include <string>
#include <vector>

#include "crypto/ossl.h"
#include "crypto/tls/server_context.h"

namespace vtps::tls::testing {

enum class KeyKind { kRsa2048, kRsa1024, kEcP256 };

ossl::EvpPkeyPtr makeKey(KeyKind kind);

struct CertSpec {
  std::string cn = {};
  std::vector<std::string> dns_sans = {};  // none: no SAN extension at all
  long not_before = -3600;                 // seconds from now  NOLINT(runtime/int)
  long not_after = 30L * 24 * 3600;        // NOLINT(runtime/int)
  bool ca = false;
};

struct KeyedCert {
  ossl::X509Ptr cert;
  ossl::EvpPkeyPtr key;
};

// Certificate for `spec` over `subject_key`, signed by issuer/issuer_key (self-signed if null).
ossl::X509Ptr issue(const CertSpec& spec, EVP_PKEY* subject_key, const X509* issuer,
                    EVP_PKEY* issuer_key);

KeyedCert makeCa(const std::string& cn, KeyKind kind = KeyKind::kEcP256);
KeyedCert makeLeaf(const KeyedCert& ca, const CertSpec& spec, KeyKind kind);
KeyedCert makeSelfSigned(const CertSpec& spec, KeyKind kind);

ossl::X509Ptr upRef(X509* cert);
ossl::EvpPkeyPtr upRef(EVP_PKEY* key);

// A ServerCertificate (copies references) whose chain holds `ca` when given.
ServerCertificate serverCertificate(const std::string& name, const KeyedCert& leaf,
                                    const KeyedCert* ca = nullptr);

// A trust store holding `ca`.
ossl::X509StorePtr storeWith(X509* ca);

// Subject CN of the certificate the peer of `ssl` presented ("" if none).
std::string peerCommonName(const SSL* ssl);

}  // namespace vtps::tls::testing
