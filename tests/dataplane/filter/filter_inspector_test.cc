#include "dataplane/filter/filter_inspector.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::filter {
namespace {

using proxy::Direction;
using proxy::Verdict;
using testing::bytes;
using testing::RecordingSink;
using testing::TempDir;

proxy::SessionContext session(const char* client = "10.10.1.5") {
  proxy::SessionContext s;
  s.profile = "default";
  s.policy = "web1-in";
  s.proxy = "web1";
  s.service = config::DecryptedService::kHttp;
  s.client_address = client;
  s.client_port = 41000;
  s.server_address = "10.10.2.2";
  s.server_port = 443;
  s.sni = "www.example.com";
  return s;
}

class FilterInspectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.signatures.rules = dir_.write(
        "a.rules",
        "drop http any any -> any any (msg:\"attack\"; http.uri; content:\"/attack\"; sid:1;)\n"
        "alert http any any -> any any (msg:\"trace\"; http.uri; content:\"/trace\"; tag:session; "
        "sid:2;)\n"
        "bad line\n");
    auto engine = FilterEngine::create(settings_, &sink_);
    ASSERT_TRUE(engine.ok()) << engine.message();
    engine_ = *engine;
    factory_ = std::make_shared<FilterInspectorFactory>(engine_);
  }

  TempDir dir_;
  FilterSettings settings_;
  RecordingSink sink_;
  std::shared_ptr<FilterEngine> engine_;
  std::shared_ptr<FilterInspectorFactory> factory_;
};

TEST_F(FilterInspectorTest, GivesProxyVerdictsAndReasons) {
  auto inspector = factory_->create(session());
  EXPECT_EQ(inspector->inspect(Direction::kClientToServer, bytes("GET / HTTP/1.1\r\n\r\n")),
            Verdict::kPass);
  EXPECT_EQ(inspector->inspect(Direction::kServerToClient,
                               bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
            Verdict::kPass);
  EXPECT_EQ(inspector->inspect(Direction::kClientToServer, bytes("GET /attack HTTP/1.1\r\n\r\n")),
            Verdict::kBlock);
  EXPECT_EQ(inspector->reason(), "signature 1: attack");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_TRUE(sink_.events[0].ssl_inspect);
  EXPECT_EQ(sink_.events[0].proxy, "web1");
  EXPECT_EQ(sink_.events[0].server_port, 443);

  auto traced = factory_->create(session());
  EXPECT_EQ(traced->inspect(Direction::kClientToServer, bytes("GET /trace HTTP/1.1\r\n\r\n")),
            Verdict::kTrace);
  EXPECT_EQ(traced->inspect(Direction::kServerToClient, bytes("HTTP/1.1 204 No Content\r\n\r\n")),
            Verdict::kTrace);
  traced.reset();
  EXPECT_EQ(sink_.traces.size(), 1u);
}

TEST_F(FilterInspectorTest, ReportsCountersTopRulesAndLoadResults) {
  auto inspector = factory_->create(session());
  inspector->inspect(Direction::kClientToServer, bytes("GET /attack HTTP/1.1\r\n\r\n"));
  auto counters = engine_->counters();
  auto value = [&](const std::string& name) {
    for (const auto& [n, v] : counters) {
      if (n == name) return v;
    }
    ADD_FAILURE() << "no counter " << name;
    return uint64_t{0};
  };
  EXPECT_EQ(value("sessions"), 1u);
  EXPECT_EQ(value("signature_blocked"), 1u);
  EXPECT_EQ(value("action_block"), 1u);
  EXPECT_EQ(counters.size(), static_cast<size_t>(FilterCounters::kCount));
  auto top = engine_->topRules(10);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].sid, 1u);
  EXPECT_EQ(top[0].hits, 1u);
  auto reports = engine_->ruleSetReports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].loaded, 2u);
  EXPECT_EQ(reports[0].failed, 1u);
  EXPECT_EQ(reports[0].errors[0],
            settings_.signatures.rules + R"(:3: missing "(" before the rule options)");
}

TEST_F(FilterInspectorTest, ReloadSwapsForNewSessionsAndKeepsTheOldOnFailure) {
  auto before = factory_->create(session());
  FilterSettings bad = settings_;
  bad.traffic_management.push_back({{"x", "nope", "any", "any", "any"}, TrafficAction::kBlock, 0});
  Status failed = engine_->reload(bad);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.message(),
            R"(reload filters: traffic-management "x": source: bad address "nope")");
  FilterSettings trusting = settings_;
  trusting.traffic_management.push_back(
      {{"trust", "any", "any", "any", "any"}, TrafficAction::kTrust, 0});
  ASSERT_TRUE(engine_->reload(trusting).ok());
  auto after = factory_->create(session());
  EXPECT_EQ(after->inspect(Direction::kClientToServer, bytes("GET /attack HTTP/1.1\r\n\r\n")),
            Verdict::kPass);
  // The session opened before the reload keeps its snapshot.
  EXPECT_EQ(before->inspect(Direction::kClientToServer, bytes("GET /attack HTTP/1.1\r\n\r\n")),
            Verdict::kBlock);
}

TEST_F(FilterInspectorTest, ReloadsReputationListsFromTheirFiles) {
  FilterSettings s = settings_;
  s.reputation.url_list = dir_.write("url.txt", "# empty for now\n");
  ASSERT_TRUE(engine_->reload(s).ok());
  auto first = factory_->create(session());
  EXPECT_EQ(first->inspect(Direction::kClientToServer,
                           bytes("GET /x HTTP/1.1\r\nHost: www.example.com\r\n\r\n")),
            Verdict::kPass);
  dir_.write("url.txt", "www.example.com/x 95\n");
  ASSERT_TRUE(engine_->reloadReputation().ok());
  auto second = factory_->create(session());
  EXPECT_EQ(second->inspect(Direction::kClientToServer,
                            bytes("GET /x HTTP/1.1\r\nHost: www.example.com\r\n\r\n")),
            Verdict::kBlock);
  std::filesystem::remove(s.reputation.url_list);
  Status gone = engine_->reloadReputation();
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.message(), "reload reputation lists: read reputation list " +
                                s.reputation.url_list + ": No such file or directory");
}

