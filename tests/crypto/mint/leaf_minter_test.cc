#include "crypto/mint/leaf_minter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/crypto/mint/test_pki.h"

namespace vtps::mint {
namespace {

using testpki::CertSpec;
using testpki::KeyKind;
using testpki::sharedCa;

std::shared_ptr<const SigningCa> signingCa(const std::string& name, const testpki::TestCa& ca) {
  Result<std::shared_ptr<const SigningCa>> created =
      SigningCa::create(name, ca.cert.get(), ca.key.get());
  EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.message());
  return created.ok() ? *created : nullptr;
}

// An upstream server certificate as a public CA would issue it.
ossl::X509Ptr upstreamCert(const CertSpec& spec) {
  static const testpki::TestCa upstream_ca =
      testpki::makeCa("Upstream Public CA", KeyKind::kEcP256);
  ossl::EvpPkeyPtr key = testpki::newKey(KeyKind::kEcP256);
  return testpki::issueCert(spec, key.get(), upstream_ca.cert.get(), upstream_ca.key.get());
}

CertSpec exampleSpec() {
  CertSpec spec;
  spec.subject = {{"C", "US"}, {"O", "Example Corp"}, {"CN", "www.example.com"}};
  spec.dns = {"www.example.com", "example.com"};
  spec.ips = {"192.0.2.7"};
  return spec;
}

MintedLeaf mint(X509* upstream, std::string_view sni, LeafKeyType type, const SigningCa& ca) {
  Result<LeafKey> key = generateLeafKey(type);
  EXPECT_TRUE(key.ok());
  Result<MintedLeaf> leaf = mintLeafWithKey(upstream, sni, std::move(key).value(), ca);
  EXPECT_TRUE(leaf.ok()) << (leaf.ok() ? "" : leaf.message());
  return leaf.ok() ? std::move(leaf).value() : MintedLeaf{};
}

LeafKey preparedKey(KeyKind kind) {
  Result<LeafKey> key = prepareLeafKey(testpki::newKey(kind));
  EXPECT_TRUE(key.ok());
  return key.ok() ? std::move(key).value() : LeafKey{};
}

std::vector<std::string> sanStrings(X509* cert, int* critical = nullptr) {
  int crit = -1;
  ossl::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, nullptr)));
  if (critical != nullptr) *critical = crit;
  std::vector<std::string> out;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* s = name->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(ASN1_STRING_length(s))));
    } else if (name->type == GEN_IPADD && ASN1_STRING_length(name->d.iPAddress) == 4) {
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, ASN1_STRING_get0_data(name->d.iPAddress), text, sizeof(text));
      out.push_back(std::string("IP:") + text);
    } else {
      out.push_back("other");
    }
  }
  return out;
}

testpki::CommandResult opensslVerify(X509* ca, X509* leaf, const std::string& host,
                                     std::vector<std::string> extra = {}) {
  const testpki::TempDir dir;
  testpki::writeFile(dir.path() / "ca.pem", testpki::toPem(ca));
  testpki::writeFile(dir.path() / "leaf.pem", testpki::toPem(leaf));
  std::vector<std::string> argv = {"openssl", "verify"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  for (const char* arg : {"-CAfile", "ca.pem", "-verify_hostname"})
    argv.emplace_back(arg);
  argv.push_back(host);
  argv.emplace_back("leaf.pem");
  return testpki::runCommand(argv, dir.path());
}

std::string hex(const ASN1_OCTET_STRING* s) {
  std::string out;
  for (int i = 0; s != nullptr && i < ASN1_STRING_length(s); ++i) {
    char byte[3];
    std::snprintf(byte, sizeof(byte), "%02x", ASN1_STRING_get0_data(s)[i]);
    out += byte;
  }
  return out;
}

// --- interop with `openssl verify`, every CA kind x leaf key type ---

struct VerifyCase {
  KeyKind ca_kind;
  LeafKeyType leaf_type;
  int signature_nid;
};

class LeafMinterVerifyTest : public ::testing::TestWithParam<VerifyCase> {};

TEST_P(LeafMinterVerifyTest, MintedLeafPassesOpensslVerifyWithHostname) {
  const VerifyCase& c = GetParam();
  const testpki::TestCa& test_ca = sharedCa(c.ca_kind);
  auto ca = signingCa("corp-signing", test_ca);
  ASSERT_NE(ca, nullptr);
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  MintedLeaf leaf = mint(upstream.get(), "www.example.com", c.leaf_type, *ca);
  ASSERT_NE(leaf.cert, nullptr);
  EXPECT_EQ(X509_get_signature_nid(leaf.cert.get()), c.signature_nid);
  EXPECT_EQ(X509_check_private_key(leaf.cert.get(), leaf.key.get()), 1);

  const testpki::CommandResult ok =
      opensslVerify(test_ca.cert.get(), leaf.cert.get(), "www.example.com");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.output, "leaf.pem: OK\n");

  const testpki::CommandResult strict =
      opensslVerify(test_ca.cert.get(), leaf.cert.get(), "example.com",
                    {"-x509_strict", "-purpose", "sslserver"});
  EXPECT_EQ(strict.exit_code, 0) << strict.output;

  const testpki::CommandResult wrong_host =
      opensslVerify(test_ca.cert.get(), leaf.cert.get(), "www.example.org");
  EXPECT_NE(wrong_host.exit_code, 0);
  EXPECT_NE(wrong_host.output.find("error 62 at 0 depth lookup: hostname mismatch"),
            std::string::npos)
      << wrong_host.output;
}

