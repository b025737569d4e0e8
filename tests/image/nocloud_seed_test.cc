#include "appliance/hypervisor/nocloud_seed.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace vtps::hypervisor {
namespace {

DomainSpec member(int index) {
  DomainSpec spec;
  spec.name = index == 0 ? "vtps" : "vtps-" + std::to_string(index);
  spec.instance = index;
  return spec;
}

constexpr const char* kDay0 = R"(#cloud-config
vtps:
  hostname: edge
  management: {address: 10.0.0.10/24, gateway: 10.0.0.1}
  ssh: true
)";

TEST(NoCloudSeedTest, MembersGetTheirOwnHostnameAndManagementAddress) {
  auto seed = makeSeed(member(3), kDay0);
  ASSERT_TRUE(seed.ok()) << seed.message();
  EXPECT_EQ(seed->meta_data, "instance-id: vtps-3\nlocal-hostname: vtps-3\n");
  ASSERT_EQ(seed->user_data.rfind("#cloud-config\n", 0), 0u);
  YAML::Node doc = YAML::Load(seed->user_data);
  EXPECT_EQ(doc["vtps"]["hostname"].as<std::string>(), "vtps-3");
  EXPECT_EQ(doc["vtps"]["management"]["address"].as<std::string>(), "10.0.0.12/24");
  EXPECT_EQ(doc["vtps"]["management"]["gateway"].as<std::string>(), "10.0.0.1");
  EXPECT_TRUE(doc["vtps"]["ssh"].as<bool>());
}

TEST(NoCloudSeedTest, SingleInstanceKeepsTheOperatorsHostnameAndAddress) {
  auto seed = makeSeed(member(0), kDay0);
  ASSERT_TRUE(seed.ok()) << seed.message();
  YAML::Node doc = YAML::Load(seed->user_data);
  EXPECT_EQ(doc["vtps"]["hostname"].as<std::string>(), "edge");
  EXPECT_EQ(doc["vtps"]["management"]["address"].as<std::string>(), "10.0.0.10/24");
  EXPECT_EQ(seed->meta_data, "instance-id: vtps\nlocal-hostname: edge\n");
}

TEST(NoCloudSeedTest, EmptyDay0StillNamesTheInstance) {
  auto seed = makeSeed(member(1), "");
  ASSERT_TRUE(seed.ok()) << seed.message();
  EXPECT_EQ(YAML::Load(seed->user_data)["vtps"]["hostname"].as<std::string>(), "vtps-1");
}

TEST(NoCloudSeedTest, RefusesAddressesThatLeaveTheSubnetAndMalformedDay0) {
  std::string day0 = "vtps: {management: {address: 10.0.0.253/24}}\n";
  EXPECT_TRUE(makeSeed(member(2), day0).ok());  // .254
  EXPECT_EQ(makeSeed(member(3), day0).message(),
            "day-0 vtps.management.address: 10.0.0.253/24 + 2 leaves 10.0.0.0/24");
  EXPECT_EQ(makeSeed(member(2), "vtps: {management: {address: 10.0.0.1}}\n").message(),
            "day-0 vtps.management.address: \"10.0.0.1\" is not ADDRESS/PREFIX");
  EXPECT_EQ(makeSeed(member(1), "- a\n- b\n").message(),
            "day-0 config: expected a mapping (a #cloud-config document)");
  EXPECT_EQ(makeSeed(member(1), "vtps: [1]\n").message(), "day-0 config: vtps: expected a mapping");
  EXPECT_EQ(makeSeed(member(1), "vtps: {a: [}\n").message().rfind("day-0 config: ", 0), 0u);
}

}  // namespace
}  // namespace vtps::hypervisor
