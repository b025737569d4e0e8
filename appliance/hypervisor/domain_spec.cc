#include "appliance/hypervisor/domain_spec.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>

namespace vtps::hypervisor {
namespace {

std::optional<unsigned> parseHex(std::string_view s, unsigned max) {
  if (s.empty()) return std::nullopt;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc{} || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

std::optional<int> parseInt(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

// libvirt accepts most names, but instance names also become file names and hostnames.
bool validName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Error portError(std::string_view spec, std::string_view what) {
  return Error{"data port \"" + std::string(spec) + "\": " + std::string(what)};
}

}  // namespace

std::string MacAddress::str() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

std::optional<MacAddress> parseMacAddress(std::string_view s) {
  auto parts = split(s, ':');
  if (parts.size() != 6) return std::nullopt;
  MacAddress mac;
  for (size_t i = 0; i < 6; ++i) {
    if (parts[i].size() != 2) return std::nullopt;
    auto v = parseHex(parts[i], 0xff);
    if (!v) return std::nullopt;
    mac.bytes[i] = static_cast<uint8_t>(*v);
  }
  if (mac.bytes[0] & 0x01) return std::nullopt;  // multicast
  return mac;
}

namespace {

// SHA-256 spreads similar names over the whole space; the newlines keep ("ab", 1) and
// ("a", "b1") apart.
std::array<unsigned char, 32> identityDigest(std::string_view purpose, std::string_view group,
                                             int instance, int nic) {
  std::string input = std::string(purpose) + "\n" + std::string(group) + "\n" +
                      std::to_string(instance) + "\n" + std::to_string(nic);
  std::array<unsigned char, 32> digest{};
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return digest;
}

}  // namespace

std::string deriveDomainUuid(std::string_view group, int instance) {
  auto d = identityDigest("vtps-uuid", group, instance, 0);
  d[6] = static_cast<unsigned char>((d[6] & 0x0f) | 0x40);  // version 4
  d[8] = static_cast<unsigned char>((d[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  char buf[3];
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    std::snprintf(buf, sizeof buf, "%02x", d[i]);
    out += buf;
  }
  return out;
}

MacAddress deriveMacAddress(std::string_view group, int instance, int nic) {
  auto digest = identityDigest("vtps-mac", group, instance, nic);
  MacAddress mac;
  std::copy_n(digest.begin(), 6, mac.bytes.begin());
  mac.bytes[0] = static_cast<uint8_t>((mac.bytes[0] & 0xfc) | 0x02);  // local, unicast
  return mac;
}

std::string PciAddress::str() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain, bus, slot, function);
  return buf;
}

std::optional<PciAddress> parsePciAddress(std::string_view s) {
  auto parts = split(s, ':');
  if (parts.size() != 3) return std::nullopt;
  auto dot = parts[2].find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto domain = parseHex(parts[0], 0xffff);
  auto bus = parseHex(parts[1], 0xff);
  auto slot = parseHex(parts[2].substr(0, dot), 0x1f);
  auto function = parseHex(parts[2].substr(dot + 1), 0x7);
  if (!domain || !bus || !slot || !function) return std::nullopt;
  return PciAddress{static_cast<uint16_t>(*domain), static_cast<uint8_t>(*bus),
                    static_cast<uint8_t>(*slot), static_cast<uint8_t>(*function)};
}

Result<NetSource> parseNetSource(std::string_view s) {
  auto colon = s.find(':');
  std::string_view kind = s.substr(0, colon);
  std::string_view name = colon == std::string_view::npos ? "" : s.substr(colon + 1);
  NetSource source;
  if (kind == "network") {
    source.kind = NetSource::Kind::kNetwork;
  } else if (kind == "bridge") {
    source.kind = NetSource::Kind::kBridge;
  } else if (kind == "tap") {
    source.kind = NetSource::Kind::kTap;
  } else {
    return Error{"NIC source \"" + std::string(s) +
                 "\": expected network:NAME, bridge:NAME or tap:NAME"};
  }
  if (name.empty() || name.find_first_of(" ,'\"<>&") != std::string_view::npos) {
    return Error{"NIC source \"" + std::string(s) + "\": missing or invalid name"};
  }
  source.name = std::string(name);
  return source;
}

Result<DataPort> parseDataPort(std::string_view s) {
  auto items = split(s, ',');
  DataPort port;
  if (items[0].substr(0, 3) == "vf:") {
    port.kind = DataPort::Kind::kSriovVf;
    auto pci = parsePciAddress(items[0].substr(3));
    if (!pci) return portError(s, "expected a PCI address DDDD:BB:SS.F after vf:");
    port.vf = *pci;
  } else {
    auto source = parseNetSource(items[0]);
    if (!source.ok()) return portError(s, source.message());
    port.source = source.value();
  }
  for (size_t i = 1; i < items.size(); ++i) {
    auto eq = items[i].find('=');
    std::string_view key = items[i].substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : items[i].substr(eq + 1);
    bool vf = port.kind == DataPort::Kind::kSriovVf;
    if (key == "mac") {
      port.mac = parseMacAddress(value);
      if (!port.mac) return portError(s, "mac must be a unicast address like 02:00:00:00:00:01");
    } else if (key == "queues" && !vf) {
      auto q = parseInt(value);
      if (!q || *q < 1 || *q > 256) return portError(s, "queues must be 1..256");
      port.queues = *q;
    } else if (key == "vlan" && vf) {
      auto v = parseInt(value);
      if (!v || *v < 1 || *v > 4094) return portError(s, "vlan must be 1..4094");
      port.vlan = *v;
    } else {
      return portError(s, "unknown option \"" + std::string(key) + "\" for this port kind");
    }
  }
  return port;
}

std::vector<MacAddress> effectiveMacs(const DomainSpec& spec) {
  const std::string& group = spec.group.empty() ? spec.name : spec.group;
  std::vector<MacAddress> macs;
  macs.push_back(spec.management_mac.value_or(deriveMacAddress(group, spec.instance, 0)));
  for (size_t i = 0; i < spec.data_ports.size(); ++i) {
    const DataPort& port = spec.data_ports[i];
    macs.push_back(
        port.mac.value_or(deriveMacAddress(group, spec.instance, static_cast<int>(i) + 1)));
  }
  return macs;
}

Status validateDomainSpec(const DomainSpec& spec) {
  if (!validName(spec.name)) {
    return Error{"name: \"" + spec.name +
                 "\" must be 1..63 letters, digits or '-', not "
                 "starting with '-'"};
  }
  if (spec.disk.empty()) return Error{"disk: an image path is required"};
  if (spec.vcpus < 1 || spec.vcpus > 255) return Error{"vcpus: must be 1..255"};
  if (spec.memory_mib < 512) return Error{"memory: at least 512 MiB"};
  if (!spec.vcpu_pins.empty() && spec.vcpu_pins.size() != static_cast<size_t>(spec.vcpus)) {
    return Error{"vcpu-pins: " + std::to_string(spec.vcpu_pins.size()) + " host CPUs for " +
                 std::to_string(spec.vcpus) + " vCPUs"};
  }
  std::set<int> pins(spec.vcpu_pins.begin(), spec.vcpu_pins.end());
  if (pins.size() != spec.vcpu_pins.size()) {
    return Error{"vcpu-pins: a host CPU is given to two vCPUs"};
  }
  for (int cpu : spec.vcpu_pins) {
    if (cpu < 0) return Error{"vcpu-pins: host CPU numbers are >= 0"};
  }
  for (int cpu : spec.emulator_pins) {
    if (cpu < 0) return Error{"emulator-pins: host CPU numbers are >= 0"};
  }
  if (spec.hugepage_kib != 0 && spec.hugepage_kib != 2048 && spec.hugepage_kib != 1048576) {
    return Error{"hugepages: size must be 2048 KiB (2M) or 1048576 KiB (1G)"};
  }
  std::set<std::string> macs;
  for (const MacAddress& mac : effectiveMacs(spec)) {
    if (!macs.insert(mac.str()).second) return Error{"mac: " + mac.str() + " is used twice"};
  }
  for (const DataPort& port : spec.data_ports) {
    if (port.kind == DataPort::Kind::kVirtio && (port.queues < 1 || port.queues > 256)) {
      return Error{"data-ports: queues must be 1..256"};
    }
    if (port.kind == DataPort::Kind::kSriovVf && (port.vlan < 0 || port.vlan > 4094)) {
      return Error{"data-ports: vlan must be 1..4094 (0: untagged)"};
    }
  }
  return Status::success();
}

Result<std::vector<int>> parseCpuList(std::string_view s) {
  std::vector<int> cpus;
  std::set<int> seen;
  for (std::string_view item : split(s, ',')) {
    auto dash = item.find('-');
    auto first = parseInt(item.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parseInt(item.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first) {
      return Error{"CPU list \"" + std::string(s) + "\": bad item \"" + std::string(item) + "\""};
    }
    for (int cpu = *first; cpu <= *last; ++cpu) {
      if (!seen.insert(cpu).second) {
        return Error{"CPU list \"" + std::string(s) + "\": CPU " + std::to_string(cpu) +
                     " appears twice"};
      }
      cpus.push_back(cpu);
    }
  }
  return cpus;
}

}  // namespace vtps::hypervisor
