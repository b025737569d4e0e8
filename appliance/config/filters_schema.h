// The filters: section of the config (docs/filters.md, "Configuration"): how it is read from YAML
// and the rules it must follow. Private to the config library; loader.cc and validate.cc call in.
// Address and port groups are checked later with the filter engine's own parser
// (dataplane/filter/filter_config.h), which the config library cannot link.
#pragma once

#include "appliance/config/config.h"
#include "appliance/config/validator.h"
#include "appliance/config/yaml_reader.h"

namespace vtps::config::detail {

// Reads `filters:` into `out` (key names, types, defaults).
void readFilters(MapReader& r, Filters& out);
// The declared limits of filters.* and profiles[].filter-rules.
void validateFilters(Validator& v);
// filters.cleartext-inspection[] (filters_cleartext.cc): names, destinations, ports, the profile
// reference, and no overlap with an SSL detection tuple.
void validateCleartextTuples(Validator& v);

// Bounds of filters.limits (docs/filters.md lists them).
struct FilterLimitBounds {
  std::string_view key;
  int FilterLimits::*field;
  int min;
  int max;
};
inline constexpr FilterLimitBounds kFilterLimitBounds[] = {
    {"max-header-bytes", &FilterLimits::max_header_bytes, 1024, 1 << 20},
    {"max-body-bytes", &FilterLimits::max_body_bytes, 0, 16 << 20},
    {"max-headers", &FilterLimits::max_headers, 1, 10000},
    {"max-pending-requests", &FilterLimits::max_pending_requests, 1, 10000},
    {"stream-window-bytes", &FilterLimits::stream_window_bytes, 4096, 16 << 20},
    {"stream-overlap-bytes", &FilterLimits::stream_overlap_bytes, 0, 65536},
    {"trace-max-bytes", &FilterLimits::trace_max_bytes, 4096, 1 << 30},
    {"trace-history-bytes", &FilterLimits::trace_history_bytes, 0, 16 << 20},
};

}  // namespace vtps::config::detail
