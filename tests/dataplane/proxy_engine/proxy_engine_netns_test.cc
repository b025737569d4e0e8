// The proxy engine on the real kernel path: client, appliance and server network namespaces,
// nftables TPROXY in the appliance namespace, the engine's workers there, an echoing TLS origin
// and TLS clients made with OpenSSL. Needs root (label "root").
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "crypto/keystore.h"
#include "dataplane/proxy/proxy_engine.h"
#include "tests/dataplane/proxy_engine/netns_lab.h"

namespace vtps::proxy {
namespace {

using testing::counterValue;
using testing::EchoOrigin;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::NetnsLab;
using testing::RecordingSink;
using ::testing::StartsWith;
using testing::TlsClient;

// Blocks a session when the cleartext contains "BLOCKME"; remembers what it saw.
class TestInspectorFactory : public InspectorFactory {
 public:
  class TestInspector : public Inspector {
   public:
    explicit TestInspector(TestInspectorFactory& f) : factory_(f) {}
    Verdict inspect(Direction direction, std::span<const uint8_t> cleartext) override {
      std::string text(cleartext.begin(), cleartext.end());
      std::lock_guard lock(factory_.mu_);
      (direction == Direction::kClientToServer ? factory_.up_ : factory_.down_) += text;
      return text.find("BLOCKME") != std::string::npos ? Verdict::kBlock : Verdict::kPass;
    }
    std::string reason() const override { return "test rule 7"; }

   private:
    TestInspectorFactory& factory_;
  };
  std::unique_ptr<Inspector> create(const SessionContext& session) override {
    std::lock_guard lock(mu_);
    contexts_.push_back(session);
    return std::make_unique<TestInspector>(*this);
  }
  std::string up() {
    std::lock_guard lock(mu_);
    return up_;
  }
  std::string down() {
    std::lock_guard lock(mu_);
    return down_;
  }

 private:
  std::mutex mu_;
  std::string up_, down_;
  std::vector<SessionContext> contexts_;
};

config::Cidr4 cidr(uint32_t a, uint32_t b, uint32_t c, uint32_t d, int prefix) {
  return config::Cidr4{(a << 24) | (b << 16) | (c << 8) | d, prefix};
}

class ProxyEngineNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test's own clients and origin write to sockets the engine may have closed.
    ::signal(SIGPIPE, SIG_IGN);
    lab_ = std::make_unique<NetnsLab>();
    if (!lab_->ok()) GTEST_SKIP() << lab_->why();
    char tmpl[] = "/tmp/vtps-engine-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto keystore = crypto::Keystore::open(crypto::KeystoreOptions{dir_ + "/keystore"});
    ASSERT_TRUE(keystore.ok()) << keystore.message();
    keystore_ = std::move(*keystore);
    for (const char* cn : {"a.test", "b.test"}) {
      testing::TestCert cert = testing::makeCert(dir_, cn, "ec");
      crypto::CertificateInput input;
      input.cert_bytes = cert.cert_pem;
      input.cert_source = cn;
      input.key_bytes = cert.key_pem;
      input.key_source = cn;
      auto imported = keystore_->importCertificate(cn, input, false);
      ASSERT_TRUE(imported.ok()) << imported.message();
    }
    origin_ = std::make_unique<EchoOrigin>(*lab_, testing::makeCert(dir_, "origin.test", "ec"));
    ASSERT_TRUE(origin_->ok());
  }

