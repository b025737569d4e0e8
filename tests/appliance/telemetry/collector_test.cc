// The /metrics exposition: every catalog family, the values derived from each source, and
// `promtool check metrics` (Debian's prometheus package) on the real output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "appliance/telemetry/metric_catalog.h"
#include "appliance/telemetry/metrics_collector.h"
#include "appliance/telemetry/session_metrics.h"
#include "metrics_test_util.h"

namespace vtps::telemetry {
namespace {

using testing::fakeEngineValue;
using testing::fakeSources;
using testing::renderText;
using testing::runCommand;

bool hasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

proxy::SessionRecord decryptedRecord() {
  proxy::SessionRecord r;
  r.context.proxy = "web1";
  r.context.policy = "web1-in";
  r.decision = proxy::Decision::kDecrypted;
  r.bytes_client_to_server = 100;
  r.bytes_server_to_client = 2000;
  r.server_handshake_s = 0.002;
  r.client_handshake_s = 0.0004;
  r.server_version = "TLSv1.3";
  r.server_cipher = "TLS_AES_128_GCM_SHA256";
  r.client_version = "TLSv1.2";
  r.client_cipher = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
  r.alerts[0] = {.client_leg = true, .sent = false, .code = 0};  // close_notify from the client
  r.alerts[1] = {.client_leg = false, .sent = true, .code = 0};  // close_notify to the server
  r.alert_count = 2;
  return r;
}

// Writes `text` to a temp file and runs promtool on it.
testing::CommandResult promtoolCheck(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("vtps-promtool-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << text;
  testing::CommandResult r = runCommand("promtool check metrics < " + path.string());
  std::filesystem::remove(path);
  return r;
}

TEST(MetricsCollectorTest, ExposesEveryCatalogFamilyWithItsType) {
  SessionMetrics sessions(nullptr);
  MetricsCollector collector(fakeSources(&sessions), {"1.2.3", "openssl"});
  const std::string text = renderText(collector);
  for (const MetricInfo& info : metricCatalog()) {
    EXPECT_TRUE(
        hasLine(text, "# TYPE " + std::string(info.name) + " " + std::string(toString(info.kind))))
        << info.name;
  }
}

TEST(MetricsCollectorTest, ExposesFamiliesWithoutSamplesWhenNoSourceIsSet) {
  MetricsCollector collector(MetricsSources{}, {"1.2.3", "openssl"});
  const std::string text = renderText(collector);
  EXPECT_TRUE(hasLine(text, "# TYPE vtps_ssl_connections_total counter"));
  EXPECT_TRUE(hasLine(text, "# TYPE vtps_mint_cache_hits_total counter"));
  EXPECT_EQ(text.find("\nvtps_mint_cache_hits_total "), std::string::npos);
  EXPECT_TRUE(hasLine(text, "vtps_workers 0"));
  EXPECT_TRUE(hasLine(text, "vtps_build_info{version=\"1.2.3\"} 1"));
}

TEST(MetricsCollectorTest, MapsEngineCountersToLabelledFamilies) {
  MetricsCollector collector(fakeSources(nullptr), {"1.2.3", "openssl"});
  const std::string text = renderText(collector);
  auto value = [](std::string_view name) { return std::to_string(fakeEngineValue(name)); };
  // The SSL families leave out the cleartext inspection tuples' sessions (counted in tcp*).
  auto sslOnly = [](std::string_view all, std::string_view plain) {
    const uint64_t a = fakeEngineValue(all);
    return std::to_string(a - std::min(a, fakeEngineValue(plain)));
  };
  EXPECT_TRUE(hasLine(
      text, "vtps_ssl_connections_accepted_total " + sslOnly("tcpAccepted", "cleartextSessions")));
  EXPECT_TRUE(hasLine(text, "vtps_ssl_sessions_active " + value("sessionsActive")));
  EXPECT_TRUE(hasLine(
      text, "vtps_ssl_decisions_total{decision=\"bypassed\"} " + value("sessionsBypassed")));
  EXPECT_TRUE(hasLine(text, "vtps_ssl_bytes_total{direction=\"server_to_client\"} " +
                                sslOnly("tcpBytesServerToClient", "cleartextBytesServerToClient")));
  EXPECT_TRUE(hasLine(
      text, "vtps_ssl_dropped_total{reason=\"cleartext\"} " + value("sessionsCleartextDropped")));
  EXPECT_TRUE(hasLine(text,
                      "vtps_ssl_handshakes_total{side=\"client\",version=\"none\",cipher=\"none\","
                      "result=\"failure\"} " +
                          value("clientHandshakeFailures")));
  // Every engine counter is exposed under its group; current counts as gauges.
  EXPECT_TRUE(hasLine(text, "vtps_np_stats_total{group=\"npTcpProxyStats\",stat=\"tcpSpliced\"} " +
                                value("tcpSpliced")));
  EXPECT_TRUE(
      hasLine(text, "vtps_np_stats_current{group=\"npSslInspStats\",stat=\"sessionsActive\"} " +
                        value("sessionsActive")));
  EXPECT_EQ(text.find("vtps_np_stats_total{group=\"npSslInspStats\",stat=\"sessionsActive\"}"),
            std::string::npos);
}

TEST(MetricsCollectorTest, CountsCleartextSessionsApartFromTheSslOnes) {
  MetricsSources sources;
  sources.engine_counters = [] {
    return std::vector<proxy::CounterGroup>{{"npTcpProxyStats",
                                             {{"tcpAccepted", 10},
                                              {"tcpBytesClientToServer", 1000},
                                              {"tcpBytesServerToClient", 5000},
                                              {"cleartextSessions", 3},
                                              {"cleartextSessionsActive", 1},
                                              {"cleartextInspected", 2},
                                              {"cleartextNotInspected", 1},
                                              {"cleartextBlocked", 1},
                                              {"cleartextBytesClientToServer", 400},
                                              {"cleartextBytesServerToClient", 4500}}}};
  };
  MetricsCollector collector(std::move(sources), {"1.2.3", "openssl"});
  const std::string text = renderText(collector);
  EXPECT_TRUE(hasLine(text, "vtps_ssl_connections_accepted_total 7"));
  EXPECT_TRUE(hasLine(text, "vtps_ssl_bytes_total{direction=\"client_to_server\"} 600"));
  EXPECT_TRUE(hasLine(text, "vtps_ssl_bytes_total{direction=\"server_to_client\"} 500"));
  EXPECT_TRUE(hasLine(text, "vtps_cleartext_sessions_active 1"));
  EXPECT_TRUE(hasLine(text, "vtps_cleartext_sessions_total{decision=\"inspected\"} 2"));
  EXPECT_TRUE(hasLine(text, "vtps_cleartext_sessions_total{decision=\"not_inspected\"} 1"));
  EXPECT_TRUE(hasLine(text, "vtps_cleartext_sessions_total{decision=\"blocked\"} 1"));
  EXPECT_TRUE(hasLine(text, "vtps_cleartext_bytes_total{direction=\"client_to_server\"} 400"));
  EXPECT_TRUE(hasLine(text, "vtps_cleartext_bytes_total{direction=\"server_to_client\"} 4500"));
}

TEST(MetricsCollectorTest, ExposesWorkersMintFiltersAndIdentity) {
  MetricsCollector collector(fakeSources(nullptr), {"1.2.3", "ipsec-mb"});
  const std::string text = renderText(collector);
  EXPECT_TRUE(hasLine(text, "vtps_worker_busy_seconds_total{worker=\"1\",core=\"2\"} 3"));
  EXPECT_TRUE(hasLine(text, "vtps_workers 2"));
  EXPECT_TRUE(hasLine(text, "vtps_mint_cache_hits_total 7"));
  EXPECT_TRUE(hasLine(text, "vtps_mint_cache_entries 2"));
  EXPECT_TRUE(hasLine(text, "vtps_mint_duration_seconds_bucket{le=\"0.0001\"} 2"));
  EXPECT_TRUE(hasLine(text, "vtps_mint_duration_seconds_bucket{le=\"0.001\"} 3"));
  EXPECT_TRUE(hasLine(text, "vtps_mint_duration_seconds_bucket{le=\"+Inf\"} 3"));
  EXPECT_TRUE(hasLine(text, "vtps_mint_duration_seconds_count 3"));
  EXPECT_TRUE(hasLine(text, "vtps_mint_key_pool_keys{key_type=\"ecdsa-p256\"} 256"));
  EXPECT_TRUE(hasLine(text, "vtps_filter_actions_total{action=\"permit_notify\"} 6"));
  EXPECT_TRUE(hasLine(text, "vtps_filter_events_total{event=\"signature_blocked\"} 4"));
  EXPECT_TRUE(hasLine(text, "vtps_crypto_aead_provider_info{provider=\"ipsec-mb\"} 1"));
  // The nine CPU features of crypto/accel/cpu_features.h, each 0 or 1.
  std::regex feature(R"re(vtps_cpu_feature\{feature="([a-z0-9_]+)"\} ([01]))re");
  std::set<std::string> seen;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), feature);
       it != std::sregex_iterator(); ++it) {
    seen.insert((*it)[1]);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"aes", "avx2", "avx512f", "pclmulqdq", "rdrand", "rdseed",
                                         "sha_ni", "vaes", "vpclmulqdq"}));
}

