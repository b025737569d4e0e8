#include "crypto/mint/leaf_key_type.h"

#include <gtest/gtest.h>

namespace vtps::mint {
namespace {

// Code points from the IANA TLS registries.
constexpr std::uint16_t kEcdsaP256Sha256 = 0x0403;
constexpr std::uint16_t kEcdsaP384Sha384 = 0x0503;
constexpr std::uint16_t kRsaPssSha256 = 0x0804;
constexpr std::uint16_t kRsaPkcs1Sha256 = 0x0401;
constexpr std::uint16_t kTlsAes128GcmSha256 = 0x1301;
constexpr std::uint16_t kEcdheEcdsaAes128Gcm = 0xC02B;
constexpr std::uint16_t kEcdheRsaAes128Gcm = 0xC02F;
constexpr std::uint16_t kRsaAes128Gcm = 0x009C;

TEST(LeafKeyTypeTest, ChoosesEcdsaForBrowserLikeOffer) {
  const ClientKeyOffer offer{
      .signature_schemes = {kEcdsaP256Sha256, kRsaPssSha256, kRsaPkcs1Sha256, kEcdsaP384Sha384},
      .cipher_suites = {kTlsAes128GcmSha256, kEcdheEcdsaAes128Gcm, kEcdheRsaAes128Gcm}};
  EXPECT_EQ(chooseLeafKeyType(offer), LeafKeyType::kEcdsaP256);
}

TEST(LeafKeyTypeTest, ChoosesRsaWhenNoEcdsaP256SchemeOffered) {
  const ClientKeyOffer rsa_only{.signature_schemes = {kRsaPssSha256, kRsaPkcs1Sha256},
                                .cipher_suites = {kTlsAes128GcmSha256}};
  EXPECT_EQ(chooseLeafKeyType(rsa_only), LeafKeyType::kRsa2048);
  const ClientKeyOffer p384_only{.signature_schemes = {kEcdsaP384Sha384, kRsaPssSha256},
                                 .cipher_suites = {kTlsAes128GcmSha256}};
  EXPECT_EQ(chooseLeafKeyType(p384_only), LeafKeyType::kRsa2048);
}

TEST(LeafKeyTypeTest, ChoosesRsaWhenSignatureAlgorithmsAbsent) {
  const ClientKeyOffer legacy{.signature_schemes = {},
                              .cipher_suites = {kEcdheEcdsaAes128Gcm, kEcdheRsaAes128Gcm}};
  EXPECT_EQ(chooseLeafKeyType(legacy), LeafKeyType::kRsa2048);
}

TEST(LeafKeyTypeTest, ChoosesRsaWhenTls12SuitesNeedRsaCertificate) {
  const ClientKeyOffer offer{.signature_schemes = {kEcdsaP256Sha256, kRsaPkcs1Sha256},
                             .cipher_suites = {kEcdheRsaAes128Gcm, kRsaAes128Gcm}};
  EXPECT_EQ(chooseLeafKeyType(offer), LeafKeyType::kRsa2048);
}

TEST(LeafKeyTypeTest, ChoosesEcdsaWhenTls12OfferHasEcdheEcdsaSuite) {
  const ClientKeyOffer offer{.signature_schemes = {kEcdsaP256Sha256, kRsaPkcs1Sha256},
                             .cipher_suites = {kEcdheRsaAes128Gcm, kEcdheEcdsaAes128Gcm}};
  EXPECT_EQ(chooseLeafKeyType(offer), LeafKeyType::kEcdsaP256);
}

TEST(LeafKeyTypeTest, ChoosesEcdsaWhenCipherSuitesUnknown) {
  const ClientKeyOffer offer{.signature_schemes = {kEcdsaP256Sha256}, .cipher_suites = {}};
  EXPECT_EQ(chooseLeafKeyType(offer), LeafKeyType::kEcdsaP256);
}

TEST(LeafKeyTypeTest, NamesEveryKeyType) {
  EXPECT_EQ(leafKeyTypeName(LeafKeyType::kEcdsaP256), "ecdsa-p256");
  EXPECT_EQ(leafKeyTypeName(LeafKeyType::kRsa2048), "rsa-2048");
}

}  // namespace
}  // namespace vtps::mint
