#include "appliance/config/filters_schema.h"

#include <cctype>

namespace vtps::config {

std::string_view toString(FilterTrafficAction a) {
  switch (a) {
    case FilterTrafficAction::kBlock:
      return "block";
    case FilterTrafficAction::kAllow:
      return "allow";
    case FilterTrafficAction::kTrust:
      return "trust";
    case FilterTrafficAction::kRateLimit:
      return "rate-limit";
  }
  return "?";
}

std::string_view toString(QuarantineAction a) {
  return a == QuarantineAction::kBlock ? "block" : "redirect";
}

namespace detail {
namespace {

void readTuple(MapReader& r, FilterTuple& t) {
  r.string("name", t.name);
  r.string("source", t.source);
  r.string("source-ports", t.source_ports);
  r.string("destination", t.destination);
  r.string("destination-ports", t.destination_ports);
}

void readTrafficFilter(MapReader& r, TrafficManagementFilter& f) {
  readTuple(r, f);
  r.enumeration("action", "traffic management action",
                {FilterTrafficAction::kBlock, FilterTrafficAction::kAllow,
                 FilterTrafficAction::kTrust, FilterTrafficAction::kRateLimit},
                f.action);
  r.integer("rate-limit-kbps", f.rate_limit_kbps);
}

void readReputation(MapReader& r, ReputationLists& rep) {
  r.string("ip-list", rep.ip_list);
  r.string("dns-list", rep.dns_list);
  r.string("url-list", rep.url_list);
  r.integer("block-threshold", rep.block_threshold);
  r.integer("notify-threshold", rep.notify_threshold);
}

void readQuarantine(MapReader& r, QuarantineSettings& q) {
  r.strings("hosts", q.hosts);
  r.enumeration("action", "quarantine action",
                {QuarantineAction::kBlock, QuarantineAction::kRedirect}, q.action);
  r.string("redirect-url", q.redirect_url);
  r.strings("allowed-destinations", q.allowed_destinations);
}

void readCleartextTuple(MapReader& r, CleartextTuple& t) {
  r.string("name", t.name);
  r.cidrs("destinations", t.destinations);
  r.ports("ports", t.ports);
  r.string("profile", t.profile);
  r.boolean("tcp-reset", t.tcp_reset);
}

bool isVariableName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())) != 0) return false;
  for (char ch : name) {
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0 && ch != '_') return false;
  }
  return true;
}

void validateVariables(Validator& v, const Filters& f, std::string_view field,
                       const std::map<std::string, std::string>& vars) {
  for (const auto& [name, value] : vars) {
    std::string key = std::string(field) + "." + name;
    if (!isVariableName(name)) {
      v.error(f.marks, "filters", key,
              quote(name) +
                  " is not a variable name (letters, digits and underscore, not starting with a "
                  "digit)");
    } else if (value.empty()) {
      v.error(f.marks, "filters", key, "must not be empty");
    }
  }
}

void validatePaths(Validator& v, const Filters& f) {
  const std::pair<std::string_view, const std::string*> paths[] = {{"cache-dir", &f.cache_dir},
                                                                   {"trace-dir", &f.trace_dir}};
  for (const auto& [field, value] : paths) {
    if (!value->empty() && value->front() != '/') {
      v.error(f.marks, "filters", field, quote(*value) + " is not an absolute path");
    }
  }
}

void validateLimits(Validator& v, const Filters& f) {
  for (const FilterLimitBounds& b : kFilterLimitBounds) {
    int value = f.limits.*b.field;
    if (value < b.min || value > b.max) {
      v.error(f.marks, "filters", "limits." + std::string(b.key),
              "must be from " + std::to_string(b.min) + " to " + std::to_string(b.max) + ", got " +
                  std::to_string(value));
    }
  }
  if (f.limits.stream_overlap_bytes >= f.limits.stream_window_bytes) {
    v.error(f.marks, "filters", "limits.stream-overlap-bytes",
            "must be smaller than stream-window-bytes (" +
                std::to_string(f.limits.stream_window_bytes) + "), got " +
                std::to_string(f.limits.stream_overlap_bytes));
  }
}

