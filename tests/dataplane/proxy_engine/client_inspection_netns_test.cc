// SSL client inspection on the real kernel path: the engine in the appliance namespace with its
// own TPROXY rules (detection port 443 to any destination), an origin answering many host names
// with certificates from a test public CA, and clients that check what they were shown. Needs
// root (label "root").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "crypto/keystore.h"
#include "crypto/ossl_interop.h"
#include "dataplane/proxy/domain_exclusions.h"
#include "dataplane/proxy/proxy_engine.h"
#include "tests/dataplane/proxy_engine/client_lab.h"
#include "tests/dataplane/proxy_engine/netns_lab.h"

namespace vtps::proxy {
namespace {

using testing::ClientPki;
using testing::counterValue;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::NetnsLab;
using testing::Probe;
using testing::RecordingSink;
using testing::SniOrigin;
using ::testing::StartsWith;

constexpr const char* kSigningCaName = "vtps test signing CA";
constexpr const char* kUntrustedCaName = "Untrusted Server CA";

class ClientInspectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    lab_ = std::make_unique<NetnsLab>();
    if (!lab_->ok()) GTEST_SKIP() << lab_->why();
    char tmpl[] = "/tmp/vtps-client-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto keystore = crypto::Keystore::open(crypto::KeystoreOptions{dir_ + "/keystore"});
    ASSERT_TRUE(keystore.ok()) << keystore.message();
    keystore_ = std::move(*keystore);
    crypto::NewSigningOptions signing;
    signing.subject.cn = kSigningCaName;
    signing.key = crypto::KeySpec{crypto::KeyAlgorithm::kEc, 0, "prime256v1"};
    auto created = keystore_->createSigningCertificate("corp-signing", signing);
    ASSERT_TRUE(created.ok()) << created.message();
    auto bundle = keystore_->loadCertificate("corp-signing");
    ASSERT_TRUE(bundle.ok()) << bundle.message();
    signing_ca_ = crypto::raw(bundle->leaf);
    X509_up_ref(signing_ca_);
    crypto::CertificateInput ca;
    ca.cert_bytes = pki_.publicCaPem();
    ca.cert_source = "public-ca.pem";
    auto imported = keystore_->importCa("test-public-ca", ca);
    ASSERT_TRUE(imported.ok()) << imported.message();
    std::ofstream(dir_ + "/categories.txt") << "*.bank.test financial\n";
    origin_ = std::make_unique<SniOrigin>(*lab_, pki_);
    ASSERT_TRUE(origin_->ok());
  }

