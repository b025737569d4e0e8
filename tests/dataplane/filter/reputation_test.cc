#include "dataplane/filter/reputation.h"

#include <gtest/gtest.h>

#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::filter {
namespace {

using testing::TempDir;

uint32_t ip(const char* s) {
  return *parseIpv4(s);
}

TEST(ReputationDbTest, LooksUpAddressesNamesAndUrlsByHighestScore) {
  TempDir dir;
  ReputationSettings s;
  s.ip_list = dir.write("ip.txt",
                        "# bad networks\n"
                        "198.51.100.0/24 60\n"
                        "198.51.100.7 95\n"
                        "0.0.0.0/0 1\n");
  s.dns_list = dir.write("dns.txt", "Bad.Example. 90\n*.tracker.example 55\n");
  s.url_list = dir.write("url.txt",
                         "http://files.example/malware/ 95\n"
                         "files.example/ 40\n"
                         "whole.example 85\n");
  auto db = ReputationDb::load(s);
  ASSERT_TRUE(db.ok()) << db.message();
  const ReputationDb& r = **db;
  EXPECT_EQ(r.entries(ReputationKind::kIp), 3u);
  EXPECT_EQ(r.lookupIp(ip("198.51.100.7"))->score, 95);
  EXPECT_EQ(r.lookupIp(ip("198.51.100.8"))->entry, "198.51.100.0/24");
  EXPECT_EQ(r.lookupIp(ip("203.0.113.1"))->score, 1);

  EXPECT_EQ(r.lookupDns("BAD.example")->score, 90);
  EXPECT_FALSE(r.lookupDns("sub.bad.example"));  // exact entry: that name only
  EXPECT_EQ(r.lookupDns("a.b.tracker.example")->score, 55);
  EXPECT_FALSE(r.lookupDns("tracker.example"));  // wildcard: names below it only

  auto hit = r.lookupUrl("Files.Example", "/malware/x.exe");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->score, 95);
  EXPECT_EQ(hit->kind, ReputationKind::kUrl);
  EXPECT_EQ(hit->entry, "http://files.example/malware/");
  EXPECT_EQ(r.lookupUrl("files.example", "/docs")->score, 40);
  EXPECT_EQ(r.lookupUrl("whole.example", "/anything")->score, 85);
  EXPECT_FALSE(r.lookupUrl("other.example", "/malware/"));
}

TEST(ReputationDbTest, ReportsBadLinesAndKeepsTheRest) {
  ReputationDb db;
  db.addText(ReputationKind::kIp,
             "10.0.0.1 50\n10.0.0.300 50\n10.0.0.2 x\n10.0.0.3 101\n10.0.0.4\n", "ip.txt");
  db.addText(ReputationKind::kDns, "bad..example 10\nok.example 10\n", "dns.txt");
  db.addText(ReputationKind::kUrl, "/path-only 10\n", "url.txt");
  EXPECT_EQ(db.entries(ReputationKind::kIp), 1u);
  EXPECT_EQ(db.entries(ReputationKind::kDns), 1u);
  std::vector<std::string> errors;
  for (const auto& e : db.errors())
    errors.push_back(e.toString());
  EXPECT_EQ(errors, (std::vector<std::string>{
                        R"(ip.txt:2: bad address "10.0.0.300")",
                        R"(ip.txt:3: bad score "x" (expected 0 to 100))",
                        R"(ip.txt:4: bad score "101" (expected 0 to 100))",
                        R"(ip.txt:5: bad score "" (expected 0 to 100))",
                        R"(dns.txt:1: bad domain name "bad..example")",
                        R"(url.txt:1: bad URL "/path-only")",
                    }));
}

TEST(ReputationDbTest, RefusesMissingFilesAndBadThresholds) {
  ReputationSettings s;
  s.ip_list = "/nonexistent/vtps/ip.txt";
  auto missing = ReputationDb::load(s);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(),
            "read reputation list /nonexistent/vtps/ip.txt: No such file or directory");
  ReputationSettings t;
  t.block_threshold = 0;
  EXPECT_EQ(ReputationDb::load(t).message(),
            "reputation: block-threshold: must be from 1 to 100, got 0");
  t.block_threshold = 80;
  t.notify_threshold = 101;
  EXPECT_EQ(ReputationDb::load(t).message(),
            "reputation: notify-threshold: must be from 1 to 100, got 101");
}

}  // namespace
}  // namespace vtps::filter