  void TearDown() override {
    if (engine_) engine_->drainAndStop(0);
    engine_.reset();
    origin_.reset();
    lab_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  static std::shared_ptr<config::Config> baseConfig() {
    auto cfg = std::make_shared<config::Config>();
    cfg->device.proxy_cores = {0};
    config::ServerProxy web;
    web.name = "web";
    web.destinations = {cidr(10, 10, 2, 2, 32)};
    web.detection_ports = {config::PortRange{443, 443}};
    web.certificates = {"a.test", "b.test"};
    web.protocols = {config::TlsVersion::kTls12, config::TlsVersion::kTls13};
    web.logging = true;
    web.tcp_reset = true;
    web.http2_to_http1_downgrade = true;
    cfg->server_proxies.push_back(web);
    config::Profile profile;
    profile.name = "default";
    config::SslServerPolicy policy;
    policy.name = "web-in";
    policy.server_proxy = "web";
    profile.ssl_server_policies.push_back(policy);
    cfg->profiles.push_back(profile);
    return cfg;
  }
  static config::SslServerPolicy& policyOf(config::Config& cfg) {
    return cfg.profiles[0].ssl_server_policies[0];
  }

  // With `engine_rules` the engine installs the TPROXY rules itself (libnftables, rtnetlink);
  // otherwise the lab installs equivalent ones with nft and ip.
  void startEngine(std::shared_ptr<const config::Config> cfg, bool engine_rules = false) {
    EngineOptions options;
    options.install_rules = engine_rules;
    options.hello_timeout_ms = 2000;
    Result<std::unique_ptr<ProxyEngine>> engine = makeError("not run");
    NetnsLab::runIn(lab_->appliance(), [&] {
      engine = ProxyEngine::create(options, std::move(cfg), *keystore_, sink_, inspectors_);
    });
    ASSERT_TRUE(engine.ok()) << engine.message();
    engine_ = std::move(*engine);
    if (engine_rules) return;
    std::string error;
    ASSERT_TRUE(lab_->installTproxy(engine_->listenPort(), &error)) << error;
  }

  uint64_t counter(std::string_view group, std::string_view name) {
    return counterValue(engine_->counters(), group, name);
  }

  std::unique_ptr<NetnsLab> lab_;
  std::string dir_;
  std::unique_ptr<crypto::Keystore> keystore_;
  std::unique_ptr<EchoOrigin> origin_;
  RecordingSink sink_;
  std::shared_ptr<TestInspectorFactory> inspectors_ = std::make_shared<TestInspectorFactory>();
  std::unique_ptr<ProxyEngine> engine_;
};

TEST_F(ProxyEngineNetnsTest, DecryptsWithTheCertificateChosenBySni) {
  startEngine(baseConfig());
  {
    TlsClient a(*lab_, "a.test");
    ASSERT_TRUE(a.connected()) << a.error();
    EXPECT_EQ(a.peerCommonName(), "a.test");
    EXPECT_EQ(a.roundTrip("hello a"), "hello a");
    TlsClient b(*lab_, "b.test");
    ASSERT_TRUE(b.connected()) << b.error();
    EXPECT_EQ(b.peerCommonName(), "b.test");
    EXPECT_EQ(b.roundTrip("hello b"), "hello b");
    TlsClient none(*lab_, "");
    ASSERT_TRUE(none.connected()) << none.error();
    EXPECT_EQ(none.peerCommonName(), "a.test");  // no SNI: the first certificate
  }
  auto records = sink_.waitRecords(3);
  ASSERT_EQ(records.size(), 3u);
  for (const SessionRecord& r : records) {
    EXPECT_EQ(r.decision, Decision::kDecrypted) << r.reason;
    EXPECT_EQ(r.context.profile, "default");
    EXPECT_EQ(r.context.policy, "web-in");
    EXPECT_EQ(r.context.proxy, "web");
    EXPECT_EQ(r.context.client_address, "10.10.1.2");
    EXPECT_EQ(r.context.server_address, "10.10.2.2");
    EXPECT_EQ(r.context.server_port, 443);
    EXPECT_EQ(r.client_version, "TLSv1.3");
    EXPECT_EQ(r.server_version, "TLSv1.3");
    EXPECT_EQ(r.client_cipher, "TLS_AES_256_GCM_SHA384");
    EXPECT_TRUE(r.logging_enabled);
  }
  // Records come in closing order, which the three sessions race for.
  std::sort(records.begin(), records.end(), [](const SessionRecord& x, const SessionRecord& y) {
    return x.context.sni < y.context.sni;
  });
  EXPECT_EQ(records[0].context.sni, "");
  EXPECT_EQ(records[0].bytes_client_to_server, 0u);
  EXPECT_EQ(records[1].context.sni, "a.test");
  EXPECT_EQ(records[1].bytes_client_to_server, 7u);
  EXPECT_EQ(records[1].bytes_server_to_client, 7u);
  EXPECT_EQ(records[2].context.sni, "b.test");
  // The origin saw the client's own address on every upstream leg.
  EXPECT_THAT(origin_->peers(), ElementsAre("10.10.1.2", "10.10.1.2", "10.10.1.2"));
  EXPECT_EQ(inspectors_->up(), "hello ahello b");  // a's session relayed before b's began
  EXPECT_EQ(counter("npSslInspStats", "sessionsDecrypted"), 3u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsActive"), 0u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "clientTls13"), 3u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "serverTls13"), 3u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "clientCipherAesGcm"), 3u);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpAccepted"), 3u);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpBytesClientToServer"), 14u);
}