void validateTrafficFilters(Validator& v, const Filters& f) {
  for (std::size_t i = 0; i < f.inspection_bypass.size(); ++i) {
    const FilterTuple& t = f.inspection_bypass[i];
    v.name(t.marks, indexed("filters.inspection-bypass", i), t.name, "inspection bypass rule",
           kMaxObjectNameLength);
  }
  v.uniqueNames(f.inspection_bypass, "filters.inspection-bypass", "inspection bypass rule");
  for (std::size_t i = 0; i < f.traffic_management.size(); ++i) {
    const TrafficManagementFilter& t = f.traffic_management[i];
    std::string path = indexed("filters.traffic-management", i);
    v.name(t.marks, path, t.name, "traffic management filter", kMaxObjectNameLength);
    if (t.action == FilterTrafficAction::kRateLimit && t.rate_limit_kbps <= 0) {
      v.error(
          t.marks, path, "rate-limit-kbps",
          "must be greater than 0 for action rate-limit, got " + std::to_string(t.rate_limit_kbps));
    } else if (t.action != FilterTrafficAction::kRateLimit &&
               t.marks.fields.contains("rate-limit-kbps")) {
      v.error(t.marks, path, "rate-limit-kbps",
              "applies to action rate-limit only (this filter's action is " +
                  std::string(toString(t.action)) + ")");
    }
  }
  v.uniqueNames(f.traffic_management, "filters.traffic-management", "traffic management filter");
}

void validateReputation(Validator& v, const ReputationLists& r) {
  const std::pair<std::string_view, int> thresholds[] = {{"block-threshold", r.block_threshold},
                                                         {"notify-threshold", r.notify_threshold}};
  for (const auto& [field, value] : thresholds) {
    if (value < 1 || value > 100) {
      v.error(r.marks, "filters.reputation", field,
              "must be from 1 to 100, got " + std::to_string(value));
    }
  }
  if (r.notify_threshold > r.block_threshold) {
    v.error(r.marks, "filters.reputation", "notify-threshold",
            "must not be above block-threshold (" + std::to_string(r.block_threshold) + "), got " +
                std::to_string(r.notify_threshold));
  }
}

// An http:// or https:// URL with a host and no whitespace or control characters.
bool isRedirectUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/') return false;
  for (char ch : url) {
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) return false;
  }
  return true;
}

void validateQuarantine(Validator& v, const QuarantineSettings& q) {
  v.distinctEntries(q.marks, "filters.quarantine", "hosts", q.hosts);
  v.distinctEntries(q.marks, "filters.quarantine", "allowed-destinations", q.allowed_destinations);
  if (q.redirect_url.empty()) {
    if (q.action == QuarantineAction::kRedirect) {
      v.error(q.marks, "filters.quarantine", "redirect-url", "is required for action redirect");
    }
  } else if (!isRedirectUrl(q.redirect_url)) {
    v.error(q.marks, "filters.quarantine", "redirect-url",
            "must be an http:// or https:// URL without spaces, got " + quote(q.redirect_url));
  }
}

}  // namespace

void readFilters(MapReader& r, Filters& out) {
  r.string("rules", out.rules);
  r.string("cache-dir", out.cache_dir);
  r.string("trace-dir", out.trace_dir);
  r.stringMap("address-vars", out.address_vars);
  r.stringMap("port-vars", out.port_vars);
  r.nested("limits", [&](MapReader& l) {
    for (const FilterLimitBounds& b : kFilterLimitBounds)
      l.integer(b.key, out.limits.*b.field);
  });
  r.objects<FilterTuple>("inspection-bypass", out.inspection_bypass, readTuple);
  r.objects<TrafficManagementFilter>("traffic-management", out.traffic_management,
                                     readTrafficFilter);
  r.object<ReputationLists>("reputation", out.reputation, readReputation);
  r.object<QuarantineSettings>("quarantine", out.quarantine, readQuarantine);
  r.objects<CleartextTuple>("cleartext-inspection", out.cleartext_inspection, readCleartextTuple);
}

void validateFilters(Validator& v) {
  const Filters& f = v.config().filters;
  validatePaths(v, f);
  validateVariables(v, f, "address-vars", f.address_vars);
  validateVariables(v, f, "port-vars", f.port_vars);
  validateLimits(v, f);
  validateTrafficFilters(v, f);
  validateReputation(v, f.reputation);
  validateQuarantine(v, f.quarantine);
  validateCleartextTuples(v);
}

}  // namespace detail
}  // namespace vtps::config
