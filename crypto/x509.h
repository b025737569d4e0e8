// X.509 certificates: parsing what operators import, the facts listings show, chain assembly, and
// the self-signed signing CA that `cert new-signing` creates.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "crypto/result.h"
#include "crypto/subject.h"

namespace vtps::crypto {

// The facts about one certificate that `cert list`, `cert show` and `ca list` print.
struct CertificateInfo {
  std::string subject;  // RFC 2253, e.g. "CN=www.example.com,O=Example,C=US"
  std::string issuer;
  std::string common_name;
  std::string serial;  // uppercase hex
  KeyDescription key;
  int64_t not_before = 0;  // seconds since the epoch (UTC)
  int64_t not_after = 0;
  std::vector<std::string> dns_names;  // subjectAltName entries
  std::vector<std::string> emails;
  std::vector<std::string> ip_addresses;
  std::string sha256_fingerprint;  // "AB:CD:..."
  bool is_ca = false;              // basicConstraints CA:TRUE
  bool self_signed = false;        // issuer == subject and its own key verifies the signature
};

class Certificate {
 public:
  struct Impl;  // OpenSSL handle; defined in crypto/ossl_interop.h

  // One DER certificate (the whole input must be the certificate).
  static Result<Certificate> parseDer(std::string_view der, std::string_view source);
  // Every certificate in PEM input (other PEM blocks are skipped), or the one certificate of DER
  // input. Errors when there is none; `source` names the input in messages.
  static Result<std::vector<Certificate>> parseAll(std::string_view bytes, std::string_view source);

  CertificateInfo info() const;
  std::string toPem() const;
  std::string toDer() const;
  std::string sha256Fingerprint() const;
  bool isCa() const;
  bool isSelfSigned() const;
  // Whether `issuer`'s subject and key issued this certificate.
  bool isIssuedBy(const Certificate& issuer) const;
  int64_t notBefore() const;
  int64_t notAfter() const;
  bool operator==(const Certificate& other) const;

  const Impl& impl() const { return *impl_; }
  static Certificate fromImpl(std::shared_ptr<const Impl> impl) {
    return Certificate(std::move(impl));
  }

 private:
  explicit Certificate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Whether `key` is the private half of `cert`'s public key.
bool keyMatchesCertificate(const PrivateKey& key, const Certificate& cert);

// The certificates of `pool` that lead from `leaf` towards a root, nearest issuer first, stopping
// at a self-signed certificate or when no issuer is in the pool. `leaf` itself is not included.
std::vector<Certificate> buildChain(const Certificate& leaf, const std::vector<Certificate>& pool);

struct Validity {
  int64_t not_before = 0;  // seconds since the epoch
  int64_t not_after = 0;
  // From now for `days` days.
  static Validity days(int days);
};

// Self-signed signing CA: basicConstraints CA:TRUE (critical), keyUsage keyCertSign and cRLSign
// (critical), subject and authority key identifiers, the subject's alternative names, a random
// 128-bit positive serial, signed with SHA-256 (SHA-384 for P-384 keys).
Result<Certificate> createSelfSignedCa(const SubjectFields& subject, const PrivateKey& key,
                                       const Validity& validity);

// "2025-01-31T12:00:00Z".
std::string formatUtc(int64_t epoch_seconds);

}  // namespace vtps::crypto
