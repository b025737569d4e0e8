// The Grafana dashboard (appliance/telemetry/dashboards/vtps.json) and docs/metrics.md against
// what vtpsd exposes: every metric a PromQL expression names must be a family of the live
// /metrics output, and every exposed family must be documented.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "appliance/telemetry/metric_catalog.h"
#include "appliance/telemetry/metrics.h"
#include "metrics_test_util.h"

namespace vtps::telemetry {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every PromQL string of a dashboard: panel and row targets' "expr", and the templating queries.
void collectExpressions(const nlohmann::json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if ((key == "expr" || key == "definition") && value.is_string()) {
        out.push_back(value.get<std::string>());
      } else {
        collectExpressions(value, out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& item : node)
      collectExpressions(item, out);
  }
}

// The metric names an expression refers to, histogram series suffixes folded into their family.
std::set<std::string> metricNamesIn(const std::string& expression) {
  static const std::regex kName(R"(\bvtps_[a-zA-Z0-9_:]*)");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(expression.begin(), expression.end(), kName);
       it != std::sregex_iterator(); ++it) {
    std::string name = it->str();
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (!name.ends_with(suffix)) continue;
      std::string base = name.substr(0, name.size() - suffix.size());
      const MetricInfo* info = findMetric(base);
      if (info != nullptr && info->kind == MetricKind::kHistogram) name = base;
    }
    names.insert(name);
  }
  return names;
}

// The families a running MetricsServer exposes ("# TYPE name type" lines of GET /metrics).
std::set<std::string> liveFamilies() {
  SessionMetrics sessions(nullptr);
  auto server = MetricsServer::create({}, testing::fakeSources(&sessions), {"1.0", "openssl"});
  EXPECT_TRUE(server.ok()) << server.message();
  if (!server.ok()) return {};
  httplib::Client client("127.0.0.1", (*server)->port());
  auto response = client.Get("/metrics");
  EXPECT_TRUE(response && response->status == 200);
  std::set<std::string> names;
  if (!response) return names;
  static const std::regex kType(R"(^# TYPE (\S+) \S+$)");
  std::istringstream lines(response->body);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kType)) names.insert(m[1]);
  }
  return names;
}

// Names the expressions use that `exposed` lacks, as "name (in: expr)".
std::vector<std::string> unknownNames(const std::vector<std::string>& expressions,
                                      const std::set<std::string>& exposed) {
  std::vector<std::string> unknown;
  for (const std::string& expression : expressions) {
    for (const std::string& name : metricNamesIn(expression)) {
      if (!exposed.contains(name)) unknown.push_back(name + " (in: " + expression + ")");
    }
  }
  return unknown;
}

nlohmann::json dashboard() {
  return nlohmann::json::parse(
      readFile(VTPS_SOURCE_DIR "/appliance/telemetry/dashboards/vtps.json"));
}

TEST(DashboardTest, EveryExpressionRefersOnlyToExposedMetrics) {
  std::vector<std::string> expressions;
  collectExpressions(dashboard(), expressions);
  ASSERT_GE(expressions.size(), 30u);
  const std::set<std::string> exposed = liveFamilies();
  ASSERT_EQ(exposed.size(), metricCatalog().size());
  for (const std::string& expression : expressions)
    EXPECT_FALSE(metricNamesIn(expression).empty()) << "no vtps_ metric in: " << expression;
  EXPECT_EQ(unknownNames(expressions, exposed), std::vector<std::string>{});
}

TEST(DashboardTest, TheCheckReportsAMisspelledMetric) {
  const std::set<std::string> exposed = {"vtps_ssl_bytes_total", "vtps_mint_duration_seconds"};
  const std::vector<std::string> good = {
      "sum(rate(vtps_ssl_bytes_total[1m]))",
      "histogram_quantile(0.9, rate(vtps_mint_duration_seconds_bucket[5m]))"};
  EXPECT_EQ(unknownNames(good, exposed), std::vector<std::string>{});
  const std::vector<std::string> bad = {"rate(vtps_ssl_byte_total[1m])"};
  EXPECT_EQ(unknownNames(bad, exposed),
            std::vector<std::string>{"vtps_ssl_byte_total (in: rate(vtps_ssl_byte_total[1m]))"});
}

TEST(DashboardTest, HasTheDocumentsTrafficGraphsAndTheTroubleshootingCounters) {
  std::set<std::string> titles;
  const nlohmann::json board = dashboard();
  for (const auto& panel : board["panels"])
    titles.insert(panel["title"].get<std::string>());
  for (const char* title :
       {"SSL Decrypted Traffic", "New SSL Connection Rate", "Active SSL Connection Rate",
        "debug np stats", "Handshake latency", "Mint latency", "Worker busy ratio"}) {
    EXPECT_TRUE(titles.contains(title)) << title;
  }
}

TEST(MetricsDocTest, DocumentsEveryFamilyWithItsTypeAndLabels) {
  const std::string doc = readFile(VTPS_SOURCE_DIR "/docs/metrics.md");
  ASSERT_FALSE(doc.empty());
  for (const MetricInfo& info : metricCatalog()) {
    std::string labels;
    for (char c : info.labels)
      labels += c == ',' ? std::string(", ") : std::string(1, c);
    const std::string row = "| `" + std::string(info.name) + "` | " +
                            std::string(toString(info.kind)) + " | " + labels + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/metrics.md lacks the row " << row;
  }
}

}  // namespace
}  // namespace vtps::telemetry
