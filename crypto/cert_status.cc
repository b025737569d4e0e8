#include "crypto/cert_status.h"

#include <array>
#include <utility>

#include "crypto/ossl_interop.h"

namespace vtps::crypto {
namespace {

constexpr std::array<std::pair<CertificateStatus, std::string_view>, 6> kNames = {{
    {CertificateStatus::kValid, "Valid"},
    {CertificateStatus::kNoTrustAnchor, "No Trust Anchor"},
    {CertificateStatus::kExpired, "Expired"},
    {CertificateStatus::kNotYetValid, "Not Yet Valid"},
    {CertificateStatus::kKeyMismatch, "Key Mismatch"},
    {CertificateStatus::kKeyMissing, "Key Missing"},
}};

}  // namespace

std::string_view toString(CertificateStatus status) {
  for (const auto& [s, name] : kNames) {
    if (s == status) return name;
  }
  return "Unknown";
}

std::optional<CertificateStatus> parseCertificateStatus(std::string_view text) {
  for (const auto& [s, name] : kNames) {
    if (name == text) return s;
  }
  return std::nullopt;
}

struct TrustAnchors::Impl {
  ossl::X509StorePtr store{X509_STORE_new()};
  size_t count = 0;
};

TrustAnchors::TrustAnchors() : impl_(std::make_unique<Impl>()) {}
TrustAnchors::~TrustAnchors() = default;
TrustAnchors::TrustAnchors(TrustAnchors&&) noexcept = default;
TrustAnchors& TrustAnchors::operator=(TrustAnchors&&) noexcept = default;

void TrustAnchors::add(const Certificate& anchor) {
  // Duplicates (the same root imported and in the default package) are accepted and ignored.
  if (impl_->store && X509_STORE_add_cert(impl_->store.get(), raw(anchor)) == 1) ++impl_->count;
  ERR_clear_error();
}

size_t TrustAnchors::size() const {
  return impl_->count;
}

CertificateStatus TrustAnchors::statusOf(const Certificate& leaf,
                                         const std::vector<Certificate>& chain,
                                         const PrivateKey* key, int64_t now) const {
  if (key != nullptr && !keyMatchesCertificate(*key, leaf)) return CertificateStatus::kKeyMismatch;
  if (now < leaf.notBefore()) return CertificateStatus::kNotYetValid;
  if (now > leaf.notAfter()) return CertificateStatus::kExpired;
  if (leaf.isSelfSigned()) return CertificateStatus::kValid;

  ossl::X509StackPtr untrusted(sk_X509_new_null());
  ossl::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx || !impl_->store) return CertificateStatus::kNoTrustAnchor;
  for (const auto& c : chain) {
    if (sk_X509_push(untrusted.get(), raw(c)) == 0) return CertificateStatus::kNoTrustAnchor;
    X509_up_ref(raw(c));
  }
  if (X509_STORE_CTX_init(ctx.get(), impl_->store.get(), raw(leaf), untrusted.get()) != 1) {
    ERR_clear_error();
    return CertificateStatus::kNoTrustAnchor;
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(now));
  int ok = X509_verify_cert(ctx.get());
  int err = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  if (ok == 1) return CertificateStatus::kValid;
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return CertificateStatus::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return CertificateStatus::kNotYetValid;
    default:
      return CertificateStatus::kNoTrustAnchor;
  }
}

}  // namespace vtps::crypto
