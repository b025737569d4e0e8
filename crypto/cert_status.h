// The status every stored certificate carries (`cert list`, `cert refresh-status`), computed
// against trust anchors: the imported CA certificates and the default CA package.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "crypto/x509.h"

namespace vtps::crypto {

enum class CertificateStatus {
  kValid,
  kNoTrustAnchor,  // no chain from the certificate to an anchor
  kExpired,        // the certificate (or a certificate of its chain) is past its notAfter
  kNotYetValid,    // before its notBefore
  kKeyMismatch,    // the stored private key is not the certificate's key
  kKeyMissing,     // no private key in this process (persist-private-keys off, see keystore.md)
};

std::string_view toString(CertificateStatus status);  // "Valid", "No Trust Anchor", ...
std::optional<CertificateStatus> parseCertificateStatus(std::string_view text);

class TrustAnchors {
 public:
  struct Impl;
  TrustAnchors();
  ~TrustAnchors();
  TrustAnchors(TrustAnchors&&) noexcept;
  TrustAnchors& operator=(TrustAnchors&&) noexcept;

  void add(const Certificate& anchor);
  size_t size() const;

  // In this order: Key Mismatch (when `key` is given and is not the certificate's), Not Yet Valid
  // and Expired (the certificate itself at `now`), Valid for a self-signed certificate (its own
  // anchor), else the verdict of chain verification from `leaf` through `chain` to an anchor.
  CertificateStatus statusOf(const Certificate& leaf, const std::vector<Certificate>& chain,
                             const PrivateKey* key, int64_t now) const;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtps::crypto
