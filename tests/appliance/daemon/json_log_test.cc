#include "appliance/telemetry/json_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace vtps::telemetry {
namespace {

namespace fs = std::filesystem;

class JsonLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vtps-json-log-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<Json> readLines(const fs::path& file) {
    std::vector<Json> out;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line))
      out.push_back(Json::parse(line));
    return out;
  }

  fs::path dir_;
};

TEST_F(JsonLogTest, WritesOneJsonObjectPerLineToItsFile) {
  auto log = JsonLog::open(dir_.string(), {});
  ASSERT_TRUE(log.ok()) << log.message();
  EXPECT_TRUE((*log)->post(LogFile::kSsl, Json{{"n", 1}}));
  EXPECT_TRUE((*log)->post(LogFile::kSystem, Json{{"event", "start"}}));
  EXPECT_TRUE((*log)->post(LogFile::kSsl, Json{{"n", 2}}));
  (*log)->flush();

  auto ssl = readLines(dir_ / "ssl.log");
  ASSERT_EQ(ssl.size(), 2u);
  EXPECT_EQ(ssl[0]["n"], 1);
  EXPECT_EQ(ssl[1]["n"], 2);
  auto system = readLines(dir_ / "system.log");
  ASSERT_EQ(system.size(), 1u);
  EXPECT_EQ(system[0]["event"], "start");
  EXPECT_EQ((*log)->stats().written, 3u);
  EXPECT_EQ((*log)->stats().dropped, 0u);

  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "ssl.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(JsonLogTest, AppendsToExistingFilesAcrossRestarts) {
  // Many short runs: the last entry of a run is posted just before the log is destroyed, which
  // once lost it when the logging thread's last drain began before the push.
  constexpr int kRuns = 100;
  for (int run = 0; run < kRuns; ++run) {
    auto log = JsonLog::open(dir_.string(), {});
    ASSERT_TRUE(log.ok()) << log.message();
    (*log)->post(LogFile::kSystem, Json{{"run", run}});
  }  // the destructor writes what is queued
  auto lines = readLines(dir_ / "system.log");
  ASSERT_EQ(lines.size(), static_cast<size_t>(kRuns));
  for (int run = 0; run < kRuns; ++run)
    EXPECT_EQ(lines[static_cast<size_t>(run)]["run"], run);
}

TEST_F(JsonLogTest, RotatesBySizeAndKeepsMaxFiles) {
  JsonLogOptions options;
  options.max_file_bytes = 100;  // lines are 13 bytes ({"seq":1000} and \n): 7 per file
  options.max_files = 3;
  auto log = JsonLog::open(dir_.string(), options);
  ASSERT_TRUE(log.ok()) << log.message();
  for (int i = 0; i < 30; ++i) {
    (*log)->post(LogFile::kSsl, Json{{"seq", 1000 + i}});
    (*log)->flush();
  }
  EXPECT_TRUE(fs::exists(dir_ / "ssl.log"));
  EXPECT_TRUE(fs::exists(dir_ / "ssl.log.1"));
  EXPECT_TRUE(fs::exists(dir_ / "ssl.log.2"));
  EXPECT_FALSE(fs::exists(dir_ / "ssl.log.3"));
  std::vector<int> seqs;
  for (const char* name : {"ssl.log.2", "ssl.log.1", "ssl.log"}) {
    EXPECT_LE(fs::file_size(dir_ / name), 100u) << name;
    for (const auto& j : readLines(dir_ / name))
      seqs.push_back(j["seq"].get<int>());
  }
  // Rotated at lines 7, 14, 21 and 28: 1014-1020 in .2, 1021-1027 in .1, 1028-1029 current.
  ASSERT_EQ(seqs.size(), 16u);
  EXPECT_EQ(seqs.front(), 1014);
  for (size_t i = 1; i < seqs.size(); ++i)
    EXPECT_EQ(seqs[i], seqs[i - 1] + 1);
  EXPECT_EQ((*log)->stats().rotations, 4u);
}

TEST_F(JsonLogTest, CountsDropsWhenTheQueueIsFullAndReportsThemInTheSystemLog) {
  JsonLogOptions options;
  options.queue_capacity = 2;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  {
    auto log = JsonLog::open(dir_.string(), options);
    ASSERT_TRUE(log.ok()) << log.message();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log] {
        for (int i = 0; i < kPerThread; ++i)
          (*log)->post(LogFile::kSsl, Json{{"i", i}});
      });
    }
    for (auto& t : threads)
      t.join();
    (*log)->flush();
    auto stats = (*log)->stats();
    ASSERT_GT(stats.dropped, 0u);  // 200000 posts into 2 slots cannot all fit
    EXPECT_EQ(stats.written + stats.dropped, uint64_t{kThreads} * kPerThread);
  }
  uint64_t reported = 0;
  for (const auto& j : readLines(dir_ / "system.log")) {
    EXPECT_EQ(j["event"], "log-drops");
    EXPECT_EQ(j["severity"], "warning");
    reported = j["dropped_total"].get<uint64_t>();
  }
  EXPECT_EQ(reported, uint64_t{kThreads} * kPerThread - readLines(dir_ / "ssl.log").size());
}

TEST_F(JsonLogTest, ReplacesInvalidUtf8InsteadOfFailing) {
  auto log = JsonLog::open(dir_.string(), {});
  ASSERT_TRUE(log.ok()) << log.message();
  (*log)->post(LogFile::kSsl, Json{{"sni", std::string("bad\xff"
                                                       "name")}});
  (*log)->flush();
  auto lines = readLines(dir_ / "ssl.log");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["sni"], "bad\xef\xbf\xbdname");  // U+FFFD
}

TEST_F(JsonLogTest, OpenFailsNamingTheDirectoryWhenItIsAFile) {
  { std::ofstream(dir_.string()) << "x"; }
  auto log = JsonLog::open(dir_.string(), {});
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.message(), "create log directory " + dir_.string() + ": Not a directory");
  fs::remove(dir_);
}

TEST(Rfc3339Test, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(rfc3339Utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339Utc(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(rfc3339Utc(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace vtps::telemetry
