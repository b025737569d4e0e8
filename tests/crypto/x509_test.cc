#include "crypto/x509.h"

#include <gtest/gtest.h>

#include "crypto/subject.h"
#include "tests/crypto/test_pki.h"

namespace vtps::crypto {
namespace {

using testing::ecKey;
using testing::issue;
using testing::selfSignedCa;
using testing::validFor;

SubjectFields fullSubject() {
  SubjectFields s;
  s.cn = "Corp Signing CA";
  s.email = "pki@corp.example";
  s.ous = {"Security", "Network"};
  s.o = "Corp";
  s.l = "Saint Louis";
  s.st = "Missouri";
  s.c = "US";
  s.dns_names = {"login.corp.example", "*.corp.example"};
  s.user_emails = {"susan@corp.example"};
  return s;
}

TEST(SubjectFieldsTest, AcceptsACompleteSubject) {
  EXPECT_TRUE(fullSubject().validate().ok());
}

TEST(SubjectFieldsTest, RefusesACountryThatIsNotTwoLetters) {
  for (const char* c : {"USA", "U", "1A", "U "}) {
    SubjectFields s = fullSubject();
    s.c = c;
    EXPECT_EQ(s.validate().message(),
              fmt::format("country \"{}\": must be two letters (an ISO 3166 code such as US)", c));
  }
}

TEST(SubjectFieldsTest, NamesTheBadFieldAndRule) {
  SubjectFields s = fullSubject();
  s.cn.clear();
  EXPECT_EQ(s.validate().message(), "common name: required");
  s = fullSubject();
  s.cn = std::string(65, 'a');
  EXPECT_EQ(
      s.validate().message(),
      fmt::format("common name \"{}\": longer than 64 characters (RFC 5280 upper bound)", s.cn));
  s = fullSubject();
  s.dns_names = {"bad_host.example"};
  EXPECT_EQ(s.validate().message(),
            "DNS name \"bad_host.example\": not a host name (letters, digits and hyphens in "
            "dot-separated labels; a wildcard only as a leftmost \"*.\")");
  s = fullSubject();
  s.dns_names = {"www.*.example"};
  EXPECT_FALSE(s.validate().ok());
  s = fullSubject();
  s.user_emails = {"not-an-email"};
  EXPECT_EQ(s.validate().message(),
            "user \"not-an-email\": not an email address (local-part@domain)");
  s = fullSubject();
  s.email = "a@b@c";
  EXPECT_EQ(s.validate().message(), "email \"a@b@c\": not an email address (local-part@domain)");
  s = fullSubject();
  s.ous = {""};
  EXPECT_EQ(s.validate().message(), "organizational unit: must not be empty");
}

TEST(CreateSelfSignedCaTest, CarriesTheSigningCaExtensions) {
  PrivateKey key = ecKey();
  auto cert = createSelfSignedCa(fullSubject(), key, Validity::days(365));
  ASSERT_TRUE(cert.ok()) << cert.message();
  X509* x = raw(cert.value());

  int crit = -1;
  std::unique_ptr<BASIC_CONSTRAINTS, ossl::Deleter<BASIC_CONSTRAINTS_free>> bc(
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_basic_constraints, &crit, nullptr)));
  ASSERT_TRUE(bc);
  EXPECT_NE(bc->ca, 0);
  EXPECT_EQ(crit, 1);

  std::unique_ptr<ASN1_BIT_STRING, ossl::Deleter<ASN1_BIT_STRING_free>> ku(
      static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(x, NID_key_usage, &crit, nullptr)));
  ASSERT_TRUE(ku);
  EXPECT_EQ(crit, 1);
  EXPECT_EQ(X509_get_key_usage(x), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));

  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(x);
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(x);
  ASSERT_NE(ski, nullptr);
  ASSERT_NE(aki, nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(ski, aki), 0);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
  ossl::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  EXPECT_FALSE(BN_is_negative(bn.get()));
  EXPECT_LE(BN_num_bits(bn.get()), 128);
  EXPECT_GT(BN_num_bits(bn.get()), 64);  // fails with probability 2^-64
  EXPECT_EQ(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_verify(x, raw(key)), 1);
}

TEST(CreateSelfSignedCaTest, SignsP384WithSha384AndRsaWithSha256) {
  auto p384 = PrivateKey::generate(KeySpec::parse("ec:secp384r1").value()).value();
  auto cert = createSelfSignedCa(testing::subjectCn("x"), p384, Validity::days(1)).value();
  EXPECT_EQ(X509_get_signature_nid(raw(cert)), NID_ecdsa_with_SHA384);
  auto rsa = PrivateKey::generate(KeySpec::parse("rsa:2048").value()).value();
  auto rsa_cert = createSelfSignedCa(testing::subjectCn("x"), rsa, Validity::days(1)).value();
  EXPECT_EQ(X509_get_signature_nid(raw(rsa_cert)), NID_sha256WithRSAEncryption);
}

TEST(CreateSelfSignedCaTest, GivesEveryCertificateItsOwnSerial) {
  PrivateKey key = ecKey();
  EXPECT_NE(selfSignedCa("a", key).info().serial, selfSignedCa("a", key).info().serial);
}

