#include "dataplane/filter/traffic_filters.h"

#include <algorithm>

namespace vtps::filter {

Result<FiveTupleMatcher> FiveTupleMatcher::create(const FiveTupleSpec& spec, std::string_view what,
                                                  const RuleVariables& vars) {
  std::string prefix = std::string(what) + " \"" + spec.name + "\": ";
  FiveTupleMatcher m;
  auto src = parseAddressGroup(spec.source, vars);
  if (!src.ok()) return makeError(prefix + "source: " + src.message());
  auto dst = parseAddressGroup(spec.destination, vars);
  if (!dst.ok()) return makeError(prefix + "destination: " + dst.message());
  auto sport = parsePortGroup(spec.source_ports, vars);
  if (!sport.ok()) return makeError(prefix + "source-ports: " + sport.message());
  auto dport = parsePortGroup(spec.destination_ports, vars);
  if (!dport.ok()) return makeError(prefix + "destination-ports: " + dport.message());
  m.source_ = std::move(*src);
  m.destination_ = std::move(*dst);
  m.source_ports_ = std::move(*sport);
  m.destination_ports_ = std::move(*dport);
  return m;
}

bool FiveTupleMatcher::matches(const FiveTuple& t) const {
  return source_.contains(t.client_ip) && destination_.contains(t.server_ip) &&
         source_ports_.contains(t.client_port) && destination_ports_.contains(t.server_port);
}

RateLimiter::RateLimiter(uint64_t kbps)
    : kbps_(kbps),
      ns_per_byte_(8e9 / (static_cast<double>(kbps) * 1000.0)),
      burst_ns_(1'000'000'000) {}

std::chrono::nanoseconds RateLimiter::consume(uint64_t bytes, std::chrono::nanoseconds now) {
  int64_t now_ns = now.count();
  auto cost = static_cast<int64_t>(static_cast<double>(bytes) * ns_per_byte_);
  int64_t tat = tat_ns_.load(std::memory_order_relaxed);
  int64_t next = 0;
  do {
    next = std::max(tat, now_ns) + cost;
  } while (!tat_ns_.compare_exchange_weak(tat, next, std::memory_order_relaxed));
  return std::chrono::nanoseconds(std::max<int64_t>(0, next - now_ns - burst_ns_));
}

Result<TrafficFilters> TrafficFilters::create(const std::vector<FiveTupleSpec>& bypass,
                                              const std::vector<TrafficFilterSpec>& filters,
                                              const RuleVariables& vars) {
  TrafficFilters out;
  for (const auto& spec : bypass) {
    auto m = FiveTupleMatcher::create(spec, "inspection-bypass", vars);
    if (!m.ok()) return m.error();
    out.bypass_.emplace_back(spec, std::move(*m));
  }
  for (const auto& spec : filters) {
    auto m = FiveTupleMatcher::create(spec.match, "traffic-management", vars);
    if (!m.ok()) return m.error();
    TrafficFilter f{spec.match.name, spec.action, std::move(*m), nullptr};
    if (spec.action == TrafficAction::kRateLimit) {
      if (spec.rate_limit_kbps == 0) {
        return makeError("traffic-management \"" + spec.match.name +
                         "\": rate-limit-kbps: must be greater than 0 for action rate-limit");
      }
      f.limiter = std::make_shared<RateLimiter>(spec.rate_limit_kbps);
    }
    out.filters_.push_back(std::move(f));
  }
  return out;
}

const FiveTupleSpec* TrafficFilters::bypassRule(const FiveTuple& t) const {
  for (const auto& [spec, m] : bypass_) {
    if (m.matches(t)) return &spec;
  }
  return nullptr;
}

const TrafficFilter* TrafficFilters::firstFilter(const FiveTuple& t) const {
  for (const auto& f : filters_) {
    if (f.match.matches(t)) return &f;
  }
  return nullptr;
}

std::string_view toString(TrafficAction a) {
  switch (a) {
    case TrafficAction::kBlock:
      return "block";
    case TrafficAction::kAllow:
      return "allow";
    case TrafficAction::kTrust:
      return "trust";
    case TrafficAction::kRateLimit:
      return "rate-limit";
  }
  return "?";
}

}  // namespace vtps::filter
