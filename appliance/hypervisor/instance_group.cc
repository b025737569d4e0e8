#include "appliance/hypervisor/instance_group.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include "appliance/hypervisor/domain_xml.h"
#include "appliance/hypervisor/instance_storage.h"
#include "appliance/hypervisor/nocloud_seed.h"

namespace vtps::hypervisor {

std::string instanceName(std::string_view group, int index) {
  return index == 0 ? std::string(group) : std::string(group) + "-" + std::to_string(index);
}

int memberIndex(std::string_view group, std::string_view name) {
  if (name.size() <= group.size() + 1 || name.substr(0, group.size()) != group ||
      name[group.size()] != '-') {
    return 0;
  }
  std::string_view digits = name.substr(group.size() + 1);
  if (digits.front() == '0') return 0;
  int index = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return 0;
  return index;
}

Result<DomainSpec> planInstance(const GroupRequest& request, int index) {
  const DomainSpec& t = request.group_template;
  DomainSpec spec = t;
  spec.group = t.name;
  spec.instance = index;
  spec.name = instanceName(t.name, index);
  std::filesystem::path dir(request.state_dir);
  spec.disk = (dir / (spec.name + ".qcow2")).string();
  spec.seed_iso = (dir / (spec.name + "-seed.iso")).string();
  spec.vcpu_pins.clear();
  if (!request.host_cpus.empty()) {
    size_t slot = index == 0 ? 0 : static_cast<size_t>(index - 1);
    size_t first = slot * static_cast<size_t>(t.vcpus);
    size_t left = request.host_cpus.size() > first ? request.host_cpus.size() - first : 0;
    if (left < static_cast<size_t>(t.vcpus)) {
      return Error{"host-cpus: " + spec.name + " needs " + std::to_string(t.vcpus) +
                   " host CPUs, " + std::to_string(left) + " are left of " +
                   std::to_string(request.host_cpus.size())};
    }
    spec.vcpu_pins.assign(request.host_cpus.begin() + static_cast<std::ptrdiff_t>(first),
                          request.host_cpus.begin() + static_cast<std::ptrdiff_t>(first) + t.vcpus);
  }
  VTPS_RETURN_IF_ERROR(validateDomainSpec(spec));
  return spec;
}

Result<DomainSpec> deployInstance(Hypervisor& hv, const GroupRequest& request, int index,
                                  bool start) {
  auto spec = planInstance(request, index);
  if (!spec.ok()) return spec.error();
  auto xml = domainXml(spec.value());
  if (!xml.ok()) return xml.error();
  auto seed = makeSeed(spec.value(), request.day0_yaml);
  if (!seed.ok()) return seed.error();
  std::error_code ec;
  std::filesystem::create_directories(request.state_dir, ec);
  if (ec) return Error{"state directory " + request.state_dir + ": " + ec.message()};
  VTPS_RETURN_IF_ERROR(ensureOverlayDisk(request.group_template.disk, spec->disk));
  VTPS_RETURN_IF_ERROR(writeSeedIso(seed.value(), spec->seed_iso));
  auto defined = hv.define(xml.value());
  if (!defined.ok()) return defined.error();
  if (start) VTPS_RETURN_IF_ERROR(hv.start(spec->name));
  return spec;
}

Result<ScaleReport> scaleGroup(Hypervisor& hv, const GroupRequest& request, int count) {
  if (count < 0) return Error{"scale: count must be >= 0"};
  // Plan everything first: a group that cannot be built as asked is not touched at all.
  std::map<std::string, std::string> mac_owner;
  for (int i = 1; i <= count; ++i) {
    auto spec = planInstance(request, i);
    if (!spec.ok()) return spec.error();
    for (const MacAddress& mac : effectiveMacs(spec.value())) {
      auto [it, fresh] = mac_owner.emplace(mac.str(), spec->name);
      if (!fresh) {
        return Error{"scale: MAC " + mac.str() + " would be used by both " + it->second + " and " +
                     spec->name + " (fixed MACs cannot be scaled out)"};
      }
    }
  }
  auto existing = hv.list();
  if (!existing.ok()) return existing.error();
  ScaleReport report;
  for (int i = 1; i <= count; ++i) {
    auto deployed = deployInstance(hv, request, i, true);
    if (!deployed.ok()) return deployed.error();
    report.running.push_back(deployed->name);
  }
  for (const DomainStatus& dom : existing.value()) {
    if (memberIndex(request.group_template.name, dom.name) <= count) continue;
    VTPS_RETURN_IF_ERROR(hv.stop(dom.name, /*force=*/true));
    VTPS_RETURN_IF_ERROR(hv.undefine(dom.name));
    report.removed.push_back(dom.name);
  }
  return report;
}

Result<std::vector<DomainStatus>> groupStatus(const Hypervisor& hv, std::string_view group) {
  auto all = hv.list();
  if (!all.ok()) return all.error();
  std::vector<DomainStatus> members;
  for (DomainStatus& dom : all.value()) {
    if (dom.name == group || memberIndex(group, dom.name) > 0) members.push_back(std::move(dom));
  }
  // Numeric order: vtps-2 before vtps-10.
  std::sort(members.begin(), members.end(), [group](const DomainStatus& a, const DomainStatus& b) {
    return memberIndex(group, a.name) < memberIndex(group, b.name);
  });
  return members;
}

}  // namespace vtps::hypervisor