TEST_F(ProxyEngineNetnsTest, RelaysMegabytesIntactThroughTheDecryptingPath) {
  startEngine(baseConfig());
  constexpr size_t kSize = 8 << 20;
  {
    TlsClient a(*lab_, "a.test");
    ASSERT_TRUE(a.connected()) << a.error();
    ASSERT_TRUE(a.write("SEND " + std::to_string(kSize)));
    std::string body = a.readExactly(kSize);
    ASSERT_EQ(body.size(), kSize);
    size_t mismatches = 0;
    for (size_t i = 0; i < kSize; ++i)
      mismatches += body[i] != testing::patternByte(i);
    EXPECT_EQ(mismatches, 0u);
  }
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].bytes_server_to_client, kSize);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpBytesServerToClient"), kSize);
}

TEST_F(ProxyEngineNetnsTest, InstallsAndRemovesItsOwnTproxyRules) {
  startEngine(baseConfig(), /*engine_rules=*/true);
  {
    TlsClient a(*lab_, "a.test");
    ASSERT_TRUE(a.connected()) << a.error();
    EXPECT_EQ(a.peerCommonName(), "a.test");
    EXPECT_EQ(a.roundTrip("ruled"), "ruled");
  }
  EXPECT_EQ(sink_.waitRecords(1).size(), 1u);
  std::string tables;
  testing::shell("ip netns exec " + lab_->appliance() + " nft list tables", &tables);
  EXPECT_EQ(tables, "table inet vtps\n");
  // The rules live in the appliance namespace: remove them from there.
  NetnsLab::runIn(lab_->appliance(), [&] { engine_->drainAndStop(0); });
  testing::shell("ip netns exec " + lab_->appliance() + " nft list tables", &tables);
  EXPECT_EQ(tables, "");
  std::string rules;
  testing::shell("ip -n " + lab_->appliance() + " rule", &rules);
  EXPECT_EQ(rules.find("fwmark"), std::string::npos) << rules;
}

TEST_F(ProxyEngineNetnsTest, SplicesASourceExceptionWithoutDecrypting) {
  auto cfg = baseConfig();
  policyOf(*cfg).source_exceptions = {cidr(10, 10, 1, 0, 24)};
  startEngine(cfg);
  {
    TlsClient a(*lab_, "a.test");
    ASSERT_TRUE(a.connected()) << a.error();
    EXPECT_EQ(a.peerCommonName(), "origin.test");  // end to end with the origin
    EXPECT_EQ(a.roundTrip("spliced"), "spliced");
  }
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kNotDecrypted);
  EXPECT_EQ(records[0].reason, "source exception 10.10.1.0/24");
  EXPECT_EQ(records[0].context.sni, "a.test");
  EXPECT_GT(records[0].bytes_client_to_server, 7u);  // the ClientHello and the records
  EXPECT_GT(records[0].bytes_server_to_client, 7u);
  EXPECT_EQ(records[0].client_version, "");  // nothing negotiated by the proxy
  EXPECT_THAT(origin_->peers(), ElementsAre("10.10.1.2"));
  EXPECT_EQ(inspectors_->up(), "");
  EXPECT_EQ(counter("npSslInspStats", "sessionsNotDecrypted"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsSourceException"), 1u);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpSpliced"), 1u);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpBytesClientToServer"),
            records[0].bytes_client_to_server);
}

