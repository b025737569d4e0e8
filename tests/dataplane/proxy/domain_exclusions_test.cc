// ExclusionStore: the global SSL client domain exclusions, their threshold window, their state
// file (persistence, atomic replacement, edits by another process) and their readers.
#include "dataplane/proxy/domain_exclusions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace vtps::proxy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Outcome = ExclusionStore::FailureOutcome;

std::vector<std::string> domainsOf(const std::vector<ExclusionEntry>& entries) {
  std::vector<std::string> out;
  for (const ExclusionEntry& e : entries)
    out.push_back(e.domain + "/" + std::string(toString(e.source)));
  return out;
}

class ExclusionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vtps-exclusions-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/domain-exclusions.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static ExclusionSettings settings(int threshold = 3, int window_s = 300) {
    ExclusionSettings s;
    s.failure_threshold = threshold;
    s.failure_window_s = window_s;
    s.config_domains = {"*.bank.example"};
    return s;
  }
  std::unique_ptr<ExclusionStore> open(ExclusionSettings s = settings()) {
    auto store = ExclusionStore::open(path_, std::move(s));
    EXPECT_TRUE(store.ok()) << store.message();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::string fileText() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void writeText(const std::string& text) const { std::ofstream(path_) << text; }

  std::string dir_, path_;
};

TEST_F(ExclusionStoreTest, ConfigEntriesMatchWithoutAFile) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(std::filesystem::exists(path_));
  auto set = store->current();
  const ExclusionEntry* e = set->match("www.bank.example");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->domain, "*.bank.example");
  EXPECT_EQ(e->source, ExclusionSource::kConfig);
  EXPECT_EQ(set->match("bank.example"), nullptr);
  EXPECT_THAT(domainsOf(store->list()), ElementsAre("*.bank.example/config"));
}

