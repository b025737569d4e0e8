// DomainMatcher: host names against domain patterns, the way SSL client inspection lists them
// (decryption policy domains, category overrides, domain exclusions, category lists):
//   "mail.example.com"  the host itself;
//   "*.example.com"     every subdomain of example.com at any depth (a.example.com,
//                       b.a.example.com), but not example.com itself.
// Exact patterns sit in one hash set and wildcard suffixes in another; a lookup probes the exact
// set once and then the suffix set at each label boundary of the host, from the longest suffix to
// the shortest. Cost is one hash per label, whatever the number of patterns; no regular
// expressions, no allocation on a lookup.
//
// Every pattern carries a 32-bit tag (the owner's meaning: a category set, an entry index).
// Not thread-safe for writes; a built matcher is read by any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/result.h"

namespace vtps::proxy {

// Lowercases `name` and drops one trailing dot ("WWW.Example.COM." -> "www.example.com").
std::string normalizeDomain(std::string_view name);

// True for a host name (labels of letters, digits, '-' and '_', 1..63 characters each, not
// starting or ending with '-', 253 characters at most) or "*." followed by one. Expects the
// normalized (lowercase) form.
bool isDomainPattern(std::string_view pattern);

struct DomainMatch {
  std::string pattern;  // as added: "mail.example.com" or "*.example.com"
  uint32_t tag = 0;
};

class DomainMatcher {
 public:
  // Adds `pattern` (normalized first) with `tag`; an existing pattern gets the new tag. Error:
  // "\"ex ample.com\" is not a host name or \"*.\" wildcard".
  Status add(std::string_view pattern, uint32_t tag = 0);
  // Removes a pattern (normalized first); false when it was not there.
  bool remove(std::string_view pattern);
  // The tag of exactly this pattern (normalized first), not a match.
  std::optional<uint32_t> find(std::string_view pattern) const;

  // The most specific pattern covering `host` (lowercase): the exact pattern, else the wildcard
  // with the longest suffix. `host` is not validated: a certificate name such as
  // "*.example.com" is covered by "*.example.com" and "*.com" but by no exact pattern.
  std::optional<DomainMatch> match(std::string_view host) const;
  bool matches(std::string_view host) const { return firstTag(host).has_value(); }
  // The tag of the most specific pattern covering `host`, without building a DomainMatch.
  std::optional<uint32_t> firstTag(std::string_view host) const;
  // Calls fn(tag) for every pattern covering `host`, most specific first.
  template <typename Fn>
  void forEachMatch(std::string_view host, Fn&& fn) const {
    if (auto it = exact_.find(host); it != exact_.end()) fn(it->second);
    for (size_t dot = host.find('.'); dot != std::string_view::npos;
         dot = host.find('.', dot + 1)) {
      if (auto it = suffixes_.find(host.substr(dot + 1)); it != suffixes_.end()) fn(it->second);
    }
  }

  size_t size() const { return exact_.size() + suffixes_.size(); }
  bool empty() const { return size() == 0; }
  // Every pattern, sorted.
  std::vector<std::string> patterns() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>>;

  Map exact_;     // "mail.example.com"
  Map suffixes_;  // "example.com" for "*.example.com"
};

}  // namespace vtps::proxy
