// Certificate signing requests (`cert csr new`): the request an operator sends to a CA, which
// returns the certificate that `cert import` joins with the request's key.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "crypto/result.h"
#include "crypto/subject.h"

namespace vtps::crypto {

class CertificateRequest {
 public:
  struct Impl;  // OpenSSL handle; defined in crypto/ossl_interop.h

  // A PKCS#10 request for `subject`, signed by `key` (SHA-256, SHA-384 for P-384). Its extension
  // request carries the subject alternative names, and for a signing certificate (`signing`)
  // basicConstraints CA:TRUE and keyUsage keyCertSign, cRLSign, both critical.
  static Result<CertificateRequest> create(const SubjectFields& subject, const PrivateKey& key,
                                           bool signing);
  static Result<CertificateRequest> parsePem(std::string_view pem, std::string_view source);

  std::string toPem() const;
  std::string subject() const;  // RFC 2253
  // Whether the request asks for a CA certificate (basicConstraints CA:TRUE requested).
  bool requestsCa() const;
  std::vector<std::string> dnsNames() const;
  // Whether the request's self-signature verifies with its own public key.
  bool verifySignature() const;
  std::string publicKeyDer() const;

  const Impl& impl() const { return *impl_; }
  static CertificateRequest fromImpl(std::shared_ptr<const Impl> impl) {
    return CertificateRequest(std::move(impl));
  }

 private:
  explicit CertificateRequest(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace vtps::crypto
