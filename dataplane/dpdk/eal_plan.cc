#include "dataplane/dpdk/eal_plan.h"

#include <algorithm>
#include <cctype>

namespace vtps::dpdk {
namespace {

bool isHex(std::string_view s, std::size_t digits) {
  return s.size() == digits && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

// "DDDD:BB:DD.F" or "BB:DD.F", canonicalised to the long lowercase form DPDK names ports by.
std::optional<std::string> canonicalPci(std::string_view text) {
  std::string s(text);
  if (s.size() == 7) s = "0000:" + s;
  if (s.size() != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.') return std::nullopt;
  std::string_view v(s);
  if (!isHex(v.substr(0, 4), 4) || !isHex(v.substr(5, 2), 2) || !isHex(v.substr(8, 2), 2) ||
      v[11] < '0' || v[11] > '7') {
    return std::nullopt;
  }
  if (std::stoi(s.substr(8, 2), nullptr, 16) > 0x1f) return std::nullopt;
  std::transform(s.begin(), s.end(), s.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// net_<driver><n>: lowercase letters, digits and '_', ending in the instance number.
bool isVdevName(std::string_view name) {
  if (!name.starts_with("net_") || name.size() < 6) return false;
  if (!std::isdigit(static_cast<unsigned char>(name.back()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::vector<SegmentPlan> planSegments(const config::Config& config, std::string& errors) {
  std::vector<SegmentPlan> out;
  for (std::size_t i = 0; i < config.segments.size(); ++i) {
    const config::Segment& s = config.segments[i];
    SegmentPlan plan;
    plan.name = s.name;
    plan.vlans = s.vlans;
    plan.sources = s.sources;
    plan.destinations = s.destinations;
    if (s.ports.size() != 2) {
      errors += "segments[" + std::to_string(i) + "].ports: a segment has exactly two ports\n";
      continue;
    }
    for (std::size_t p = 0; p < 2; ++p) {
      Result<PortSpec> spec = parsePortSpec(s.ports[p]);
      if (!spec.ok()) {
        errors += "segments[" + std::to_string(i) + "].ports[" + std::to_string(p) +
                  "]: " + spec.message() + "\n";
      } else {
        plan.ports[p] = std::move(spec.value());
      }
    }
    if (hasExceptionPorts(config)) {
      plan.exception_interface = exceptionInterfaceName(i);
      std::string vdev = "net_tap_vtps" + std::to_string(i);
      plan.exception =
          PortSpec{PortSpec::Kind::kVdev, vdev + ",iface=" + plan.exception_interface, vdev};
    }
    out.push_back(std::move(plan));
  }
  if (out.empty() && errors.empty()) errors += "segments: the dpdk dataplane needs a segment\n";
  return out;
}

void checkCores(const config::Device& d, const HostFacts& host, std::string& errors,
                std::vector<std::string>& notes) {
  bool performance = d.mode == config::DeviceMode::kPerformance;
  for (int core : d.dataplane_cores) {
    if (!host.isOnline(core)) {
      errors += "device.cores.dataplane: core " + std::to_string(core) +
                " is not an online CPU (online: " + formatCpuList(host.online_cpus) + ")\n";
    } else if (performance &&
               std::find(d.proxy_cores.begin(), d.proxy_cores.end(), core) != d.proxy_cores.end()) {
      errors += "device.cores.dataplane: core " + std::to_string(core) +
                " is also a proxy core; performance mode needs them disjoint\n";
    } else if (performance && !host.isIsolated(core)) {
      notes.push_back("dataplane core " + std::to_string(core) +
                      " is not isolated (isolcpus=); other tasks may run on it");
    }
  }
  if (d.dataplane_cores.empty()) errors += "device.cores.dataplane: no dataplane core\n";
}

}  // namespace

std::string exceptionInterfaceName(std::size_t index) {
  return "vtps-ex" + std::to_string(index);
}

bool hasExceptionPorts(const config::Config& config) {
  return config.device.ssl_inspection.server || config.device.ssl_inspection.client;
}

Result<PortSpec> parsePortSpec(std::string_view text) {
  if (auto pci = canonicalPci(text)) return PortSpec{PortSpec::Kind::kPci, *pci, *pci};
  std::string_view name = text.substr(0, text.find(','));
  if (isVdevName(name))
    return PortSpec{PortSpec::Kind::kVdev, std::string(text), std::string(name)};
  return Error{quote(text) +
               " is neither a PCI address (DDDD:BB:DD.F) nor a DPDK virtual device "
               "(net_<driver><n>[,key=value...])"};
}

Result<EalPlan> buildEalPlan(const config::Config& config, const HostFacts& host,
                             const EalOptions& options) {
  const config::Device& d = config.device;
  bool performance = d.mode == config::DeviceMode::kPerformance;
  EalPlan plan;
  std::string errors;
  plan.segments = planSegments(config, errors);
  checkCores(d, host, errors, plan.notes);
  for (int cpu : host.online_cpus) {
    if (std::find(d.dataplane_cores.begin(), d.dataplane_cores.end(), cpu) ==
        d.dataplane_cores.end()) {
      plan.main_cpus.push_back(cpu);
    }
  }
  if (plan.main_cpus.empty()) {
    if (performance) {
      errors +=
          "device.cores.dataplane: every online CPU is a dataplane core; none is left for "
          "the control thread\n";
    }
    plan.main_cpus = host.online_cpus;  // standard mode: lcores sleep, sharing is acceptable
  }
  std::size_t free_kb = host.freeHugepageKb();
  plan.hugepages = free_kb >= options.memory_mb * 1024;
  if (performance && !plan.hugepages) {
    errors += "device.mode: performance mode needs " + std::to_string(options.memory_mb) +
              " MB of free hugepages; " + std::to_string(free_kb / 1024) +
              " MB are free (reserve more, e.g. dpdk-hugepages.py --reserve 1G)\n";
  }
  if (!errors.empty()) {
    errors.pop_back();
    return Error{"dpdk dataplane: " + errors};
  }
  plan.busy_poll = performance;
  plan.worker_cpus = d.dataplane_cores;

  std::string lcores = "0@(" + formatCpuList(plan.main_cpus) + ")";
  for (std::size_t i = 0; i < plan.worker_cpus.size(); ++i)
    lcores += "," + std::to_string(i + 1) + "@" + std::to_string(plan.worker_cpus[i]);
  // No files under /var/run/dpdk: hugepages through memfd (--in-memory), or anonymous memory
  // (--no-huge, which EAL refuses to combine with --in-memory) with no shared config.
  plan.args = {"vtpsd", "--lcores",       lcores, "--main-lcore",
               "0",     "--no-telemetry", "-m",   std::to_string(options.memory_mb)};
  if (plan.hugepages) {
    plan.args.push_back("--in-memory");
  } else {
    plan.args.insert(plan.args.end(), {"--no-huge", "--no-shconf"});
  }
  bool any_pci = false;
  for (const SegmentPlan& s : plan.segments) {
    for (const PortSpec& p : s.ports) {
      any_pci = any_pci || p.kind == PortSpec::Kind::kPci;
      plan.args.push_back(p.kind == PortSpec::Kind::kPci ? "-a" : "--vdev");
      plan.args.push_back(p.device);
    }
    if (!s.exception_interface.empty())
      plan.args.insert(plan.args.end(), {"--vdev", s.exception.device});
  }
  if (!any_pci) plan.args.push_back("--no-pci");
  plan.notes.push_back(describeHost(host));
  return plan;
}

}  // namespace vtps::dpdk
