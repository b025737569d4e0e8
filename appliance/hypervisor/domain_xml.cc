#include "appliance/hypervisor/domain_xml.h"

#include <fmt/format.h>

#include <iterator>

namespace vtps::hypervisor {
namespace {

std::string cpuSet(const std::vector<int>& cpus) {
  std::string out;
  for (int cpu : cpus)
    out += (out.empty() ? "" : ",") + std::to_string(cpu);
  return out;
}

void appendCpu(std::string& x, const DomainSpec& spec) {
  auto out = std::back_inserter(x);
  fmt::format_to(out, "  <vcpu placement='static'>{}</vcpu>\n", spec.vcpus);
  if (!spec.vcpu_pins.empty() || !spec.emulator_pins.empty()) {
    x += "  <cputune>\n";
    for (size_t i = 0; i < spec.vcpu_pins.size(); ++i) {
      fmt::format_to(out, "    <vcpupin vcpu='{}' cpuset='{}'/>\n", i, spec.vcpu_pins[i]);
    }
    if (!spec.emulator_pins.empty()) {
      fmt::format_to(out, "    <emulatorpin cpuset='{}'/>\n", cpuSet(spec.emulator_pins));
    }
    x += "  </cputune>\n";
  }
  x += "  <os firmware='efi'>\n"
       "    <type arch='x86_64' machine='q35'>hvm</type>\n"
       "    <boot dev='hd'/>\n"
       "  </os>\n"
       "  <features>\n    <acpi/>\n    <apic/>\n  </features>\n";
  // migratable='off' passes every host feature through, invtsc included (DPDK's TSC timer).
  x += "  <cpu mode='host-passthrough' check='none' migratable='off'>\n";
  fmt::format_to(out, "    <topology sockets='1' dies='1' cores='{}' threads='1'/>\n", spec.vcpus);
  x += "    <feature policy='require' name='aes'/>\n"
       "    <feature policy='require' name='rdrand'/>\n"
       "  </cpu>\n";
}

void appendNicSource(std::string& x, const NetSource& source) {
  switch (source.kind) {
    case NetSource::Kind::kNetwork:
      x += "      <source network='" + xmlEscape(source.name) + "'/>\n";
      break;
    case NetSource::Kind::kBridge:
      x += "      <source bridge='" + xmlEscape(source.name) + "'/>\n";
      break;
    case NetSource::Kind::kTap:
      x += "      <target dev='" + xmlEscape(source.name) + "' managed='no'/>\n";
      break;
  }
}

std::string_view interfaceType(const NetSource& source) {
  switch (source.kind) {
    case NetSource::Kind::kNetwork:
      return "network";
    case NetSource::Kind::kBridge:
      return "bridge";
    case NetSource::Kind::kTap:
      return "ethernet";
  }
  return "network";
}

void appendVirtioNic(std::string& x, const NetSource& source, const MacAddress& mac, int queues) {
  x += "    <interface type='" + std::string(interfaceType(source)) + "'>\n";
  x += "      <mac address='" + mac.str() + "'/>\n";
  appendNicSource(x, source);
  x += "      <model type='virtio'/>\n";
  // Multiqueue: one queue pair per dataplane lcore, so RSS spreads flows over the lcores.
  if (queues > 0) x += "      <driver name='vhost' queues='" + std::to_string(queues) + "'/>\n";
  x += "    </interface>\n";
}

void appendVf(std::string& x, const DataPort& port, const MacAddress& mac) {
  const PciAddress& a = port.vf;
  x += "    <interface type='hostdev' managed='yes'>\n";
  x += "      <mac address='" + mac.str() + "'/>\n";
  x += fmt::format(
      "      <source>\n"
      "        <address type='pci' domain='{:#06x}' bus='{:#04x}' slot='{:#04x}' "
      "function='{:#x}'/>\n"
      "      </source>\n",
      a.domain, a.bus, a.slot, a.function);
  if (port.vlan > 0)
    x += fmt::format("      <vlan>\n        <tag id='{}'/>\n      </vlan>\n", port.vlan);
  x += "    </interface>\n";
}

void appendDevices(std::string& x, const DomainSpec& spec) {
  x += "  <devices>\n";
  x += "    <disk type='file' device='disk'>\n"
       "      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
       "      <source file='" +
       xmlEscape(spec.disk) +
       "'/>\n"
       "      <target dev='vda' bus='virtio'/>\n"
       "    </disk>\n";
  if (!spec.seed_iso.empty()) {
    x += "    <disk type='file' device='cdrom'>\n"
         "      <driver name='qemu' type='raw'/>\n"
         "      <source file='" +
         xmlEscape(spec.seed_iso) +
         "'/>\n"
         "      <target dev='sda' bus='sata'/>\n"
         "      <readonly/>\n"
         "    </disk>\n";
  }
  std::vector<MacAddress> macs = effectiveMacs(spec);
  appendVirtioNic(x, spec.management, macs[0], 0);
  for (size_t i = 0; i < spec.data_ports.size(); ++i) {
    const DataPort& port = spec.data_ports[i];
    if (port.kind == DataPort::Kind::kVirtio) {
      appendVirtioNic(x, port.source, macs[i + 1], port.queues);
    } else {
      appendVf(x, port, macs[i + 1]);
    }
  }
  x += "    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n"
       "    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n";
  // Entropy for the guest's DRBG before RDRAND-seeded OpenSSL is up (early boot, SSH keys).
  x += "    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n"
       "    </rng>\n";
  // A balloon would take pinned hugepage memory away from the dataplane.
  x += "    <memballoon model='none'/>\n";
  x += "  </devices>\n";
}

}  // namespace

std::string xmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Result<std::string> domainXml(const DomainSpec& spec) {
  VTPS_RETURN_IF_ERROR(validateDomainSpec(spec));
  std::string x;
  x += "<domain type='" + xmlEscape(spec.domain_type) + "'>\n";
  x += "  <name>" + spec.name + "</name>\n";
  x += "  <uuid>" + deriveDomainUuid(spec.group.empty() ? spec.name : spec.group, spec.instance) +
       "</uuid>\n";
  x += "  <description>vtps appliance instance</description>\n";
  x += fmt::format("  <memory unit='MiB'>{}</memory>\n", spec.memory_mib);
  if (spec.hugepage_kib != 0) {
    x += fmt::format(
        "  <memoryBacking>\n    <hugepages>\n      <page size='{}' unit='KiB'/>\n"
        "    </hugepages>\n    <nosharepages/>\n  </memoryBacking>\n",
        spec.hugepage_kib);
  }
  appendCpu(x, spec);
  x += "  <clock offset='utc'/>\n"
       "  <on_poweroff>destroy</on_poweroff>\n"
       "  <on_reboot>restart</on_reboot>\n"
       "  <on_crash>destroy</on_crash>\n";
  appendDevices(x, spec);
  x += "</domain>\n";
  return x;
}

}  // namespace vtps::hypervisor
