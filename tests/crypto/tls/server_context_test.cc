// Certificates of the server side: SNI selection among several (RSA and ECDSA contexts apart),
// the 1000-certificate limit, configuration errors, and the minted-leaf path of client
// inspection.
#include "crypto/tls/server_context.h"

#include <gtest/gtest.h>

#include "crypto/tls/tls_names.h"
#include "tests/crypto/tls/handshake_pair.h"
#include "tests/crypto/tls/test_pki.h"

namespace vtps::tls {
namespace {

using testing::CertSpec;
using testing::KeyedCert;
using testing::KeyKind;
using testing::RawClient;

ServerTlsOptions defaultOptions() {
  ServerTlsOptions o;
  o.tls.protocols = {TlsVersion::kTls12, TlsVersion::kTls13};
  return o;
}

// Four certificates over one key: a default, an exact SAN, a wildcard SAN and a CN-only one.
std::vector<ServerCertificate> fourCertificates(const KeyedCert& ca, EVP_PKEY* key) {
  const CertSpec specs[] = {
      {.cn = "default.example", .dns_sans = {"default.example"}},
      {.cn = "a", .dns_sans = {"www.a.example", "api.a.example"}},
      {.cn = "b", .dns_sans = {"*.b.example"}},
      {.cn = "cn-only.example"},
  };
  std::vector<ServerCertificate> out;
  for (const auto& spec : specs) {
    ServerCertificate c{
        spec.cn, testing::issue(spec, key, ca.cert.get(), ca.key.get()), testing::upRef(key), {}};
    c.chain.push_back(testing::upRef(ca.cert.get()));
    out.push_back(std::move(c));
  }
  return out;
}

class ServerContextSniTest : public ::testing::TestWithParam<KeyKind> {};

TEST_P(ServerContextSniTest, SniSelectsTheMatchingCertificateAndFallsBackToTheFirst) {
  const auto ca = testing::makeCa("Test CA");
  const auto key = testing::makeKey(GetParam());
  auto ctx = ServerContext::createForServerProxy("web1", defaultOptions(),
                                                 fourCertificates(ca, key.get()));
  ASSERT_TRUE(ctx.ok()) << ctx.message();
  EXPECT_EQ(ctx->certificateCount(), 4u);

  struct Case {
    const char* sni;
    std::size_t index;
    const char* cn;
  };
  const Case cases[] = {
      {"www.a.example", 1, "a"},
      {"API.A.EXAMPLE", 1, "a"},
      {"foo.b.example", 2, "b"},
      {"x.foo.b.example", 0, "default.example"},
      {"b.example", 0, "default.example"},
      {"cn-only.example", 3, "cn-only.example"},
      {"unknown.example", 0, "default.example"},
      {nullptr, 0, "default.example"},
  };
  const int expected_type = EVP_PKEY_get_base_id(key.get());
  for (auto max : {TlsVersion::kTls12, TlsVersion::kTls13}) {
    RawClient client(TlsVersion::kTls12, max);
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(c.sni != nullptr ? c.sni : "(no SNI)") + " over " +
                   std::string(versionName(max)));
      auto server = ctx->newSession();
      ASSERT_TRUE(server.ok()) << server.message();
      auto cl = client.session(c.sni);
      auto r = testing::handshake(cl.get(), server->get());
      ASSERT_TRUE(r.ok()) << r.describe();
      EXPECT_EQ(testing::peerCommonName(cl.get()), c.cn);
      EXPECT_EQ(ctx->presentedCertificate(server->get()), c.index);
      EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(SSL_get0_peer_certificate(cl.get()))),
                expected_type);
      EXPECT_EQ(negotiatedVersionName(cl.get()), versionName(max));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(KeyTypes, ServerContextSniTest,
                         ::testing::Values(KeyKind::kRsa2048, KeyKind::kEcP256), [](const auto& p) {
                           return p.param == KeyKind::kRsa2048 ? "Rsa" : "Ecdsa";
                         });

std::vector<ServerCertificate> manyCertificates(std::size_t n, const KeyedCert& ca, EVP_PKEY* key) {
  std::vector<ServerCertificate> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string host = "host" + std::to_string(i) + ".example";
    CertSpec spec{.cn = host, .dns_sans = {host}};
    out.push_back(
        {host, testing::issue(spec, key, ca.cert.get(), ca.key.get()), testing::upRef(key), {}});
  }
  return out;
}

