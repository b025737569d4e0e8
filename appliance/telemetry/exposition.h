// Helpers that turn the catalog (metric_catalog.h) and raw numbers into prometheus-cpp
// MetricFamily values, plus the bounded label vocabularies shared by the collectors.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/proxy/proxy_engine.h"

namespace vtps::telemetry {

// An empty family named `name`, with the catalog's HELP text and type. `name` must be in the
// catalog (a programming error otherwise: asserted, and an untyped family in release builds).
prometheus::MetricFamily makeFamily(std::string_view name);

// Adds one counter or gauge sample; `label_values` follow the catalog's label order.
void addSample(prometheus::MetricFamily& family,
               std::initializer_list<std::string_view> label_values, double value);
void addSample(prometheus::MetricFamily& family, std::span<const std::string> label_values,
               double value);

// Adds one histogram sample. `counts` has one entry per bound plus the +Inf bucket and is NOT
// cumulative (the exposition is). `sum` is in the family's unit (seconds).
void addHistogram(prometheus::MetricFamily& family, std::span<const std::string> label_values,
                  std::span<const double> upper_bounds, std::span<const uint64_t> counts,
                  double sum);

// Label values.
std::string_view decisionLabel(proxy::Decision decision);  // "decrypted", "not_decrypted", ...
// RFC 8446 / IANA TLS AlertDescription name ("handshake_failure"); "unknown_<code>" otherwise.
std::string alertLabel(uint8_t code);
// A label value that may be empty in a record: "none" instead (an empty value would read as a
// missing label in PromQL).
std::string_view orNone(std::string_view value);

}  // namespace vtps::telemetry
