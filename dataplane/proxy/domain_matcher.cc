#include "dataplane/proxy/domain_matcher.h"

#include <fmt/format.h>

#include <algorithm>

namespace vtps::proxy {
namespace {

bool isLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool isHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) dot = s.size();
    std::string_view label = s.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    if (!std::all_of(label.begin(), label.end(), isLabelChar)) return false;
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::string normalizeDomain(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

bool isDomainPattern(std::string_view pattern) {
  if (pattern.starts_with("*.")) pattern.remove_prefix(2);
  return isHostName(pattern);
}

Status DomainMatcher::add(std::string_view pattern, uint32_t tag) {
  std::string p = normalizeDomain(pattern);
  if (!isDomainPattern(p)) {
    return makeError(fmt::format("\"{}\" is not a host name or \"*.\" wildcard", pattern));
  }
  if (p.starts_with("*.")) {
    suffixes_.insert_or_assign(p.substr(2), tag);
  } else {
    exact_.insert_or_assign(std::move(p), tag);
  }
  return {};
}

bool DomainMatcher::remove(std::string_view pattern) {
  std::string p = normalizeDomain(pattern);
  if (p.starts_with("*.")) return suffixes_.erase(p.substr(2)) > 0;
  return exact_.erase(p) > 0;
}

std::optional<uint32_t> DomainMatcher::find(std::string_view pattern) const {
  std::string p = normalizeDomain(pattern);
  const bool wildcard = p.starts_with("*.");
  const Map& map = wildcard ? suffixes_ : exact_;
  auto it = map.find(wildcard ? std::string_view(p).substr(2) : std::string_view(p));
  if (it == map.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> DomainMatcher::firstTag(std::string_view host) const {
  if (auto it = exact_.find(host); it != exact_.end()) return it->second;
  for (size_t dot = host.find('.'); dot != std::string_view::npos; dot = host.find('.', dot + 1)) {
    if (auto it = suffixes_.find(host.substr(dot + 1)); it != suffixes_.end()) return it->second;
  }
  return std::nullopt;
}

std::optional<DomainMatch> DomainMatcher::match(std::string_view host) const {
  if (auto it = exact_.find(host); it != exact_.end()) return DomainMatch{it->first, it->second};
  for (size_t dot = host.find('.'); dot != std::string_view::npos; dot = host.find('.', dot + 1)) {
    if (auto it = suffixes_.find(host.substr(dot + 1)); it != suffixes_.end()) {
      return DomainMatch{"*." + it->first, it->second};
    }
  }
  return std::nullopt;
}

std::vector<std::string> DomainMatcher::patterns() const {
  std::vector<std::string> out;
  out.reserve(size());
  for (const auto& [p, tag] : exact_)
    out.push_back(p);
  for (const auto& [s, tag] : suffixes_)
    out.push_back("*." + s);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace vtps::proxy
