// Domain XML: its content, and libvirt's own schema check (virt-xml-validate, the real tool).
#include "appliance/hypervisor/domain_xml.h"

#include <gtest/gtest.h>

#include "appliance/hypervisor/instance_storage.h"
#include "tests/image/temp_dir.h"

namespace vtps::hypervisor {
namespace {

using vtps::testing::TempDir;

DomainSpec performanceSpec() {
  DomainSpec spec;
  spec.name = "vtps-1";
  spec.disk = "/var/lib/libvirt/images/vtps/vtps-1.qcow2";
  spec.seed_iso = "/var/lib/libvirt/images/vtps/vtps-1-seed.iso";
  spec.vcpus = 4;
  spec.memory_mib = 8192;
  spec.vcpu_pins = {2, 3, 4, 5};
  spec.emulator_pins = {0, 1};
  spec.hugepage_kib = 1048576;
  spec.management = {NetSource::Kind::kNetwork, "default"};
  DataPort a;
  a.source = {NetSource::Kind::kBridge, "br-seg1a"};
  a.queues = 2;
  DataPort b;
  b.kind = DataPort::Kind::kSriovVf;
  b.vf = *parsePciAddress("0000:3b:02.1");
  b.vlan = 10;
  b.mac = parseMacAddress("02:00:00:00:00:42");
  spec.data_ports = {a, b};
  return spec;
}

Status validateWithLibvirt(const std::string& xml) {
  TempDir dir;
  return runTool({"virt-xml-validate", dir.write("domain.xml", xml), "domain"});
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(DomainXmlTest, PerformanceSpecPinsCpusUsesHugepagesAndRequiresCryptoFeatures) {
  auto xml = domainXml(performanceSpec());
  ASSERT_TRUE(xml.ok()) << xml.message();
  const std::string& x = xml.value();
  EXPECT_TRUE(contains(x, "<cpu mode='host-passthrough' check='none' migratable='off'>"));
  EXPECT_TRUE(contains(x, "<feature policy='require' name='aes'/>"));
  EXPECT_TRUE(contains(x, "<feature policy='require' name='rdrand'/>"));
  for (int vcpu = 0; vcpu < 4; ++vcpu) {
    EXPECT_TRUE(contains(x, "<vcpupin vcpu='" + std::to_string(vcpu) + "' cpuset='" +
                                std::to_string(vcpu + 2) + "'/>"))
        << vcpu;
  }
  EXPECT_TRUE(contains(x, "<emulatorpin cpuset='0,1'/>"));
  EXPECT_TRUE(contains(x, "<page size='1048576' unit='KiB'/>"));
  EXPECT_TRUE(contains(x, "<driver name='vhost' queues='2'/>"));
  EXPECT_TRUE(contains(x, "<interface type='hostdev' managed='yes'>"));
  EXPECT_TRUE(contains(x,
                       "<address type='pci' domain='0x0000' bus='0x3b' slot='0x02' "
                       "function='0x1'/>"));
  EXPECT_TRUE(contains(x, "<tag id='10'/>"));
  EXPECT_TRUE(contains(x, "<mac address='02:00:00:00:00:42'/>"));
  EXPECT_TRUE(contains(x, "<source file='/var/lib/libvirt/images/vtps/vtps-1-seed.iso'/>"));
  EXPECT_TRUE(contains(x, "<console type='pty'>"));
  // Management NIC first: the guest names it eth0.
  EXPECT_LT(x.find("<source network='default'/>"), x.find("<source bridge='br-seg1a'/>"));
  Status valid = validateWithLibvirt(x);
  EXPECT_TRUE(valid.ok()) << valid.message() << "\n" << x;
}

TEST(DomainXmlTest, StandardSpecHasNoPinningNorHugepagesAndValidates) {
  DomainSpec spec;
  spec.name = "vtps";
  spec.disk = "/images/it's <here>.qcow2";
  spec.management = {NetSource::Kind::kTap, "vtps-mgmt"};
  DataPort tap;
  tap.source = {NetSource::Kind::kTap, "vtps-d0"};
  spec.data_ports = {tap};
  auto xml = domainXml(spec);
  ASSERT_TRUE(xml.ok()) << xml.message();
  EXPECT_FALSE(contains(xml.value(), "<cputune>"));
  EXPECT_FALSE(contains(xml.value(), "<memoryBacking>"));
  EXPECT_FALSE(contains(xml.value(), "device='cdrom'"));
  EXPECT_TRUE(contains(xml.value(), "<source file='/images/it&apos;s &lt;here&gt;.qcow2'/>"));
  EXPECT_TRUE(contains(xml.value(), "<target dev='vtps-d0' managed='no'/>"));
  Status valid = validateWithLibvirt(xml.value());
  EXPECT_TRUE(valid.ok()) << valid.message();
}

TEST(DomainXmlTest, InvalidSpecIsRefusedBeforeRendering) {
  DomainSpec spec = performanceSpec();
  spec.vcpu_pins.pop_back();
  EXPECT_EQ(domainXml(spec).message(), "vcpu-pins: 3 host CPUs for 4 vCPUs");
}

TEST(DomainXmlTest, LibvirtSchemaRejectsWhatItShould) {
  // The validator itself must be able to fail, or the tests above prove nothing.
  Status st = validateWithLibvirt("<domain type='kvm'><name>x</name><vcpu>many</vcpu></domain>");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("virt-xml-validate"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace vtps::hypervisor