// A connected socket to 10.10.2.2:443 from the client namespace.
UniqueFd connectRaw(const NetnsLab& lab) {
  UniqueFd fd = NetnsLab::socketIn(lab.client());
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(443);
  sa.sin_addr.s_addr = htonl((10u << 24) | (10u << 16) | (2u << 8) | 2u);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) fd.reset();
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

TEST_F(ProxyEngineNetnsTest, DropsCleartextOnAnSslTuple) {
  startEngine(baseConfig());
  UniqueFd fd = connectRaw(*lab_);
  ASSERT_TRUE(fd.valid());
  const std::string request = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
  ASSERT_EQ(::send(fd.get(), request.data(), request.size(), 0),
            static_cast<ssize_t>(request.size()));
  char byte;
  // Closed without an answer; the unread request makes the kernel's close a reset.
  EXPECT_EQ(::recv(fd.get(), &byte, 1, 0), -1);
  EXPECT_EQ(errno, ECONNRESET);
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kBlocked);
  EXPECT_THAT(records[0].reason, StartsWith("cleartext on an SSL tuple: "));
  EXPECT_EQ(counter("npSslInspStats", "sessionsCleartextDropped"), 1u);
  EXPECT_EQ(counter("npSslInspStats", "sessionsBlocked"), 1u);
  EXPECT_EQ(origin_->accepted(), 0);
}

TEST_F(ProxyEngineNetnsTest, DropsAConnectionThatSendsNoClientHelloInTime) {
  startEngine(baseConfig());  // hello timeout 2 s
  UniqueFd fd = connectRaw(*lab_);
  ASSERT_TRUE(fd.valid());
  const std::string partial("\x16\x03\x01\x00\xc8\x01", 6);  // a record header and more to come
  ASSERT_EQ(::send(fd.get(), partial.data(), partial.size(), 0), 6);
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kBlocked);
  EXPECT_EQ(records[0].reason, "no complete ClientHello within 2000 ms");
  EXPECT_EQ(counter("npSslInspStats", "sessionsHelloTimeout"), 1u);
  EXPECT_EQ(origin_->accepted(), 0);
}

TEST_F(ProxyEngineNetnsTest, CountsAServerThatRefusesTheConnection) {
  origin_.reset();  // nothing listens on 10.10.2.2:443 any more
  startEngine(baseConfig());
  TlsClient a(*lab_, "a.test");
  EXPECT_FALSE(a.connected());
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kBlocked);
  EXPECT_EQ(records[0].reason, "server connect to 10.10.2.2:443 failed: Connection refused");
  EXPECT_EQ(counter("npSslInspProtocolStats", "serverConnFailures"), 1u);
  EXPECT_EQ(counter("npSslInspProtocolStats", "serverTcpConnectFailures"), 1u);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpUpstreamConnects"), 1u);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpUpstreamConnected"), 0u);
}

TEST_F(ProxyEngineNetnsTest, BlockVerdictClosesTheClientAndResetsTheServer) {
  startEngine(baseConfig());
  TlsClient a(*lab_, "a.test");
  ASSERT_TRUE(a.connected()) << a.error();
  EXPECT_EQ(a.roundTrip("fine"), "fine");
  EXPECT_EQ(a.roundTrip("BLOCKME"), "");
  EXPECT_EQ(a.readOnce(), 0) << "the client gets close_notify";
  EXPECT_TRUE(origin_->waitResets(1, 5000)) << "the server gets a TCP reset";
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kBlocked);
  EXPECT_EQ(records[0].reason, "blocked by inspector: test rule 7");
  EXPECT_EQ(records[0].bytes_client_to_server, 4u);  // the blocked chunk never left
  EXPECT_EQ(inspectors_->up(), "fineBLOCKME");
  EXPECT_EQ(inspectors_->down(), "fine");
  EXPECT_EQ(counter("npSslInspStats", "sessionsBlockedByInspector"), 1u);
  EXPECT_EQ(counter("npTcpProxyStats", "tcpResetsToServer"), 1u);
}

