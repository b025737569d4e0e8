// Hermetic parts of the proxy engine: counter groups, the splice relay over loopback TCP, the
// runtime snapshot's policy lookup, and create()'s refusals. No root needed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "crypto/keystore.h"
#include "dataplane/proxy/domain_exclusions.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/proxy_engine.h"
#include "dataplane/proxy/runtime_snapshot.h"
#include "dataplane/proxy/splice_relay.h"
#include "dataplane/proxy/transparent_listener.h"
#include "tests/dataplane/proxy_engine/netns_lab.h"

namespace vtps::proxy {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

TEST(ProxyCountersTest, SumsWorkersIntoTheThreeTpsGroups) {
  WorkerCounters a, b;
  a.add(Ctr::kClientCipherOther, 2);
  b.add(Ctr::kClientCipherOther);
  b.add(Ctr::kServerConnFailures, 5);
  a.add(Ctr::kTcpActive, 3);
  a.sub(Ctr::kTcpActive);
  const WorkerCounters* workers[] = {&a, &b};
  std::vector<CounterGroup> groups = sumCounters(workers);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].name, "npSslInspStats");
  EXPECT_EQ(groups[1].name, "npSslInspProtocolStats");
  EXPECT_EQ(groups[2].name, "npTcpProxyStats");
  EXPECT_EQ(testing::counterValue(groups, "npSslInspProtocolStats", "clientCipherOther"), 3u);
  EXPECT_EQ(testing::counterValue(groups, "npSslInspProtocolStats", "serverConnFailures"), 5u);
  EXPECT_EQ(testing::counterValue(groups, "npTcpProxyStats", "tcpActive"), 2u);
  EXPECT_EQ(testing::counterValue(groups, "npSslInspStats", "sessionsDecrypted"), 0u);
  EXPECT_EQ(testing::counterValue(groups, "npSslInspStats", "noSuchCounter"), ~uint64_t{0});
  size_t total = 0;
  for (const auto& g : groups)
    total += g.values.size();
  EXPECT_EQ(total, static_cast<size_t>(Ctr::kCount));
}

TEST(ProxyCountersTest, EveryCounterHasAUniqueNameAndAMeaning) {
  std::set<std::string_view> names;
  for (const CounterInfo& info : counterInfo()) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_FALSE(info.meaning.empty()) << info.name;
  }
}