TEST_F(FilterInspectorTest, ExposesBypassThrottleAndRedirectBeyondTheVerdict) {
  FilterSettings s = settings_;
  s.inspection_bypass.push_back({"backup", "10.10.1.9", "any", "any", "any"});
  s.quarantine.hosts = {"10.10.1.66"};
  ASSERT_TRUE(engine_->reload(s).ok());
  EXPECT_TRUE(factory_->bypasses(session("10.10.1.9")));
  EXPECT_FALSE(factory_->bypasses(session()));
  auto inspector = factory_->create(session("10.10.1.66"));
  EXPECT_EQ(inspector->inspect(Direction::kClientToServer, bytes("GET / HTTP/1.1\r\n\r\n")),
            Verdict::kBlock);
  auto* filter = dynamic_cast<FilterInspector*>(inspector.get());
  ASSERT_NE(filter, nullptr);
  EXPECT_TRUE(filter->resetRequested());
  EXPECT_TRUE(filter->clientResponse().empty());  // HTTPS: blocked, not redirected
  EXPECT_EQ(filter->throttleDelay().count(), 0);
}

TEST_F(FilterInspectorTest, RedirectsAQuarantinedHostsCleartextRequestAndBlocksItsTls) {
  FilterSettings s = settings_;
  s.quarantine.hosts = {"10.10.1.66"};
  s.quarantine.action = QuarantineAction::kRedirect;
  s.quarantine.redirect_url = "http://fix.example/q";
  ASSERT_TRUE(engine_->reload(s).ok());
  proxy::SessionContext plain = session("10.10.1.66");
  plain.cleartext = true;
  plain.server_port = 80;
  plain.sni.clear();
  auto inspector = factory_->create(plain);
  EXPECT_EQ(inspector->openVerdict(), Verdict::kPass);
  EXPECT_EQ(inspector->inspect(Direction::kClientToServer,
                               bytes("GET /x HTTP/1.1\r\nHost: www.example.com\r\n\r\n")),
            Verdict::kBlock);
  EXPECT_EQ(inspector->clientResponse(),
            "HTTP/1.1 302 Found\r\nLocation: http://fix.example/q\r\nContent-Length: 0\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(inspector->resetRequested());
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].action, "redirect");
  EXPECT_FALSE(sink_.events[0].ssl_inspect);
  // The same host over TLS is blocked when the session opens.
  EXPECT_EQ(factory_->create(session("10.10.1.66"))->openVerdict(), Verdict::kBlock);
}

TEST_F(FilterInspectorTest, MatchesSignaturesInACleartextSessionWithoutSslInspect) {
  proxy::SessionContext plain = session();
  plain.cleartext = true;
  plain.server_port = 80;
  plain.sni.clear();
  auto inspector = factory_->create(plain);
  EXPECT_EQ(inspector->inspect(Direction::kClientToServer,
                               bytes("GET /attack HTTP/1.1\r\nHost: a\r\n\r\n")),
            Verdict::kBlock);
  EXPECT_EQ(inspector->reason(), "signature 1: attack");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_FALSE(sink_.events[0].ssl_inspect);
  EXPECT_EQ(sink_.events[0].proxy, "web1");
}

TEST_F(FilterInspectorTest, InspectorsRunConcurrentlyOnWorkerThreads) {
  std::vector<std::thread> workers;
  std::atomic<int> blocked{0};
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto inspector = factory_->create(session());
        if (inspector->inspect(Direction::kClientToServer,
                               bytes(i % 2 ? "GET /attack HTTP/1.1\r\n\r\n"
                                           : "GET / HTTP/1.1\r\n\r\n")) == Verdict::kBlock) {
          ++blocked;
        }
      }
    });
  }
  for (auto& t : workers)
    t.join();
  EXPECT_EQ(blocked.load(), 100);
  EXPECT_EQ(engine_->topRules(1)[0].hits, 100u);
}

TEST(FilterInspectorFactoryTest, MapsTheProxySessionContext) {
  FlowInfo f = FilterInspectorFactory::flowInfo(session());
  EXPECT_EQ(formatIpv4(f.tuple.client_ip), "10.10.1.5");
  EXPECT_EQ(f.tuple.server_port, 443);
  EXPECT_TRUE(f.decrypted);
  EXPECT_TRUE(f.tls);
  EXPECT_TRUE(f.http);
  EXPECT_EQ(f.sni, "www.example.com");
  proxy::SessionContext other = session();
  other.service = config::DecryptedService::kImap;
  EXPECT_FALSE(FilterInspectorFactory::flowInfo(other).http);
}

TEST(FilterInspectorFactoryTest, MapsACleartextSessionAsNeitherDecryptedNorTls) {
  proxy::SessionContext plain = session();
  plain.cleartext = true;
  FlowInfo f = FilterInspectorFactory::flowInfo(plain);
  EXPECT_FALSE(f.decrypted);
  EXPECT_FALSE(f.tls);
  // HTTP is detected from the client's first bytes, whatever the proxy's decrypted service.
  EXPECT_FALSE(f.http);
  EXPECT_EQ(f.proxy, "web1");
}

}  // namespace
}  // namespace vtps::filter
