// The two 5-tuple stages that come first in the TPS order of precedence: inspection bypass rules
// (the session is not inspected at all) and traffic management filters (block, allow, trust, rate
// limit; the first filter that matches decides). Both are evaluated once per session.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/result.h"
#include "dataplane/filter/address_group.h"
#include "dataplane/filter/filter_settings.h"

namespace vtps::filter {

// A session's endpoints in client -> server orientation, host byte order.
struct FiveTuple {
  uint32_t client_ip = 0;
  uint16_t client_port = 0;
  uint32_t server_ip = 0;
  uint16_t server_port = 0;
};

class FiveTupleMatcher {
 public:
  // Errors name the field: `traffic-management "web": destination: bad address "10.0.0.256"`.
  static Result<FiveTupleMatcher> create(const FiveTupleSpec& spec, std::string_view what,
                                         const RuleVariables& vars);
  bool matches(const FiveTuple& t) const;

 private:
  AddressSet source_, destination_;
  PortSet source_ports_, destination_ports_;
};

// A shared byte-rate limit (GCRA, one atomic): every session matching the filter draws from it.
// consume() never refuses; it returns how long the caller should wait before sending more so
// that the aggregate stays under the rate, allowing a one-second burst.
class RateLimiter {
 public:
  explicit RateLimiter(uint64_t kbps);
  std::chrono::nanoseconds consume(uint64_t bytes, std::chrono::nanoseconds now);
  uint64_t kbps() const { return kbps_; }

 private:
  uint64_t kbps_;
  double ns_per_byte_;
  int64_t burst_ns_;
  std::atomic<int64_t> tat_ns_{0};  // theoretical arrival time of the next byte
};

struct TrafficFilter {
  std::string name;
  TrafficAction action = TrafficAction::kAllow;
  FiveTupleMatcher match;
  std::shared_ptr<RateLimiter> limiter;  // kRateLimit only
};

class TrafficFilters {
 public:
  static Result<TrafficFilters> create(const std::vector<FiveTupleSpec>& bypass,
                                       const std::vector<TrafficFilterSpec>& filters,
                                       const RuleVariables& vars);

  // The inspection bypass rule that matches, or nullptr.
  const FiveTupleSpec* bypassRule(const FiveTuple& t) const;
  // The first traffic management filter that matches, or nullptr.
  const TrafficFilter* firstFilter(const FiveTuple& t) const;

 private:
  std::vector<std::pair<FiveTupleSpec, FiveTupleMatcher>> bypass_;
  std::vector<TrafficFilter> filters_;
};

std::string_view toString(TrafficAction a);

}  // namespace vtps::filter