// A connected loopback TCP pair: {connecting side, accepted side}.
std::pair<UniqueFd, UniqueFd> tcpPair() {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  ::bind(listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  ::listen(listener.get(), 1);
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&sa), &len);
  UniqueFd a(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ::connect(a.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  UniqueFd b(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  return {std::move(a), std::move(b)};
}

TEST(SpliceRelayTest, RelaysBothWaysWithBackpressureAndPassesHalfCloses) {
  auto [client, client_side] = tcpPair();
  auto [server_side, server] = tcpPair();
  Leg c, s;
  c.fd = std::move(client_side);
  s.fd = std::move(server_side);
  ::fcntl(c.fd.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(s.fd.get(), F_SETFL, O_NONBLOCK);
  auto relay = SpliceRelay::create();
  ASSERT_TRUE(relay.ok()) << relay.message();

  // 4 MiB up while the server reads slowly: the relay must keep at most a pipe's worth.
  const std::string payload(4 << 20, 'x');
  std::thread writer([&, fd = client.get()] {
    ::send(fd, payload.data(), payload.size(), 0);
    ::shutdown(fd, SHUT_WR);
  });
  std::string received;
  std::thread reader([&, fd = server.get()] {
    char buffer[65536];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
      received.append(buffer, n);
    ::send(fd, "reply", 5, 0);
    ::shutdown(fd, SHUT_WR);
  });
  uint64_t up = 0, down = 0;
  int error = 0;
  SpliceRelay::Outcome outcome = SpliceRelay::Outcome::kOpen;
  for (int i = 0; i < 200000 && outcome == SpliceRelay::Outcome::kOpen; ++i) {
    c.readable = c.writable = s.readable = s.writable = true;  // level view: EAGAIN corrects it
    outcome = (*relay)->pump(c, s, up, down, error);
  }
  writer.join();
  reader.join();
  EXPECT_EQ(outcome, SpliceRelay::Outcome::kDone) << error;
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_EQ(up, payload.size());
  EXPECT_EQ(down, 5u);
  char buffer[16];
  EXPECT_EQ(::recv(client.get(), buffer, sizeof buffer, 0), 5);
  EXPECT_EQ(::recv(client.get(), buffer, sizeof buffer, 0), 0);
}

TEST(SpliceRelayTest, ReportsAResetPeer) {
  auto [client, client_side] = tcpPair();
  auto [server_side, server] = tcpPair();
  Leg c, s;
  c.fd = std::move(client_side);
  s.fd = std::move(server_side);
  ::fcntl(c.fd.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(s.fd.get(), F_SETFL, O_NONBLOCK);
  auto relay = SpliceRelay::create();
  ASSERT_TRUE(relay.ok());
  setResetOnClose(client.get());
  client.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.readable = true;
  uint64_t up = 0, down = 0;
  int error = 0;
  EXPECT_EQ((*relay)->pump(c, s, up, down, error), SpliceRelay::Outcome::kReset);
  EXPECT_EQ(error, ECONNRESET);
}

config::Cidr4 cidr(uint32_t a, uint32_t b, uint32_t c, uint32_t d, int prefix) {
  return config::Cidr4{(a << 24) | (b << 16) | (c << 8) | d, prefix};
}

class RuntimeSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vtps-snapshot-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto keystore = crypto::Keystore::open(crypto::KeystoreOptions{dir_ + "/keystore"});
    ASSERT_TRUE(keystore.ok()) << keystore.message();
    keystore_ = std::move(*keystore);
    for (const char* cn : {"one.test", "two.test"}) {
      testing::TestCert cert = testing::makeCert(dir_, cn, "ec");
      crypto::CertificateInput input;
      input.cert_bytes = cert.cert_pem;
      input.cert_source = cn;
      input.key_bytes = cert.key_pem;
      input.key_source = cn;
      ASSERT_TRUE(keystore_->importCertificate(cn, input, false).ok());
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static config::ServerProxy proxy(std::string name, config::Cidr4 dst, uint16_t first,
                                   uint16_t last, std::string cert) {
    config::ServerProxy p;
    p.name = std::move(name);
    p.destinations = {dst};
    p.detection_ports = {config::PortRange{first, last}};
    p.certificates = {std::move(cert)};
    return p;
  }
  static config::Profile profile(std::string name, std::string policy, std::string proxy_name) {
    config::Profile p;
    p.name = std::move(name);
    config::SslServerPolicy sp;
    sp.name = std::move(policy);
    sp.server_proxy = std::move(proxy_name);
    sp.source_exceptions = {cidr(192, 168, 0, 0, 16)};
    p.ssl_server_policies.push_back(sp);
    return p;
  }

  std::string dir_;
  std::unique_ptr<crypto::Keystore> keystore_;
};

TEST_F(RuntimeSnapshotTest, MatchesTheFirstProfileWhosePolicyCoversTheTuple) {
  auto cfg = std::make_shared<config::Config>();
  cfg->server_proxies = {proxy("narrow", cidr(10, 0, 0, 5, 32), 443, 443, "one.test"),
                         proxy("wide", cidr(10, 0, 0, 0, 24), 8000, 8443, "two.test")};
  cfg->profiles = {profile("p1", "narrow-in", "narrow"), profile("p2", "wide-in", "wide"),
                   profile("p3", "narrow-again", "narrow")};
  auto snapshot = RuntimeSnapshot::build(cfg, *keystore_);
  ASSERT_TRUE(snapshot.ok()) << snapshot.message();
  const RuntimeSnapshot& s = **snapshot;
  const uint32_t host5 = cidr(10, 0, 0, 5, 32).address;
  ASSERT_NE(s.matchServer(host5, 443), nullptr);
  EXPECT_EQ(s.matchServer(host5, 443)->profile->name, "p1");
  ASSERT_NE(s.matchServer(host5, 8443), nullptr);
  EXPECT_EQ(s.matchServer(host5, 8443)->policy->name, "wide-in");
  EXPECT_EQ(s.matchServer(host5, 8444), nullptr);
  EXPECT_EQ(s.matchServer(cidr(10, 0, 1, 5, 32).address, 8000), nullptr);
  const config::SslServerPolicy& policy = *s.matchServer(host5, 443)->policy;
  ASSERT_NE(RuntimeSnapshot::sourceException(policy, cidr(192, 168, 3, 4, 32).address), nullptr);
  EXPECT_EQ(RuntimeSnapshot::sourceException(policy, cidr(192, 169, 0, 1, 32).address), nullptr);
}

TEST_F(RuntimeSnapshotTest, RefusesAPolicyNamingAnUnknownProxyAndAMissingCertificate) {
  auto cfg = std::make_shared<config::Config>();
  cfg->server_proxies = {proxy("web", cidr(10, 0, 0, 5, 32), 443, 443, "one.test")};
  cfg->profiles = {profile("p1", "in", "nope")};
  auto unknown = RuntimeSnapshot::build(cfg, *keystore_);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.message(), "profile p1: SSL server policy in: no server proxy named nope");

  cfg->server_proxies[0].certificates = {"absent"};
  auto missing = RuntimeSnapshot::build(cfg, *keystore_);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.message(), StartsWith("server proxy web: certificate absent: "));
}

// A client policy config around the keystore's signing certificate "corp" and CA "pub".
std::shared_ptr<config::Config> clientConfig(const std::string& keystore_dir) {
  auto cfg = std::make_shared<config::Config>();
  cfg->device.keystore = keystore_dir;
  config::ClientProxy out;
  out.name = "out";
  out.signing_certificate = "corp";
  out.detection_ports = {config::PortRange{443, 443}, config::PortRange{8443, 8444}};
  cfg->client_proxies = {out};
  config::TrustStore store;
  store.name = "lab";
  store.include_default_ca = false;
  store.ca_certificates = {"pub"};
  cfg->trust_stores = {store};
  config::DecryptionPolicy privacy;
  privacy.name = "privacy";
  privacy.domains = {"*.bank.example"};
  cfg->decryption_policies = {privacy};
  for (const char* profile_name : {"p1", "p2"}) {
    config::Profile p;
    p.name = profile_name;
    config::SslClientPolicy policy;
    policy.name = std::string(profile_name) + "-out";
    policy.client_proxy = "out";
    policy.trust_store = "lab";
    policy.decryption_policy = "privacy";
    p.ssl_client_policies = {policy};
    cfg->profiles.push_back(p);
  }
  return cfg;
}

class ClientSnapshotTest : public RuntimeSnapshotTest {
 protected:
  void SetUp() override {
    RuntimeSnapshotTest::SetUp();
    crypto::NewSigningOptions signing;
    signing.subject.cn = "corp signing";
    signing.key = crypto::KeySpec{crypto::KeyAlgorithm::kEc, 0, "prime256v1"};
    ASSERT_TRUE(keystore_->createSigningCertificate("corp", signing).ok());
    testing::TestCert ca = testing::makeCert(dir_, "pub.test", "ec");
    crypto::CertificateInput input;
    input.cert_bytes = ca.cert_pem;
    input.cert_source = "pub.pem";
    ASSERT_TRUE(keystore_->importCa("pub", input).ok());
    mint::KeyPoolOptions pool;
    pool.ecdsa_p256 = {1, 1};
    pool.rsa_2048 = {1, 1};
    auto mint = MintServices::create(pool, mint::MintCacheOptions{16, 1});
    ASSERT_TRUE(mint.ok()) << mint.message();
    auto store = ExclusionStore::open(dir_ + "/exclusions.json", {});
    ASSERT_TRUE(store.ok()) << store.message();
    services_ = ClientServices{std::move(*mint), std::move(*store)};
  }
  ClientServices services_;
};

TEST_F(ClientSnapshotTest, ResolvesClientPoliciesByDetectionPortAfterServerPolicies) {
  auto cfg = clientConfig(dir_ + "/keystore");
  cfg->server_proxies = {proxy("web", cidr(10, 0, 0, 5, 32), 443, 443, "one.test")};
  cfg->profiles[0].ssl_server_policies = {profile("x", "web-in", "web").ssl_server_policies[0]};
  auto snapshot = RuntimeSnapshot::build(cfg, *keystore_, services_);
  ASSERT_TRUE(snapshot.ok()) << snapshot.message();
  const RuntimeSnapshot& s = **snapshot;
  ASSERT_EQ(s.clientProxies().size(), 1u);
  const ClientProxyRuntime& out = *s.clientProxies()[0];
  EXPECT_EQ(out.cas.signing->name(), "corp");
  EXPECT_EQ(out.cas.untrusted->name(), "Untrusted Server CA");
  EXPECT_EQ(sk_X509_num(out.signing_chain.get()), 0) << "a self-signed signing CA is not sent";
  ASSERT_NE(s.matchClient(8444), nullptr);
  EXPECT_EQ(s.matchClient(8444)->policy->name, "p1-out");  // first profile in config order
  EXPECT_EQ(s.matchClient(8444)->decryption->name(), "privacy");
  EXPECT_EQ(s.matchClient(8445), nullptr);
  // The engine asks for the server policy first; the client policy is for everything else.
  EXPECT_NE(s.matchServer(cidr(10, 0, 0, 5, 32).address, 443), nullptr);
  EXPECT_EQ(s.matchServer(cidr(10, 0, 0, 6, 32).address, 443), nullptr);
  EXPECT_NE(s.matchClient(443), nullptr);
}

TEST_F(ClientSnapshotTest, RefusesMissingReferencesAndServices) {
  auto cfg = clientConfig(dir_ + "/keystore");
  auto no_services = RuntimeSnapshot::build(cfg, *keystore_);
  ASSERT_FALSE(no_services.ok());
  EXPECT_EQ(no_services.message(), "SSL client policies need the mint and exclusion services");

  auto bad_store = std::make_shared<config::Config>(*cfg);
  bad_store->profiles[1].ssl_client_policies[0].trust_store = "nope";
  auto store = RuntimeSnapshot::build(bad_store, *keystore_, services_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.message(), "profile p2: SSL client policy p2-out: no trust store named nope");

  auto bad_ca = std::make_shared<config::Config>(*cfg);
  bad_ca->trust_stores[0].ca_certificates = {"absent"};
  auto ca = RuntimeSnapshot::build(bad_ca, *keystore_, services_);
  ASSERT_FALSE(ca.ok());
  EXPECT_THAT(ca.message(), StartsWith("trust store lab: CA absent: "));

  auto no_signing = std::make_shared<config::Config>(*cfg);
  no_signing->client_proxies[0].signing_certificate = "absent";
  auto signing = RuntimeSnapshot::build(no_signing, *keystore_, services_);
  ASSERT_FALSE(signing.ok());
  EXPECT_THAT(signing.message(), StartsWith("client proxy out: signing certificate absent: "));

  auto categories = std::make_shared<config::Config>(*cfg);
  categories->decryption_policies[0].categories = {"financial"};
  auto category = RuntimeSnapshot::build(categories, *keystore_, services_);
  ASSERT_FALSE(category.ok());
  EXPECT_EQ(category.message(),
            "decryption policy privacy: category \"financial\" is in no category list "
            "(ssl.category-files)");
}

class NullSink : public EventSink {
 public:
  void sessionClosed(const SessionRecord&) override {}
  void failedConnection(const FailedConnectionRecord&) override {}
  void systemLog(std::string_view, std::string) override {}
};

TEST_F(RuntimeSnapshotTest, EngineCreateRefusesCoresThatDoNotExist) {
  auto cfg = std::make_shared<config::Config>();
  cfg->device.proxy_cores = {0, 4000};
  NullSink sink;
  EngineOptions options;
  options.install_rules = false;
  auto engine = ProxyEngine::create(options, cfg, *keystore_, sink, nullptr);
  ASSERT_FALSE(engine.ok());
  EXPECT_THAT(engine.message(),
              StartsWith("device.cores.proxy: core 4000 does not exist or is not available "
                         "(available: 0"));
  cfg->device.proxy_cores = {};
  auto none = ProxyEngine::create(options, cfg, *keystore_, sink, nullptr);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.message(), "device.cores.proxy: no proxy core configured");
}

TEST(DecisionTest, PrintsTheSslLogWords) {
  EXPECT_EQ(toString(Decision::kDecrypted), "Decrypted");
  EXPECT_EQ(toString(Decision::kDecryptedNotInspected), "Decrypted but not inspected");
  EXPECT_EQ(toString(Decision::kNotDecrypted), "Not decrypted");
  EXPECT_EQ(toString(Decision::kBypassed), "Bypassed");
  EXPECT_EQ(toString(Decision::kBlocked), "Blocked");
}

}  // namespace
}  // namespace vtps::proxy