TEST(MetricsCollectorTest, CountsGenerationsAndReloadResults) {
  MetricsCollector collector(fakeSources(nullptr), {"1.2.3", "openssl"});
  EXPECT_TRUE(hasLine(renderText(collector), "vtps_config_generation 0"));
  collector.configApplied(2);  // start
  collector.configApplied(2);  // reload
  collector.reloadFailed();
  const std::string text = renderText(collector);
  EXPECT_TRUE(hasLine(text, "vtps_config_generation 2"));
  EXPECT_TRUE(hasLine(text, "vtps_config_reloads_total{result=\"success\"} 1"));
  EXPECT_TRUE(hasLine(text, "vtps_config_reloads_total{result=\"failure\"} 1"));
  EXPECT_TRUE(hasLine(text, "vtps_ready 1"));
}

TEST(MetricsCollectorTest, ReadyOnlyWithConfigAndEveryWorkerAndNotStopping) {
  MetricsCollector collector(fakeSources(nullptr, 2), {"1.2.3", "openssl"});
  EXPECT_FALSE(collector.readiness().ready);
  EXPECT_EQ(collector.readiness().reason, "configuration not loaded");
  collector.configApplied(3);
  EXPECT_FALSE(collector.readiness().ready);
  EXPECT_EQ(collector.readiness().reason, "2 of 3 proxy workers running");
  collector.configApplied(2);
  EXPECT_TRUE(collector.readiness().ready);
  EXPECT_EQ(collector.readiness().reason, "");
  collector.setStopping();
  EXPECT_FALSE(collector.readiness().ready);
  EXPECT_EQ(collector.readiness().reason, "stopping");
  EXPECT_TRUE(hasLine(renderText(collector), "vtps_ready 0"));
}

