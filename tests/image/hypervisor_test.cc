// Define, start, stop, status, undefine and scale-out through our libvirt wrapper, against
// libvirt's test:///default driver. Its state lives in the connection, so each test opens its
// own connection and sees a fresh hypervisor (which comes with one domain, "test", running).
#include "appliance/hypervisor/hypervisor.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "appliance/hypervisor/domain_xml.h"
#include "appliance/hypervisor/instance_group.h"
#include "appliance/hypervisor/instance_storage.h"
#include "tests/image/temp_dir.h"

namespace vtps::hypervisor {
namespace {

using vtps::testing::readAll;
using vtps::testing::TempDir;

Hypervisor connectTest() {
  auto hv = Hypervisor::connect("test:///default");
  EXPECT_TRUE(hv.ok()) << hv.message();
  return std::move(hv.value());
}

std::string specXml(const std::string& name) {
  DomainSpec spec;
  spec.name = name;
  spec.domain_type = "test";
  spec.disk = "/nonexistent/" + name + ".qcow2";
  spec.vcpus = 2;
  spec.vcpu_pins = {2, 3};
  spec.hugepage_kib = 2048;
  return domainXml(spec).value();
}

TEST(HypervisorTest, DefineStartStatusStopUndefineLifecycle) {
  Hypervisor hv = connectTest();
  auto name = hv.define(specXml("vtps"));
  ASSERT_TRUE(name.ok()) << name.message();
  EXPECT_EQ(name.value(), "vtps");

  auto st = hv.status("vtps");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(st->state, DomainState::kShutOff);
  EXPECT_TRUE(st->persistent);
  EXPECT_EQ(st->vcpus, 2);
  EXPECT_EQ(st->memory_kib, 4096u * 1024);

  ASSERT_TRUE(hv.start("vtps").ok());
  EXPECT_EQ(hv.status("vtps")->state, DomainState::kRunning);
  EXPECT_TRUE(hv.start("vtps").ok());  // already running: nothing to do

  Status busy = hv.undefine("vtps");
  EXPECT_EQ(busy.message(), "undefine domain vtps: it is running (stop it first)");

  ASSERT_TRUE(hv.stop("vtps", /*force=*/false, 5).ok());
  EXPECT_EQ(hv.status("vtps")->state, DomainState::kShutOff);
  EXPECT_TRUE(hv.stop("vtps", /*force=*/true).ok());  // already off

  auto xml = hv.xml("vtps");
  ASSERT_TRUE(xml.ok());
  EXPECT_NE(xml->find("<vcpupin vcpu='1' cpuset='3'/>"), std::string::npos);

  ASSERT_TRUE(hv.undefine("vtps").ok());
  EXPECT_EQ(hv.status("vtps").message(), "status of domain vtps: no domain named \"vtps\"");
}

TEST(HypervisorTest, ErrorsNameTheOperationAndCarryLibvirtsReason) {
  Hypervisor hv = connectTest();
  EXPECT_EQ(hv.start("absent").message(), "start domain absent: no domain named \"absent\"");
  EXPECT_EQ(hv.stop("absent", true).message(), "stop domain absent: no domain named \"absent\"");
  auto bad = hv.define("<domain type='test'><name>x</name>");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message().rfind("define domain on test:///default: ", 0), 0u) << bad.message();
  auto nowhere = Hypervisor::connect("nosuchdriver:///x");
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.message().rfind("connect to nosuchdriver:///x: ", 0), 0u) << nowhere.message();
}

TEST(HypervisorTest, PreferredDomainTypeOfTheTestDriverIsTest) {
  Hypervisor hv = connectTest();
  EXPECT_EQ(hv.preferredDomainType().value(), "test");
}

class InstanceGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = dir_.file("vtps.qcow2");
    Status made = runTool({"qemu-img", "create", "-q", "-f", "qcow2", base_, "16M"});
    ASSERT_TRUE(made.ok()) << made.message();
    request_.group_template.name = "vtps";
    request_.group_template.domain_type = "test";
    request_.group_template.disk = base_;
    request_.group_template.vcpus = 2;
    DataPort port;
    port.source = {NetSource::Kind::kBridge, "br-seg1a"};
    port.queues = 2;
    request_.group_template.data_ports = {port, port};
    request_.state_dir = (dir_.path() / "state").string();
    request_.host_cpus = {2, 3, 4, 5, 6, 7};
    request_.day0_yaml = "vtps: {management: {address: 10.0.0.10/24}}\n";
  }

  TempDir dir_;
  std::string base_;
  GroupRequest request_;
};