INSTANTIATE_TEST_SUITE_P(
    CaAndLeafKinds, LeafMinterVerifyTest,
    ::testing::Values(
        VerifyCase{KeyKind::kEcP256, LeafKeyType::kEcdsaP256, NID_ecdsa_with_SHA256},
        VerifyCase{KeyKind::kEcP256, LeafKeyType::kRsa2048, NID_ecdsa_with_SHA256},
        VerifyCase{KeyKind::kRsa2048, LeafKeyType::kEcdsaP256, NID_sha256WithRSAEncryption},
        VerifyCase{KeyKind::kRsa2048, LeafKeyType::kRsa2048, NID_sha256WithRSAEncryption},
        VerifyCase{KeyKind::kEcP384, LeafKeyType::kEcdsaP256, NID_ecdsa_with_SHA384}),
    [](const ::testing::TestParamInfo<VerifyCase>& param_info) {
      const char* ca = param_info.param.ca_kind == KeyKind::kEcP256   ? "EcP256Ca"
                       : param_info.param.ca_kind == KeyKind::kEcP384 ? "EcP384Ca"
                                                                      : "Rsa2048Ca";
      const char* leaf =
          param_info.param.leaf_type == LeafKeyType::kEcdsaP256 ? "EcdsaLeaf" : "RsaLeaf";
      return std::string(ca) + leaf;
    });

// --- names ---

class LeafMinterTest : public ::testing::Test {
 protected:
  std::shared_ptr<const SigningCa> ca_ = signingCa("corp-signing", sharedCa(KeyKind::kEcP256));
};

TEST_F(LeafMinterTest, CopiesSubjectAndSubjectAltNames) {
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  MintedLeaf leaf = mint(upstream.get(), "example.com", LeafKeyType::kEcdsaP256, *ca_);
  ASSERT_NE(leaf.cert, nullptr);
  EXPECT_EQ(
      X509_NAME_cmp(X509_get_subject_name(leaf.cert.get()), X509_get_subject_name(upstream.get())),
      0);
  int critical = -1;
  EXPECT_EQ(sanStrings(leaf.cert.get(), &critical),
            (std::vector<std::string>{"DNS:www.example.com", "DNS:example.com", "IP:192.0.2.7"}));
  EXPECT_EQ(critical, 0);
  EXPECT_EQ(
      X509_NAME_cmp(X509_get_issuer_name(leaf.cert.get()), X509_get_subject_name(ca_->cert())), 0);
}