// persist-private-keys off: a vtpsd waiting for keys serves, but is not ready until they come.
TEST(MetricsCollectorTest, NotReadyWhileWaitingForKeys) {
  MetricsCollector collector(fakeSources(nullptr, 2), {"1.2.3", "openssl"});
  collector.configApplied(2);
  collector.setWaitingForKeys({"web1-ec", "web1-rsa"});
  EXPECT_FALSE(collector.readiness().ready);
  EXPECT_EQ(collector.readiness().reason, "waiting for keys: web1-ec, web1-rsa");
  EXPECT_TRUE(hasLine(renderText(collector), "vtps_ready 0"));
  collector.setWaitingForKeys({});
  EXPECT_TRUE(collector.readiness().ready);
}

TEST(MetricsCollectorTest, IncludesSessionTalliesAndHandshakeFailuresInOneFamily) {
  SessionMetrics sessions(nullptr);
  sessions.sessionClosed(decryptedRecord());
  MetricsCollector collector(fakeSources(&sessions), {"1.2.3", "openssl"});
  const std::string text = renderText(collector);
  // One HELP/TYPE per family even though two sources fill vtps_ssl_handshakes_total.
  size_t first = text.find("# TYPE vtps_ssl_handshakes_total counter");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("# TYPE vtps_ssl_handshakes_total counter", first + 1), std::string::npos);
  EXPECT_TRUE(hasLine(text,
                      "vtps_ssl_handshakes_total{side=\"server\",version=\"TLSv1.3\",cipher=\"TLS_"
                      "AES_128_GCM_SHA256\",result=\"success\"} 1"));
  EXPECT_TRUE(hasLine(text,
                      "vtps_ssl_handshakes_total{side=\"server\",version=\"none\",cipher=\"none\","
                      "result=\"failure\"} " +
                          std::to_string(fakeEngineValue("serverHandshakeFailures"))));
}

