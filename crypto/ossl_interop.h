// The OpenSSL side of the crypto value types (PrivateKey, Certificate, CertificateRequest) and the
// helpers the crypto .cc files share. This header is about OpenSSL by design: code that hands keys
// and certificates to OpenSSL (TLS contexts, leaf minting, the daemon) includes it; other public
// headers do not.
#pragma once

#include <openssl/err.h>

#include <string>
#include <string_view>
#include <vector>

#include "crypto/csr.h"
#include "crypto/keys.h"
#include "crypto/ossl.h"
#include "crypto/subject.h"
#include "crypto/x509.h"

namespace vtps::crypto {

struct PrivateKey::Impl {
  ossl::EvpPkeyPtr pkey;
};

struct Certificate::Impl {
  ossl::X509Ptr x509;
};

struct CertificateRequest::Impl {
  ossl::X509ReqPtr req;
};

// Borrowed OpenSSL handles; valid while the value they came from lives.
inline EVP_PKEY* raw(const PrivateKey& key) {
  return key.impl().pkey.get();
}
inline X509* raw(const Certificate& cert) {
  return cert.impl().x509.get();
}
inline X509_REQ* raw(const CertificateRequest& req) {
  return req.impl().req.get();
}

// Take ownership of OpenSSL handles.
PrivateKey wrapKey(ossl::EvpPkeyPtr pkey);
Certificate wrapCertificate(ossl::X509Ptr x509);
// Up-references a borrowed handle.
PrivateKey shareKey(EVP_PKEY* pkey);
Certificate shareCertificate(X509* x509);

// Algorithm, size and curve of a key (the public half is enough).
KeyDescription describePublicKey(const EVP_PKEY* pkey);

// The digest this project signs with for `key`: SHA-384 for P-384 keys, SHA-256 otherwise.
const EVP_MD* signatureDigestFor(const PrivateKey& key);

// X509_NAME for validated subject fields (C, ST, L, O, OU..., CN, emailAddress).
Result<ossl::X509NamePtr> buildX509Name(const SubjectFields& subject);
// The subjectAltName extension (DNS and rfc822Name entries); null when there are no SANs.
Result<ossl::X509ExtensionPtr> subjectAltNameExtension(const SubjectFields& subject);
// One extension from its OpenSSL config text, e.g. ("basicConstraints", "critical,CA:TRUE").
Result<ossl::X509ExtensionPtr> makeExtension(X509V3_CTX* ctx, int nid, const std::string& value);

// A name as text: RFC 2253 order and escaping, UTF-8 kept.
std::string nameToString(const X509_NAME* name);
// 128-bit random positive serial number.
Result<ossl::Asn1IntegerPtr> randomSerial();

}  // namespace vtps::crypto