TEST(ServerContextTest, ServesAThousandCertificatesAndRefusesMore) {
  const auto ca = testing::makeCa("Test CA");
  const auto key = testing::makeKey(KeyKind::kEcP256);
  auto certs = manyCertificates(kMaxServerCertificates + 1, ca, key.get());

  auto extra = std::move(certs.back());
  certs.pop_back();
  auto ctx = ServerContext::createForServerProxy("big", defaultOptions(), std::move(certs));
  ASSERT_TRUE(ctx.ok()) << ctx.message();
  RawClient client;
  auto server = ctx->newSession();
  ASSERT_TRUE(server.ok());
  auto cl = client.session("host999.example");
  ASSERT_TRUE(testing::handshake(cl.get(), server->get()).ok());
  EXPECT_EQ(testing::peerCommonName(cl.get()), "host999.example");
  EXPECT_EQ(ctx->presentedCertificate(server->get()), 999u);

  auto too_many = manyCertificates(kMaxServerCertificates, ca, key.get());
  too_many.push_back(std::move(extra));
  auto refused = ServerContext::createForServerProxy("big", defaultOptions(), std::move(too_many));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.message(),
            "server proxy big: 1001 certificates configured, at most 1000 are supported");
}

TEST(ServerContextTest, RefusesNoCertificate) {
  auto ctx = ServerContext::createForServerProxy("web1", defaultOptions(), {});
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.message(), "server proxy web1: no certificate configured");
}

TEST(ServerContextTest, RefusesRsaAndEcdsaCertificatesInOneProxy) {
  const auto rsa = testing::makeSelfSigned({.cn = "rsa.example"}, KeyKind::kRsa2048);
  const auto ec = testing::makeSelfSigned({.cn = "ec.example"}, KeyKind::kEcP256);
  std::vector<ServerCertificate> certs;
  certs.push_back(testing::serverCertificate("web1", rsa));
  certs.push_back(testing::serverCertificate("web1-ec", ec));
  auto ctx = ServerContext::createForServerProxy("web1", defaultOptions(), std::move(certs));
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.message(),
            "server proxy web1: certificate web1-ec is ECDSA but the default certificate web1 is "
            "RSA; a server proxy serves RSA or ECDSA certificates, not both");
}

TEST(ServerContextTest, RefusesAKeyThatDoesNotMatchItsCertificate) {
  const auto a = testing::makeSelfSigned({.cn = "a.example"}, KeyKind::kEcP256);
  const auto b = testing::makeSelfSigned({.cn = "b.example"}, KeyKind::kEcP256);
  std::vector<ServerCertificate> certs;
  certs.push_back(testing::serverCertificate("good", a));
  certs.push_back({"crossed", testing::upRef(a.cert.get()), testing::upRef(b.key.get()), {}});
  auto ctx = ServerContext::createForServerProxy("web1", defaultOptions(), std::move(certs));
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.message(),
            "server proxy web1: certificate crossed: private key does not match the certificate");
}

TEST(ServerContextTest, SessionsOutliveTheirContextObject) {
  const auto leaf = testing::makeSelfSigned({.cn = "a.example"}, KeyKind::kEcP256);
  ossl::SslPtr server;
  {
    std::vector<ServerCertificate> certs;
    certs.push_back(testing::serverCertificate("a", leaf));
    auto ctx = ServerContext::createForServerProxy("web1", defaultOptions(), std::move(certs));
    ASSERT_TRUE(ctx.ok());
    auto s = ctx->newSession();
    ASSERT_TRUE(s.ok());
    server = std::move(*s);
  }  // a config reload drops the context while the session is still to be handshaken
  RawClient client;
  auto cl = client.session("a.example", {"h2", "http/1.1"});
  auto r = testing::handshake(cl.get(), server.get());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(negotiatedAlpn(server.get()), "h2");
}

