#include "appliance/mgmt/config_history.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "appliance/config/loader.h"
#include "appliance/mgmt/state_paths.h"

namespace vtps::mgmt {
namespace {

class ConfigHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vtps-history-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(ConfigHistoryTest, KeepsTheNewestTenAndLoadsThemByStepsBack) {
  ConfigHistory h(root_ + "/history");
  for (int i = 1; i <= 12; ++i)
    ASSERT_TRUE(h.push("v" + std::to_string(i) + "\n").ok());
  auto list = h.list();
  ASSERT_TRUE(list.ok()) << list.message();
  ASSERT_EQ(list->size(), 10u);
  EXPECT_EQ(list->front().steps_back, 1);
  auto newest = h.load(1);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(*newest, "v12\n");
  auto oldest = h.load(10);
  ASSERT_TRUE(oldest.ok());
  EXPECT_EQ(*oldest, "v3\n");
}

TEST_F(ConfigHistoryTest, RefusesStepsOutsideTheHistory) {
  ConfigHistory h(root_ + "/history");
  auto none = h.load(1);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.message(), "rollback: no previous config is kept in " + root_ + "/history");
  ASSERT_TRUE(h.push("a\n").ok());
  ASSERT_TRUE(h.push("b\n").ok());
  auto far = h.load(3);
  ASSERT_FALSE(far.ok());
  EXPECT_EQ(far.message(), "rollback 3: the config history in " + root_ +
                               "/history holds 2 previous configs (rollback takes 1..2)");
  EXPECT_TRUE(h.load(2).ok());
}

}  // namespace
}  // namespace vtps::mgmt

namespace vtps::mgmt {
namespace {

TEST(StateDirTest, IsTheSettingElseTheKeystoresParent) {
  config::Device d;
  EXPECT_EQ(stateDir(d), "/var/lib/vtps");
  d.keystore = "/srv/vtps/keys/";
  EXPECT_EQ(stateDir(d), "/srv/vtps");
  d.state_dir = "/state";
  EXPECT_EQ(stateDir(d), "/state");
  EXPECT_EQ(usersFile(stateDir(d)), "/state/users.json");
}

TEST(StateDirTest, RelativeStateDirIsAConfigError) {
  auto loaded = config::loadString("device:\n  state-dir: var/vtps\n", "t.yaml");
  ASSERT_EQ(loaded.diagnostics.size(), 1u);
  EXPECT_EQ(loaded.diagnostics[0].str(),
            "t.yaml:2:14: error: device.state-dir: \"var/vtps\" is not an absolute path");
  EXPECT_TRUE(config::loadString("device:\n  state-dir: /var/vtps\n", "t.yaml").ok());
}

}  // namespace
}  // namespace vtps::mgmt
