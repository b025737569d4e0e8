// Address and port groups in the Suricata/Snort notation, shared by the signature rules, the
// inspection bypass rules and the traffic management filters: `any`, `10.0.0.0/8`,
// `10.0.0.1-10.0.0.9`, `$HOME_NET`, `[a, b, !c]`, `!x`; ports `80`, `1024:`, `:1023`,
// `[80,8080:8090]`. A group is evaluated once, at load time, into a normalized interval set, so a
// lookup on the per-session path is a binary search without allocation. IPv4 only: the TPS
// inspects IPv4 traffic, and an IPv6 literal is refused with a message saying so.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/result.h"

namespace vtps::filter {

// A set of values of an unsigned type, stored as sorted, disjoint, non-adjacent closed intervals.
template <typename T>
class IntervalSet {
 public:
  static IntervalSet all() {
    IntervalSet s;
    s.ranges_.emplace_back(std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
    return s;
  }

  void add(T lo, T hi) {
    ranges_.emplace_back(lo, hi);
    normalize();
  }
  void unite(const IntervalSet& other) {
    ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end());
    normalize();
  }
  IntervalSet complement() const {
    IntervalSet out;
    uint64_t next = std::numeric_limits<T>::min();
    for (const auto& [lo, hi] : ranges_) {
      if (lo > next) out.ranges_.emplace_back(static_cast<T>(next), static_cast<T>(lo - 1));
      next = static_cast<uint64_t>(hi) + 1;
    }
    if (next <= std::numeric_limits<T>::max()) {
      out.ranges_.emplace_back(static_cast<T>(next), std::numeric_limits<T>::max());
    }
    return out;
  }
  IntervalSet minus(const IntervalSet& other) const {
    IntervalSet keep = other.complement();
    IntervalSet out;
    size_t j = 0;
    for (const auto& [lo, hi] : ranges_) {
      while (j < keep.ranges_.size() && keep.ranges_[j].second < lo)
        ++j;
      for (size_t k = j; k < keep.ranges_.size() && keep.ranges_[k].first <= hi; ++k) {
        out.ranges_.emplace_back(std::max(lo, keep.ranges_[k].first),
                                 std::min(hi, keep.ranges_[k].second));
      }
    }
    return out;
  }
  bool contains(T v) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), v,
                               [](T x, const std::pair<T, T>& r) { return x < r.first; });
    return it != ranges_.begin() && std::prev(it)->second >= v;
  }
  bool empty() const { return ranges_.empty(); }
  bool isAll() const {
    return ranges_.size() == 1 && ranges_[0].first == std::numeric_limits<T>::min() &&
           ranges_[0].second == std::numeric_limits<T>::max();
  }
  const std::vector<std::pair<T, T>>& ranges() const { return ranges_; }
  bool operator==(const IntervalSet&) const = default;

 private:
  void normalize() {
    std::sort(ranges_.begin(), ranges_.end());
    std::vector<std::pair<T, T>> merged;
    for (const auto& r : ranges_) {
      if (!merged.empty() && static_cast<uint64_t>(merged.back().second) + 1 >= r.first) {
        merged.back().second = std::max(merged.back().second, r.second);
      } else {
        merged.push_back(r);
      }
    }
    ranges_ = std::move(merged);
  }

  std::vector<std::pair<T, T>> ranges_;
};

using AddressSet = IntervalSet<uint32_t>;  // IPv4, host byte order
using PortSet = IntervalSet<uint16_t>;

// Named groups ($HOME_NET, $HTTP_PORTS). Values use the same notation and may reference other
// variables of their kind.
struct RuleVariables {
  std::map<std::string, std::string, std::less<>> addresses;
  std::map<std::string, std::string, std::less<>> ports;

  // Suricata's shipped defaults (HOME_NET = RFC 1918, EXTERNAL_NET = !$HOME_NET, HTTP_PORTS = 80,
  // ...), so that community rules load unchanged; the config overrides any of them.
  static RuleVariables defaults();
};

// Parses an address group. Errors name the offending token, e.g.
//   bad address "10.0.0.300"
//   undefined address variable $FOO
//   IPv6 address "::1" is not supported (IPv4 only)
//   address group "!any" matches nothing
Result<AddressSet> parseAddressGroup(std::string_view text, const RuleVariables& vars);
// Parses a port group: bad port "70000", port range "90:80" is reversed, ...
Result<PortSet> parsePortGroup(std::string_view text, const RuleVariables& vars);

// Dotted quad to host-order value; nullopt unless exactly four decimal octets.
std::optional<uint32_t> parseIpv4(std::string_view text);
std::string formatIpv4(uint32_t address);

}  // namespace vtps::filter