  void TearDown() override {
    if (engine_) NetnsLab::runIn(lab_->appliance(), [&] { engine_->drainAndStop(0); });
    engine_.reset();
    origin_.reset();
    lab_.reset();
    if (signing_ca_ != nullptr) X509_free(signing_ca_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::shared_ptr<config::Config> baseConfig() const {
    auto cfg = std::make_shared<config::Config>();
    cfg->device.proxy_cores = {0};
    cfg->device.keystore = dir_ + "/keystore";
    config::ClientProxy out;
    out.name = "out";
    out.signing_certificate = "corp-signing";
    out.detection_ports = {config::PortRange{443, 443}};
    out.min_key_length = 2048;
    out.logging = true;
    out.block_invalid_certificates = true;
    out.block_expired_certificates = true;
    out.http2_to_http1_downgrade = true;
    out.protocols = {config::TlsVersion::kTls12, config::TlsVersion::kTls13};
    cfg->client_proxies.push_back(out);
    config::TrustStore lab;
    lab.name = "lab";
    lab.include_default_ca = false;
    lab.ca_certificates = {"test-public-ca"};
    cfg->trust_stores.push_back(lab);
    config::DecryptionPolicy privacy;
    privacy.name = "privacy";
    privacy.domains = {"policy.test"};
    privacy.categories = {"financial"};
    privacy.category_overrides = {"online.bank.test"};
    cfg->decryption_policies.push_back(privacy);
    cfg->category_files = {dir_ + "/categories.txt"};
    cfg->domain_exclusions.domains = {"excluded.test", "*.wild.test", "online.bank.test"};
    cfg->domain_exclusions.auto_failure_threshold = 2;
    config::Profile profile;
    profile.name = "default";
    config::SslClientPolicy policy;
    policy.name = "out-policy";
    policy.client_proxy = "out";
    policy.decryption_policy = "privacy";
    policy.trust_store = "lab";
    profile.ssl_client_policies.push_back(policy);
    cfg->profiles.push_back(profile);
    return cfg;
  }
  static config::SslClientPolicy& policyOf(config::Config& cfg) {
    return cfg.profiles[0].ssl_client_policies[0];
  }

  void startEngine(std::shared_ptr<const config::Config> cfg) {
    EngineOptions options;
    options.install_rules = true;  // the engine's own rules: port 443, any destination
    options.hello_timeout_ms = 2000;
    options.mint = {64, 4, 2, 4, 1, 1};
    options.exclusions_sync_ms = 50;
    Result<std::unique_ptr<ProxyEngine>> engine = makeError("not run");
    NetnsLab::runIn(lab_->appliance(), [&] {
      engine = ProxyEngine::create(options, std::move(cfg), *keystore_, sink_, nullptr);
    });
    ASSERT_TRUE(engine.ok()) << engine.message();
    engine_ = std::move(*engine);
  }
  Status apply(std::shared_ptr<const config::Config> cfg) {
    Status applied = makeError("not run");
    NetnsLab::runIn(lab_->appliance(), [&] { applied = engine_->apply(std::move(cfg)); });
    return applied;
  }

  // A client that trusts the signing CA (as managed endpoints do) and the public CA.
  Probe connect(const std::string& sni, std::vector<std::string> alpn = {}) {
    return Probe(*lab_,
                 Probe::Options{sni, std::move(alpn), {signing_ca_, pki_.publicCa()}, false});
  }
  uint64_t counter(std::string_view group, std::string_view name) {
    return counterValue(engine_->counters(), group, name);
  }
  std::string stateFile() const {
    std::ifstream in(dir_ + "/keystore/domain-exclusions.json");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  ClientPki pki_;
  std::unique_ptr<NetnsLab> lab_;
  std::string dir_;
  std::unique_ptr<crypto::Keystore> keystore_;
  X509* signing_ca_ = nullptr;
  std::unique_ptr<SniOrigin> origin_;
  RecordingSink sink_;
  std::unique_ptr<ProxyEngine> engine_;
};

TEST_F(ClientInspectionTest, DecryptsATrustedHostWithALeafOfTheSigningCa) {
  startEngine(baseConfig());
  {
    Probe p = connect("trusted.test");
    ASSERT_TRUE(p.connected()) << p.error();
    EXPECT_EQ(p.issuerCn(), kSigningCaName);
    EXPECT_EQ(p.subjectCn(), "trusted.test");
    EXPECT_TRUE(p.verified()) << "the minted leaf chains to the signing CA and names the host";
    EXPECT_EQ(p.roundTrip("hello origin"), "hello origin");
  }
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  const SessionRecord& r = records[0];
  EXPECT_EQ(r.decision, Decision::kDecrypted) << r.reason;
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(r.context.profile, "default");
  EXPECT_EQ(r.context.policy, "out-policy");
  EXPECT_EQ(r.context.proxy, "out");
  EXPECT_EQ(r.context.sni, "trusted.test");
  EXPECT_EQ(r.context.client_address, "10.10.1.2");
  EXPECT_EQ(r.bytes_client_to_server, 12u);
  EXPECT_EQ(r.client_version, "TLSv1.3");
  EXPECT_THAT(origin_->snis(), ElementsAre("trusted.test"));
  EXPECT_EQ(counter("npSslInspStats", "clientPolicySessions"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsDecrypted"), 1u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "serverCertTrusted"), 1u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "leavesSigningCa"), 1u);
}

TEST_F(ClientInspectionTest, SplicesExcludedDomainsAndWildcardExclusions) {
  startEngine(baseConfig());
  for (const char* host : {"excluded.test", "a.wild.test"}) {
    Probe p = connect(host);
    ASSERT_TRUE(p.connected()) << host << ": " << p.error();
    EXPECT_EQ(p.issuerCn(), testing::kPublicCaName) << host;
    EXPECT_EQ(p.roundTrip("spliced"), "spliced");
  }
  auto records = sink_.waitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  std::vector<std::string> reasons;
  for (const SessionRecord& r : records) {
    EXPECT_EQ(r.decision, Decision::kNotDecrypted);
    reasons.push_back(r.reason);
  }
  std::sort(reasons.begin(), reasons.end());
  EXPECT_THAT(reasons, ElementsAre("domain exclusion *.wild.test (config)",
                                   "domain exclusion excluded.test (config)"));
  EXPECT_EQ(counter("npSslInspStats", "sessionsDomainExcluded"), 2u);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpSpliced"), 2u);
}

TEST_F(ClientInspectionTest, AppliesTheDecryptionPolicyBeforeTheExclusions) {
  startEngine(baseConfig());
  {
    Probe domain = connect("policy.test");
    ASSERT_TRUE(domain.connected()) << domain.error();
    EXPECT_EQ(domain.issuerCn(), testing::kPublicCaName);
  }
  ASSERT_EQ(sink_.waitRecords(1).size(), 1u);  // records come in closing order
  {
    Probe category = connect("www.bank.test");
    ASSERT_TRUE(category.connected()) << category.error();
    EXPECT_EQ(category.issuerCn(), testing::kPublicCaName);
  }
  ASSERT_EQ(sink_.waitRecords(2).size(), 2u);
  {
    // A category override is decrypted although the global exclusions list it too.
    Probe override_host = connect("online.bank.test");
    ASSERT_TRUE(override_host.connected()) << override_host.error();
    EXPECT_EQ(override_host.issuerCn(), kSigningCaName);
  }
  auto records = sink_.waitRecords(3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].decision, Decision::kNotDecrypted);
  EXPECT_EQ(records[0].reason, "domain policy.test in decryption policy privacy");
  EXPECT_EQ(records[1].decision, Decision::kNotDecrypted);
  EXPECT_EQ(records[1].reason, "category financial in decryption policy privacy");
  EXPECT_EQ(records[2].decision, Decision::kDecrypted);
  // The probe may close with unread data (a reset), which the proxy appends to the reason.
  EXPECT_THAT(records[2].reason,
              StartsWith("category override online.bank.test in decryption policy privacy"));
  EXPECT_EQ(counter("npSslInspStats", "sessionsPolicyDomain"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsPolicyCategory"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsCategoryOverride"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsDomainExcluded"), 0u);
}

TEST_F(ClientInspectionTest, NeverAndAlwaysDecryptBySourceAddress) {
  auto cfg = baseConfig();
  policyOf(*cfg).never_decrypt = {config::Cidr4{(10u << 24) | (10u << 16) | (1u << 8), 24}};
  startEngine(cfg);
  {
    Probe p = connect("trusted.test");
    ASSERT_TRUE(p.connected()) << p.error();
    EXPECT_EQ(p.issuerCn(), testing::kPublicCaName);
  }
  ASSERT_EQ(sink_.waitRecords(1).size(), 1u);  // records come in closing order
  auto always = std::make_shared<config::Config>(*cfg);
  policyOf(*always).always_decrypt = {
      config::Cidr4{(10u << 24) | (10u << 16) | (1u << 8) | 2u, 32}};
  ASSERT_TRUE(apply(always).ok());
  {
    // Always-decrypt wins over never-decrypt and over the exclusions.
    Probe p = connect("excluded.test");
    ASSERT_TRUE(p.connected()) << p.error();
    EXPECT_EQ(p.issuerCn(), kSigningCaName);
    EXPECT_EQ(p.roundTrip("inspected"), "inspected");
  }
  auto records = sink_.waitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].decision, Decision::kNotDecrypted);
  EXPECT_EQ(records[0].reason, "never-decrypt 10.10.1.0/24");
  EXPECT_EQ(records[1].decision, Decision::kDecrypted);
  EXPECT_EQ(records[1].reason, "always-decrypt 10.10.1.2/32");
  EXPECT_EQ(counter("npSslInspStats", "sessionsNeverDecrypt"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsAlwaysDecrypt"), 1u);
}

TEST_F(ClientInspectionTest, BlocksInvalidAndExpiredServerCertificatesAndLogsThem) {
  startEngine(baseConfig());
  for (const char* host : {"expired.test", "selfsigned.test", "wronghost.test", "rsa1024.test"}) {
    Probe p = connect(host);
    EXPECT_FALSE(p.connected()) << host;
    EXPECT_THAT(p.error(), HasSubstr("handshake failure")) << host;
  }
  auto records = sink_.waitRecords(4);
  ASSERT_EQ(records.size(), 4u);
  std::map<std::string, std::string> reasons;
  for (const SessionRecord& r : records) {
    EXPECT_EQ(r.decision, Decision::kBlocked);
    reasons[r.context.sni] = r.reason;
  }
  EXPECT_EQ(reasons["expired.test"], "server certificate expired: certificate has expired");
  EXPECT_EQ(reasons["selfsigned.test"], "server certificate untrusted: self-signed certificate");
  EXPECT_EQ(reasons["wronghost.test"], "server certificate hostname mismatch: hostname mismatch");
  EXPECT_EQ(reasons["rsa1024.test"],
            "server certificate key too short: RSA key of 1024 bits is shorter than the minimum "
            "of 2048");
  auto failures = sink_.waitFailures(4);
  ASSERT_EQ(failures.size(), 4u);
  for (const FailedConnectionRecord& f : failures) {
    EXPECT_EQ(f.side, FailedSide::kServer);
    EXPECT_EQ(f.alert_code, -1);
    EXPECT_FALSE(f.auto_excluded);
    EXPECT_EQ(f.reason, reasons[f.context.sni]);
    EXPECT_THAT(f.reason, HasSubstr(f.verify_error));
  }
  EXPECT_EQ(counter("npSslInspStats", "sessionsBlockedInvalidCertificate"), 3u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsBlockedExpiredCertificate"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "failedConnections"), 4u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "serverCertExpired"), 1u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "serverCertKeyTooShort"), 1u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "serverCertHostnameMismatch"), 1u);
  EXPECT_GE(counter("npSslInspProtocolStats", "serverCertUntrusted"), 1u);
}

TEST_F(ClientInspectionTest, ResetsABlockedClientWhenTheProxySaysSo) {
  auto cfg = baseConfig();
  cfg->client_proxies[0].tcp_reset = true;
  cfg->client_proxies[0].block_expired_certificates = false;  // expired alone is let through
  startEngine(cfg);
  {
    Probe blocked = connect("selfsigned.test");
    EXPECT_FALSE(blocked.connected());
    EXPECT_THAT(blocked.error(), HasSubstr("Connection reset by peer"));
  }
  {
    Probe expired = connect("expired.test");
    ASSERT_TRUE(expired.connected()) << expired.error();
    EXPECT_EQ(expired.issuerCn(), kUntrustedCaName);
  }
  auto records = sink_.waitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].decision, Decision::kBlocked);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpResetsToClient"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsBlockedInvalidCertificate"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsBlockedExpiredCertificate"), 0u);
}

TEST_F(ClientInspectionTest, MintsWithTheUntrustedServerCaWhenNotBlocking) {
  auto cfg = baseConfig();
  cfg->client_proxies[0].block_invalid_certificates = false;
  cfg->client_proxies[0].block_expired_certificates = false;
  startEngine(cfg);
  for (const char* host : {"expired.test", "selfsigned.test", "wronghost.test", "rsa1024.test"}) {
    Probe p = connect(host);
    ASSERT_TRUE(p.connected()) << host << ": " << p.error();
    EXPECT_EQ(p.issuerCn(), kUntrustedCaName) << host;
    EXPECT_FALSE(p.verified()) << host << ": the client must be warned";
    EXPECT_EQ(p.roundTrip("still works"), "still works");
  }
  auto records = sink_.waitRecords(4);
  ASSERT_EQ(records.size(), 4u);
  for (const SessionRecord& r : records)
    EXPECT_EQ(r.decision, Decision::kDecrypted) << r.context.sni << ": " << r.reason;
  EXPECT_EQ(counter("npSslInspProtocolStats", "leavesUntrustedCa"), 4u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "leavesSigningCa"), 0u);
}

TEST_F(ClientInspectionTest, ExcludesAServerThatAsksForAClientCertificate) {
  startEngine(baseConfig());
  {
    Probe first = connect("mtls.test");
    EXPECT_FALSE(first.connected());
  }
  auto failures = sink_.waitFailures(1);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].context.sni, "mtls.test");
  EXPECT_EQ(failures[0].side, FailedSide::kServer);
  EXPECT_EQ(failures[0].reason,
            "server requested a client certificate; the session cannot be inspected");
  EXPECT_TRUE(failures[0].auto_excluded);
  EXPECT_THAT(sink_.systemLines(),
              ElementsAre("warning: SSL client domain exclusion added: mtls.test (server "
                          "requested a client certificate)"));
  {
    Probe next = connect("mtls.test");
    ASSERT_TRUE(next.connected()) << next.error();
    EXPECT_EQ(next.issuerCn(), testing::kPublicCaName);
    EXPECT_EQ(next.roundTrip("direct"), "direct");
  }
  auto records = sink_.waitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].decision, Decision::kBlocked);
  EXPECT_EQ(records[1].decision, Decision::kNotDecrypted);
  EXPECT_EQ(records[1].reason, "domain exclusion mtls.test (automatic)");
  EXPECT_EQ(counter("npSslInspStats", "domainsAutoExcluded"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsBlockedClientCertificate"), 1u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "serverCertificateRequests"), 1u);
  // Persisted by the store's own thread, for the next start and for vtpsctl.
  for (int i = 0; i < 100 && stateFile().find("mtls.test") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_THAT(stateFile(), HasSubstr("\"domain\": \"mtls.test\""));
  ASSERT_NE(engine_->exclusionStore(), nullptr);
  EXPECT_NE(engine_->exclusionStore()->current()->match("mtls.test"), nullptr);
}

TEST_F(ClientInspectionTest, ExcludesADomainWhoseClientsRejectTheMintedCertificate) {
  startEngine(baseConfig());  // auto-failure-threshold 2
  // A client that pins the public CA: the minted leaf makes it send certificate_unknown.
  auto pinned = [&] {
    return Probe(*lab_, Probe::Options{"pinned.test", {}, {pki_.publicCa()}, true});
  };
  for (int i = 0; i < 2; ++i) {
    Probe p = pinned();
    EXPECT_FALSE(p.connected());
  }
  auto failures = sink_.waitFailures(2);
  ASSERT_EQ(failures.size(), 2u);
  for (const FailedConnectionRecord& f : failures) {
    EXPECT_EQ(f.side, FailedSide::kClient);
    EXPECT_EQ(f.alert, "certificate_unknown");
    EXPECT_EQ(f.alert_code, 46);
    EXPECT_THAT(f.reason, HasSubstr("client handshake failed: "));
  }
  EXPECT_FALSE(failures[0].auto_excluded);
  EXPECT_TRUE(failures[1].auto_excluded);
  {
    Probe p = pinned();
    ASSERT_TRUE(p.connected()) << p.error();
    EXPECT_EQ(p.issuerCn(), testing::kPublicCaName);
  }
  auto records = sink_.waitRecords(3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].decision, Decision::kNotDecrypted);
  EXPECT_EQ(records[2].reason, "domain exclusion pinned.test (automatic)");
  EXPECT_EQ(counter("npSslInspProtocolStats", "clientCertRejections"), 2u);
  EXPECT_EQ(counter("npSslInspStats", "domainsAutoExcluded"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "failedConnections"), 2u);
}

TEST_F(ClientInspectionTest, DowngradesHttp2OrDecryptsWithoutInspecting) {
  auto cfg = baseConfig();
  startEngine(cfg);
  {
    Probe p = connect("h2.test", {"h2", "http/1.1"});
    ASSERT_TRUE(p.connected()) << p.error();
    EXPECT_EQ(p.alpn(), "http/1.1");
  }
  ASSERT_EQ(sink_.waitRecords(1).size(), 1u);  // records come in closing order
  auto keep = std::make_shared<config::Config>(*cfg);
  keep->client_proxies[0].http2_to_http1_downgrade = false;
  ASSERT_TRUE(apply(keep).ok());
  {
    Probe p = connect("h2.test", {"h2", "http/1.1"});
    ASSERT_TRUE(p.connected()) << p.error();
    EXPECT_EQ(p.alpn(), "h2");
    EXPECT_EQ(p.issuerCn(), kSigningCaName);
  }
  auto records = sink_.waitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].decision, Decision::kDecrypted);
  EXPECT_EQ(records[1].decision, Decision::kDecryptedNotInspected);
  // No request was made: the probe may close with unread data (a reset the reason then names).
  EXPECT_THAT(records[1].reason, StartsWith("HTTP/2 negotiated (downgrade off)"));
  EXPECT_EQ(counter("npSslInspProtocolStats", "alpnDowngrades"), 1u);
}

