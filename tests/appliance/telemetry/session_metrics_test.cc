// SessionMetrics: closed-session records tallied per worker thread, merged at scrape time, and
// forwarded to the next sink; SeriesTable: its bounded, lock-free label tables.
#include "appliance/telemetry/session_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <thread>

#include "appliance/telemetry/series_table.h"

namespace vtps::telemetry {
namespace {

class RecordingSink : public proxy::EventSink {
 public:
  void sessionClosed(const proxy::SessionRecord& record) override {
    proxies.push_back(record.context.proxy);
  }
  void failedConnection(const proxy::FailedConnectionRecord& record) override {
    failed.push_back(record.reason);
  }
  void systemLog(std::string_view severity, std::string message) override {
    logs.push_back(std::string(severity) + ": " + message);
  }
  std::vector<std::string> proxies;
  std::vector<std::string> logs;
  std::vector<std::string> failed;
};

proxy::SessionRecord record(std::string proxy, std::string policy, proxy::Decision decision) {
  proxy::SessionRecord r;
  r.context.proxy = std::move(proxy);
  r.context.policy = std::move(policy);
  r.decision = decision;
  r.bytes_client_to_server = 10;
  r.bytes_server_to_client = 30;
  return r;
}

std::string render(const SessionMetrics& metrics) {
  std::vector<prometheus::MetricFamily> families;
  metrics.collect(families);
  return prometheus::TextSerializer().Serialize(families);
}

bool hasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(SessionMetricsTest, CountsConnectionsByProxyPolicyAndDecision) {
  SessionMetrics metrics(nullptr);
  metrics.sessionClosed(record("web1", "web1-in", proxy::Decision::kDecrypted));
  metrics.sessionClosed(record("web1", "web1-in", proxy::Decision::kDecrypted));
  metrics.sessionClosed(record("web1", "web1-in", proxy::Decision::kNotDecrypted));
  metrics.sessionClosed(record("", "", proxy::Decision::kNotDecrypted));
  const std::string text = render(metrics);
  EXPECT_TRUE(hasLine(
      text,
      "vtps_ssl_connections_total{proxy=\"web1\",policy=\"web1-in\",decision=\"decrypted\"} 2"));
  EXPECT_TRUE(hasLine(text,
                      "vtps_ssl_connections_total{proxy=\"web1\",policy=\"web1-in\",decision=\"not_"
                      "decrypted\"} 1"));
  // No policy matched: "none", not an empty label value.
  EXPECT_TRUE(hasLine(
      text,
      "vtps_ssl_connections_total{proxy=\"none\",policy=\"none\",decision=\"not_decrypted\"} 1"));
  EXPECT_TRUE(hasLine(text,
                      "vtps_ssl_session_bytes_total{proxy=\"web1\",decision=\"decrypted\","
                      "direction=\"server_to_client\"} 60"));
  EXPECT_TRUE(hasLine(text,
                      "vtps_ssl_session_bytes_total{proxy=\"web1\",decision=\"decrypted\","
                      "direction=\"client_to_server\"} 20"));
}

TEST(SessionMetricsTest, CountsCompletedHandshakesAndTheirDurationPerLeg) {
  SessionMetrics metrics(nullptr);
  proxy::SessionRecord r = record("web1", "p", proxy::Decision::kDecrypted);
  r.server_handshake_s = 0.003;  // bucket le=0.005
  r.server_version = "TLSv1.3";
  r.server_cipher = "TLS_AES_256_GCM_SHA384";
  r.client_handshake_s = -1;  // the client leg never completed
  metrics.sessionClosed(r);
  const std::string text = render(metrics);
  EXPECT_TRUE(hasLine(text,
                      "vtps_ssl_handshakes_total{side=\"server\",version=\"TLSv1.3\",cipher=\"TLS_"
                      "AES_256_GCM_SHA384\",result=\"success\"} 1"));
  EXPECT_EQ(text.find("vtps_ssl_handshakes_total{side=\"client\""), std::string::npos);
  EXPECT_TRUE(
      hasLine(text, "vtps_ssl_handshake_duration_seconds_bucket{side=\"server\",le=\"0.0025\"} 0"));
  EXPECT_TRUE(
      hasLine(text, "vtps_ssl_handshake_duration_seconds_bucket{side=\"server\",le=\"0.005\"} 1"));
  EXPECT_TRUE(hasLine(text, "vtps_ssl_handshake_duration_seconds_count{side=\"server\"} 1"));
  EXPECT_TRUE(hasLine(text, "vtps_ssl_handshake_duration_seconds_sum{side=\"server\"} 0.003"));
  EXPECT_TRUE(hasLine(text, "vtps_ssl_handshake_duration_seconds_count{side=\"client\"} 0"));
}

TEST(SessionMetricsTest, CountsAlertsByLegDirectionAndName) {
  SessionMetrics metrics(nullptr);
  proxy::SessionRecord r = record("web1", "p", proxy::Decision::kBlocked);
  r.alerts[0] = {.client_leg = true, .sent = true, .code = 40};
  r.alerts[1] = {.client_leg = false, .sent = false, .code = 200};  // unassigned code
  r.alerts[2] = {.client_leg = true, .sent = true, .code = 40};
  r.alert_count = 3;
  metrics.sessionClosed(r);
  const std::string text = render(metrics);
  EXPECT_TRUE(hasLine(
      text,
      "vtps_tls_alerts_total{side=\"client\",direction=\"sent\",alert=\"handshake_failure\"} 2"));
  EXPECT_TRUE(hasLine(
      text,
      "vtps_tls_alerts_total{side=\"server\",direction=\"received\",alert=\"unknown_200\"} 1"));
}

TEST(SessionMetricsTest, ForwardsEveryCallToTheNextSink) {
  RecordingSink next;
  SessionMetrics metrics(&next);
  metrics.sessionClosed(record("web1", "p", proxy::Decision::kDecrypted));
  metrics.systemLog("warning", "threshold reached");
  proxy::FailedConnectionRecord failure;
  failure.reason = "server handshake failed";
  metrics.failedConnection(failure);
  EXPECT_EQ(next.proxies, std::vector<std::string>{"web1"});
  EXPECT_EQ(next.failed, std::vector<std::string>{"server handshake failed"});
  EXPECT_EQ(next.logs, std::vector<std::string>{"warning: threshold reached"});
}

TEST(SessionMetricsTest, MergesTheShardsOfSeveralWorkerThreads) {
  SessionMetrics metrics(nullptr);
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i)
        metrics.sessionClosed(record("web1", "p", proxy::Decision::kDecrypted));
    });
  }
  // Scrapes while the workers write: every value read is a count some moment had.
  for (int i = 0; i < 20; ++i)
    (void)render(metrics);
  for (auto& t : workers)
    t.join();
  EXPECT_TRUE(hasLine(
      render(metrics),
      "vtps_ssl_connections_total{proxy=\"web1\",policy=\"p\",decision=\"decrypted\"} 4000"));
}