TEST_F(InstanceGroupTest, ScaleOutGivesEachInstanceItsNameMacsCpusDiskAndSeed) {
  Hypervisor hv = connectTest();
  auto report = scaleGroup(hv, request_, 3);
  ASSERT_TRUE(report.ok()) << report.message();
  EXPECT_EQ(report->running, (std::vector<std::string>{"vtps-1", "vtps-2", "vtps-3"}));
  EXPECT_TRUE(report->removed.empty());

  std::set<std::string> macs;
  for (int i = 1; i <= 3; ++i) {
    std::string name = "vtps-" + std::to_string(i);
    EXPECT_EQ(hv.status(name)->state, DomainState::kRunning) << name;
    std::string xml = hv.xml(name).value();
    EXPECT_NE(xml.find("<vcpupin vcpu='0' cpuset='" + std::to_string(2 * i) + "'/>"),
              std::string::npos)
        << xml;
    for (const MacAddress& mac : effectiveMacs(planInstance(request_, i).value())) {
      EXPECT_NE(xml.find(mac.str()), std::string::npos) << name << " " << mac.str();
      EXPECT_TRUE(macs.insert(mac.str()).second) << mac.str();
    }
    std::string disk = request_.state_dir + "/" + name + ".qcow2";
    std::string seed = request_.state_dir + "/" + name + "-seed.iso";
    EXPECT_NE(xml.find(disk), std::string::npos);
    EXPECT_NE(xml.find(seed), std::string::npos);
    // The overlay is backed by the appliance image (qcow2 header: magic, then the backing name).
    EXPECT_EQ(readAll(disk).substr(0, 4), "QFI\xfb");
    EXPECT_NE(readAll(disk).find(base_), std::string::npos);
    // NoCloud needs the volume label "cidata" (ISO 9660 primary descriptor, volume id at 40).
    std::string iso = readAll(seed);
    ASSERT_GT(iso.size(), 32768u + 72);
    EXPECT_EQ(iso.substr(32768 + 1, 5), "CD001");
    EXPECT_EQ(iso.substr(32768 + 40, 6), "cidata");
    EXPECT_NE(iso.find("instance-id: " + name), std::string::npos);
    EXPECT_NE(iso.find("10.0.0." + std::to_string(9 + i) + "/24"), std::string::npos) << name;
  }
  EXPECT_EQ(macs.size(), 9u);  // 3 instances x (management + 2 data ports)
}

TEST_F(InstanceGroupTest, ScaleInRemovesTheHighestMembersAndKeepsTheirDisks) {
  Hypervisor hv = connectTest();
  ASSERT_TRUE(scaleGroup(hv, request_, 3).ok());
  auto report = scaleGroup(hv, request_, 1);
  ASSERT_TRUE(report.ok()) << report.message();
  EXPECT_EQ(report->running, (std::vector<std::string>{"vtps-1"}));
  EXPECT_EQ(report->removed, (std::vector<std::string>{"vtps-2", "vtps-3"}));
  auto members = groupStatus(hv, "vtps");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ(members->front().name, "vtps-1");
  EXPECT_TRUE(std::filesystem::exists(request_.state_dir + "/vtps-3.qcow2"));
  EXPECT_TRUE(hv.status("test").ok());  // other domains are not the group's business
}

TEST_F(InstanceGroupTest, GroupStatusListsMembersInIndexOrder) {
  Hypervisor hv = connectTest();
  request_.host_cpus.clear();
  ASSERT_TRUE(scaleGroup(hv, request_, 10).ok());
  auto members = groupStatus(hv, "vtps");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 10u);
  EXPECT_EQ((*members)[1].name, "vtps-2");
  EXPECT_EQ((*members)[9].name, "vtps-10");
}

TEST_F(InstanceGroupTest, ScaleRefusesBeforeChangingAnythingWhenCpusRunOut) {
  Hypervisor hv = connectTest();
  auto report = scaleGroup(hv, request_, 4);
  EXPECT_EQ(report.message(), "host-cpus: vtps-4 needs 2 host CPUs, 0 are left of 6");
  EXPECT_EQ(groupStatus(hv, "vtps")->size(), 0u);
  EXPECT_FALSE(std::filesystem::exists(request_.state_dir));
}

TEST_F(InstanceGroupTest, FixedMacsCannotBeScaledOut) {
  Hypervisor hv = connectTest();
  request_.group_template.data_ports[0].mac = parseMacAddress("02:00:00:00:00:42");
  EXPECT_EQ(scaleGroup(hv, request_, 2).message(),
            "scale: MAC 02:00:00:00:00:42 would be used by both vtps-1 and vtps-2 (fixed MACs "
            "cannot be scaled out)");
  EXPECT_TRUE(scaleGroup(hv, request_, 1).ok());
}

TEST_F(InstanceGroupTest, DeployKeepsAnExistingDiskAndRefusesAMissingImage) {
  Hypervisor hv = connectTest();
  auto first = deployInstance(hv, request_, 0, false);
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_EQ(first->name, "vtps");
  EXPECT_EQ(hv.status("vtps")->state, DomainState::kShutOff);
  std::string before = readAll(first->disk);
  ASSERT_TRUE(deployInstance(hv, request_, 0, true).ok());
  EXPECT_EQ(readAll(first->disk), before);
  EXPECT_EQ(hv.status("vtps")->state, DomainState::kRunning);

  request_.group_template.name = "other";
  request_.group_template.disk = dir_.file("missing.qcow2");
  EXPECT_EQ(deployInstance(hv, request_, 0, false).message(),
            "instance disk " + request_.state_dir + "/other.qcow2: base image " +
                dir_.file("missing.qcow2") + " does not exist");
}

TEST(InstanceNameTest, MembersAreRecognisedByExactSuffix) {
  EXPECT_EQ(instanceName("vtps", 0), "vtps");
  EXPECT_EQ(instanceName("vtps", 12), "vtps-12");
  EXPECT_EQ(memberIndex("vtps", "vtps-12"), 12);
  EXPECT_EQ(memberIndex("vtps", "vtps"), 0);
  EXPECT_EQ(memberIndex("vtps", "vtps-01"), 0);
  EXPECT_EQ(memberIndex("vtps", "vtps-x"), 0);
  EXPECT_EQ(memberIndex("vtps", "vtps-edge-2"), 0);
  EXPECT_EQ(memberIndex("vtps", "vtpsx-2"), 0);
}

}  // namespace
}  // namespace vtps::hypervisor