TEST_F(ClientInspectionTest, WithoutSniTheServerCertificateNamesDecide) {
  startEngine(baseConfig());
  {
    // The origin's default certificate names excluded.test: this first session was proxied to
    // learn that, so it goes on decrypted but not inspected.
    Probe first = connect("");
    ASSERT_TRUE(first.connected()) << first.error();
    EXPECT_EQ(first.issuerCn(), kSigningCaName);
    EXPECT_EQ(first.roundTrip("first"), "first");
  }
  ASSERT_EQ(sink_.waitRecords(1).size(), 1u);  // records come in closing order
  {
    Probe second = connect("");
    ASSERT_TRUE(second.connected()) << second.error();
    EXPECT_EQ(second.issuerCn(), testing::kPublicCaName);
  }
  auto records = sink_.waitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  const std::string why =
      "domain exclusion excluded.test (config) (no SNI; server certificate name excluded.test)";
  EXPECT_EQ(records[0].decision, Decision::kDecryptedNotInspected);
  EXPECT_EQ(records[0].reason, why);
  EXPECT_EQ(records[1].decision, Decision::kNotDecrypted);
  EXPECT_EQ(records[1].reason, why);
  EXPECT_EQ(counter("npSslInspStats", "sessionsCertificateNameExcluded"), 2u);
  EXPECT_TRUE(sink_.waitFailures(0, 0).empty());
}

