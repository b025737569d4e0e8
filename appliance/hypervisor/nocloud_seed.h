// The cloud-init NoCloud seed of one instance: meta-data (instance id, hostname) and user-data
// (a #cloud-config document whose `vtps:` mapping is the appliance's day-0 config, read at boot
// by vtps-firstboot; see docs/image.md for its keys).
#pragma once

#include <string>
#include <string_view>

#include "appliance/hypervisor/domain_spec.h"
#include "crypto/result.h"

namespace vtps::hypervisor {

struct SeedFiles {
  std::string meta_data;
  std::string user_data;
};

// Seed for `spec` from the operator's day-0 document (`day0_yaml`: a cloud-config mapping,
// possibly empty). Each instance of a group gets its own identity: hostname = instance name, and
// when `vtps.management.address` is given, instance N (N >= 1) gets that address plus N-1
// (10.0.0.10/24 -> 10.0.0.10, .11, ...). Errors name the key:
// `day-0 vtps.management.address: 10.0.0.254/24 + 3 leaves 10.0.0.0/24`.
Result<SeedFiles> makeSeed(const DomainSpec& spec, std::string_view day0_yaml);

}  // namespace vtps::hypervisor
