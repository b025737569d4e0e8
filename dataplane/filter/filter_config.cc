#include "dataplane/filter/filter_config.h"

#include "dataplane/filter/address_group.h"

namespace vtps::filter {
namespace {

RuleVariables variablesOf(const config::Filters& f) {
  RuleVariables vars = RuleVariables::defaults();
  for (const auto& [name, value] : f.address_vars)
    vars.addresses[name] = value;
  for (const auto& [name, value] : f.port_vars)
    vars.ports[name] = value;
  return vars;
}

FiveTupleSpec tupleOf(const config::FilterTuple& t) {
  return FiveTupleSpec{t.name, t.source, t.source_ports, t.destination, t.destination_ports};
}

TrafficAction trafficActionOf(config::FilterTrafficAction a) {
  switch (a) {
    case config::FilterTrafficAction::kBlock:
      return TrafficAction::kBlock;
    case config::FilterTrafficAction::kTrust:
      return TrafficAction::kTrust;
    case config::FilterTrafficAction::kRateLimit:
      return TrafficAction::kRateLimit;
    case config::FilterTrafficAction::kAllow:
      break;
  }
  return TrafficAction::kAllow;
}

// The nearest filter-rules along the parent chain (bounded: validation refuses loops).
std::string profileRules(const config::Config& c, const config::Profile& profile) {
  const config::Profile* p = &profile;
  for (int depth = 0; p != nullptr && depth <= 64; ++depth) {
    if (!p->filter_rules.empty()) return p->filter_rules;
    const config::Profile* parent = nullptr;
    for (const config::Profile& q : c.profiles) {
      if (!p->parent.empty() && q.name == p->parent) parent = &q;
    }
    p = parent;
  }
  return {};
}

InspectionLimits limitsOf(const config::FilterLimits& l) {
  auto size = [](int v) { return static_cast<size_t>(v < 0 ? 0 : v); };
  InspectionLimits out;
  out.http.max_header_bytes = size(l.max_header_bytes);
  out.http.max_body_bytes = size(l.max_body_bytes);
  out.http.max_headers = size(l.max_headers);
  out.http.max_pending_requests = size(l.max_pending_requests);
  out.stream_window_bytes = size(l.stream_window_bytes);
  out.stream_overlap_bytes = size(l.stream_overlap_bytes);
  out.trace_max_bytes = size(l.trace_max_bytes);
  out.trace_history_bytes = size(l.trace_history_bytes);
  return out;
}

// Collects group errors as diagnostics at the field's mark.
class GroupChecker {
 public:
  GroupChecker(const config::Config& c, const RuleVariables& vars) : c_(c), vars_(vars) {}

  void address(const config::Marks& marks, const std::string& path, std::string_view field,
               const std::string& text) {
    if (auto r = parseAddressGroup(text, vars_); !r.ok()) add(marks.of(field), path, field, r);
  }
  void port(const config::Marks& marks, const std::string& path, std::string_view field,
            const std::string& text) {
    if (auto r = parsePortGroup(text, vars_); !r.ok()) add(marks.of(field), path, field, r);
  }
  void addresses(const config::Marks& marks, const std::string& path, std::string_view field,
                 const std::vector<std::string>& items) {
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].empty()) continue;  // the config validation reports empty entries
      auto r = parseAddressGroup(items[i], vars_);
      if (!r.ok()) {
        add(marks.item(field, i), path, std::string(field) + "[" + std::to_string(i) + "]", r);
      }
    }
  }
  void tuple(const config::FilterTuple& t, const std::string& path) {
    address(t.marks, path, "source", t.source);
    port(t.marks, path, "source-ports", t.source_ports);
    address(t.marks, path, "destination", t.destination);
    port(t.marks, path, "destination-ports", t.destination_ports);
  }
  std::vector<config::Diagnostic> take() { return std::move(out_); }

 private:
  template <typename T>
  void add(config::Mark mark, const std::string& path, std::string_view field, const T& result) {
    out_.push_back(config::Diagnostic{c_.source_path, mark, path + "." + std::string(field),
                                      result.message()});
  }

  const config::Config& c_;
  const RuleVariables& vars_;
  std::vector<config::Diagnostic> out_;
};

}  // namespace

FilterSettings filterSettingsFrom(const config::Config& c) {
  const config::Filters& f = c.filters;
  FilterSettings s;
  for (const config::FilterTuple& t : f.inspection_bypass)
    s.inspection_bypass.push_back(tupleOf(t));
  for (const config::TrafficManagementFilter& t : f.traffic_management) {
    s.traffic_management.push_back(
        TrafficFilterSpec{tupleOf(t), trafficActionOf(t.action),
                          static_cast<uint64_t>(t.rate_limit_kbps < 0 ? 0 : t.rate_limit_kbps)});
  }
  s.reputation.ip_list = f.reputation.ip_list;
  s.reputation.dns_list = f.reputation.dns_list;
  s.reputation.url_list = f.reputation.url_list;
  s.reputation.block_threshold = f.reputation.block_threshold;
  s.reputation.notify_threshold = f.reputation.notify_threshold;
  s.quarantine.hosts = f.quarantine.hosts;
  s.quarantine.action = f.quarantine.action == config::QuarantineAction::kRedirect
                            ? QuarantineAction::kRedirect
                            : QuarantineAction::kBlock;
  s.quarantine.redirect_url = f.quarantine.redirect_url;
  s.quarantine.allowed_destinations = f.quarantine.allowed_destinations;
  s.signatures.rules = f.rules;
  for (const config::Profile& p : c.profiles) {
    std::string glob = profileRules(c, p);
    if (!glob.empty() && glob != f.rules) s.signatures.profile_rules[p.name] = glob;
  }
  s.signatures.variables = variablesOf(f);
  s.signatures.cache_dir = f.cache_dir;
  s.limits = limitsOf(f.limits);
  return s;
}

std::vector<config::Diagnostic> checkFilterGroups(const config::Config& c) {
  const config::Filters& f = c.filters;
  const RuleVariables vars = variablesOf(f);
  GroupChecker check(c, vars);
  // Each variable as the rules would expand it; an error names the variable's own field.
  for (const auto& [name, value] : f.address_vars)
    check.address(f.marks, "filters", "address-vars." + name, value);
  for (const auto& [name, value] : f.port_vars)
    check.port(f.marks, "filters", "port-vars." + name, value);
  for (size_t i = 0; i < f.inspection_bypass.size(); ++i) {
    check.tuple(f.inspection_bypass[i], "filters.inspection-bypass[" + std::to_string(i) + "]");
  }
  for (size_t i = 0; i < f.traffic_management.size(); ++i) {
    check.tuple(f.traffic_management[i], "filters.traffic-management[" + std::to_string(i) + "]");
  }
  check.addresses(f.quarantine.marks, "filters.quarantine", "hosts", f.quarantine.hosts);
  check.addresses(f.quarantine.marks, "filters.quarantine", "allowed-destinations",
                  f.quarantine.allowed_destinations);
  return check.take();
}

std::string traceDirOf(const config::Config& c) {
  return c.filters.trace_dir.empty() ? c.device.log_dir + "/traces" : c.filters.trace_dir;
}

}  // namespace vtps::filter