TEST_F(LeafMinterTest, AddsMissingSniLowercasedAsDnsName) {
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  MintedLeaf leaf = mint(upstream.get(), "API.Example.ORG", LeafKeyType::kEcdsaP256, *ca_);
  ASSERT_NE(leaf.cert, nullptr);
  EXPECT_EQ(sanStrings(leaf.cert.get()),
            (std::vector<std::string>{"DNS:www.example.com", "DNS:example.com", "IP:192.0.2.7",
                                      "DNS:api.example.org"}));
  const testpki::CommandResult verify =
      opensslVerify(sharedCa(KeyKind::kEcP256).cert.get(), leaf.cert.get(), "api.example.org");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST_F(LeafMinterTest, KeepsNamesWhenWildcardAlreadyCoversSni) {
  CertSpec spec = exampleSpec();
  spec.dns = {"*.example.com"};
  spec.ips.clear();
  ossl::X509Ptr upstream = upstreamCert(spec);
  MintedLeaf covered = mint(upstream.get(), "shop.example.com", LeafKeyType::kEcdsaP256, *ca_);
  EXPECT_EQ(sanStrings(covered.cert.get()), (std::vector<std::string>{"DNS:*.example.com"}));
  // A wildcard covers one label only: a deeper name is added.
  MintedLeaf deeper = mint(upstream.get(), "a.shop.example.com", LeafKeyType::kEcdsaP256, *ca_);
  EXPECT_EQ(sanStrings(deeper.cert.get()),
            (std::vector<std::string>{"DNS:*.example.com", "DNS:a.shop.example.com"}));
}

TEST_F(LeafMinterTest, IgnoresIpAddressAndInvalidSni) {
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  const std::vector<std::string> expected = {"DNS:www.example.com", "DNS:example.com",
                                             "IP:192.0.2.7"};
  for (std::string_view sni :
       {"192.0.2.9", "2001:db8::1", "bad name.example", "example.com.", ""}) {
    MintedLeaf leaf = mint(upstream.get(), sni, LeafKeyType::kEcdsaP256, *ca_);
    EXPECT_EQ(sanStrings(leaf.cert.get()), expected) << "SNI '" << sni << "'";
  }
}

TEST_F(LeafMinterTest, AddsSubjectAltNameWhenUpstreamHasNone) {
  CertSpec spec;
  spec.subject = {{"CN", "legacy.example.net"}};
  ossl::X509Ptr upstream = upstreamCert(spec);
  MintedLeaf with_sni = mint(upstream.get(), "legacy.example.net", LeafKeyType::kEcdsaP256, *ca_);
  EXPECT_EQ(sanStrings(with_sni.cert.get()), (std::vector<std::string>{"DNS:legacy.example.net"}));
  MintedLeaf without_sni = mint(upstream.get(), "", LeafKeyType::kEcdsaP256, *ca_);
  EXPECT_EQ(X509_get_ext_by_NID(without_sni.cert.get(), NID_subject_alt_name, -1), -1);
}

TEST_F(LeafMinterTest, KeepsCriticalSanAndForcesItForEmptySubject) {
  CertSpec critical_spec = exampleSpec();
  critical_spec.san_critical = true;
  ossl::X509Ptr critical_upstream = upstreamCert(critical_spec);
  int critical = -1;
  MintedLeaf kept = mint(critical_upstream.get(), "", LeafKeyType::kEcdsaP256, *ca_);
  sanStrings(kept.cert.get(), &critical);
  EXPECT_EQ(critical, 1);

  CertSpec empty_subject;
  empty_subject.dns = {"nameless.example.com"};
  ossl::X509Ptr nameless = upstreamCert(empty_subject);
  MintedLeaf forced = mint(nameless.get(), "", LeafKeyType::kEcdsaP256, *ca_);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(forced.cert.get())), 0);
  sanStrings(forced.cert.get(), &critical);
  EXPECT_EQ(critical, 1);
}

