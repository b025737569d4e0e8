// A CA that signs minted leaves: the client proxy's signing certificate, or the Untrusted Server
// CA that signs leaves for upstream servers whose certificate failed validation (so the client
// sees an untrusted issuer instead of a silently "fixed" certificate). Built once when the
// keystore loads the CA and shared read-only by every proxy worker. About OpenSSL by design.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/ossl.h"
#include "crypto/result.h"

namespace vtps::mint {

using Sha256Fingerprint = std::array<unsigned char, 32>;

class SigningCa {
 public:
  // Takes a reference on `cert` and `key` (the caller keeps its own). `name` is the keystore name,
  // used in messages. Checks, with errors such as "signing CA corp-signing: <cause>":
  //   "certificate or key missing"
  //   "private key does not match the certificate"
  //   "certificate is not a CA (basicConstraints CA:TRUE missing)"
  //   "keyUsage does not allow keyCertSign"
  //   "key type ED25519 is not supported (RSA >= 2048 bits or EC P-224/P-256/P-384/P-521)"
  static Result<std::shared_ptr<const SigningCa>> create(std::string name, X509* cert,
                                                         EVP_PKEY* key);

  SigningCa(const SigningCa&) = delete;
  SigningCa& operator=(const SigningCa&) = delete;
  ~SigningCa() = default;

  const std::string& name() const { return name_; }
  X509* cert() const { return cert_.get(); }
  EVP_PKEY* key() const { return key_.get(); }
  // SHA-256 over the certificate's DER: the CA's identity in the mint cache key.
  const Sha256Fingerprint& fingerprint() const { return fingerprint_; }
  // SHA-256 for RSA and P-224/P-256 keys, SHA-384 for P-384, SHA-512 for P-521.
  const EVP_MD* digest() const { return digest_; }
  // The authorityKeyIdentifier every leaf of this CA carries (keyid of the CA's public key).
  // Non-const only because X509_add_ext() takes a non-const pointer (it copies the extension).
  X509_EXTENSION* authorityKeyIdExtension() const { return aki_.get(); }

 private:
  SigningCa() = default;

  std::string name_;
  ossl::X509Ptr cert_;
  ossl::EvpPkeyPtr key_;
  Sha256Fingerprint fingerprint_{};
  const EVP_MD* digest_ = nullptr;
  ossl::X509ExtensionPtr aki_;
};

// The two issuers of a client proxy. Upstream validation decides which one signs.
struct IssuingCas {
  std::shared_ptr<const SigningCa> signing;    // upstream certificate validated
  std::shared_ptr<const SigningCa> untrusted;  // upstream certificate failed validation

  const SigningCa& issuerFor(bool upstream_verified) const {
    return upstream_verified ? *signing : *untrusted;
  }
};

}  // namespace vtps::mint
