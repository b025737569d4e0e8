// The appliance config mapped onto FilterSettings, the address/port group checks with their
// FILE:LINE:COL diagnostics, and the proxy-facing parts of FilterInspector that act on a session
// before or after its cleartext (open verdict, bypass rule, reset, redirect).
#include "dataplane/filter/filter_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "appliance/config/loader.h"
#include "dataplane/filter/filter_inspector.h"
#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::filter {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

std::shared_ptr<config::Config> load(std::string_view yaml) {
  config::LoadResult r = config::loadString(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.report();
  return r.config;
}

std::vector<std::string> groupErrors(std::string_view yaml) {
  std::vector<std::string> out;
  for (const config::Diagnostic& d : checkFilterGroups(*load(yaml)))
    out.push_back(d.str());
  return out;
}

TEST(FilterConfigTest, MapsEveryStageAndProfileRules) {
  auto c = load(R"(device: {log-dir: /var/log/x}
filters:
  rules: /r/*.rules
  cache-dir: /c
  address-vars: {HOME_NET: "[10.10.0.0/16]"}
  port-vars: {WEB: "[80,8080]"}
  limits: {max-body-bytes: 1000, stream-window-bytes: 8192, trace-max-bytes: 5000}
  inspection-bypass: [{name: b, source: 10.0.0.1}]
  traffic-management:
    - {name: t, action: trust, destination-ports: $WEB}
    - {name: r, action: rate-limit, rate-limit-kbps: 64}
  reputation: {url-list: /u.txt, block-threshold: 70, notify-threshold: 30}
  quarantine: {hosts: [10.0.0.9], action: redirect, redirect-url: "http://fix/"}
profiles:
  - {name: base, filter-rules: /strict/*.rules}
  - {name: child, parent: base}
  - {name: plain}
)");
  FilterSettings s = filterSettingsFrom(*c);
  ASSERT_EQ(s.inspection_bypass.size(), 1u);
  EXPECT_EQ(s.inspection_bypass[0].name, "b");
  EXPECT_EQ(s.inspection_bypass[0].source, "10.0.0.1");
  EXPECT_EQ(s.inspection_bypass[0].destination_ports, "any");
  ASSERT_EQ(s.traffic_management.size(), 2u);
  EXPECT_EQ(s.traffic_management[0].action, TrafficAction::kTrust);
  EXPECT_EQ(s.traffic_management[0].match.destination_ports, "$WEB");
  EXPECT_EQ(s.traffic_management[1].action, TrafficAction::kRateLimit);
  EXPECT_EQ(s.traffic_management[1].rate_limit_kbps, 64u);
  EXPECT_EQ(s.reputation.url_list, "/u.txt");
  EXPECT_EQ(s.reputation.block_threshold, 70);
  EXPECT_EQ(s.reputation.notify_threshold, 30);
  EXPECT_EQ(s.quarantine.action, QuarantineAction::kRedirect);
  EXPECT_EQ(s.quarantine.redirect_url, "http://fix/");
  EXPECT_EQ(s.signatures.rules, "/r/*.rules");
  EXPECT_EQ(s.signatures.cache_dir, "/c");
  // A child inherits its parent's rule files; a profile without any uses filters.rules.
  EXPECT_THAT(s.signatures.profile_rules,
              ElementsAre(Pair("base", "/strict/*.rules"), Pair("child", "/strict/*.rules")));
  EXPECT_EQ(s.signatures.variables.addresses.at("HOME_NET"), "[10.10.0.0/16]");
  EXPECT_EQ(s.signatures.variables.addresses.at("EXTERNAL_NET"), "!$HOME_NET");  // default kept
  EXPECT_EQ(s.signatures.variables.ports.at("WEB"), "[80,8080]");
  EXPECT_EQ(s.limits.http.max_body_bytes, 1000u);
  EXPECT_EQ(s.limits.http.max_header_bytes, 16384u);
  EXPECT_EQ(s.limits.stream_window_bytes, 8192u);
  EXPECT_EQ(s.limits.trace_max_bytes, 5000u);
  EXPECT_EQ(traceDirOf(*c), "/var/log/x/traces");
  EXPECT_FALSE(Pipeline::create(s).ok());  // /u.txt does not exist
}

TEST(FilterConfigTest, TraceDirIsTheConfiguredOne) {
  EXPECT_EQ(traceDirOf(*load("filters: {trace-dir: /t}\n")), "/t");
}

TEST(FilterConfigTest, GroupsAreCheckedWithTheRuleParserAtTheirFields) {
  EXPECT_THAT(groupErrors(R"(filters:
  address-vars: {HOME_NET: "[10.0.0.0/8]", BAD: "10.0.0.300"}
  port-vars: {P: "70000"}
  inspection-bypass: [{name: ok, source: $HOME_NET, destination-ports: "[80, 1024:]"}]
  traffic-management:
    - {name: web, destination: 10.0.0.256}
    - {name: x, source-ports: $NOPE}
  quarantine: {hosts: [10.0.0.1, "::1"], allowed-destinations: ["!any"]}
)"),
              ElementsAre("t.yaml:2:49: error: filters.address-vars.BAD: bad address "
                          "\"10.0.0.300\"",
                          "t.yaml:3:18: error: filters.port-vars.P: bad port \"70000\"",
                          "t.yaml:6:32: error: filters.traffic-management[0].destination: bad "
                          "address \"10.0.0.256\"",
                          "t.yaml:7:31: error: filters.traffic-management[1].source-ports: "
                          "undefined port variable $NOPE",
                          "t.yaml:8:34: error: filters.quarantine.hosts[1]: IPv6 address \"::1\" "
                          "is not supported (IPv4 only)",
                          "t.yaml:8:65: error: filters.quarantine.allowed-destinations[0]: "
                          "address group \"!any\" matches nothing"));
  EXPECT_THAT(groupErrors("filters: {}\n"), IsEmpty());
}

proxy::SessionContext sessionFrom(const char* client) {
  proxy::SessionContext s;
  s.profile = "default";
  s.service = config::DecryptedService::kHttp;
  s.client_address = client;
  s.client_port = 40000;
  s.server_address = "10.10.2.2";
  s.server_port = 443;
  return s;
}

TEST(FilterConfigTest, InspectorActsBeforeCleartextAndAsksForResets) {
  testing::TempDir dir;
  FilterSettings s;
  s.inspection_bypass.push_back(FiveTupleSpec{"backup", "10.10.1.7"});
  s.traffic_management.push_back(
      TrafficFilterSpec{FiveTupleSpec{"deny", "10.10.1.8"}, TrafficAction::kBlock, 0});
  s.signatures.rules = dir.write(
      "r.rules", "reject http any any -> any any (msg:\"x\"; http.uri; content:\"/x\"; sid:5;)\n");
  auto engine = FilterEngine::create(s, nullptr);
  ASSERT_TRUE(engine.ok()) << engine.message();
  FilterInspectorFactory factory(*engine);

  EXPECT_EQ(factory.bypassRule(sessionFrom("10.10.1.7")), "backup");
  EXPECT_EQ(factory.bypassRule(sessionFrom("10.10.1.9")), "");

  auto denied = factory.create(sessionFrom("10.10.1.8"));
  EXPECT_EQ(denied->openVerdict(), proxy::Verdict::kBlock);
  EXPECT_TRUE(denied->resetRequested());
  EXPECT_EQ(denied->reason(), "traffic-management deny");

  auto open = factory.create(sessionFrom("10.10.1.9"));
  EXPECT_EQ(open->openVerdict(), proxy::Verdict::kPass);
  EXPECT_EQ(open->throttleDelay().count(), 0);
  EXPECT_EQ(open->inspect(proxy::Direction::kClientToServer,
                          testing::bytes("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")),
            proxy::Verdict::kBlock);
  EXPECT_TRUE(open->resetRequested());  // reject asks for a reset
  EXPECT_EQ(open->clientResponse(), "");
  auto counters = (*engine)->counters();
  EXPECT_THAT(counters, ::testing::Contains(Pair("bypassed", 1u)));
  EXPECT_THAT(counters, ::testing::Contains(Pair("traffic_management_blocked", 1u)));
  EXPECT_THAT(counters, ::testing::Contains(Pair("signature_blocked", 1u)));
}

TEST(FilterConfigTest, InstallSwitchesNewSessionsToAPreparedPipeline) {
  testing::TempDir dir;
  FilterSettings s;
  auto engine = FilterEngine::create(s, nullptr);
  ASSERT_TRUE(engine.ok());
  FilterInspectorFactory factory(*engine);
  EXPECT_EQ(factory.create(sessionFrom("10.10.1.8"))->openVerdict(), proxy::Verdict::kPass);
  s.traffic_management.push_back(
      TrafficFilterSpec{FiveTupleSpec{"deny", "10.10.1.8"}, TrafficAction::kBlock, 0});
  auto next = Pipeline::create(s);
  ASSERT_TRUE(next.ok()) << next.message();
  (*engine)->install(*next);
  EXPECT_EQ(factory.create(sessionFrom("10.10.1.8"))->openVerdict(), proxy::Verdict::kBlock);
}

}  // namespace
}  // namespace vtps::filter
