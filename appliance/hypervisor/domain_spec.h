// What one vtps VM instance looks like to a hypervisor: disk, seed, CPUs and their pinning, memory,
// management NIC and data ports. domain_xml.h turns a DomainSpec into libvirt domain XML;
// instance_plan.h derives one DomainSpec per instance when scaling out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"

namespace vtps::hypervisor {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};
  std::string str() const;  // "02:1a:2b:3c:4d:5e"
  bool operator==(const MacAddress&) const = default;
};

// "02:1a:2b:3c:4d:5e" (colon-separated hex, either case). Refuses multicast addresses: a NIC
// cannot own one.
std::optional<MacAddress> parseMacAddress(std::string_view s);

// A locally administered unicast MAC derived from (group name, instance index, NIC index): the
// same inputs always give the same address, so a redefined instance keeps its MACs, and
// instances of one group get distinct ones. NIC 0 is the management NIC, data ports follow.
MacAddress deriveMacAddress(std::string_view group, int instance, int nic);

// The domain UUID of (group, instance), derived like the MACs: redefining an instance (a changed
// spec, a scale run) updates the same libvirt domain instead of clashing with it. RFC 4122
// version 4 layout.
std::string deriveDomainUuid(std::string_view group, int instance);

// A host PCI function ("0000:3b:02.1"), e.g. an SR-IOV virtual function.
struct PciAddress {
  uint16_t domain = 0;
  uint8_t bus = 0;
  uint8_t slot = 0;      // 0..31
  uint8_t function = 0;  // 0..7
  std::string str() const;
  bool operator==(const PciAddress&) const = default;
};
std::optional<PciAddress> parsePciAddress(std::string_view s);

// Where a virtio NIC's host side is: a libvirt network, a host bridge, or a tap device that
// exists already (managed by whoever made it, as a test's namespaces do).
struct NetSource {
  enum class Kind { kNetwork, kBridge, kTap };
  Kind kind = Kind::kNetwork;
  std::string name;
};

struct DataPort {
  enum class Kind { kVirtio, kSriovVf };
  Kind kind = Kind::kVirtio;
  NetSource source;               // kVirtio
  int queues = 1;                 // kVirtio: vhost queue pairs, one per dataplane lcore
  PciAddress vf;                  // kSriovVf: the host's virtual function
  int vlan = 0;                   // kSriovVf: VLAN the host tags the VF with; 0: untagged
  std::optional<MacAddress> mac;  // empty: derived (deriveMacAddress)
};

// "network:NAME", "bridge:NAME", "tap:NAME" optionally followed by ",queues=N" and ",mac=MAC";
// or "vf:PCI" optionally followed by ",vlan=N" and ",mac=MAC". Errors quote the bad part:
// `data port "vf:0000:3b:02.1,vlan=5000": vlan must be 1..4094`.
Result<DataPort> parseDataPort(std::string_view s);
// "network:NAME", "bridge:NAME" or "tap:NAME".
Result<NetSource> parseNetSource(std::string_view s);

struct DomainSpec {
  std::string name;                 // libvirt domain name
  std::string domain_type = "kvm";  // libvirt <domain type=…>: kvm, qemu (TCG), test
  std::string disk;                 // the instance's qcow2 disk
  std::string seed_iso;             // cloud-init NoCloud seed (cidata ISO); empty: none
  uint64_t memory_mib = 4096;
  int vcpus = 2;
  // Host CPU for each vCPU (vcpupin), one to one; empty: unpinned. vCPU 0 is the guest's
  // housekeeping CPU, the others carry the proxy and dataplane cores of the guest's config.
  std::vector<int> vcpu_pins;
  std::vector<int> emulator_pins;  // host CPUs for QEMU's own threads; empty: unpinned
  // Performance mode: guest memory backed by host hugepages of this size (KiB); 0: off.
  uint64_t hugepage_kib = 0;
  NetSource management;
  std::optional<MacAddress> management_mac;  // empty: derived
  std::vector<DataPort> data_ports;
  std::string group;  // MAC derivation: the scale group name (defaults to `name`)
  int instance = 0;   // MAC derivation: the index within the group
};

// Checks what libvirt would only reject at start (or not at all): a name libvirt and file names
// accept, pins one per vCPU without duplicates, distinct MACs, queue and VLAN ranges. The first
// problem is returned, naming the field: `vcpu-pins: 3 host CPUs for 4 vCPUs`.
Status validateDomainSpec(const DomainSpec& spec);

// The MACs the domain will use: management first, then each data port (given or derived).
std::vector<MacAddress> effectiveMacs(const DomainSpec& spec);

// "0-3,8,10-11" -> {0,1,2,3,8,10,11}; refuses empty items, reversed ranges and duplicates.
Result<std::vector<int>> parseCpuList(std::string_view s);

}  // namespace vtps::hypervisor