TEST_F(ProxyEngineNetnsTest, ListsAndClearsLiveSessions) {
  startEngine(baseConfig());
  TlsClient a(*lab_, "a.test");
  ASSERT_TRUE(a.connected()) << a.error();
  EXPECT_EQ(a.roundTrip("alive"), "alive");
  std::vector<LiveSession> live = engine_->liveSessions();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].context.sni, "a.test");
  EXPECT_EQ(live[0].context.client_address, "10.10.1.2");
  EXPECT_EQ(live[0].decision, Decision::kDecrypted);
  EXPECT_EQ(live[0].client_version, "TLSv1.3");
  EXPECT_EQ(live[0].bytes_client_to_server, 5u);
  EXPECT_EQ(live[0].worker, 0);

  EXPECT_EQ(engine_->clearSessions(), 1u);
  EXPECT_EQ(a.readOnce(), 0);
  EXPECT_TRUE(engine_->liveSessions().empty());
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kDecrypted);
  EXPECT_EQ(records[0].reason, "cleared by operator");
  EXPECT_EQ(counter("npSslInspStats", "sessionsCleared"), 1u);
}

// The proxy watchdog's inputs (appliance/daemon/proxy_watchdog.h): a stalled worker's heartbeat
// stops moving; its live session waits and carries on afterwards; a stopped one is not running.
TEST_F(ProxyEngineNetnsTest, StalledWorkersStopTheirHeartbeatAndKeepTheirSessions) {
  startEngine(baseConfig());
  TlsClient a(*lab_, "a.test");
  ASSERT_TRUE(a.connected()) << a.error();
  EXPECT_EQ(a.roundTrip("before"), "before");
  auto nowMs = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  std::vector<WorkerLoad> load = engine_->workerLoad();
  ASSERT_EQ(load.size(), 1u);
  EXPECT_TRUE(load[0].running);
  EXPECT_LE(nowMs() - load[0].heartbeat_ms, 1500);  // the idle loop turns every second

  EXPECT_EQ(engine_->stallWorkers(std::chrono::milliseconds(2500)), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  load = engine_->workerLoad();
  EXPECT_TRUE(load[0].running);
  EXPECT_GE(nowMs() - load[0].heartbeat_ms, 1900);
  // Answered once the worker wakes: nothing was closed meanwhile.
  EXPECT_EQ(a.roundTrip("after"), "after");
  EXPECT_LE(nowMs() - engine_->workerLoad()[0].heartbeat_ms, 1500);
  EXPECT_EQ(counter("npSslInspStats", "sessionsCleared"), 0u);

  engine_->drainAndStop(0);
  EXPECT_FALSE(engine_->workerLoad()[0].running);
}

TEST_F(ProxyEngineNetnsTest, ApplyKeepsLiveSessionsAndChangesNewOnes) {
  auto cfg = baseConfig();
  startEngine(cfg);
  TlsClient before(*lab_, "a.test");
  ASSERT_TRUE(before.connected()) << before.error();
  EXPECT_EQ(before.peerCommonName(), "a.test");

  auto broken = std::make_shared<config::Config>(*cfg);
  broken->server_proxies[0].certificates = {"missing"};
  Status refused = engine_->apply(broken);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.message(), StartsWith("server proxy web: certificate missing: "));

  auto disabled = std::make_shared<config::Config>(*cfg);
  policyOf(*disabled).enabled = false;
  Status applied = engine_->apply(disabled);
  ASSERT_TRUE(applied.ok()) << applied.message();

  EXPECT_EQ(before.roundTrip("still decrypted"), "still decrypted");
  {
    TlsClient after(*lab_, "a.test");
    ASSERT_TRUE(after.connected()) << after.error();
    EXPECT_EQ(after.peerCommonName(), "origin.test");
  }
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kNotDecrypted);
  EXPECT_EQ(records[0].reason, "policy disabled");
  EXPECT_EQ(inspectors_->up(), "still decrypted");
}

