#include "appliance/hypervisor/domain_spec.h"

#include <gtest/gtest.h>

#include <set>

namespace vtps::hypervisor {
namespace {

TEST(MacAddressTest, ParsesUnicastAndRefusesMalformedOrMulticast) {
  auto mac = parseMacAddress("02:1A:2b:3c:4d:5e");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(mac->str(), "02:1a:2b:3c:4d:5e");
  EXPECT_FALSE(parseMacAddress("03:00:00:00:00:01"));  // multicast bit
  EXPECT_FALSE(parseMacAddress("02:00:00:00:00"));
  EXPECT_FALSE(parseMacAddress("02:00:00:00:00:001"));
  EXPECT_FALSE(parseMacAddress("02:00:00:00:00:zz"));
}

TEST(MacAddressTest, DerivedAddressesAreStableLocalUnicastAndDistinct) {
  MacAddress a = deriveMacAddress("vtps", 1, 0);
  EXPECT_EQ(a, deriveMacAddress("vtps", 1, 0));
  EXPECT_EQ(a.bytes[0] & 0x03, 0x02) << a.str();  // locally administered, unicast
  std::set<std::string> seen;
  for (int instance = 0; instance < 32; ++instance) {
    for (int nic = 0; nic < 5; ++nic) {
      MacAddress m = deriveMacAddress("vtps", instance, nic);
      EXPECT_EQ(m.bytes[0] & 0x03, 0x02) << m.str();
      EXPECT_TRUE(seen.insert(m.str()).second) << m.str();
    }
  }
  EXPECT_NE(deriveMacAddress("ab", 1, 0), deriveMacAddress("a", 11, 0));
}

TEST(DomainUuidTest, DerivedUuidIsStableVersion4AndDiffersPerInstance) {
  std::string uuid = deriveDomainUuid("vtps", 1);
  EXPECT_EQ(uuid, deriveDomainUuid("vtps", 1));
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[8], '-');
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;
  EXPECT_NE(uuid, deriveDomainUuid("vtps", 2));
}

TEST(PciAddressTest, ParsesFunctionsAndRefusesOutOfRangeParts) {
  auto pci = parsePciAddress("0000:3b:02.1");
  ASSERT_TRUE(pci.has_value());
  EXPECT_EQ(pci->bus, 0x3b);
  EXPECT_EQ(pci->slot, 2);
  EXPECT_EQ(pci->function, 1);
  EXPECT_EQ(pci->str(), "0000:3b:02.1");
  EXPECT_FALSE(parsePciAddress("0000:3b:20.1"));  // slot > 31
  EXPECT_FALSE(parsePciAddress("0000:3b:02.8"));  // function > 7
  EXPECT_FALSE(parsePciAddress("3b:02.1"));
}

TEST(DataPortTest, ParsesVirtioAndVfPortsWithOptions) {
  auto virtio = parseDataPort("bridge:br-data0,queues=4,mac=02:00:00:00:00:10");
  ASSERT_TRUE(virtio.ok()) << virtio.message();
  EXPECT_EQ(virtio->kind, DataPort::Kind::kVirtio);
  EXPECT_EQ(virtio->source.kind, NetSource::Kind::kBridge);
  EXPECT_EQ(virtio->source.name, "br-data0");
  EXPECT_EQ(virtio->queues, 4);
  EXPECT_EQ(virtio->mac->str(), "02:00:00:00:00:10");

  auto vf = parseDataPort("vf:0000:3b:02.1,vlan=10");
  ASSERT_TRUE(vf.ok()) << vf.message();
  EXPECT_EQ(vf->kind, DataPort::Kind::kSriovVf);
  EXPECT_EQ(vf->vf.str(), "0000:3b:02.1");
  EXPECT_EQ(vf->vlan, 10);
}

TEST(DataPortTest, RefusesBadPortsNamingTheProblem) {
  EXPECT_EQ(parseDataPort("vf:0000:3b:02.1,vlan=5000").message(),
            "data port \"vf:0000:3b:02.1,vlan=5000\": vlan must be 1..4094");
  EXPECT_EQ(parseDataPort("vf:3b:02.1").message(),
            "data port \"vf:3b:02.1\": expected a PCI address DDDD:BB:SS.F after vf:");
  EXPECT_EQ(parseDataPort("tap:d0,queues=0").message(),
            "data port \"tap:d0,queues=0\": queues must be 1..256");
  EXPECT_EQ(parseDataPort("tap:d0,vlan=3").message(),
            "data port \"tap:d0,vlan=3\": unknown option \"vlan\" for this port kind");
  EXPECT_EQ(parseDataPort("macvtap:eth0").message(),
            "data port \"macvtap:eth0\": NIC source \"macvtap:eth0\": expected network:NAME, "
            "bridge:NAME or tap:NAME");
  EXPECT_EQ(parseDataPort("bridge:").message(),
            "data port \"bridge:\": NIC source \"bridge:\": missing or invalid name");
}

TEST(CpuListTest, ExpandsRangesAndRefusesDuplicatesAndReversedRanges) {
  auto cpus = parseCpuList("2-4,8,10-11");
  ASSERT_TRUE(cpus.ok()) << cpus.message();
  EXPECT_EQ(cpus.value(), (std::vector<int>{2, 3, 4, 8, 10, 11}));
  EXPECT_EQ(parseCpuList("2-4,3").message(), "CPU list \"2-4,3\": CPU 3 appears twice");
  EXPECT_EQ(parseCpuList("4-2").message(), "CPU list \"4-2\": bad item \"4-2\"");
  EXPECT_EQ(parseCpuList("1,,2").message(), "CPU list \"1,,2\": bad item \"\"");
}

DomainSpec validSpec() {
  DomainSpec spec;
  spec.name = "vtps-1";
  spec.disk = "/var/lib/vtps/vtps-1.qcow2";
  spec.vcpus = 4;
  return spec;
}

TEST(DomainSpecTest, ValidatesNamePinsAndMacs) {
  EXPECT_TRUE(validateDomainSpec(validSpec()).ok());

  DomainSpec bad_name = validSpec();
  bad_name.name = "vtps_1";
  EXPECT_EQ(validateDomainSpec(bad_name).message(),
            "name: \"vtps_1\" must be 1..63 letters, digits or '-', not starting with '-'");

  DomainSpec short_pins = validSpec();
  short_pins.vcpu_pins = {2, 3, 4};
  EXPECT_EQ(validateDomainSpec(short_pins).message(), "vcpu-pins: 3 host CPUs for 4 vCPUs");

  DomainSpec twice = validSpec();
  twice.vcpu_pins = {2, 3, 3, 4};
  EXPECT_EQ(validateDomainSpec(twice).message(), "vcpu-pins: a host CPU is given to two vCPUs");

  DomainSpec same_mac = validSpec();
  same_mac.management_mac = parseMacAddress("02:00:00:00:00:01");
  same_mac.data_ports.push_back(DataPort{});
  same_mac.data_ports[0].source = {NetSource::Kind::kTap, "d0"};
  same_mac.data_ports[0].mac = parseMacAddress("02:00:00:00:00:01");
  EXPECT_EQ(validateDomainSpec(same_mac).message(), "mac: 02:00:00:00:00:01 is used twice");

  DomainSpec pages = validSpec();
  pages.hugepage_kib = 4096;
  EXPECT_EQ(validateDomainSpec(pages).message(),
            "hugepages: size must be 2048 KiB (2M) or 1048576 KiB (1G)");
}

}  // namespace
}  // namespace vtps::hypervisor
