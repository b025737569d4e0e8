// The upstream side: verification outcomes the client-inspection policy decides on (trusted,
// self-signed, unknown issuer, expired, wrong host, short RSA key), client-certificate
// requests, SNI and ALPN rewriting.
#include "crypto/tls/client_context.h"

#include <gtest/gtest.h>

#include <vector>

#include "crypto/tls/server_context.h"
#include "crypto/tls/tls_names.h"
#include "tests/crypto/tls/handshake_pair.h"
#include "tests/crypto/tls/test_pki.h"

namespace vtps::tls {
namespace {

using testing::CertSpec;
using testing::KeyedCert;
using testing::KeyKind;

constexpr long kDay = 24L * 3600;  // NOLINT(runtime/int)

class ClientContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ca_ = new KeyedCert(testing::makeCa("Test Public CA")); }
  static void TearDownTestSuite() { delete ca_; }

  // An origin server presenting `leaf` (with the CA as chain when `chained`).
  static ServerContext origin(const KeyedCert& leaf, bool chained = true,
                              ProtocolRange range = {TlsVersion::kTls12, TlsVersion::kTls13}) {
    ServerTlsOptions o;
    o.tls.protocols = range;
    std::vector<ServerCertificate> certs;
    certs.push_back(testing::serverCertificate("origin", leaf, chained ? ca_ : nullptr));
    auto ctx = ServerContext::createForServerProxy("origin", o, std::move(certs));
    EXPECT_TRUE(ctx.ok()) << ctx.message();
    return std::move(*ctx);
  }
  static ClientContext upstream(int min_rsa_bits = 0, bool downgrade = false) {
    ClientTlsOptions o;
    o.tls.protocols = {TlsVersion::kTls12, TlsVersion::kTls13};
    o.tls.http2_to_http1_downgrade = downgrade;
    o.min_rsa_key_bits = min_rsa_bits;
    auto store = testing::storeWith(ca_->cert.get());
    auto ctx = ClientContext::create("outbound", o, store.get());
    EXPECT_TRUE(ctx.ok()) << ctx.message();
    return std::move(*ctx);
  }
  // Handshakes `client` against `server` and returns the verification outcome.
  static VerifyOutcome verify(const ClientContext& client, const ServerContext& server,
                              const UpstreamSession& params, bool expect_handshake = true) {
    auto cl = client.newSession(params);
    EXPECT_TRUE(cl.ok()) << cl.message();
    auto sv = server.newSession();
    EXPECT_TRUE(sv.ok());
    auto r = testing::handshake(cl->get(), sv->get());
    EXPECT_EQ(r.ok(), expect_handshake) << r.describe();
    return client.verifyOutcome(cl->get());
  }
  static KeyedCert leafFor(const std::string& host, KeyKind kind = KeyKind::kEcP256,
                           long not_before = -3600, long not_after = 30 * kDay) {  // NOLINT
    return testing::makeLeaf(
        *ca_,
        CertSpec{.cn = host, .dns_sans = {host}, .not_before = not_before, .not_after = not_after},
        kind);
  }

  static KeyedCert* ca_;
};

KeyedCert* ClientContextTest::ca_ = nullptr;