TEST(LeafMinterSniTest, AcceptsOnlyDnsHostNames) {
  for (std::string_view valid : {"www.example.com", "a", "xn--bcher-kva.example", "_dmarc.example",
                                 "WWW.EXAMPLE.COM", "123.example.com", "host-1.example"}) {
    EXPECT_TRUE(isValidSni(valid)) << valid;
  }
  const std::string label63(63, 'a');
  const std::string name253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  EXPECT_TRUE(isValidSni(name253));
  const std::string name255 = label63 + "." + label63 + "." + label63 + "." + label63;
  const std::string long_label = std::string(64, 'a') + ".example";
  for (std::string_view invalid :
       {std::string_view(""), std::string_view("10.0.0.1"), std::string_view("::1"),
        std::string_view("[2001:db8::1]"), std::string_view("example.com."),
        std::string_view("a..b"), std::string_view(".example"), std::string_view("exa mple.com"),
        std::string_view("ex\0ample", 8), std::string_view(long_label),
        std::string_view(name255)}) {
    EXPECT_FALSE(isValidSni(invalid)) << invalid;
  }
}

// --- validity ---

struct Window {
  std::int64_t not_before_s;  // seconds from now
  std::int64_t not_after_s;
};

void expectWindow(X509* leaf, const ASN1_TIME* want_nb, const ASN1_TIME* want_na) {
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notBefore(leaf), want_nb), 0);
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf), want_na), 0);
}

class LeafMinterValidityTest : public ::testing::Test {
 protected:
  // A CA valid from a day ago for ten days.
  testpki::TestCa test_ca_ = testpki::makeCa("short CA", KeyKind::kEcP256, -86400, 10 * 86400);
  std::shared_ptr<const SigningCa> ca_ = signingCa("short", test_ca_);

  ossl::X509Ptr upstreamValid(Window w) {
    CertSpec spec = exampleSpec();
    spec.not_before_s = w.not_before_s;
    spec.not_after_s = w.not_after_s;
    return upstreamCert(spec);
  }
};

TEST_F(LeafMinterValidityTest, CopiesUpstreamWindowInsideTheCas) {
  ossl::X509Ptr upstream = upstreamValid({-3600, 5 * 86400});
  MintedLeaf leaf = mint(upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  expectWindow(leaf.cert.get(), X509_get0_notBefore(upstream.get()),
               X509_get0_notAfter(upstream.get()));
}

TEST_F(LeafMinterValidityTest, ClampsLongerUpstreamWindowToTheCas) {
  ossl::X509Ptr upstream = upstreamValid({-30 * 86400, 365 * 86400});
  MintedLeaf leaf = mint(upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  expectWindow(leaf.cert.get(), X509_get0_notBefore(test_ca_.cert.get()),
               X509_get0_notAfter(test_ca_.cert.get()));
  const testpki::CommandResult verify =
      opensslVerify(test_ca_.cert.get(), leaf.cert.get(), "www.example.com");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST_F(LeafMinterValidityTest, KeepsExpiredUpstreamExpiredInsideTheCaWindow) {
  ossl::X509Ptr upstream = upstreamValid({-100 * 86400, -50 * 86400});
  MintedLeaf leaf = mint(upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  const ASN1_TIME* ca_nb = X509_get0_notBefore(test_ca_.cert.get());
  expectWindow(leaf.cert.get(), ca_nb, ca_nb);
  const testpki::CommandResult verify =
      opensslVerify(test_ca_.cert.get(), leaf.cert.get(), "www.example.com");
  EXPECT_NE(verify.exit_code, 0);
  EXPECT_NE(verify.output.find("certificate has expired"), std::string::npos) << verify.output;
}

TEST_F(LeafMinterValidityTest, KeepsFutureUpstreamNotYetValidInsideTheCaWindow) {
  ossl::X509Ptr upstream = upstreamValid({20 * 86400, 40 * 86400});
  MintedLeaf leaf = mint(upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  const ASN1_TIME* ca_na = X509_get0_notAfter(test_ca_.cert.get());
  expectWindow(leaf.cert.get(), ca_na, ca_na);
  const testpki::CommandResult verify =
      opensslVerify(test_ca_.cert.get(), leaf.cert.get(), "www.example.com");
  EXPECT_NE(verify.exit_code, 0);
  EXPECT_NE(verify.output.find("certificate is not yet valid"), std::string::npos) << verify.output;
}

// --- serial and extensions ---

TEST_F(LeafMinterTest, SerialsAreRandomPositiveAndDistinct) {
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  std::set<std::string> serials;
  int max_bits = 0;
  constexpr int kMints = 200;
  for (int i = 0; i < kMints; ++i) {
    MintedLeaf leaf = mint(upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
    ASSERT_NE(leaf.cert, nullptr);
    ossl::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf.cert.get()), nullptr));
    ASSERT_NE(bn, nullptr);
    EXPECT_FALSE(BN_is_negative(bn.get()));
    EXPECT_FALSE(BN_is_zero(bn.get()));
    EXPECT_LE(BN_num_bits(bn.get()), 127);
    max_bits = std::max(max_bits, BN_num_bits(bn.get()));
    ossl::OpensslStringPtr text(BN_bn2hex(bn.get()));
    serials.insert(text.get());
  }
  EXPECT_EQ(serials.size(), static_cast<std::size_t>(kMints));
  EXPECT_GE(max_bits, 120);  // fails only if 200 draws all had 8 leading zero bits
}

TEST_F(LeafMinterTest, SetsServerLeafExtensionsForEcAndRsaKeys) {
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  for (LeafKeyType type : {LeafKeyType::kEcdsaP256, LeafKeyType::kRsa2048}) {
    MintedLeaf leaf = mint(upstream.get(), "www.example.com", type, *ca_);
    X509* cert = leaf.cert.get();
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(X509_get_version(cert), X509_VERSION_3);
    EXPECT_EQ(X509_check_ca(cert), 0);
    const int bc = X509_get_ext_by_NID(cert, NID_basic_constraints, -1);
    ASSERT_GE(bc, 0);
    EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert, bc)), 1);
    const std::uint32_t expected_ku = type == LeafKeyType::kRsa2048
                                          ? (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)
                                          : KU_DIGITAL_SIGNATURE;
    EXPECT_EQ(X509_get_key_usage(cert), expected_ku);
    EXPECT_EQ(X509_get_extended_key_usage(cert), static_cast<std::uint32_t>(XKU_SSL_SERVER));

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    ASSERT_EQ(X509_pubkey_digest(cert, EVP_sha1(), md, &md_len), 1);
    ossl::Asn1OctetStringPtr want_ski(ASN1_OCTET_STRING_new());
    ASSERT_EQ(ASN1_OCTET_STRING_set(want_ski.get(), md, static_cast<int>(md_len)), 1);
    EXPECT_EQ(hex(X509_get0_subject_key_id(cert)), hex(want_ski.get()));
    EXPECT_EQ(hex(X509_get0_authority_key_id(cert)), hex(X509_get0_subject_key_id(ca_->cert())));
  }
}

