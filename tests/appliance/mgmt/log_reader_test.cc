// The log pages `GET /api/v1/logs/{log}` and `vtpsctl logs` share: newest first, field filters,
// paging, and the refusals.
#include "appliance/mgmt/log_reader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace vtps::mgmt {
namespace {

class LogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vtps-logs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream out(dir_ + "/block.log");
    for (int i = 1; i <= 5; ++i) {
      out << R"({"sid":)" << (i % 2 == 0 ? 100 : 200) << R"(,"n":)" << i << R"(,"action":")"
          << (i % 2 == 0 ? "block" : "permit+notify") << "\"}\n";
    }
    out << "not json\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

std::vector<int> ns(const nlohmann::ordered_json& page) {
  std::vector<int> out;
  for (const auto& e : page.at("entries"))
    out.push_back(e.at("n").get<int>());
  return out;
}

TEST_F(LogReaderTest, NewestFirstFilteredAndPaged) {
  auto all = readLogPage(dir_, {.log = "block"});
  ASSERT_TRUE(all.ok()) << all.message();
  EXPECT_EQ(ns(*all), (std::vector<int>{5, 4, 3, 2, 1}));
  EXPECT_EQ(all->at("total"), 5);  // the line that is not JSON is skipped

  auto blocks = readLogPage(dir_, {.log = "block", .fields = {{"action", "block"}}});
  ASSERT_TRUE(blocks.ok());
  EXPECT_EQ(ns(*blocks), (std::vector<int>{4, 2}));
  // Numbers compare by their JSON text.
  auto by_sid = readLogPage(dir_, {.log = "block", .fields = {{"sid", "200"}, {"n", "3"}}});
  ASSERT_TRUE(by_sid.ok());
  EXPECT_EQ(ns(*by_sid), (std::vector<int>{3}));

  auto page = readLogPage(dir_, {.log = "block", .offset = 1, .limit = 2});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ns(*page), (std::vector<int>{4, 3}));
  EXPECT_EQ(page->at("total"), 5);
}

TEST_F(LogReaderTest, ALogNotWrittenYetIsEmpty) {
  auto page = readLogPage(dir_, {.log = "alert"});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->at("total"), 0);
  EXPECT_TRUE(page->at("entries").empty());
}

TEST_F(LogReaderTest, RefusesUnknownLogsAndBadLimits) {
  auto unknown = readLogPage(dir_, {.log = "../etc/passwd"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.message(),
            "no such log: ../etc/passwd (known: ssl, failed, block, alert, system, audit, trace)");
  for (size_t limit : {size_t{0}, kMaxLogLimit + 1}) {
    auto bad = readLogPage(dir_, {.log = "block", .limit = limit});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.message(), "offset must be a number and limit 1..1000");
  }
}

}  // namespace
}  // namespace vtps::mgmt
