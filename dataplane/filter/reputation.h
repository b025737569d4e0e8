// ReputationDb: the reputation stage's lists (the RepDV role): IP addresses and networks, DNS
// names, and URLs, each with a score from 0 to 100, loaded from plain-text files. A lookup gives
// the highest score among the entries that match; the pipeline compares it with the block and
// notify thresholds. Immutable once loaded: a reload builds a new instance and the pipeline swaps
// it in for new sessions.
//
// File formats (one entry per line, `#` comments, blank lines ignored):
//   ip:   "203.0.113.7 90", "198.51.100.0/24 60"
//   dns:  "bad.example 90" (that name only), "*.bad.example 70" (every name below it)
//   url:  "bad.example/download/ 95" (host, then a path prefix; "bad.example 80" = whole host;
//          an http:// or https:// prefix is ignored)
// A bad line is reported with file:line and skipped, like a bad rule.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/result.h"
#include "dataplane/filter/filter_settings.h"
#include "dataplane/filter/rule_parser.h"

namespace vtps::filter {

enum class ReputationKind : uint8_t { kIp, kDns, kUrl };

struct ReputationHit {
  ReputationKind kind = ReputationKind::kIp;
  std::string entry;  // the list entry that matched, as written
  int score = 0;
};

class ReputationDb {
 public:
  // Reads the files named in `settings` (an empty name: no list of that kind). Fails when a file
  // cannot be read or a threshold is out of range; bad lines go to errors().
  static Result<std::shared_ptr<const ReputationDb>> load(const ReputationSettings& settings);

  std::optional<ReputationHit> lookupIp(uint32_t address) const;
  std::optional<ReputationHit> lookupDns(std::string_view name) const;
  // `host` as in the Host header (any case, no port); `path` is the request target's path.
  std::optional<ReputationHit> lookupUrl(std::string_view host, std::string_view path) const;

  int blockThreshold() const { return block_threshold_; }
  int notifyThreshold() const { return notify_threshold_; }
  size_t entries(ReputationKind kind) const { return counts_[static_cast<size_t>(kind)]; }
  const std::vector<RuleError>& errors() const { return errors_; }

  // Parses one list's text (exposed for tests and the loader).
  void addText(ReputationKind kind, std::string_view text, std::string_view file);

 private:
  struct Scored {
    std::string entry;
    int score = 0;
  };
  struct UrlEntry {
    std::string path_prefix;
    Scored scored;
  };

  std::string addLine(ReputationKind kind, std::string_view entry, int score);

  // One map per prefix length: network address -> entry.
  std::array<std::unordered_map<uint32_t, Scored>, 33> ip_by_prefix_;
  std::unordered_map<std::string, Scored> dns_exact_;
  std::unordered_map<std::string, Scored> dns_wildcard_;  // key: the suffix after "*."
  std::unordered_map<std::string, std::vector<UrlEntry>> url_by_host_;
  std::array<size_t, 3> counts_{};
  std::vector<RuleError> errors_;
  int block_threshold_ = 80;
  int notify_threshold_ = 50;
};

}  // namespace vtps::filter