TEST_F(ClientContextTest, TrustedServerVerifies) {
  const auto leaf = leafFor("good.example");
  const auto out = verify(upstream(), origin(leaf), {.sni = "good.example"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kTrusted);
  EXPECT_EQ(out.error_code, X509_V_OK);
  EXPECT_EQ(out.error_text, "ok");
  EXPECT_FALSE(out.invalid());
  EXPECT_FALSE(out.expired);
  EXPECT_EQ(out.leaf_key_bits, 256);
  EXPECT_EQ(verdictName(out.verdict), "trusted");
}

// The groups are the appliance's own list (OpenSSL 3.0's default written out), whichever library
// the build links: both legs offer them in this order and agree on X25519.
TEST_F(ClientContextTest, BothLegsOfferTheAppliancesGroupsAndAgreeOnX25519) {
  const auto leaf = leafFor("groups.example");
  ClientContext client = upstream();
  ServerContext server = origin(leaf);
  auto cl = client.newSession({.sni = "groups.example"});
  ASSERT_TRUE(cl.ok()) << cl.message();
  auto sv = server.newSession();
  ASSERT_TRUE(sv.ok());
  const std::vector<int> expected = {
      NID_X25519,    NID_X9_62_prime256v1, NID_X448,      NID_secp521r1, NID_secp384r1,
      NID_ffdhe2048, NID_ffdhe3072,        NID_ffdhe4096, NID_ffdhe6144, NID_ffdhe8192};
  auto r = testing::handshake(cl->get(), sv->get());
  ASSERT_TRUE(r.ok()) << r.describe();
  // What the client leg offered, as the server saw it, then the groups both sides share, in the
  // server leg's order of preference.
  std::vector<int> offered(static_cast<size_t>(SSL_get1_groups(sv->get(), nullptr)));
  SSL_get1_groups(sv->get(), offered.data());
  EXPECT_EQ(offered, expected);
  std::vector<int> shared;
  for (int i = 0, n = SSL_get_shared_group(sv->get(), -1); i < n; ++i) {
    shared.push_back(SSL_get_shared_group(sv->get(), i));
  }
  EXPECT_EQ(shared, expected);
  EXPECT_EQ(SSL_version(cl->get()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_get_negotiated_group(cl->get()), NID_X25519);
  EXPECT_EQ(SSL_get_negotiated_group(sv->get()), NID_X25519);
}

TEST_F(ClientContextTest, SelfSignedServerIsUntrustedButTheHandshakeCompletes) {
  const auto leaf = testing::makeSelfSigned({.cn = "self.example", .dns_sans = {"self.example"}},
                                            KeyKind::kEcP256);
  const auto out = verify(upstream(), origin(leaf, false), {.sni = "self.example"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kUntrusted);
  EXPECT_EQ(out.error_code, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  EXPECT_EQ(out.error_text, "self-signed certificate");
  EXPECT_EQ(out.error_depth, 0);
  EXPECT_TRUE(out.invalid());
  EXPECT_FALSE(out.hostname_mismatch);
}

TEST_F(ClientContextTest, UnknownIssuerIsUntrusted) {
  const auto other_ca = testing::makeCa("Some Other CA");
  const auto leaf = testing::makeLeaf(
      other_ca, {.cn = "stranger.example", .dns_sans = {"stranger.example"}}, KeyKind::kEcP256);
  const auto out = verify(upstream(), origin(leaf, false), {.sni = "stranger.example"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kUntrusted);
  EXPECT_EQ(out.error_code, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(out.error_text, "unable to get local issuer certificate");
}

TEST_F(ClientContextTest, ExpiredServerIsExpiredNotInvalid) {
  const auto leaf = leafFor("old.example", KeyKind::kEcP256, -30 * kDay, -kDay);
  const auto out = verify(upstream(), origin(leaf), {.sni = "old.example"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kExpired);
  EXPECT_EQ(out.error_code, X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_EQ(out.error_text, "certificate has expired");
  EXPECT_TRUE(out.expired);
  EXPECT_FALSE(out.invalid());
}

TEST_F(ClientContextTest, NotYetValidServerCountsAsExpired) {
  const auto leaf = leafFor("future.example", KeyKind::kEcP256, kDay, 30 * kDay);
  const auto out = verify(upstream(), origin(leaf), {.sni = "future.example"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kExpired);
  EXPECT_EQ(out.error_code, X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_F(ClientContextTest, ExpiredAndSelfSignedReportsBothFindings) {
  const auto leaf = testing::makeSelfSigned({.cn = "bad.example",
                                             .dns_sans = {"bad.example"},
                                             .not_before = -30 * kDay,
                                             .not_after = -kDay},
                                            KeyKind::kEcP256);
  const auto out = verify(upstream(), origin(leaf, false), {.sni = "bad.example"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kUntrusted);
  EXPECT_TRUE(out.untrusted);
  EXPECT_TRUE(out.expired);
}

TEST_F(ClientContextTest, WrongHostnameIsAMismatch) {
  const auto leaf = leafFor("right.example");
  const auto out = verify(upstream(), origin(leaf), {.sni = "wrong.example"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kHostnameMismatch);
  EXPECT_EQ(out.error_code, X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(out.error_text, "hostname mismatch");
  EXPECT_TRUE(out.invalid());

  // verify_name overrides the SNI; both empty means no name check.
  EXPECT_EQ(
      verify(upstream(), origin(leaf), {.sni = "wrong.example", .verify_name = "right.example"})
          .verdict,
      VerifyVerdict::kTrusted);
  EXPECT_EQ(verify(upstream(), origin(leaf), {}).verdict, VerifyVerdict::kTrusted);
}

TEST_F(ClientContextTest, IpLiteralIsCheckedAgainstIpSans) {
  const auto leaf = leafFor("named.example");
  const auto out = verify(upstream(), origin(leaf), {.verify_name = "10.10.2.2"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kHostnameMismatch);
  EXPECT_EQ(out.error_code, X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(ClientContextTest, RsaKeyBelowTheMinimumIsTooShort) {
  const auto leaf = leafFor("weak.example", KeyKind::kRsa1024);
  const auto out = verify(upstream(2048), origin(leaf), {.sni = "weak.example"});
  EXPECT_EQ(out.verdict, VerifyVerdict::kKeyTooShort);
  EXPECT_EQ(out.error_code, X509_V_ERR_EE_KEY_TOO_SMALL);
  EXPECT_EQ(out.error_text, "RSA key of 1024 bits is shorter than the minimum of 2048");
  EXPECT_EQ(out.leaf_key_bits, 1024);
  EXPECT_TRUE(out.invalid());

  // The same server passes with the check off or at 1024 bits.
  EXPECT_EQ(verify(upstream(0), origin(leaf), {.sni = "weak.example"}).verdict,
            VerifyVerdict::kTrusted);
  EXPECT_EQ(verify(upstream(1024), origin(leaf), {.sni = "weak.example"}).verdict,
            VerifyVerdict::kTrusted);
}

TEST_F(ClientContextTest, MinimumKeyLengthAppliesToRsaOnly) {
  const auto rsa = leafFor("rsa.example", KeyKind::kRsa2048);
  EXPECT_EQ(verify(upstream(2048), origin(rsa), {.sni = "rsa.example"}).verdict,
            VerifyVerdict::kTrusted);
  const auto ec = leafFor("ec.example", KeyKind::kEcP256);
  EXPECT_EQ(verify(upstream(2048), origin(ec), {.sni = "ec.example"}).verdict,
            VerifyVerdict::kTrusted);
}

TEST_F(ClientContextTest, NoCertificateBeforeTheHandshake) {
  auto client = upstream();
  auto cl = client.newSession({.sni = "good.example"});
  ASSERT_TRUE(cl.ok());
  const auto out = client.verifyOutcome(cl->get());
  EXPECT_EQ(out.verdict, VerifyVerdict::kNoCertificate);
  EXPECT_EQ(out.error_text, "the server presented no certificate");
  EXPECT_FALSE(ClientContext::clientCertificateRequested(cl->get()));
}

TEST_F(ClientContextTest, ServerRequestingAClientCertificateIsDetected) {
  const auto leaf = leafFor("mtls.example");
  for (auto version : {TlsVersion::kTls12, TlsVersion::kTls13}) {
    SCOPED_TRACE(std::string(versionName(version)));
    auto server_ctx = origin(leaf, true, {version, version});
    auto client = upstream();
    auto cl = client.newSession({.sni = "mtls.example"});
    auto sv = server_ctx.newSession();
    ASSERT_TRUE(cl.ok() && sv.ok());
    SSL_set_verify(sv->get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    auto r = testing::handshake(cl->get(), sv->get());
    EXPECT_TRUE(r.server.failed) << r.describe();
    EXPECT_TRUE(ClientContext::clientCertificateRequested(cl->get()));
    if (version == TlsVersion::kTls12) {
      EXPECT_TRUE(r.client.failed) << r.describe();
    } else {
      // A TLS 1.3 client finishes first; the server's refusal arrives as an alert on read.
      ASSERT_TRUE(r.client.done) << r.describe();
      unsigned long error = 0;  // NOLINT(runtime/int)
      EXPECT_EQ(testing::readOnce(cl->get(), error), SSL_ERROR_SSL);
      EXPECT_EQ(receivedAlertOf(error), 116);  // certificate_required
    }
  }
  // Control: the same server without the request.
  auto server_ctx = origin(leaf);
  auto client = upstream();
  auto cl = client.newSession({.sni = "mtls.example"});
  auto sv = server_ctx.newSession();
  ASSERT_TRUE(testing::handshake(cl->get(), sv->get()).ok());
  EXPECT_FALSE(ClientContext::clientCertificateRequested(cl->get()));
}

TEST_F(ClientContextTest, SniIsSentAsGiven) {
  const auto leaf = leafFor("good.example");
  auto server_ctx = origin(leaf);
  auto client = upstream();
  for (const char* sni : {"good.example", ""}) {
    auto cl = client.newSession({.sni = sni});
    auto sv = server_ctx.newSession();
    ASSERT_TRUE(testing::handshake(cl->get(), sv->get()).ok());
    const char* seen = SSL_get_servername(sv->get(), TLSEXT_NAMETYPE_host_name);
    EXPECT_EQ(std::string(seen != nullptr ? seen : ""), sni);
  }
}

TEST_F(ClientContextTest, AlpnOfferIsRewrittenByTheDowngrade) {
  const auto leaf = leafFor("h2.example");
  auto server_ctx = origin(leaf);  // selects h2 whenever offered
  struct Case {
    bool downgrade;
    std::optional<std::vector<std::string>> alpn;
    std::string_view selected;
  };
  const Case cases[] = {
      {false, std::nullopt, "h2"},
      {true, std::nullopt, "http/1.1"},
      {false, std::vector<std::string>{"http/1.1"}, "http/1.1"},
      {true, std::vector<std::string>{"h2", "http/1.1"}, "http/1.1"},
      {true, std::vector<std::string>{"h2"}, ""},  // nothing left to offer: no ALPN
      {false, std::vector<std::string>{}, ""},
  };
  for (const auto& c : cases) {
    auto client = upstream(0, c.downgrade);
    auto cl = client.newSession({.sni = "h2.example", .alpn = c.alpn});
    ASSERT_TRUE(cl.ok()) << cl.message();
    auto sv = server_ctx.newSession();
    auto r = testing::handshake(cl->get(), sv->get());
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(negotiatedAlpn(cl->get()), c.selected) << "downgrade " << c.downgrade;
  }
}

TEST_F(ClientContextTest, ServerInitiatedRenegotiationIsRefused) {
  const auto leaf = leafFor("reneg.example");
  auto server_ctx = origin(leaf, true, {TlsVersion::kTls12, TlsVersion::kTls12});
  auto client = upstream();
  EXPECT_NE(SSL_CTX_get_options(client.native()) & SSL_OP_NO_RENEGOTIATION, 0u);
  for (bool refuse : {true, false}) {
    auto cl = client.newSession({.sni = "reneg.example"});
    auto sv = server_ctx.newSession();
    ASSERT_TRUE(testing::handshake(cl->get(), sv->get()).ok());
    SSL_clear_options(sv->get(), SSL_OP_NO_RENEGOTIATION);               // the origin is any server
    if (!refuse) SSL_clear_options(cl->get(), SSL_OP_NO_RENEGOTIATION);  // control
    EXPECT_EQ(testing::renegotiate(sv->get(), cl->get()), refuse ? SSL_R_NO_RENEGOTIATION : 0);
  }
}

TEST_F(ClientContextTest, CreationErrorsNameTheProxy) {
  ClientTlsOptions o;
  auto no_store = ClientContext::create("outbound", o, nullptr);
  ASSERT_FALSE(no_store.ok());
  EXPECT_EQ(no_store.message(), "client proxy outbound upstream: no trust store");

  auto store = testing::storeWith(ca_->cert.get());
  o.min_rsa_key_bits = -1;
  auto negative = ClientContext::create("outbound", o, store.get());
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.message(),
            "client proxy outbound upstream: minimum key length -1 is negative");

  o.min_rsa_key_bits = 2048;
  o.tls.cipher_suites = {"TLS_NOPE"};
  auto bad_cipher = ClientContext::create("outbound", o, store.get());
  ASSERT_FALSE(bad_cipher.ok());
  EXPECT_EQ(bad_cipher.message(), "client proxy outbound upstream: unknown cipher suite TLS_NOPE");
}

TEST_F(ClientContextTest, LegacyRangeReachesATls10Server) {
  const auto leaf = leafFor("legacy.example", KeyKind::kRsa2048);
  auto server_ctx = origin(leaf, true, {TlsVersion::kTls10, TlsVersion::kTls10});
  ClientTlsOptions o;
  o.tls.protocols = {TlsVersion::kTls10, TlsVersion::kTls13};
  auto store = testing::storeWith(ca_->cert.get());
  auto client = ClientContext::create("outbound", o, store.get());
  ASSERT_TRUE(client.ok()) << client.message();
  EXPECT_EQ(SSL_CTX_get_security_level(client->native()), 0);
  auto cl = client->newSession({.sni = "legacy.example"});
  auto sv = server_ctx.newSession();
  auto r = testing::handshake(cl->get(), sv->get());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(negotiatedVersionName(cl->get()), "TLSv1.0");
  EXPECT_EQ(client->verifyOutcome(cl->get()).verdict, VerifyVerdict::kTrusted);
}

// A plain OpenSSL origin (like nginx: default session settings) presenting `leaf` and the CA.
ossl::SslCtxPtr plainOrigin(const KeyedCert& leaf, const KeyedCert& ca, int version) {
  ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), leaf.cert.get()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), leaf.key.get()), 1);
  X509_up_ref(ca.cert.get());
  EXPECT_EQ(SSL_CTX_add0_chain_cert(ctx.get(), ca.cert.get()), 1);
  return ctx;
}

bool connectPlain(const ClientContext& client, SSL_CTX* server, const UpstreamSession& params) {
  auto cl = client.newSession(params);
  EXPECT_TRUE(cl.ok()) << cl.message();
  ossl::SslPtr sv(SSL_new(server));
  SSL_set_accept_state(sv.get());
  auto r = testing::handshake(cl->get(), sv.get());
  EXPECT_TRUE(r.ok()) << r.describe();
  unsigned long error = 0;  // NOLINT(runtime/int)
  EXPECT_EQ(testing::readOnce(cl->get(), error), SSL_ERROR_WANT_READ);
  return SSL_session_reused(cl->get()) == 1;
}

// The connections end without a close_notify (freed mid-stream, as relayed connections often
// are); OpenSSL then marks the session object the connection used not resumable, which must not
// empty the cache.
TEST_F(ClientContextTest, ResumesAPlainOriginAfterUncleanCloses) {
  for (int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(version);
    const auto leaf = leafFor("good.example");
    auto server = plainOrigin(leaf, *ca_, version);
    const ClientContext client = upstream();
    const UpstreamSession params{.sni = "good.example", .resume_key = "10.0.0.1:443"};
    EXPECT_FALSE(connectPlain(client, server.get(), params));
    EXPECT_TRUE(connectPlain(client, server.get(), params));
    EXPECT_TRUE(connectPlain(client, server.get(), params));
    EXPECT_TRUE(connectPlain(client, server.get(), params));
  }
}

// A burst of connections to one origin opened before any of them has read its tickets: a TLS 1.3
// ticket is used once, so each connection needs a ticket of its own. After a first burst of full
// handshakes (each leaves the origin's two tickets), every connection of the next bursts resumes.
TEST_F(ClientContextTest, EveryConnectionOfABurstResumes) {
  constexpr int kBurst = 20;
  const auto leaf = leafFor("good.example");
  auto server = plainOrigin(leaf, *ca_, TLS1_3_VERSION);
  const ClientContext client = upstream();
  const UpstreamSession params{.sni = "good.example", .resume_key = "10.0.0.1:443"};
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    std::vector<ossl::SslPtr> clients;
    std::vector<ossl::SslPtr> servers;
    for (int i = 0; i < kBurst; ++i) {
      auto cl = client.newSession(params);  // takes a kept ticket, if there is one
      ASSERT_TRUE(cl.ok()) << cl.message();
      clients.push_back(std::move(*cl));
      servers.emplace_back(SSL_new(server.get()));
      SSL_set_accept_state(servers.back().get());
    }
    int resumed = 0;
    for (int i = 0; i < kBurst; ++i) {
      auto r = testing::handshake(clients[i].get(), servers[i].get());
      ASSERT_TRUE(r.ok()) << r.describe();
      unsigned long error = 0;  // NOLINT(runtime/int)
      EXPECT_EQ(testing::readOnce(clients[i].get(), error), SSL_ERROR_WANT_READ);
      resumed += SSL_session_reused(clients[i].get());
    }
    EXPECT_EQ(resumed, round == 0 ? 0 : kBurst);
  }
}

// Connects through `client` to `server` with `params`, reads the origin's session tickets the
// way the relay's first SSL_read does, and says whether the session resumed a kept one.
bool connectAndRead(const ClientContext& client, const ServerContext& server,
                    const UpstreamSession& params) {
  auto cl = client.newSession(params);
  EXPECT_TRUE(cl.ok()) << cl.message();
  auto sv = server.newSession();
  EXPECT_TRUE(sv.ok());
  auto r = testing::handshake(cl->get(), sv->get());
  EXPECT_TRUE(r.ok()) << r.describe();
  unsigned long error = 0;  // NOLINT(runtime/int)
  EXPECT_EQ(testing::readOnce(cl->get(), error), SSL_ERROR_WANT_READ);
  return SSL_session_reused(cl->get()) == 1;
}

TEST_F(ClientContextTest, ResumesTheOriginsSessionForTheSameDestinationAndSni) {
  for (ProtocolRange range : {ProtocolRange{TlsVersion::kTls13, TlsVersion::kTls13},
                              ProtocolRange{TlsVersion::kTls12, TlsVersion::kTls12}}) {
    SCOPED_TRACE(range.max == TlsVersion::kTls13 ? "TLS 1.3" : "TLS 1.2");
    const auto leaf = leafFor("good.example");
    const ServerContext server = origin(leaf, true, range);
    const ClientContext client = upstream();
    const UpstreamSession params{.sni = "good.example", .resume_key = "10.0.0.1:443"};
    EXPECT_FALSE(connectAndRead(client, server, params));  // first: a full handshake
    EXPECT_TRUE(connectAndRead(client, server, params));
    EXPECT_TRUE(connectAndRead(client, server, params));  // TLS 1.3: the resumption's ticket
    // Another destination or SNI, no key, or another context: full handshakes.
    EXPECT_FALSE(
        connectAndRead(client, server, {.sni = "good.example", .resume_key = "10.0.0.2:443"}));
    EXPECT_FALSE(
        connectAndRead(client, server, {.sni = "other.example", .resume_key = "10.0.0.1:443"}));
    EXPECT_FALSE(connectAndRead(client, server, {.sni = "good.example"}));
    const ClientContext reloaded = upstream();
    EXPECT_FALSE(connectAndRead(reloaded, server, params));
  }
}

TEST_F(ClientContextTest, AResumedSessionKeepsTheVerificationOutcome) {
  const auto leaf = leafFor("good.example");
  const ServerContext server = origin(leaf);
  const ClientContext client = upstream();
  const UpstreamSession params{
      .sni = "good.example", .resume_key = "10.0.0.1:443", .resume_only_trusted = true};
  EXPECT_FALSE(connectAndRead(client, server, params));
  auto cl = client.newSession(params);
  ASSERT_TRUE(cl.ok());
  auto sv = server.newSession();
  ASSERT_TRUE(testing::handshake(cl->get(), sv->get()).ok());
  EXPECT_EQ(SSL_session_reused(cl->get()), 1);
  const VerifyOutcome out = client.verifyOutcome(cl->get());
  EXPECT_EQ(out.verdict, VerifyVerdict::kTrusted);
  EXPECT_EQ(out.leaf_key_bits, 256);
}

TEST_F(ClientContextTest, OnlyCleanSessionsAreKeptWhenTrustIsRequired) {
  // Self-signed (untrusted) and wrong-name origins: every connection verifies again.
  const auto self_signed = testing::makeSelfSigned(
      CertSpec{.cn = "self.example", .dns_sans = {"self.example"}}, KeyKind::kEcP256);
  const auto wrong_name = leafFor("other.example");
  for (const KeyedCert* leaf : {&self_signed, &wrong_name}) {
    const ServerContext server = origin(*leaf, leaf != &self_signed);
    const ClientContext client = upstream();
    UpstreamSession params{
        .sni = "self.example", .resume_key = "10.0.0.1:443", .resume_only_trusted = true};
    EXPECT_FALSE(connectAndRead(client, server, params));
    EXPECT_FALSE(connectAndRead(client, server, params));
    // Server inspection (trust not required) resumes the same origin.
    params.resume_only_trusted = false;
    EXPECT_FALSE(connectAndRead(client, server, params));
    EXPECT_TRUE(connectAndRead(client, server, params));
  }
}

}  // namespace
}  // namespace vtps::tls
