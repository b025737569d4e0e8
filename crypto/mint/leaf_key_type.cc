#include "crypto/mint/leaf_key_type.h"

#include <algorithm>
#include <array>

namespace vtps::mint {

namespace {

constexpr std::uint16_t kEcdsaSecp256r1Sha256 = 0x0403;

// TLS 1.3 suites (RFC 8446 B.4) authenticate with any certificate type.
bool isTls13Suite(std::uint16_t suite) {
  return suite >= 0x1301 && suite <= 0x1305;
}

// TLS_ECDHE_ECDSA_* suites from the IANA registry (RFC 4492, 5289, 6209, 6367, 7251, 7905).
constexpr std::array<std::uint16_t, 22> kEcdheEcdsaSuites = {
    0xC006, 0xC007, 0xC008, 0xC009, 0xC00A, 0xC023, 0xC024, 0xC02B, 0xC02C, 0xC048, 0xC049,
    0xC05C, 0xC05D, 0xC072, 0xC073, 0xC086, 0xC087, 0xC0AC, 0xC0AD, 0xC0AE, 0xC0AF, 0xCCA9,
};

bool suiteWorksWithEcdsaCert(std::uint16_t suite) {
  return isTls13Suite(suite) || std::find(kEcdheEcdsaSuites.begin(), kEcdheEcdsaSuites.end(),
                                          suite) != kEcdheEcdsaSuites.end();
}

}  // namespace

std::string_view leafKeyTypeName(LeafKeyType type) {
  switch (type) {
    case LeafKeyType::kEcdsaP256:
      return "ecdsa-p256";
    case LeafKeyType::kRsa2048:
      return "rsa-2048";
  }
  return "unknown";
}

LeafKeyType chooseLeafKeyType(const ClientKeyOffer& offer) {
  const auto& schemes = offer.signature_schemes;
  const bool p256_scheme =
      std::find(schemes.begin(), schemes.end(), kEcdsaSecp256r1Sha256) != schemes.end();
  if (!p256_scheme) return LeafKeyType::kRsa2048;
  const auto& suites = offer.cipher_suites;
  if (suites.empty() || std::any_of(suites.begin(), suites.end(), suiteWorksWithEcdsaCert)) {
    return LeafKeyType::kEcdsaP256;
  }
  return LeafKeyType::kRsa2048;
}

}  // namespace vtps::mint