TEST_F(ExclusionStoreTest, ExcludesAfterThresholdFailuresWithinTheWindowOnly) {
  auto store = open(settings(3, 60));
  ASSERT_NE(store, nullptr);
  const uint64_t v0 = store->version();
  // Two failures, then the window passes: the count starts over.
  EXPECT_EQ(store->recordFailure("pinned.example", "alert 46", 1'000), Outcome::kCounted);
  EXPECT_EQ(store->recordFailure("pinned.example", "alert 46", 30'000), Outcome::kCounted);
  EXPECT_EQ(store->recordFailure("pinned.example", "alert 46", 61'000), Outcome::kCounted);
  EXPECT_EQ(store->recordFailure("pinned.example", "alert 46", 90'000), Outcome::kCounted);
  EXPECT_EQ(store->version(), v0);
  EXPECT_EQ(store->current()->match("pinned.example"), nullptr);
  // The third within 60 s of the two before it.
  EXPECT_EQ(store->recordFailure("pinned.example", "alert 46", 100'000), Outcome::kExcluded);
  EXPECT_GT(store->version(), v0);
  const ExclusionEntry* e = store->current()->match("pinned.example");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->source, ExclusionSource::kAutomatic);
  EXPECT_EQ(e->reason, "alert 46 (3 failures within 60 s)");
  EXPECT_THAT(e->added, ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"));
  EXPECT_EQ(store->recordFailure("pinned.example", "alert 46", 100'001), Outcome::kAlreadyExcluded);
  // Other domains keep their own counts; config entries already cover theirs.
  EXPECT_EQ(store->recordFailure("other.example", "alert 46", 100'000), Outcome::kCounted);
  EXPECT_EQ(store->recordFailure("x.bank.example", "alert 46", 100'000), Outcome::kAlreadyExcluded);
}

TEST_F(ExclusionStoreTest, DoesNothingAutomaticWhenAutomaticIsOff) {
  ExclusionSettings off = settings(1);
  off.automatic = false;
  auto store = open(off);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->recordFailure("a.example", "alert 46", 1), Outcome::kAutomaticOff);
  EXPECT_EQ(store->excludeNow("a.example", "client certificate"), Outcome::kAutomaticOff);
  EXPECT_EQ(store->current()->match("a.example"), nullptr);
  // A new config turns it on.
  store->configure(settings(1));
  EXPECT_EQ(store->excludeNow("a.example", "client certificate"), Outcome::kExcluded);
}

TEST_F(ExclusionStoreTest, PersistsAutomaticEntriesAndReadsThemBackAfterARestart) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->excludeNow("mtls.example", "server requested a client certificate"),
              Outcome::kExcluded);
    EXPECT_FALSE(std::filesystem::exists(path_)) << "workers never write the file";
    ASSERT_TRUE(store->sync().ok());
  }
  EXPECT_THAT(fileText(), HasSubstr("\"domain\": \"mtls.example\""));
  EXPECT_THAT(fileText(), HasSubstr("\"source\": \"automatic\""));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp." + std::to_string(::getpid())));
  auto reopened = open();
  ASSERT_NE(reopened, nullptr);
  EXPECT_THAT(domainsOf(reopened->list()),
              ElementsAre("*.bank.example/config", "mtls.example/automatic"));
  EXPECT_EQ(reopened->list()[1].reason, "server requested a client certificate");
}

TEST_F(ExclusionStoreTest, SyncThreadWritesNewEntriesAndPicksUpEditsByAnotherProcess) {
  auto daemon = open();
  ASSERT_NE(daemon, nullptr);
  daemon->startSync(std::chrono::milliseconds(20), nullptr);
  EXPECT_EQ(daemon->excludeNow("auto.example", "client certificate"), Outcome::kExcluded);
  // vtpsctl in another process: its own store object on the same file.
  auto cli = open();
  ASSERT_NE(cli, nullptr);
  for (int i = 0; i < 200 && fileText().find("auto.example") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_THAT(fileText(), HasSubstr("auto.example"));
  ASSERT_TRUE(cli->add("Manual.Example", "operator").ok());
  const uint64_t before = daemon->version();
  for (int i = 0; i < 200 && daemon->current()->match("manual.example") == nullptr; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_NE(daemon->current()->match("manual.example"), nullptr);
  EXPECT_GT(daemon->version(), before);
  EXPECT_THAT(
      domainsOf(daemon->list()),
      ElementsAre("*.bank.example/config", "auto.example/automatic", "manual.example/manual"));
  ASSERT_TRUE(cli->remove("auto.example").ok());
  for (int i = 0; i < 200 && daemon->current()->match("auto.example") != nullptr; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(daemon->current()->match("auto.example"), nullptr);
}

TEST_F(ExclusionStoreTest, AddAndRemoveRefuseWhatTheyCannotDo) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  Status bad = store->add("not a domain", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "\"not a domain\" is not a host name or \"*.\" wildcard");
  Status config = store->add("*.BANK.example", "");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.message(),
            "*.bank.example is already excluded by the config (ssl.domain-exclusions.domains)");
  ASSERT_TRUE(store->add("*.cdn.example", "").ok());
  Status twice = store->add("*.cdn.example", "");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.message(), "*.cdn.example is already excluded");
  Status absent = store->remove("nope.example");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.message(), "nope.example is not excluded");
  Status in_config = store->remove("*.bank.example");
  ASSERT_FALSE(in_config.ok());
  EXPECT_EQ(in_config.message(),
            "*.bank.example is excluded by the config (ssl.domain-exclusions.domains); remove it "
            "there");
  ASSERT_TRUE(store->remove("*.cdn.example").ok());
  EXPECT_THAT(fileText(), HasSubstr("\"exclusions\": []"));
}

TEST_F(ExclusionStoreTest, RefusesAMalformedStateFileNamingTheProblem) {
  writeText(
      "{\"version\": 1, \"exclusions\": [{\"domain\": \"ok.example\", \"source\": "
      "\"manual\"}, {\"domain\": \"bad domain\", \"source\": \"manual\"}]}");
  auto bad_domain = ExclusionStore::open(path_, settings());
  ASSERT_FALSE(bad_domain.ok());
  EXPECT_EQ(bad_domain.message(),
            "domain exclusions " + path_ +
                ": exclusions[1].domain: \"bad domain\" is not a host name or \"*.\" wildcard");
  writeText("{\"exclusions\": [{\"domain\": \"a.example\", \"source\": \"magic\"}]}");
  auto bad_source = ExclusionStore::open(path_, settings());
  ASSERT_FALSE(bad_source.ok());
  EXPECT_EQ(bad_source.message(), "domain exclusions " + path_ +
                                      ": exclusions[0].source: \"magic\" is not one of: manual, "
                                      "automatic");
  writeText("[1, 2");
  auto not_json = ExclusionStore::open(path_, settings());
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.message(), "domain exclusions " + path_ + ": not valid JSON");
  writeText("{\"version\": 2, \"exclusions\": []}");
  auto version = ExclusionStore::open(path_, settings());
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.message(), "domain exclusions " + path_ + ": unsupported version 2");
  writeText(
      "{\"version\": 1, \"exclusions\": [{\"domain\": \"a.example\", \"source\": "
      "\"automatic\", \"reason\": \"r\", \"added\": \"2026-01-02T03:04:05Z\"}]}");
  EXPECT_TRUE(ExclusionStore::open(path_, settings()).ok());
}

TEST_F(ExclusionStoreTest, ReadersKeepTheirGenerationWhileTheStoreMovesOn) {
  auto store = open(settings(1));
  ASSERT_NE(store, nullptr);
  std::shared_ptr<const ExclusionSet> old = store->current();
  EXPECT_EQ(store->recordFailure("pinned.example", "alert 46", 5), Outcome::kExcluded);
  EXPECT_EQ(old->match("pinned.example"), nullptr);
  EXPECT_NE(store->current()->match("pinned.example"), nullptr);
}

TEST(ExclusionStatePathTest, DefaultsToTheKeystoreDirectory) {
  config::Config c;
  c.device.keystore = "/var/lib/vtps/keystore";
  EXPECT_EQ(exclusionStatePath(c), "/var/lib/vtps/keystore/domain-exclusions.json");
  c.domain_exclusions.state_file = "/srv/vtps/exclusions.json";
  EXPECT_EQ(exclusionStatePath(c), "/srv/vtps/exclusions.json");
}

}  // namespace
}  // namespace vtps::proxy
