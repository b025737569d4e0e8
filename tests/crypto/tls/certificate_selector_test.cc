#include "crypto/tls/certificate_selector.h"

#include <gtest/gtest.h>

#include "tests/crypto/tls/test_pki.h"

namespace vtps::tls {
namespace {

using testing::CertSpec;
using testing::KeyKind;

TEST(CertificateSelectorTest, ExactNamesMatchCaseInsensitivelyAndIgnoreATrailingDot) {
  CertificateSelector s;
  s.addName(1, "www.Example.com");
  EXPECT_EQ(s.select("www.example.com"), 1u);
  EXPECT_EQ(s.select("WWW.EXAMPLE.COM"), 1u);
  EXPECT_EQ(s.select("www.example.com."), 1u);
  EXPECT_EQ(s.select("example.com"), std::nullopt);
  EXPECT_EQ(s.select(""), std::nullopt);
}

TEST(CertificateSelectorTest, WildcardsCoverExactlyOneLabel) {
  CertificateSelector s;
  s.addName(2, "*.b.example");
  EXPECT_EQ(s.select("foo.b.example"), 2u);
  EXPECT_EQ(s.select("b.example"), std::nullopt);
  EXPECT_EQ(s.select("x.foo.b.example"), std::nullopt);
  EXPECT_EQ(s.select(".b.example"), std::nullopt);
}

TEST(CertificateSelectorTest, ExactBeatsWildcardAndTheEarliestCertificateWins) {
  CertificateSelector s;
  s.addName(1, "*.example.com");
  s.addName(2, "www.example.com");
  s.addName(3, "www.example.com");
  s.addName(4, "*.example.com");
  EXPECT_EQ(s.select("www.example.com"), 2u);
  EXPECT_EQ(s.select("mail.example.com"), 1u);
}

TEST(CertificateSelectorTest, PartialWildcardsAreNotMatched) {
  CertificateSelector s;
  s.addName(1, "w*.example.com");
  s.addName(2, "*");
  EXPECT_EQ(s.select("www.example.com"), std::nullopt);
  EXPECT_EQ(s.select("w*.example.com"), std::nullopt);
}

TEST(CertificateSelectorTest, CommonNameCountsOnlyWithoutDnsSans) {
  auto cn_only = testing::makeSelfSigned(CertSpec{.cn = "CN-Only.example"}, KeyKind::kEcP256);
  auto with_san = testing::makeSelfSigned(
      CertSpec{.cn = "cn.example", .dns_sans = {"san.example", "*.wild.example"}},
      KeyKind::kEcP256);
  EXPECT_EQ(dnsNamesOf(cn_only.cert.get()), std::vector<std::string>{"cn-only.example"});
  EXPECT_EQ(dnsNamesOf(with_san.cert.get()),
            (std::vector<std::string>{"san.example", "*.wild.example"}));

  CertificateSelector s;
  s.add(0, cn_only.cert.get());
  s.add(1, with_san.cert.get());
  EXPECT_EQ(s.select("cn-only.example"), 0u);
  EXPECT_EQ(s.select("san.example"), 1u);
  EXPECT_EQ(s.select("a.wild.example"), 1u);
  EXPECT_EQ(s.select("cn.example"), std::nullopt);
}

}  // namespace
}  // namespace vtps::tls
