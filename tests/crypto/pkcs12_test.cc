#include "crypto/pkcs12.h"

#include <gtest/gtest.h>

#include "tests/crypto/test_pki.h"

namespace vtps::crypto {
namespace {

using testing::ecKey;
using testing::issue;
using testing::selfSignedCa;
using testing::validFor;

struct SmallPki {
  PrivateKey root_key = ecKey();
  PrivateKey inter_key = ecKey();
  PrivateKey leaf_key = ecKey();
  Certificate root = selfSignedCa("root", root_key);
  Certificate inter = issue(root, root_key, inter_key, "inter", true, validFor(-60, 86400));
  Certificate leaf = issue(inter, inter_key, leaf_key, "leaf", false, validFor(-60, 86400));
};

TEST(Pkcs12Test, RoundTripsKeyChainAndAlias) {
  SmallPki pki;
  auto der = buildPkcs12(pki.leaf, {pki.inter, pki.root}, &pki.leaf_key, "web", "pw");
  ASSERT_TRUE(der.ok()) << der.message();
  auto parsed = parsePkcs12(der.value(), "pw", "web.p12");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_EQ(parsed->certificates.size(), 3u);
  const Pkcs12Certificate* keyed = nullptr;
  for (const auto& c : parsed->certificates) {
    if (c.key) keyed = &c;
  }
  ASSERT_NE(keyed, nullptr);
  EXPECT_TRUE(keyed->certificate == pki.leaf);
  EXPECT_EQ(keyed->alias, "web");
  EXPECT_TRUE(keyMatchesCertificate(*keyed->key, pki.leaf));
  auto chain = parsed->chainFor(pki.leaf);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_TRUE(chain[0] == pki.inter);
  EXPECT_TRUE(chain[1] == pki.root);
}

TEST(Pkcs12Test, PairsSeveralKeysWithTheirCertificatesAndAliases) {
  PrivateKey k1 = ecKey();
  PrivateKey k2 = ecKey();
  Certificate c1 = selfSignedCa("one", k1);
  Certificate c2 = selfSignedCa("two", k2);
  std::string der = testing::multiPkcs12({{c1, k1, "-one"}, {c2, k2, "-two"}}, "pw");
  auto parsed = parsePkcs12(der, "pw", "two.p12");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_EQ(parsed->certificates.size(), 2u);
  for (const auto& c : parsed->certificates) {
    ASSERT_TRUE(c.key);
    EXPECT_TRUE(keyMatchesCertificate(*c.key, c.certificate)) << c.alias;
  }
  EXPECT_EQ(parsed->certificates[0].alias, "-one");
  EXPECT_EQ(parsed->certificates[1].alias, "-two");
}

TEST(Pkcs12Test, WrongPasswordFailsNamingTheFile) {
  SmallPki pki;
  std::string der = buildPkcs12(pki.leaf, {}, &pki.leaf_key, "web", "right").value();
  auto parsed = parsePkcs12(der, "wrong", "/tmp/web.p12");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.message(),
            "parse PKCS#12 /tmp/web.p12: wrong password (MAC verification failed)");
}

TEST(Pkcs12Test, RefusesWhatIsNotPkcs12) {
  EXPECT_EQ(parsePkcs12("", "", "e.p12").message(), "parse PKCS#12 e.p12: file is empty");
  EXPECT_EQ(parsePkcs12("junk", "", "j.p12").message(),
            "parse PKCS#12 j.p12: not a PKCS#12 (DER) file");
}

TEST(Pkcs12Test, RefusesAFileWithoutMac) {
  SmallPki pki;
  ossl::Pkcs12Ptr p12(PKCS12_create_ex("pw", "web", raw(pki.leaf_key), raw(pki.leaf), nullptr,
                                       NID_aes_256_cbc, NID_aes_256_cbc, PKCS12_DEFAULT_ITER, -1, 0,
                                       nullptr, nullptr));
  ASSERT_TRUE(p12);
  unsigned char* der = nullptr;
  int len = i2d_PKCS12(p12.get(), &der);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  EXPECT_EQ(parsePkcs12(bytes, "pw", "nomac.p12").message(),
            "parse PKCS#12 nomac.p12: the file has no integrity MAC; export it again with a "
            "password");
}

TEST(Pkcs12Test, RefusesAnExcessiveMacIterationCountBeforeComputingIt) {
  SmallPki pki;
  std::string der = buildPkcs12(pki.leaf, {}, &pki.leaf_key, "web", "pw").value();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  ASSERT_EQ(PKCS12_setup_mac(p12.get(), 2'000'000'000, nullptr, 0, EVP_sha256()), 1);
  unsigned char* out = nullptr;
  int len = i2d_PKCS12(p12.get(), &out);
  std::string bytes(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  EXPECT_EQ(parsePkcs12(bytes, "pw", "slow.p12").message(),
            "parse PKCS#12 slow.p12: MAC iteration count 2000000000 is outside 1..10000000");
}

TEST(Pkcs12Test, EmptyPasswordOpensAFileMadeWithoutPassword) {
  SmallPki pki;
  // As `openssl pkcs12 -export -passout pass:` does: MAC and encryption under the absent password.
  ossl::Pkcs12Ptr p12(PKCS12_create_ex(nullptr, "web", raw(pki.leaf_key), raw(pki.leaf), nullptr,
                                       NID_aes_256_cbc, NID_aes_256_cbc, PKCS12_DEFAULT_ITER, -1, 0,
                                       nullptr, nullptr));
  ASSERT_TRUE(p12);
  ASSERT_EQ(PKCS12_set_mac(p12.get(), nullptr, 0, nullptr, 0, PKCS12_DEFAULT_ITER, EVP_sha256()),
            1);
  unsigned char* der = nullptr;
  int len = i2d_PKCS12(p12.get(), &der);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  auto parsed = parsePkcs12(bytes, "", "empty.p12");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_TRUE(parsed->certificates.front().key.has_value());
  EXPECT_TRUE(keyMatchesCertificate(*parsed->certificates.front().key, pki.leaf));
}

}  // namespace
}  // namespace vtps::crypto
