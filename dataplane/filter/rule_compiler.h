// CompiledRuleSet: a loaded rule set compiled into Hyperscan block-mode databases, one prefilter
// database per buffer kind (each rule contributes its fast pattern) plus one database per pcre
// for exact verification. Compiling 10,000 rules takes seconds, so the serialized databases are
// cached on disk under a key that hashes every pattern, flag and id together with the Hyperscan
// version and CPU platform: a restart or reload with the same rules loads them in milliseconds,
// and any change to the rules (or the machine) misses the cache and recompiles.
//
// Immutable after compile() except for the per-rule hit counters (relaxed atomics), so one
// instance is shared by every worker thread through a shared_ptr snapshot.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/result.h"
#include "dataplane/filter/rule.h"
#include "dataplane/filter/rule_parser.h"

namespace vtps::filter {

struct CompileOptions {
  std::string cache_dir;  // where serialized databases are kept; empty: no cache
};

struct RuleHits {
  uint32_t sid = 0;
  uint32_t rev = 0;
  RuleAction action = RuleAction::kAlert;
  std::string msg;
  uint64_t hits = 0;
};

class CompiledRuleSet {
 public:
  struct Databases;  // Hyperscan handles, see hyperscan_databases.h

  // Compiles `rules`. A rule Hyperscan refuses is moved to errors() (file:line) and the rest
  // compile; a cache that cannot be read or written is reported by cacheNote() and otherwise
  // ignored. Fails only when Hyperscan itself cannot run (unsupported CPU, out of memory).
  static Result<std::shared_ptr<const CompiledRuleSet>> compile(RuleSet rules,
                                                                const CompileOptions& options);
  ~CompiledRuleSet();
  CompiledRuleSet(const CompiledRuleSet&) = delete;
  CompiledRuleSet& operator=(const CompiledRuleSet&) = delete;

  const std::vector<Rule>& rules() const { return rules_.rules; }
  const std::vector<RuleError>& errors() const { return rules_.errors; }
  const std::vector<std::string>& files() const { return rules_.files; }
  size_t loaded() const { return rules_.loaded(); }
  size_t failed() const { return rules_.failed(); }

  bool hasUnit(InspectionUnit unit) const { return has_unit_[static_cast<size_t>(unit)]; }
  // Whether some rule's content or pcre inspects `buffer` (the HTTP parsers keep a body window
  // only for a body some rule looks at).
  bool usesBuffer(BufferKind buffer) const { return uses_buffer_[static_cast<size_t>(buffer)]; }
  bool hasTraceRules() const { return has_trace_rules_; }
  // Longest content of a stream rule: chunk boundaries are re-scanned by at least this - 1.
  size_t longestStreamContent() const { return longest_stream_content_; }
  // Unique per compiled instance in this process (scratch bookkeeping).
  uint64_t generation() const { return generation_; }

  const std::string& cacheKey() const { return cache_key_; }
  bool loadedFromCache() const { return from_cache_; }
  const std::string& cacheNote() const { return cache_note_; }  // why the cache was not used

  void recordHit(size_t rule_index) const {
    hits_[rule_index].fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t hits(size_t rule_index) const {
    return hits_[rule_index].load(std::memory_order_relaxed);
  }
  // The `n` rules with the most hits (ties: lower sid first); rules without hits are left out.
  std::vector<RuleHits> topRules(size_t n) const;

  const Databases& databases() const { return *dbs_; }

 private:
  CompiledRuleSet();
  Status buildDatabases(const CompileOptions& options);

  RuleSet rules_;
  std::unique_ptr<Databases> dbs_;
  std::unique_ptr<std::atomic<uint64_t>[]> hits_;
  bool has_unit_[3] = {false, false, false};
  bool uses_buffer_[kBufferKindCount] = {};
  bool has_trace_rules_ = false;
  size_t longest_stream_content_ = 0;
  uint64_t generation_ = 0;
  std::string cache_key_;
  bool from_cache_ = false;
  std::string cache_note_;
};

}  // namespace vtps::filter
