#include "crypto/csr.h"

#include <gtest/gtest.h>

#include "tests/crypto/test_pki.h"

namespace vtps::crypto {
namespace {

ossl::X509ExtensionStackPtr extensionsOf(const CertificateRequest& req) {
  return ossl::X509ExtensionStackPtr(X509_REQ_get_extensions(raw(req)));
}

bool isCritical(const CertificateRequest& req, int nid) {
  auto exts = extensionsOf(req);
  int idx = X509v3_get_ext_by_NID(exts.get(), nid, -1);
  return idx >= 0 && X509_EXTENSION_get_critical(sk_X509_EXTENSION_value(exts.get(), idx)) == 1;
}

TEST(CertificateRequestTest, CreatesASignedRequestWithSubjectAndSans) {
  PrivateKey key = testing::ecKey();
  SubjectFields s = testing::subjectCn("www.example.com");
  s.o = "Example";
  s.c = "US";
  s.dns_names = {"www.example.com", "example.com"};
  auto req = CertificateRequest::create(s, key, /*signing=*/false);
  ASSERT_TRUE(req.ok()) << req.message();
  EXPECT_TRUE(req->verifySignature());
  EXPECT_EQ(req->subject(), "CN=www.example.com,O=Example,C=US");
  EXPECT_EQ(req->dnsNames(), (std::vector<std::string>{"www.example.com", "example.com"}));
  EXPECT_FALSE(req->requestsCa());
  EXPECT_EQ(req->publicKeyDer(), key.publicKeyDer());
  auto exts = extensionsOf(req.value());
  EXPECT_LT(X509v3_get_ext_by_NID(exts.get(), NID_basic_constraints, -1), 0);
}

TEST(CertificateRequestTest, SigningRequestAsksForCriticalCaExtensions) {
  auto req = CertificateRequest::create(testing::subjectCn("Corp CA"), testing::ecKey(), true);
  ASSERT_TRUE(req.ok()) << req.message();
  EXPECT_TRUE(req->requestsCa());
  EXPECT_TRUE(isCritical(req.value(), NID_basic_constraints));
  EXPECT_TRUE(isCritical(req.value(), NID_key_usage));
  using KeyUsagePtr = std::unique_ptr<ASN1_BIT_STRING, ossl::Deleter<ASN1_BIT_STRING_free>>;
  auto exts = extensionsOf(req.value());
  KeyUsagePtr ku(
      static_cast<ASN1_BIT_STRING*>(X509V3_get_d2i(exts.get(), NID_key_usage, nullptr, nullptr)));
  ASSERT_TRUE(ku);
  EXPECT_EQ(ASN1_BIT_STRING_get_bit(ku.get(), 5), 1);  // keyCertSign
  EXPECT_EQ(ASN1_BIT_STRING_get_bit(ku.get(), 6), 1);  // cRLSign
  EXPECT_EQ(ASN1_BIT_STRING_get_bit(ku.get(), 0), 0);  // digitalSignature
}

TEST(CertificateRequestTest, RoundTripsThroughPem) {
  auto req = CertificateRequest::create(testing::subjectCn("a"), testing::ecKey(), false).value();
  std::string pem = req.toPem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
  auto back = CertificateRequest::parsePem(pem, "a.csr");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->subject(), "CN=a");
  EXPECT_TRUE(back->verifySignature());
  EXPECT_FALSE(CertificateRequest::parsePem("nope", "bad.csr").ok());
  EXPECT_TRUE(CertificateRequest::parsePem("nope", "bad.csr")
                  .message()
                  .starts_with("parse signing request bad.csr"));
}

TEST(CertificateRequestTest, RefusesAnInvalidSubject) {
  SubjectFields s = testing::subjectCn("a");
  s.c = "Deutschland";
  auto req = CertificateRequest::create(s, testing::ecKey(), false);
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.message(),
            "country \"Deutschland\": must be two letters (an ISO 3166 code such as US)");
}

}  // namespace
}  // namespace vtps::crypto