TEST_F(LeafMinterTest, DerivesAuthorityKeyIdWhenCaHasNoSubjectKeyId) {
  const testpki::TestCa bare =
      testpki::makeCa("CA without SKI", KeyKind::kEcP256, -86400, 3650LL * 86400, false);
  ASSERT_EQ(X509_get0_subject_key_id(bare.cert.get()), nullptr);
  auto ca = signingCa("bare", bare);
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  MintedLeaf leaf = mint(upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ASSERT_EQ(X509_pubkey_digest(bare.cert.get(), EVP_sha1(), md, &md_len), 1);
  ossl::Asn1OctetStringPtr want(ASN1_OCTET_STRING_new());
  ASSERT_EQ(ASN1_OCTET_STRING_set(want.get(), md, static_cast<int>(md_len)), 1);
  EXPECT_EQ(hex(X509_get0_authority_key_id(leaf.cert.get())), hex(want.get()));
  const testpki::CommandResult verify =
      opensslVerify(bare.cert.get(), leaf.cert.get(), "www.example.com");
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

// --- issuers and the pool ---

TEST(LeafMinterIssuerTest, UntrustedServerCaSignsLeafThatChainsOnlyToIt) {
  const testpki::TestCa& signing_test_ca = sharedCa(KeyKind::kEcP256);
  const testpki::TestCa untrusted_test_ca =
      testpki::makeCa("vtps Untrusted Server CA", KeyKind::kEcP256);
  const IssuingCas cas{.signing = signingCa("corp-signing", signing_test_ca),
                       .untrusted = signingCa("untrusted-server-ca", untrusted_test_ca)};
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  MintedLeaf leaf = mint(upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256,
                         cas.issuerFor(/*upstream_verified=*/false));
  ASSERT_NE(leaf.cert, nullptr);
  EXPECT_EQ(X509_check_issued(untrusted_test_ca.cert.get(), leaf.cert.get()), X509_V_OK);
  EXPECT_NE(X509_check_issued(signing_test_ca.cert.get(), leaf.cert.get()), X509_V_OK);

  const testpki::CommandResult untrusted =
      opensslVerify(untrusted_test_ca.cert.get(), leaf.cert.get(), "www.example.com");
  EXPECT_EQ(untrusted.exit_code, 0) << untrusted.output;
  const testpki::CommandResult signing =
      opensslVerify(signing_test_ca.cert.get(), leaf.cert.get(), "www.example.com");
  EXPECT_NE(signing.exit_code, 0);
  EXPECT_NE(signing.output.find("unable to get local issuer certificate"), std::string::npos)
      << signing.output;
}

TEST(LeafMinterPoolTest, MintLeafForUsesAPooledKeyOfTheRequestedType) {
  KeyPoolOptions options;
  options.ecdsa_p256 = {.low = 1, .high = 4};
  options.rsa_2048 = {.low = 1, .high = 2};
  Result<std::unique_ptr<KeyPool>> pool = KeyPool::create(options);
  ASSERT_TRUE(pool.ok()) << pool.message();
  ASSERT_TRUE((*pool)->waitUntilFull(std::chrono::seconds(120)));
  const LeafMinter minter(**pool);
  auto ca = signingCa("corp-signing", sharedCa(KeyKind::kRsa2048));
  ossl::X509Ptr upstream = upstreamCert(exampleSpec());

  Result<MintedLeaf> ec =
      minter.mintLeafFor(upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca);
  Result<MintedLeaf> rsa =
      minter.mintLeafFor(upstream.get(), "www.example.com", LeafKeyType::kRsa2048, *ca);
  ASSERT_TRUE(ec.ok()) << ec.message();
  ASSERT_TRUE(rsa.ok()) << rsa.message();
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(ec->cert.get())), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(rsa->cert.get())), EVP_PKEY_RSA);
  EXPECT_EQ(X509_check_private_key(ec->cert.get(), ec->key.get()), 1);
  EXPECT_EQ(X509_check_private_key(rsa->cert.get(), rsa->key.get()), 1);
  EXPECT_EQ((*pool)->stats(LeafKeyType::kEcdsaP256).taken, 1u);
  EXPECT_EQ((*pool)->stats(LeafKeyType::kRsa2048).taken, 1u);
  EXPECT_EQ((*pool)->stats(LeafKeyType::kEcdsaP256).inline_fallbacks, 0u);
}

