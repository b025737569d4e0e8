#include "appliance/telemetry/exposition.h"

#include <cassert>
#include <limits>

#include "appliance/telemetry/metric_catalog.h"

namespace vtps::telemetry {
namespace {

prometheus::MetricType typeOf(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return prometheus::MetricType::Counter;
    case MetricKind::kGauge:
      return prometheus::MetricType::Gauge;
    case MetricKind::kHistogram:
      return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

std::vector<std::string_view> labelNames(std::string_view names) {
  std::vector<std::string_view> out;
  while (!names.empty()) {
    size_t comma = names.find(',');
    out.push_back(names.substr(0, comma));
    if (comma == std::string_view::npos) break;
    names.remove_prefix(comma + 1);
  }
  return out;
}

template <typename Values>
std::vector<prometheus::ClientMetric::Label> labelsOf(const prometheus::MetricFamily& family,
                                                      const Values& values) {
  const MetricInfo* info = findMetric(family.name);
  std::vector<std::string_view> names =
      info ? labelNames(info->labels) : std::vector<std::string_view>{};
  assert(names.size() == std::size(values) && "label values follow the catalog's label names");
  std::vector<prometheus::ClientMetric::Label> labels;
  size_t i = 0;
  for (const auto& value : values) {
    if (i >= names.size()) break;
    labels.push_back({std::string(names[i++]), std::string(value)});
  }
  return labels;
}

template <typename Values>
void addSampleImpl(prometheus::MetricFamily& family, const Values& label_values, double value) {
  prometheus::ClientMetric sample;
  sample.label = labelsOf(family, label_values);
  if (family.type == prometheus::MetricType::Counter) {
    sample.counter.value = value;
  } else {
    sample.gauge.value = value;
  }
  family.metric.push_back(std::move(sample));
}

}  // namespace

prometheus::MetricFamily makeFamily(std::string_view name) {
  const MetricInfo* info = findMetric(name);
  assert(info != nullptr && "every exposed family is in the catalog");
  prometheus::MetricFamily family;
  family.name = std::string(name);
  if (info != nullptr) {
    family.help = std::string(info->help);
    family.type = typeOf(info->kind);
  }
  return family;
}

void addSample(prometheus::MetricFamily& family,
               std::initializer_list<std::string_view> label_values, double value) {
  addSampleImpl(family, label_values, value);
}

void addSample(prometheus::MetricFamily& family, std::span<const std::string> label_values,
               double value) {
  addSampleImpl(family, label_values, value);
}

void addHistogram(prometheus::MetricFamily& family, std::span<const std::string> label_values,
                  std::span<const double> upper_bounds, std::span<const uint64_t> counts,
                  double sum) {
  assert(counts.size() == upper_bounds.size() + 1);
  prometheus::ClientMetric sample;
  sample.label = labelsOf(family, label_values);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    cumulative += counts[i];
    sample.histogram.bucket.push_back({cumulative, upper_bounds[i]});
  }
  cumulative += counts.back();
  sample.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  sample.histogram.sample_count = cumulative;
  sample.histogram.sample_sum = sum;
  family.metric.push_back(std::move(sample));
}

std::string_view decisionLabel(proxy::Decision decision) {
  switch (decision) {
    case proxy::Decision::kDecrypted:
      return "decrypted";
    case proxy::Decision::kDecryptedNotInspected:
      return "decrypted_not_inspected";
    case proxy::Decision::kNotDecrypted:
      return "not_decrypted";
    case proxy::Decision::kBypassed:
      return "bypassed";
    case proxy::Decision::kBlocked:
      return "blocked";
  }
  return "unknown";
}

std::string alertLabel(uint8_t code) {
  switch (code) {
    case 0:
      return "close_notify";
    case 10:
      return "unexpected_message";
    case 20:
      return "bad_record_mac";
    case 21:
      return "decryption_failed";
    case 22:
      return "record_overflow";
    case 30:
      return "decompression_failure";
    case 40:
      return "handshake_failure";
    case 41:
      return "no_certificate";
    case 42:
      return "bad_certificate";
    case 43:
      return "unsupported_certificate";
    case 44:
      return "certificate_revoked";
    case 45:
      return "certificate_expired";
    case 46:
      return "certificate_unknown";
    case 47:
      return "illegal_parameter";
    case 48:
      return "unknown_ca";
    case 49:
      return "access_denied";
    case 50:
      return "decode_error";
    case 51:
      return "decrypt_error";
    case 60:
      return "export_restriction";
    case 70:
      return "protocol_version";
    case 71:
      return "insufficient_security";
    case 80:
      return "internal_error";
    case 86:
      return "inappropriate_fallback";
    case 90:
      return "user_canceled";
    case 100:
      return "no_renegotiation";
    case 109:
      return "missing_extension";
    case 110:
      return "unsupported_extension";
    case 111:
      return "certificate_unobtainable";
    case 112:
      return "unrecognized_name";
    case 113:
      return "bad_certificate_status_response";
    case 114:
      return "bad_certificate_hash_value";
    case 115:
      return "unknown_psk_identity";
    case 116:
      return "certificate_required";
    case 120:
      return "no_application_protocol";
    default:
      return "unknown_" + std::to_string(code);
  }
}

std::string_view orNone(std::string_view value) {
  return value.empty() ? std::string_view("none") : value;
}

}  // namespace vtps::telemetry