TEST(CreateSelfSignedCaTest, RefusesAnInvalidSubject) {
  SubjectFields s = fullSubject();
  s.c = "USA";
  auto cert = createSelfSignedCa(s, ecKey(), Validity::days(1));
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.message(), "country \"USA\": must be two letters (an ISO 3166 code such as US)");
}

TEST(CertificateInfoTest, ReportsSubjectSansKeyDatesAndFingerprint) {
  PrivateKey key = ecKey();
  Validity v = Validity::days(10);
  auto cert = createSelfSignedCa(fullSubject(), key, v).value();
  CertificateInfo info = cert.info();
  EXPECT_EQ(info.subject,
            "emailAddress=pki@corp.example,CN=Corp Signing CA,OU=Network,OU=Security,O=Corp,"
            "L=Saint Louis,ST=Missouri,C=US");
  EXPECT_EQ(info.issuer, info.subject);
  EXPECT_EQ(info.common_name, "Corp Signing CA");
  EXPECT_EQ(info.key.str(), "EC 256 (prime256v1)");
  EXPECT_EQ(info.not_before, v.not_before);
  EXPECT_EQ(info.not_after, v.not_after);
  EXPECT_EQ(info.dns_names, (std::vector<std::string>{"login.corp.example", "*.corp.example"}));
  EXPECT_EQ(info.emails, (std::vector<std::string>{"susan@corp.example"}));
  EXPECT_EQ(info.sha256_fingerprint.size(), 32u * 3 - 1);
  EXPECT_TRUE(info.is_ca);
  EXPECT_TRUE(info.self_signed);

  unsigned char md[32];
  unsigned int len = 0;
  std::string der = cert.toDer();
  EVP_Digest(der.data(), der.size(), md, &len, EVP_sha256(), nullptr);
  EXPECT_EQ(info.sha256_fingerprint.substr(0, 5), fmt::format("{:02X}:{:02X}", md[0], md[1]));
}

TEST(CertificateTest, ParsesPemBundlesAndDer) {
  PrivateKey key = ecKey();
  Certificate a = selfSignedCa("a", key);
  Certificate b = selfSignedCa("b", key);
  auto both = Certificate::parseAll(a.toPem() + testing::pkcs8Pem(key) + b.toPem(), "bundle.pem");
  ASSERT_TRUE(both.ok()) << both.message();
  ASSERT_EQ(both->size(), 2u);
  EXPECT_TRUE((*both)[0] == a);
  EXPECT_TRUE((*both)[1] == b);
  auto der = Certificate::parseAll(a.toDer(), "a.der");
  ASSERT_TRUE(der.ok());
  EXPECT_TRUE(der->front() == a);
}

TEST(CertificateTest, RefusesInputWithoutACertificate) {
  EXPECT_EQ(Certificate::parseAll("", "e.pem").message(), "parse certificate e.pem: file is empty");
  EXPECT_EQ(Certificate::parseAll("junk", "j.der").message(),
            "parse certificate j.der: not a PEM or DER certificate");
  EXPECT_EQ(Certificate::parseAll(testing::pkcs8Pem(ecKey()), "k.pem").message(),
            "parse certificate k.pem: no CERTIFICATE block in PEM input");
  std::string der = selfSignedCa("a", ecKey()).toDer();
  EXPECT_EQ(Certificate::parseAll(der + "x", "t.der").message(),
            "parse certificate t.der: trailing bytes after the DER certificate");
  std::string broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  EXPECT_TRUE(
      Certificate::parseAll(broken, "b.pem").message().starts_with("parse certificate b.pem: "));
}

TEST(CertificateTest, KeyMatchesOnlyItsCertificate) {
  PrivateKey key = ecKey();
  Certificate cert = selfSignedCa("a", key);
  EXPECT_TRUE(keyMatchesCertificate(key, cert));
  EXPECT_FALSE(keyMatchesCertificate(ecKey(), cert));
}

TEST(BuildChainTest, OrdersIssuersFromLeafToRoot) {
  PrivateKey root_key = ecKey();
  PrivateKey inter_key = ecKey();
  PrivateKey leaf_key = ecKey();
  Certificate root = selfSignedCa("root", root_key);
  Certificate inter = issue(root, root_key, inter_key, "inter", true, validFor(-60, 86400));
  Certificate leaf = issue(inter, inter_key, leaf_key, "leaf", false, validFor(-60, 86400));
  Certificate unrelated = selfSignedCa("other", ecKey());
  auto chain = buildChain(leaf, {unrelated, root, leaf, inter});
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_TRUE(chain[0] == inter);
  EXPECT_TRUE(chain[1] == root);
  EXPECT_TRUE(leaf.isIssuedBy(inter));
  EXPECT_FALSE(leaf.isIssuedBy(root));
  EXPECT_TRUE(buildChain(root, {inter, leaf}).empty());
}

TEST(FormatUtcTest, WritesIso8601) {
  EXPECT_EQ(formatUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatUtc(1700000000), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace vtps::crypto