// --- errors ---

TEST_F(LeafMinterTest, ErrorsNameTheSniTheCaAndTheCause) {
  Result<MintedLeaf> no_upstream =
      mintLeafWithKey(nullptr, "www.example.com", preparedKey(KeyKind::kEcP256), *ca_);
  ASSERT_FALSE(no_upstream.ok());
  EXPECT_EQ(
      no_upstream.message(),
      "mint leaf for www.example.com under corp-signing: upstream certificate or key missing");

  ossl::X509Ptr upstream = upstreamCert(exampleSpec());
  Result<MintedLeaf> ed_key =
      mintLeafWithKey(upstream.get(), "10.1.1.1", preparedKey(KeyKind::kEd25519), *ca_);
  ASSERT_FALSE(ed_key.ok());
  EXPECT_EQ(ed_key.message(),
            "mint leaf for (invalid SNI) under corp-signing: leaf key is neither RSA nor EC");

  CertSpec twice = exampleSpec();
  twice.duplicate_san = true;
  ossl::X509Ptr malformed = upstreamCert(twice);
  Result<MintedLeaf> dup =
      mintLeafWithKey(malformed.get(), "", preparedKey(KeyKind::kEcP256), *ca_);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.message(),
            "mint leaf for (no SNI) under corp-signing: upstream certificate has two "
            "subjectAltName extensions");
}

}  // namespace
}  // namespace vtps::mint