TEST_F(ClientInspectionTest, AServerPolicyDecidesAConnectionBothPoliciesMatch) {
  testing::TestCert web = testing::makeCert(dir_, "web.test", "ec");
  crypto::CertificateInput input;
  input.cert_bytes = web.cert_pem;
  input.cert_source = "web.test";
  input.key_bytes = web.key_pem;
  input.key_source = "web.test";
  ASSERT_TRUE(keystore_->importCertificate("web.test", input, false).ok());
  auto cfg = baseConfig();
  config::ServerProxy server;
  server.name = "web";
  server.destinations = {config::Cidr4{(10u << 24) | (10u << 16) | (2u << 8) | 2u, 32}};
  server.detection_ports = {config::PortRange{443, 443}};
  server.certificates = {"web.test"};
  server.protocols = {config::TlsVersion::kTls12, config::TlsVersion::kTls13};
  cfg->server_proxies.push_back(server);
  config::SslServerPolicy in;
  in.name = "web-in";
  in.server_proxy = "web";
  cfg->profiles[0].ssl_server_policies.push_back(in);
  startEngine(cfg);
  {
    Probe p = connect("trusted.test");
    ASSERT_TRUE(p.connected()) << p.error();
    EXPECT_EQ(p.subjectCn(), "web.test");  // the server proxy's own certificate
  }
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].context.policy, "web-in");
  EXPECT_EQ(counter("npSslInspStats", "clientPolicySessions"), 0u);
}

}  // namespace
}  // namespace vtps::proxy
