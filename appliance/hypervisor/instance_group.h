// A group of vtps instances deployed from one template: the single instance `NAME` (index 0) or
// the scale-out members `NAME-1` … `NAME-N`. Each member gets its own disk overlay and seed in the
// state directory, its own MACs (derived from group and index) and its own slice of the host
// CPUs, so N instances never share a pinned core.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "appliance/hypervisor/domain_spec.h"
#include "appliance/hypervisor/hypervisor.h"
#include "crypto/result.h"

namespace vtps::hypervisor {

struct GroupRequest {
  // name = the group name; disk = the appliance image; vcpu_pins and seed_iso are ignored
  // (each instance gets its own).
  DomainSpec group_template;
  std::string state_dir;       // where NAME.qcow2 and NAME-seed.iso are written
  std::vector<int> host_cpus;  // empty: unpinned; else vcpus per instance, in instance order
  std::string day0_yaml;       // the operator's day-0 cloud-config (may be empty)
};

// "vtps" for index 0, "vtps-3" for index 3.
std::string instanceName(std::string_view group, int index);
// The index N >= 1 of a member named "GROUP-N", or 0 when `name` is not a member.
int memberIndex(std::string_view group, std::string_view name);

// The spec of instance `index`: name, disk and seed paths, derived MACs and its host CPUs.
// Errors say what does not fit: `host-cpus: vtps-3 needs 4 host CPUs, 2 are left of 10`.
Result<DomainSpec> planInstance(const GroupRequest& request, int index);

// Makes instance `index` exist as requested: disk overlay (kept if present), seed ISO (rewritten),
// domain defined (or redefined) and, when `start`, running. Returns the planned spec.
Result<DomainSpec> deployInstance(Hypervisor& hv, const GroupRequest& request, int index,
                                  bool start);

struct ScaleReport {
  std::vector<std::string> running;  // members 1..count, all running
  std::vector<std::string> removed;  // members above count: powered off and undefined
};

// Scales the group to exactly `count` running members (1..count). Members above `count` are
// powered off and undefined; their disks stay in the state directory, so scaling up again brings
// them back with their state. All members' MACs are checked to be distinct before anything is
// changed.
Result<ScaleReport> scaleGroup(Hypervisor& hv, const GroupRequest& request, int count);

// The group's instances as libvirt sees them: the single instance and every member, in index
// order.
Result<std::vector<DomainStatus>> groupStatus(const Hypervisor& hv, std::string_view group);

}  // namespace vtps::hypervisor
