// vtpsd's filter service: block/alert log lines, traces written by the control thread, the
// control socket answers, and a prepared pipeline switched in by install().
#include "appliance/daemon/filter_service.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "appliance/config/loader.h"

namespace vtps::daemon {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vtps-fsvc-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FilterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() + "/a.rules")
        << "drop http any any -> any any (msg:\"attack\"; http.uri; content:\"/attack\"; "
           "sid:7; rev:2;)\nnot a rule\n";
    config_ = loadConfig("");
    auto log = telemetry::JsonLog::open(dir_.path() + "/log", {});
    ASSERT_TRUE(log.ok()) << log.message();
    log_ = std::move(*log);
  }

  std::shared_ptr<config::Config> loadConfig(const std::string& extra) {
    auto r = config::loadString("device: {log-dir: " + dir_.path() + "/log}\nfilters:\n  rules: " +
                                    dir_.path() + "/*.rules\n" + extra,
                                "t.yaml");
    EXPECT_TRUE(r.ok()) << r.report();
    return r.config;
  }

  TempDir dir_;
  std::shared_ptr<config::Config> config_;
  std::unique_ptr<telemetry::JsonLog> log_;
};

TEST_F(FilterServiceTest, WritesEventsToBlockAndAlertLogsWithRfc3339Time) {
  auto service = FilterService::create(*config_, *log_);
  ASSERT_TRUE(service.ok()) << service.message();
  filter::FilterEvent block;
  block.time_unix_ms = 1700000000123;
  block.log = filter::FilterLog::kBlock;
  block.action = "drop";
  block.sid = 7;
  block.ssl_inspect = true;
  filter::FilterEvent alert = block;
  alert.log = filter::FilterLog::kAlert;
  alert.action = "permit+notify";
  (*service)->filterEvent(block);
  (*service)->filterEvent(alert);
  log_->flush();
  auto b = telemetry::Json::parse(readFile(dir_.path() + "/log/block.log"));
  EXPECT_EQ(b["time"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(b["log"], "block");
  EXPECT_EQ(b["ssl_inspect"], true);
  EXPECT_EQ(b["sid"], 7);
  auto a = telemetry::Json::parse(readFile(dir_.path() + "/log/alert.log"));
  EXPECT_EQ(a["action"], "permit+notify");
}

TEST_F(FilterServiceTest, ControlThreadWritesQueuedTracesIntoTraceDir) {
  auto service = FilterService::create(*config_, *log_);
  ASSERT_TRUE(service.ok()) << service.message();
  pollfd pfd{(*service)->pollFd(), POLLIN, 0};
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);  // nothing queued
  filter::TraceCapture capture;
  capture.file_name = "trace-1.pcap";
  capture.pcap = {1, 2, 3};
  capture.sid = 7;
  (*service)->traceCaptured(capture);
  ASSERT_EQ(::poll(&pfd, 1, 1000), 1);
  (*service)->writeTraces();
  EXPECT_EQ(readFile(dir_.path() + "/log/traces/trace-1.pcap"), std::string("\1\2\3"));
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);  // drained
  log_->flush();
  EXPECT_NE(
      readFile(dir_.path() + "/log/system.log")
          .find("packet trace of sid 7 written to " + dir_.path() + "/log/traces/trace-1.pcap"),
      std::string::npos);
}

TEST_F(FilterServiceTest, AnswersShowAndTopAndRefusesBadCounts) {
  auto service = FilterService::create(*config_, *log_);
  ASSERT_TRUE(service.ok()) << service.message();
  mgmt::Json show = (*service)->showResponse();
  ASSERT_EQ(show["rule_sets"].size(), 1u);
  EXPECT_EQ(show["rule_sets"][0]["loaded"], 1);
  EXPECT_EQ(show["rule_sets"][0]["failed"], 1);
  EXPECT_EQ(
      show["rule_sets"][0]["errors"][0].get<std::string>().rfind(dir_.path() + "/a.rules:2: ", 0),
      0u);
  EXPECT_EQ(show["counters"]["sessions"], 0);
  EXPECT_EQ(show["trace_dir"], dir_.path() + "/log/traces");
  EXPECT_TRUE((*service)->topResponse(mgmt::Json{{"count", 5}})["rules"].empty());  // no hits
  proxy::SessionContext session;
  session.client_address = "10.0.0.1";
  session.server_address = "10.0.0.2";
  session.server_port = 443;
  std::string request = "GET /attack HTTP/1.1\r\nHost: a\r\n\r\n";
  auto inspector = (*service)->inspectorFactory()->create(session);
  EXPECT_EQ(inspector->inspect(proxy::Direction::kClientToServer,
                               {reinterpret_cast<const uint8_t*>(request.data()), request.size()}),
            proxy::Verdict::kBlock);
  mgmt::Json top = (*service)->topResponse(mgmt::Json{{"count", 5}});
  ASSERT_EQ(top["rules"].size(), 1u);
  EXPECT_EQ(top["rules"][0]["sid"], 7);
  EXPECT_EQ(top["rules"][0]["rev"], 2);
  EXPECT_EQ(top["rules"][0]["action"], "drop");
  EXPECT_EQ(top["rules"][0]["hits"], 1);
  EXPECT_EQ((*service)->topResponse(mgmt::Json{{"count", 0}})["error"],
            "filters-top: count must be an integer from 1 to 1000");
  EXPECT_EQ((*service)->topResponse(mgmt::Json{{"count", "x"}})["error"],
            "filters-top: count must be an integer from 1 to 1000");
  log_->flush();
  EXPECT_NE(readFile(dir_.path() + "/log/system.log")
                .find("rule set " + dir_.path() + "/*.rules: 1 files, 1 rules loaded, 1 failed"),
            std::string::npos);
}

TEST_F(FilterServiceTest, PrepareRefusesMissingListsAndInstallSwitches) {
  auto service = FilterService::create(*config_, *log_);
  ASSERT_TRUE(service.ok()) << service.message();
  auto missing = FilterService::prepare(*loadConfig("  reputation: {ip-list: /nonexistent/ip}\n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(),
            "filters: read reputation list /nonexistent/ip: No such file or directory");
  auto next = loadConfig("  trace-dir: /elsewhere\n");
  auto pipeline = FilterService::prepare(*next);
  ASSERT_TRUE(pipeline.ok()) << pipeline.message();
  (*service)->install(*pipeline, *next);
  EXPECT_EQ((*service)->showResponse()["trace_dir"], "/elsewhere");
  EXPECT_EQ((*service)->engine().pipeline(), *pipeline);
}

}  // namespace
}  // namespace vtps::daemon