TEST(SessionMetricsTest, FoldsLabelSetsBeyondTheLimitIntoOther) {
  SessionMetrics metrics(nullptr);
  for (size_t i = 0; i < SessionMetrics::kMaxSeries + 5; ++i)
    metrics.sessionClosed(record("proxy" + std::to_string(i), "p", proxy::Decision::kDecrypted));
  const std::string text = render(metrics);
  EXPECT_TRUE(hasLine(
      text, "vtps_ssl_connections_total{proxy=\"proxy0\",policy=\"p\",decision=\"decrypted\"} 1"));
  EXPECT_EQ(text.find("proxy=\"proxy" + std::to_string(SessionMetrics::kMaxSeries) + "\""),
            std::string::npos);
  EXPECT_TRUE(hasLine(
      text, "vtps_ssl_connections_total{proxy=\"other\",policy=\"other\",decision=\"other\"} 5"));
}

TEST(SeriesTableTest, ReturnsTheSameSeriesForTheSameLabels) {
  SeriesTable<2, 1> table(4);
  bump(table.values({"a", "b"})[0]);
  bump(table.values({"a", "b"})[0], 2);
  bump(table.values({"a", "c"})[0]);
  std::vector<std::pair<std::string, uint64_t>> seen;
  table.forEach([&](const auto& labels, const auto& values) {
    seen.emplace_back(labels[0] + "/" + labels[1], values[0]);
  });
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, uint64_t>>{{"a/b", 3}, {"a/c", 1}}));
}

TEST(SeriesTableTest, ShowsTheOverflowSeriesOnlyOnceUsed) {
  SeriesTable<1, 1> table(1);
  bump(table.values({"a"})[0]);
  size_t series = 0;
  table.forEach([&](const auto&, const auto&) { ++series; });
  EXPECT_EQ(series, 1u);
  bump(table.values({"b"})[0]);
  bump(table.values({"c"})[0]);
  std::vector<std::pair<std::string, uint64_t>> seen;
  table.forEach(
      [&](const auto& labels, const auto& values) { seen.emplace_back(labels[0], values[0]); });
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, uint64_t>>{{"a", 1}, {"other", 2}}));
}

}  // namespace
}  // namespace vtps::telemetry
