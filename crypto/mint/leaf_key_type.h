// The key types a minted leaf can have, and the choice between them from what a client offers in
// its ClientHello. Kept apart from the ClientHello parser: the caller copies the two code-point
// lists it parsed into a ClientKeyOffer.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace vtps::mint {

enum class LeafKeyType : std::uint8_t {
  kEcdsaP256,
  kRsa2048,
};
inline constexpr std::size_t kLeafKeyTypeCount = 2;

// "ecdsa-p256" or "rsa-2048" (used in error messages and metric labels).
std::string_view leafKeyTypeName(LeafKeyType type);

// IANA code points a client offered: the signature_algorithms extension (TLS SignatureScheme) and
// the cipher_suites list, in ClientHello order.
struct ClientKeyOffer {
  std::vector<std::uint16_t> signature_schemes;
  std::vector<std::uint16_t> cipher_suites;
};

// ECDSA P-256 when the client can verify an ECDSA P-256 leaf, else RSA-2048 (every TLS client can
// use an RSA leaf). ECDSA requires both:
//  - ecdsa_secp256r1_sha256 (0x0403) among the signature schemes; it means P-256 in TLS 1.3 and
//    ECDSA with SHA-256 in TLS 1.2. A client without the extension (TLS <= 1.1, or TLS 1.2
//    defaulting to SHA-1) gets RSA, the legacy-safe choice.
//  - a cipher suite that can run with an ECDSA certificate: a TLS 1.3 suite or an ECDHE_ECDSA
//    suite. An empty cipher-suite list counts as "unknown" and does not veto ECDSA.
LeafKeyType chooseLeafKeyType(const ClientKeyOffer& offer);

}  // namespace vtps::mint
