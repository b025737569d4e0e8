#include "dataplane/filter/reputation.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "dataplane/filter/quoted.h"

namespace vtps::filter {
namespace {

using detail::quoted;

std::string lowerCopy(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// Lower-cases and strips a trailing dot; nullopt unless it is a plausible DNS name.
std::optional<std::string> normalizeName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253 || name.front() == '.' ||
      name.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return std::nullopt;
  }
  return lowerCopy(name);
}

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("read reputation list " + path + ": " +
                     std::generic_category().message(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

Result<std::shared_ptr<const ReputationDb>> ReputationDb::load(const ReputationSettings& s) {
  auto inRange = [](int v) { return v >= 1 && v <= 100; };
  if (!inRange(s.block_threshold)) {
    return makeError("reputation: block-threshold: must be from 1 to 100, got " +
                     std::to_string(s.block_threshold));
  }
  if (!inRange(s.notify_threshold)) {
    return makeError("reputation: notify-threshold: must be from 1 to 100, got " +
                     std::to_string(s.notify_threshold));
  }
  auto db = std::make_shared<ReputationDb>();
  db->block_threshold_ = s.block_threshold;
  db->notify_threshold_ = s.notify_threshold;
  const std::pair<ReputationKind, const std::string*> lists[] = {
      {ReputationKind::kIp, &s.ip_list},
      {ReputationKind::kDns, &s.dns_list},
      {ReputationKind::kUrl, &s.url_list},
  };
  for (const auto& [kind, path] : lists) {
    if (path->empty()) continue;
    auto text = readFile(*path);
    if (!text.ok()) return text.error();
    db->addText(kind, *text, *path);
  }
  return std::shared_ptr<const ReputationDb>(std::move(db));
}

void ReputationDb::addText(ReputationKind kind, std::string_view text, std::string_view file) {
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] == '#') continue;
    line = line.substr(start);
    size_t sp = line.find_first_of(" \t");
    std::string_view entry = line.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp);
    rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(" \t")));
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t'))
      rest.remove_suffix(1);
    int score = -1;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), score);
    std::string error;
    if (rest.empty() || ec != std::errc() || end != rest.data() + rest.size() || score < 0 ||
        score > 100) {
      error = "bad score " + quoted(rest) + " (expected 0 to 100)";
    } else {
      error = addLine(kind, entry, score);
    }
    if (!error.empty()) {
      errors_.push_back(RuleError{std::string(file), line_no, std::move(error)});
    } else {
      ++counts_[static_cast<size_t>(kind)];
    }
  }
}

std::string ReputationDb::addLine(ReputationKind kind, std::string_view entry, int score) {
  auto keepMax = [&](Scored& slot) {
    if (slot.entry.empty() || score > slot.score) slot = Scored{std::string(entry), score};
  };
  if (kind == ReputationKind::kIp) {
    auto set = parseAddressGroup(entry, RuleVariables{});
    if (!set.ok() || !parseIpv4(entry.substr(0, entry.find('/'))) ||
        entry.find('-') != std::string_view::npos) {
      return "bad address " + quoted(entry);
    }
    // A single CIDR block: its size gives the prefix length.
    auto [lo, hi] = set->ranges()[0];
    int prefix = 32 - std::popcount(hi - lo);
    keepMax(ip_by_prefix_[static_cast<size_t>(prefix)][lo]);
    return {};
  }
  if (kind == ReputationKind::kDns) {
    bool wildcard = entry.starts_with("*.");
    auto name = normalizeName(wildcard ? entry.substr(2) : entry);
    if (!name) return "bad domain name " + quoted(entry);
    keepMax((wildcard ? dns_wildcard_ : dns_exact_)[*name]);
    return {};
  }
  std::string_view url = entry;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.size() >= scheme.size() && lowerCopy(url.substr(0, scheme.size())) == scheme) {
      url.remove_prefix(scheme.size());
    }
  }
  size_t slash = url.find('/');
  auto host = normalizeName(url.substr(0, slash));
  if (!host) return "bad URL " + quoted(entry);
  std::string path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  auto& list = url_by_host_[*host];
  list.push_back(UrlEntry{path, Scored{std::string(entry), score}});
  return {};
}

std::optional<ReputationHit> ReputationDb::lookupIp(uint32_t address) const {
  std::optional<ReputationHit> best;
  for (int len = 0; len <= 32; ++len) {
    const auto& map = ip_by_prefix_[static_cast<size_t>(len)];
    if (map.empty()) continue;
    uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
    auto it = map.find(address & mask);
    if (it != map.end() && (!best || it->second.score > best->score)) {
      best = ReputationHit{ReputationKind::kIp, it->second.entry, it->second.score};
    }
  }
  return best;
}

std::optional<ReputationHit> ReputationDb::lookupDns(std::string_view name) const {
  auto normalized = normalizeName(name);
  if (!normalized) return std::nullopt;
  std::optional<ReputationHit> best;
  auto consider = [&](const Scored& s) {
    if (!best || s.score > best->score)
      best = ReputationHit{ReputationKind::kDns, s.entry, s.score};
  };
  if (auto it = dns_exact_.find(*normalized); it != dns_exact_.end()) consider(it->second);
  std::string_view rest = *normalized;
  for (size_t dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
    rest = rest.substr(dot + 1);
    if (auto it = dns_wildcard_.find(std::string(rest)); it != dns_wildcard_.end()) {
      consider(it->second);
    }
  }
  return best;
}

std::optional<ReputationHit> ReputationDb::lookupUrl(std::string_view host,
                                                     std::string_view path) const {
  auto normalized = normalizeName(host);
  if (!normalized) return std::nullopt;
  auto it = url_by_host_.find(*normalized);
  if (it == url_by_host_.end()) return std::nullopt;
  std::optional<ReputationHit> best;
  for (const UrlEntry& e : it->second) {
    if (!path.starts_with(e.path_prefix)) continue;
    if (!best || e.scored.score > best->score) {
      best = ReputationHit{ReputationKind::kUrl, e.scored.entry, e.scored.score};
    }
  }
  return best;
}

}  // namespace vtps::filter
