// The filter engine's settings taken from the appliance config (filters.* and each profile's
// filter-rules), and the checks of filters.* the config library cannot make itself because they
// need the rule notation's parser: address and port groups and the variables they use. vtpsd
// runs the checks with the config's own validation, so an error is a FILE:LINE:COL diagnostic
// and the running config stays.
#pragma once

#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/config/loader.h"
#include "dataplane/filter/filter_settings.h"

namespace vtps::filter {

// A child profile without filter-rules uses its nearest ancestor's, then filters.rules.
FilterSettings filterSettingsFrom(const config::Config& config);

// Every address group, port group and variable of filters.* that the rule parser refuses, e.g.
//   vtps.yaml:40:20: error: filters.traffic-management[0].destination: bad address "10.0.0.256"
std::vector<config::Diagnostic> checkFilterGroups(const config::Config& config);

// filters.trace-dir, or <device.log-dir>/traces when unset.
std::string traceDirOf(const config::Config& config);

}  // namespace vtps::filter
