#include "appliance/mgmt/rbac.h"

#include <gtest/gtest.h>

#include "appliance/config/loader.h"

namespace vtps::mgmt {
namespace {

std::string configText(const std::string& web1_port, const std::string& web2_port, bool locked) {
  return R"(ssl:
  server-proxies:
    - {name: web1, destinations: [10.0.0.1/32], detection-ports: [")" +
         web1_port + R"("], certificates: [c1]}
    - {name: web2, destinations: [10.0.0.2/32], detection-ports: [")" +
         web2_port + R"("], certificates: [c2]}
profiles:
  - name: default
    ssl-server-policies:
      - {name: p1, server-proxy: web1, locked: )" +
         (locked ? "true" : "false") + R"(}
      - {name: p2, server-proxy: web2}
)";
}

std::shared_ptr<config::Config> load(const std::string& yaml) {
  auto loaded = config::loadString(yaml, "t.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.report();
  return loaded.config;
}

Principal principal(std::string role, uint32_t caps, std::optional<Group> group = std::nullopt) {
  return Principal{"alice", std::move(role), caps, std::move(group)};
}

constexpr uint32_t kSslCaps = static_cast<uint32_t>(Capability::kView) |
                              static_cast<uint32_t>(Capability::kSslInspectionManagement);

TEST(RbacTest, ViewerMayNotChangeAnything) {
  auto a = load(configText("443", "443", false));
  auto b = load(configText("443", "8443", false));
  Status st = authorizeConfigChange(principal("viewer", 1), *a, *b);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "user alice (role viewer) lacks the ssl-inspection-management capability");
}

TEST(RbacTest, GroupLimitsWhichServerProxiesChange) {
  auto a = load(configText("443", "443", false));
  auto web2_changed = load(configText("443", "8443", false));
  Group g{"web1-team", std::vector<std::string>{"web1"}, std::nullopt, std::nullopt, std::nullopt,
          std::nullopt};
  Status denied = authorizeConfigChange(principal("ops", kSslCaps, g), *a, *web2_changed);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.message(),
            "user alice (role ops) may not change server proxy \"web2\": group web1-team does not "
            "include it");
  auto web1_changed = load(configText("8443", "443", false));
  EXPECT_TRUE(authorizeConfigChange(principal("ops", kSslCaps, g), *a, *web1_changed).ok());
  // The same change without a group: every proxy is in reach.
  EXPECT_TRUE(authorizeConfigChange(principal("ops", kSslCaps), *a, *web2_changed).ok());
}

TEST(RbacTest, LockedPolicyChangesOnlyWithLockSslFilter) {
  auto unlocked = load(configText("443", "443", false));
  auto locked = load(configText("443", "443", true));
  Status denied = authorizeConfigChange(principal("ops", kSslCaps), *unlocked, *locked);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.message(),
            "user alice (role ops) may not change locked policy \"default/p1\": that needs the "
            "lock-ssl-filter capability");
  uint32_t with_lock = kSslCaps | static_cast<uint32_t>(Capability::kLockSslFilter);
  EXPECT_TRUE(authorizeConfigChange(principal("ops", with_lock), *unlocked, *locked).ok());
  // Other objects of a config with a locked policy change freely.
  auto locked_web2 = load(configText("443", "8443", true));
  EXPECT_TRUE(authorizeConfigChange(principal("ops", kSslCaps), *locked, *locked_web2).ok());
}

TEST(RbacTest, DeviceSettingsBelongToTheAdministrator) {
  auto a = load(configText("443", "443", false));
  auto b = load("device: {management: {min-tls: TLSv1.3}}\n" + configText("443", "443", false));
  Status denied = authorizeConfigChange(principal("ops", kAllCapabilities), *a, *b);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.message(),
            "user alice (role ops) may not change device settings outside ssl-inspection: that "
            "needs the administrator role");
  EXPECT_TRUE(authorizeConfigChange(principal("administrator", kAllCapabilities), *a, *b).ok());
}

TEST(RbacTest, CapabilityNamesRoundTrip) {
  for (uint32_t bit = 1; bit <= static_cast<uint32_t>(Capability::kDeviceX509); bit <<= 1) {
    auto c = static_cast<Capability>(bit);
    EXPECT_EQ(parseCapability(capabilityName(c)), c);
  }
  EXPECT_FALSE(parseCapability("superuser").has_value());
  EXPECT_EQ(builtinRoles().front().capabilities, kAllCapabilities);
}

}  // namespace
}  // namespace vtps::mgmt
