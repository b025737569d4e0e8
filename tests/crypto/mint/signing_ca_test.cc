#include "crypto/mint/signing_ca.h"

#include <gtest/gtest.h>

#include "tests/crypto/mint/test_pki.h"

namespace vtps::mint {
namespace {

using testpki::KeyKind;
using testpki::sharedCa;

Result<std::shared_ptr<const SigningCa>> fromTestCa(const std::string& name,
                                                    const testpki::TestCa& ca) {
  return SigningCa::create(name, ca.cert.get(), ca.key.get());
}

TEST(SigningCaTest, PicksDigestMatchingTheKey) {
  struct Case {
    KeyKind kind;
    int digest_nid;
  };
  for (const Case& c : {Case{KeyKind::kEcP256, NID_sha256}, Case{KeyKind::kEcP384, NID_sha384},
                        Case{KeyKind::kRsa2048, NID_sha256}}) {
    Result<std::shared_ptr<const SigningCa>> ca = fromTestCa("corp", sharedCa(c.kind));
    ASSERT_TRUE(ca.ok()) << ca.message();
    EXPECT_EQ(EVP_MD_get_type((*ca)->digest()), c.digest_nid);
    EXPECT_EQ((*ca)->name(), "corp");
  }
}

TEST(SigningCaTest, FingerprintIsSha256OfTheCertificateDer) {
  const testpki::TestCa& test_ca = sharedCa(KeyKind::kEcP256);
  Result<std::shared_ptr<const SigningCa>> ca = fromTestCa("corp", test_ca);
  ASSERT_TRUE(ca.ok()) << ca.message();
  unsigned char* der = nullptr;
  const int der_len = i2d_X509(test_ca.cert.get(), &der);
  ASSERT_GT(der_len, 0);
  Sha256Fingerprint expected{};
  unsigned int md_len = 0;
  ASSERT_EQ(EVP_Digest(der, static_cast<std::size_t>(der_len), expected.data(), &md_len,
                       EVP_sha256(), nullptr),
            1);
  OPENSSL_free(der);
  EXPECT_EQ((*ca)->fingerprint(), expected);
}

TEST(SigningCaTest, KeepsItsOwnReferences) {
  std::shared_ptr<const SigningCa> ca;
  {
    testpki::TestCa temp = testpki::makeCa("short-lived", KeyKind::kEcP256);
    Result<std::shared_ptr<const SigningCa>> created = fromTestCa("temp", temp);
    ASSERT_TRUE(created.ok()) << created.message();
    ca = *created;
  }
  // The caller's handles are gone; the CA's still work.
  EXPECT_EQ(X509_check_private_key(ca->cert(), ca->key()), 1);
}

TEST(SigningCaTest, RejectsMissingCertificateOrKey) {
  Result<std::shared_ptr<const SigningCa>> ca =
      SigningCa::create("corp", sharedCa(KeyKind::kEcP256).cert.get(), nullptr);
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.message(), "signing CA corp: certificate or key missing");
}

TEST(SigningCaTest, RejectsKeyOfAnotherCertificate) {
  Result<std::shared_ptr<const SigningCa>> ca = SigningCa::create(
      "corp", sharedCa(KeyKind::kEcP256).cert.get(), sharedCa(KeyKind::kEcP384).key.get());
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.message(), "signing CA corp: private key does not match the certificate");
}

TEST(SigningCaTest, RejectsServerCertificate) {
  ossl::EvpPkeyPtr key = testpki::newKey(KeyKind::kEcP256);
  testpki::CertSpec spec;
  spec.subject = {{"CN", "www.example.com"}};
  ossl::X509Ptr cert = testpki::issueCert(spec, key.get(), nullptr, nullptr);
  Result<std::shared_ptr<const SigningCa>> ca = SigningCa::create("web", cert.get(), key.get());
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.message(),
            "signing CA web: certificate is not a CA (basicConstraints CA:TRUE missing)");
}

TEST(SigningCaTest, RejectsCaWhoseKeyUsageLacksKeyCertSign) {
  ossl::EvpPkeyPtr key = testpki::newKey(KeyKind::kEcP256);
  testpki::CertSpec spec;
  spec.subject = {{"CN", "crl only"}};
  spec.ca = true;
  spec.key_usage = "critical,cRLSign";
  ossl::X509Ptr cert = testpki::issueCert(spec, key.get(), nullptr, nullptr);
  Result<std::shared_ptr<const SigningCa>> ca = SigningCa::create("crl", cert.get(), key.get());
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.message(), "signing CA crl: keyUsage does not allow keyCertSign");
}

TEST(SigningCaTest, RejectsUnsupportedKeyType) {
  Result<std::shared_ptr<const SigningCa>> ca = fromTestCa("ed", sharedCa(KeyKind::kEd25519));
  ASSERT_FALSE(ca.ok());
  EXPECT_EQ(ca.message(),
            "signing CA ed: key type ED25519 is not supported (RSA >= 2048 bits or EC "
            "P-224/P-256/P-384/P-521)");
}

TEST(SigningCaTest, RejectsWeakRsaAndUnsupportedCurves) {
  struct Case {
    ossl::EvpPkeyPtr key;
    const char* message;
  };
  Case cases[] = {
      {ossl::EvpPkeyPtr(EVP_RSA_gen(1024)),
       "signing CA weak: RSA key of 1024 bits is too small (at least 2048)"},
      {ossl::EvpPkeyPtr(EVP_EC_gen("secp256k1")),
       "signing CA weak: EC curve secp256k1 is not supported (P-224, P-256, P-384, P-521)"},
  };
  for (Case& c : cases) {
    ASSERT_NE(c.key, nullptr);
    testpki::CertSpec spec;
    spec.subject = {{"CN", "weak CA"}};
    spec.ca = true;
    ossl::X509Ptr cert = testpki::issueCert(spec, c.key.get(), nullptr, nullptr);
    Result<std::shared_ptr<const SigningCa>> ca =
        SigningCa::create("weak", cert.get(), c.key.get());
    ASSERT_FALSE(ca.ok());
    EXPECT_EQ(ca.message(), c.message);
  }
}

TEST(SigningCaTest, IssuingCasPicksUntrustedCaWhenUpstreamFailedValidation) {
  Result<std::shared_ptr<const SigningCa>> signing = fromTestCa("corp", sharedCa(KeyKind::kEcP256));
  Result<std::shared_ptr<const SigningCa>> untrusted =
      fromTestCa("untrusted", sharedCa(KeyKind::kRsa2048));
  ASSERT_TRUE(signing.ok() && untrusted.ok());
  const IssuingCas cas{.signing = *signing, .untrusted = *untrusted};
  EXPECT_EQ(&cas.issuerFor(true), signing->get());
  EXPECT_EQ(&cas.issuerFor(false), untrusted->get());
}

}  // namespace
}  // namespace vtps::mint
