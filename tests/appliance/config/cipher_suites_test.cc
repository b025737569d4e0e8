#include "appliance/config/cipher_suites.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace vtps::config {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

TEST(CipherSuitesTest, FindsSuitesByIanaNameAndCodePoint) {
  const CipherSuite* s = findCipherSuite(std::string_view("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id, 0xC02F);
  EXPECT_EQ(s->openssl, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(s->authentication, Authentication::kRsa);
  EXPECT_EQ(s->key_exchange, KeyExchange::kEcdhe);
  EXPECT_EQ(s->min_version, TlsVersion::kTls12);
  const CipherSuite* by_id = findCipherSuite(std::uint16_t{0x1301});
  ASSERT_NE(by_id, nullptr);
  EXPECT_EQ(by_id->iana, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(findCipherSuite(std::string_view("tls_ecdhe_rsa_with_aes_128_gcm_sha256")), nullptr);
  EXPECT_EQ(findCipherSuite(std::uint16_t{0xFFFF}), nullptr);
}

TEST(CipherSuitesTest, TableHasUniqueNamesAndCodePoints) {
  std::set<std::string_view> names;
  std::set<std::uint16_t> ids;
  for (const CipherSuite& s : kCipherSuites) {
    EXPECT_TRUE(names.insert(s.iana).second) << s.iana;
    EXPECT_TRUE(ids.insert(s.id).second) << s.iana;
    EXPECT_TRUE(s.iana.starts_with("TLS_")) << s.iana;
  }
}

TEST(CipherSuitesTest, Tls13SuitesWorkOnlyWithTls13) {
  const CipherSuite* tls13 = findCipherSuite(std::string_view("TLS_CHACHA20_POLY1305_SHA256"));
  ASSERT_NE(tls13, nullptr);
  EXPECT_TRUE(tls13->usableWith(TlsVersion::kTls13));
  EXPECT_FALSE(tls13->usableWith(TlsVersion::kTls12));
  EXPECT_EQ(tls13->authentication, Authentication::kAny);
  const CipherSuite* cbc = findCipherSuite(std::string_view("TLS_RSA_WITH_AES_128_CBC_SHA"));
  ASSERT_NE(cbc, nullptr);
  EXPECT_TRUE(cbc->usableWith(TlsVersion::kSsl3));
  EXPECT_TRUE(cbc->usableWith(TlsVersion::kTls12));
  EXPECT_FALSE(cbc->usableWith(TlsVersion::kTls13));
}

TEST(CipherSuitesTest, DefaultProtocolsAreTls10ToTls13) {
  EXPECT_THAT(defaultProtocols(), ElementsAre(TlsVersion::kTls10, TlsVersion::kTls11,
                                              TlsVersion::kTls12, TlsVersion::kTls13));
}

TEST(CipherSuitesTest, ServerDefaultsAreTheTosRsaList) {
  auto all = defaultServerCipherSuites(defaultProtocols());
  EXPECT_EQ(all.size(), 16u);  // 3 TLS 1.3 + 8 ECDHE-RSA + 5 RSA, as the TOS lists them
  for (const std::string& name : all) {
    const CipherSuite* suite = findCipherSuite(std::string_view(name));
    ASSERT_NE(suite, nullptr) << name;
    EXPECT_NE(suite->authentication, Authentication::kEcdsa) << name;
  }
  EXPECT_THAT(all, Not(Contains("TLS_RSA_WITH_AES_128_GCM_SHA256")));
  EXPECT_THAT(defaultServerCipherSuites(std::vector{TlsVersion::kTls13}),
              ElementsAre("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                          "TLS_CHACHA20_POLY1305_SHA256"));
  EXPECT_THAT(defaultServerCipherSuites(std::vector{TlsVersion::kSsl3}),
              ElementsAre("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA",
                          "TLS_RSA_WITH_AES_256_CBC_SHA"));
}

TEST(CipherSuitesTest, ClientDefaultsMixRsaAndEcdsaWithoutEcdsaCbc) {
  auto all = defaultClientCipherSuites(defaultProtocols());
  EXPECT_THAT(all, Contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
  EXPECT_THAT(all, Contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
  EXPECT_THAT(all, Not(Contains("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256")));
  EXPECT_THAT(all, Not(Contains("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384")));
  EXPECT_EQ(all.size(), 19u);  // the server list plus the three ECDSA AEAD suites
}

}  // namespace
}  // namespace vtps::config