TEST(ServerContextMintedTest, SessionPresentsTheLeafMintedForIt) {
  const auto ca = testing::makeCa("Signing CA");
  const auto leaf =
      testing::makeLeaf(ca, {.cn = "shop.example", .dns_sans = {"shop.example"}}, KeyKind::kEcP256);
  auto ctx = ServerContext::createForClientInspection("out", defaultOptions());
  ASSERT_TRUE(ctx.ok()) << ctx.message();
  EXPECT_EQ(ctx->certificateCount(), 0u);

  ossl::X509StackPtr chain(sk_X509_new_null());
  sk_X509_push(chain.get(), testing::upRef(ca.cert.get()).release());
  auto server = ctx->newMintedSession(leaf.cert.get(), leaf.key.get(), chain.get());
  ASSERT_TRUE(server.ok()) << server.message();
  RawClient client;
  auto cl = client.session("shop.example");
  auto r = testing::handshake(cl.get(), server->get());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(testing::peerCommonName(cl.get()), "shop.example");
  STACK_OF(X509)* sent = SSL_get_peer_cert_chain(cl.get());
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sk_X509_num(sent), 2);  // leaf + signing CA
  EXPECT_EQ(ctx->presentedCertificate(server->get()), std::nullopt);
}

TEST(ServerContextMintedTest, RefusesSessionsWithoutAMintedLeaf) {
  const auto a = testing::makeSelfSigned({.cn = "a.example"}, KeyKind::kEcP256);
  const auto b = testing::makeSelfSigned({.cn = "b.example"}, KeyKind::kEcP256);
  auto ctx = ServerContext::createForClientInspection("out", defaultOptions());
  ASSERT_TRUE(ctx.ok());

  auto plain = ctx->newSession();
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.message(),
            "client proxy out: has no certificate of its own; sessions need a minted certificate");

  auto missing = ctx->newMintedSession(nullptr, a.key.get(), nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), "client proxy out: minted certificate or key missing");

  auto crossed = ctx->newMintedSession(a.cert.get(), b.key.get(), nullptr);
  ASSERT_FALSE(crossed.ok());
  EXPECT_EQ(crossed.message().rfind("client proxy out: use minted certificate: ", 0), 0u)
      << crossed.message();

  auto good = ctx->newMintedSession(a.cert.get(), a.key.get(), nullptr);
  EXPECT_TRUE(good.ok()) << good.message();
}

TEST(ServerContextMintedTest, SessionAlpnFollowsWhatUpstreamNegotiated) {
  const auto leaf = testing::makeSelfSigned({.cn = "a.example"}, KeyKind::kEcP256);
  auto ctx = ServerContext::createForClientInspection("out", defaultOptions());
  ASSERT_TRUE(ctx.ok());
  RawClient client;
  struct Case {
    std::optional<std::vector<std::string>> alpn;
    std::string_view expected;
  };
  const Case cases[] = {{std::nullopt, "h2"},
                        {std::vector<std::string>{"http/1.1"}, "http/1.1"},
                        {std::vector<std::string>{}, ""}};
  for (const auto& c : cases) {
    auto server = ctx->newMintedSession(leaf.cert.get(), leaf.key.get(), nullptr, c.alpn);
    ASSERT_TRUE(server.ok()) << server.message();
    auto cl = client.session("a.example", {"h2", "http/1.1"});
    auto r = testing::handshake(cl.get(), server->get());
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(negotiatedAlpn(cl.get()), c.expected);
  }
}

}  // namespace
}  // namespace vtps::tls