TEST(PromtoolTest, CheckMetricsPassesOnTheFullExposition) {
  SessionMetrics sessions(nullptr);
  sessions.sessionClosed(decryptedRecord());
  proxy::SessionRecord blocked = decryptedRecord();
  blocked.decision = proxy::Decision::kBlocked;
  blocked.alerts[0] = {.client_leg = true, .sent = true, .code = 40};
  blocked.alert_count = 1;
  sessions.sessionClosed(blocked);
  MetricsCollector collector(fakeSources(&sessions), {"1.2.3", "openssl"});
  collector.configApplied(2);
  const std::string text = renderText(collector);
  ASSERT_NE(text.find("vtps_tls_alerts_total{side=\"client\",direction=\"sent\","
                      "alert=\"handshake_failure\"} 1"),
            std::string::npos);
  testing::CommandResult r = promtoolCheck(text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
}

TEST(PromtoolTest, CheckMetricsPassesWithoutSources) {
  MetricsCollector collector(MetricsSources{}, {"1.2.3", "openssl"});
  testing::CommandResult r = promtoolCheck(renderText(collector));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(PromtoolTest, CheckMetricsRejectsACounterWithoutTotalSuffix) {
  // The same check on a deliberately wrong exposition: proves the test above can fail.
  testing::CommandResult r = promtoolCheck(
      "# HELP vtps_bad_requests Requests.\n# TYPE vtps_bad_requests counter\n"
      "vtps_bad_requests 1\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("counter metrics should have \"_total\" suffix"), std::string::npos)
      << r.output;
}

TEST(MetricCatalogTest, NamesFollowTheConventions) {
  std::regex valid("vtps_[a-z0-9_]+");
  std::set<std::string_view> names;
  for (const MetricInfo& info : metricCatalog()) {
    EXPECT_TRUE(std::regex_match(std::string(info.name), valid)) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate " << info.name;
    const bool total = info.name.ends_with("_total");
    EXPECT_EQ(total, info.kind == MetricKind::kCounter) << info.name;
    EXPECT_FALSE(info.help.empty()) << info.name;
    // Per-address or per-domain labels would be unbounded.
    for (std::string_view unbounded : {"client", "server", "address", "sni", "domain", "host"}) {
      std::string labels = "," + std::string(info.labels) + ",";
      EXPECT_EQ(labels.find("," + std::string(unbounded) + ","), std::string::npos) << info.name;
    }
  }
  EXPECT_EQ(findMetric("vtps_no_such_metric"), nullptr);
  ASSERT_NE(findMetric("vtps_ssl_connections_total"), nullptr);
  EXPECT_EQ(findMetric("vtps_ssl_connections_total")->labels, "proxy,policy,decision");
}

}  // namespace
}  // namespace vtps::telemetry
