// RFC 5424 formatting and the forwarder's delivery, queueing and accounting against a collector
// on loopback (plain TCP; TLS with certificate verification is tested end to end against rsyslog
// in tests/e2e/telemetry_syslog.sh).
#include "appliance/telemetry/syslog_forwarder.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace vtps::telemetry {
namespace {

Json entry(std::string severity = "") {
  Json e;
  e["time"] = "2026-11-23T17:40:01.123Z";
  if (!severity.empty()) e["severity"] = severity;
  e["sni"] = "web1.test";
  return e;
}

TEST(SyslogFormatTest, PriorityVersionHeaderAndJsonBody) {
  Json e = entry();
  EXPECT_EQ(formatSyslogMessage(16, LogFile::kSsl, e, R"({"sni":"web1.test"})", "vtps-1", 42),
            R"(<134>1 2026-11-23T17:40:01.123Z vtps-1 vtpsd 42 ssl - {"sni":"web1.test"})");
  // local3 = 19: 19 * 8 + warning 4 = 156 for block.log; notice 5 for alert.log.
  EXPECT_EQ(formatSyslogMessage(19, LogFile::kBlock, e, "{}", "h", 1).substr(0, 6), "<156>1");
  EXPECT_EQ(formatSyslogMessage(19, LogFile::kAlert, e, "{}", "h", 1).substr(0, 6), "<157>1");
  EXPECT_EQ(formatSyslogMessage(19, LogFile::kFailed, e, "{}", "h", 1).substr(0, 6), "<156>1");
  // The entry's own severity wins (system and audit logs carry one).
  EXPECT_EQ(formatSyslogMessage(16, LogFile::kSystem, entry("error"), "{}", "h", 1),
            "<131>1 2026-11-23T17:40:01.123Z h vtpsd 1 system - {}");
  EXPECT_EQ(formatSyslogMessage(16, LogFile::kAudit, entry("info"), "{}", "", 1),
            "<134>1 2026-11-23T17:40:01.123Z - vtpsd 1 audit - {}");
}

class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() {
    if (conn_ >= 0) ::close(conn_);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

  // Reads octet-counted frames until `n` arrived or 5 s passed.
  std::vector<std::string> frames(size_t n) {
    if (conn_ < 0) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) return {};
      conn_ = ::accept(fd_, nullptr, nullptr);
    }
    std::vector<std::string> out;
    while (out.size() < n) {
      auto sp = buf_.find(' ');
      if (sp != std::string::npos) {
        size_t len = std::stoul(buf_.substr(0, sp));
        if (buf_.size() >= sp + 1 + len) {
          out.push_back(buf_.substr(sp + 1, len));
          buf_.erase(0, sp + 1 + len);
          continue;
        }
      }
      pollfd p{conn_, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) break;
      char chunk[4096];
      ssize_t got = ::recv(conn_, chunk, sizeof chunk, 0);
      if (got <= 0) break;
      buf_.append(chunk, static_cast<size_t>(got));
    }
    return out;
  }

 private:
  int fd_ = -1;
  int conn_ = -1;
  uint16_t port_ = 0;
  std::string buf_;
};

SyslogCollector tcpCollector(uint16_t port, std::vector<LogFile> logs) {
  SyslogCollector c;
  c.host = "127.0.0.1";
  c.port = port;
  c.transport = SyslogTransport::kTcp;
  c.logs = std::move(logs);
  return c;
}

TEST(SyslogForwarderTest, DeliversOctetCountedFramesForTheChosenLogs) {
  Listener collector;
  auto f = SyslogForwarder::start({tcpCollector(collector.port(), {LogFile::kSsl})}, "vtps-1");
  ASSERT_TRUE(f.ok()) << f.message();
  (*f)->offer(LogFile::kSsl, entry(), R"({"n":1})");
  (*f)->offer(LogFile::kSystem, entry("info"), R"({"n":"not for this collector"})");
  (*f)->offer(LogFile::kSsl, entry(), "{\"n\":2 , \"text\":\"with spaces and a\nreal newline\"}");
  std::vector<std::string> got = collector.frames(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].ends_with(R"(vtpsd )" + std::to_string(::getpid()) + R"( ssl - {"n":1})"))
      << got[0];
  EXPECT_TRUE(got[1].ends_with("with spaces and a\nreal newline\"}")) << got[1];
  EXPECT_TRUE((*f)->drain(5000));
  std::vector<SyslogStats> stats = (*f)->stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].collector, "127.0.0.1:" + std::to_string(collector.port()));
  EXPECT_TRUE(stats[0].connected);
  EXPECT_EQ(stats[0].sent, 2u);
  EXPECT_EQ(stats[0].dropped, 0u);
}

TEST(SyslogForwarderTest, AnUnreachableCollectorQueuesThenDropsAndCounts) {
  uint16_t port = 0;
  {
    Listener gone;  // a port that was free a moment ago: nothing listens there now
    port = gone.port();
  }
  SyslogCollector c = tcpCollector(port, {LogFile::kSystem});
  c.queue_capacity = 2;
  auto f = SyslogForwarder::start({c}, "h");
  ASSERT_TRUE(f.ok()) << f.message();
  for (int i = 0; i < 5; ++i)
    (*f)->offer(LogFile::kSystem, entry("info"), "{}");
  EXPECT_FALSE((*f)->drain(300));
  SyslogStats s = (*f)->stats().at(0);
  EXPECT_FALSE(s.connected);
  EXPECT_EQ(s.sent, 0u);
  EXPECT_EQ(s.dropped, 3u);
  EXPECT_GE(s.connect_failures, 1u);
  EXPECT_NE(s.last_error.find("Connection refused"), std::string::npos) << s.last_error;
}

TEST(SyslogForwarderTest, TlsWithoutACaIsRefusedAtStart) {
  SyslogCollector c;
  c.host = "127.0.0.1";
  c.port = 6514;
  c.logs = {LogFile::kSsl};
  auto f = SyslogForwarder::start({c}, "h");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.message(), "syslog: no CA certificate to verify the collector with (127.0.0.1:6514)");
}

}  // namespace
}  // namespace vtps::telemetry
