#include "crypto/keys.h"

#include <gtest/gtest.h>

#include "tests/crypto/test_pki.h"

namespace vtps::crypto {
namespace {

using testing::ecKey;

TEST(KeySpecTest, ParsesEveryDocumentedChoice) {
  for (const char* text :
       {"rsa:2048", "rsa:3072", "rsa:4096", "ec:prime256v1", "ec:secp384r1", "ec:secp224r1"}) {
    auto spec = KeySpec::parse(text);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.message();
    EXPECT_EQ(spec->str(), text);
  }
  EXPECT_EQ(KeySpec::parse("rsa:3072")->rsa_bits, 3072);
  EXPECT_EQ(KeySpec::parse("ec:secp384r1")->algorithm, KeyAlgorithm::kEc);
}

TEST(KeySpecTest, RefusesRsaBelow2048SayingWhy) {
  auto spec = KeySpec::parse("rsa:1024");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.message(),
            "key type rsa:1024: RSA keys below 2048 bits are refused: they are too weak to protect "
            "traffic (NIST SP 800-131A disallows them); use rsa:2048 or larger");
}

TEST(KeySpecTest, RefusesOtherSizesCurvesAndAlgorithms) {
  EXPECT_EQ(KeySpec::parse("rsa:2500").message(),
            "key type rsa:2500: RSA size must be 2048, 3072 or 4096");
  EXPECT_EQ(KeySpec::parse("rsa:big").message(),
            "key type rsa:big: RSA size must be a number of bits: 2048, 3072 or 4096");
  EXPECT_EQ(KeySpec::parse("ec:secp521r1").message(),
            "key type ec:secp521r1: unsupported curve; use prime256v1, secp384r1 or secp224r1");
  EXPECT_EQ(KeySpec::parse("dsa:2048").message(),
            "key type dsa:2048: expected one of "
            "rsa:2048|rsa:3072|rsa:4096|ec:prime256v1|ec:secp384r1|ec:secp224r1");
  EXPECT_FALSE(KeySpec::parse("rsa2048").ok());
}

TEST(PrivateKeyTest, GeneratesTheRequestedTypeAndSize) {
  auto rsa = PrivateKey::generate(KeySpec::parse("rsa:2048").value());
  ASSERT_TRUE(rsa.ok());
  EXPECT_EQ(rsa->describe().str(), "RSA 2048");
  auto p384 = PrivateKey::generate(KeySpec::parse("ec:secp384r1").value());
  ASSERT_TRUE(p384.ok());
  EXPECT_EQ(p384->describe().str(), "EC 384 (secp384r1)");
  auto p224 = PrivateKey::generate(KeySpec::parse("ec:secp224r1").value());
  ASSERT_TRUE(p224.ok());
  EXPECT_EQ(p224->describe().str(), "EC 224 (secp224r1)");
}

TEST(PrivateKeyTest, ParsesPkcs8AndTraditionalPemAndDer) {
  PrivateKey key = ecKey();
  for (const std::string& encoded :
       {testing::pkcs8Pem(key), testing::traditionalPem(key), key.pkcs8Der().value()}) {
    auto parsed = PrivateKey::parse(encoded, std::nullopt, "k");
    ASSERT_TRUE(parsed.ok()) << parsed.message();
    EXPECT_EQ(parsed->publicKeyDer(), key.publicKeyDer());
  }
}

TEST(PrivateKeyTest, ParsesEncryptedKeysWithTheirPassword) {
  PrivateKey key = ecKey();
  for (const std::string& encoded :
       {key.encryptedPkcs8Pem("s3cret").value(), testing::traditionalPem(key, "s3cret"),
        testing::encryptedPkcs8Der(key, "s3cret")}) {
    auto parsed = PrivateKey::parse(encoded, std::string("s3cret"), "k");
    ASSERT_TRUE(parsed.ok()) << parsed.message();
    EXPECT_EQ(parsed->publicKeyDer(), key.publicKeyDer());
  }
}

TEST(PrivateKeyTest, WrongPasswordFailsNamingTheFile) {
  PrivateKey key = ecKey();
  for (const std::string& encoded :
       {key.encryptedPkcs8Pem("right").value(), testing::traditionalPem(key, "right"),
        testing::encryptedPkcs8Der(key, "right")}) {
    auto parsed = PrivateKey::parse(encoded, std::string("wrong"), "/tmp/server.key");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.message(),
              "load private key /tmp/server.key: wrong password (or the encrypted key is corrupt)");
  }
}

TEST(PrivateKeyTest, EncryptedKeyWithoutPasswordAsksForIt) {
  auto parsed = PrivateKey::parse(ecKey().encryptedPkcs8Pem("pw").value(), std::nullopt, "k.pem");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.message(), "load private key k.pem: the key is encrypted; give its password");
}

TEST(PrivateKeyTest, FindsTheKeyAmongOtherPemBlocks) {
  PrivateKey key = ecKey();
  std::string combined = testing::selfSignedCa("x", key).toPem() + testing::pkcs8Pem(key);
  auto parsed = PrivateKey::parse(combined, std::nullopt, "both.pem");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed->publicKeyDer(), key.publicKeyDer());
}

TEST(PrivateKeyTest, RefusesInputThatIsNoKey) {
  EXPECT_EQ(PrivateKey::parse("", std::nullopt, "e.key").message(),
            "load private key e.key: file is empty");
  EXPECT_EQ(PrivateKey::parse("garbage bytes", std::nullopt, "g.key").message(),
            "load private key g.key: not a PEM or DER private key");
  auto pem_cert =
      PrivateKey::parse(testing::selfSignedCa("x", ecKey()).toPem(), std::nullopt, "c.pem");
  ASSERT_FALSE(pem_cert.ok());
  EXPECT_TRUE(pem_cert.message().starts_with("load private key c.pem: no private key in PEM input"))
      << pem_cert.message();
}

TEST(PrivateKeyTest, EncryptedPkcs8PemUsesPbes2WithAes256) {
  std::string pem = ecKey().encryptedPkcs8Pem("pw").value();
  EXPECT_TRUE(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl::X509SigPtr sig(PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(sig);
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig.get(), &alg, nullptr);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
  EXPECT_EQ(OBJ_obj2nid(oid), NID_pbes2);
}

}  // namespace
}  // namespace vtps::crypto