TEST_F(ProxyEngineNetnsTest, BypassesOverTheThresholdAndLogsOncePerCrossing) {
  auto cfg = baseConfig();
  cfg->device.ssl_inspection.max_concurrent_connections = 1;
  startEngine(cfg);
  TlsClient first(*lab_, "a.test");
  ASSERT_TRUE(first.connected()) << first.error();
  EXPECT_EQ(first.peerCommonName(), "a.test");
  for (int i = 0; i < 2; ++i) {
    TlsClient over(*lab_, "a.test");
    ASSERT_TRUE(over.connected()) << over.error();
    EXPECT_EQ(over.peerCommonName(), "origin.test");
  }
  auto records = sink_.waitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].decision, Decision::kBypassed);
  EXPECT_EQ(records[0].reason, "max concurrent connections (1) reached");
  EXPECT_THAT(sink_.systemLines(),
              ElementsAre("critical: SSL Inspection reached Critical threshold of Max Concurrent "
                          "Connections. Action: Allow but bypass Inspection"));
  EXPECT_EQ(counter("npSslInspStats", "sessionsBypassed"), 2u);
  EXPECT_EQ(counter("npSslInspStats", "thresholdCrossings"), 1u);
}

TEST_F(ProxyEngineNetnsTest, BlocksOverTheThresholdWhenConfigured) {
  auto cfg = baseConfig();
  cfg->device.ssl_inspection.max_concurrent_connections = 1;
  cfg->device.ssl_inspection.over_threshold = config::OverThreshold::kBlock;
  startEngine(cfg);
  TlsClient first(*lab_, "a.test");
  ASSERT_TRUE(first.connected()) << first.error();
  TlsClient over(*lab_, "a.test");
  EXPECT_FALSE(over.connected());
  EXPECT_THAT(over.error(), HasSubstr("handshake failure"));
  auto records = sink_.waitRecords(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kBlocked);
  EXPECT_THAT(sink_.systemLines(),
              ElementsAre("critical: SSL Inspection reached Critical threshold of Max Concurrent "
                          "Connections. Action: Block"));
  EXPECT_EQ(counter("npSslInspStats", "sessionsBlockedOverThreshold"), 1u);
}

TEST_F(ProxyEngineNetnsTest, DowngradesHttp2OnBothSides) {
  auto cfg = baseConfig();
  startEngine(cfg);
  {
    TlsClient h2(*lab_, "a.test", {"h2", "http/1.1"});
    ASSERT_TRUE(h2.connected()) << h2.error();
    EXPECT_EQ(h2.alpn(), "http/1.1");
    EXPECT_EQ(h2.roundTrip("h1"), "h1");
  }
  auto keep = std::make_shared<config::Config>(*cfg);
  keep->server_proxies[0].http2_to_http1_downgrade = false;
  ASSERT_TRUE(engine_->apply(keep).ok());
  {
    TlsClient h2(*lab_, "a.test", {"h2", "http/1.1"});
    ASSERT_TRUE(h2.connected()) << h2.error();
    EXPECT_EQ(h2.alpn(), "h2");
    EXPECT_EQ(h2.roundTrip("h2"), "h2");
  }
  auto records = sink_.waitRecords(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].decision, Decision::kDecrypted);
  EXPECT_EQ(records[1].decision, Decision::kDecryptedNotInspected);
  EXPECT_EQ(records[1].reason, "HTTP/2 negotiated (downgrade off)");
  EXPECT_EQ(counter("npSslInspProtocolStats", "alpnDowngrades"), 1u);
}

}  // namespace
}  // namespace vtps::proxy
