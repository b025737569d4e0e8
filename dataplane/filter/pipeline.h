// Pipeline: the filter stages in the TPS order of precedence, built from FilterSettings:
//   1. inspection bypass rules      (5-tuple: not inspected at all)
//   2. traffic management filters   (5-tuple: block, allow, trust, rate limit)
//   3. reputation                   (IP, DNS name, URL; decrypted SSL sessions: URL only)
//   4. quarantine                   (host: block, or redirect of cleartext HTTP)
//   5. signature filters            (rules compiled into Hyperscan databases, per profile)
// A stage that decides (block, trust, bypass) ends the evaluation: later stages never see the
// session, so a trusted session is not matched against signatures and a reputation block wins
// over a signature pass.
//
// A Pipeline is an immutable snapshot shared by every worker; open() starts the per-session
// state (SessionFilter) which keeps its snapshot for its whole life, so a reload affects new
// sessions only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "dataplane/filter/filter_event.h"
#include "dataplane/filter/filter_settings.h"
#include "dataplane/filter/quarantine.h"
#include "dataplane/filter/reputation.h"
#include "dataplane/filter/rule_compiler.h"
#include "dataplane/filter/traffic_filters.h"

namespace vtps::filter {

class SessionFilter;

// The session a SessionFilter inspects.
struct FlowInfo {
  std::string profile, policy, proxy;
  FiveTuple tuple;
  bool decrypted = false;  // an SSL session the proxy decrypted ("SSL Inspect")
  bool tls = false;        // TLS on the wire, decrypted or not
  bool http = false;       // HTTP/1.x expected; otherwise detected from the first request bytes
  std::string sni;
};

// What a rule set load produced, for `vtpsctl` and the system log.
struct RuleSetReport {
  std::string glob;
  std::vector<std::string> profiles;  // profiles using it ("" = the default)
  std::vector<std::string> files;
  size_t loaded = 0;
  size_t failed = 0;
  std::vector<std::string> errors;  // "FILE:LINE: message"
  bool from_cache = false;
  std::string cache_note;
};

// Shared by all sessions of an engine: counters and the event sink (may be null).
struct FilterRuntime {
  FilterCounters counters;
  FilterEventSink* sink = nullptr;
};

class Pipeline : public std::enable_shared_from_this<Pipeline> {
 public:
  // Validates and builds every stage; nothing is half-built on error. Errors name the setting:
  //   traffic-management "web": destination: bad address "10.0.0.256"
  //   read reputation list /x/ip.txt: No such file or directory
  static Result<std::shared_ptr<const Pipeline>> create(const FilterSettings& settings);

  // A copy sharing every stage but the reputation lists (reputation reload).
  std::shared_ptr<const Pipeline> withReputation(std::shared_ptr<const ReputationDb> db) const;

  std::unique_ptr<SessionFilter> open(const FlowInfo& flow,
                                      std::shared_ptr<FilterRuntime> runtime) const;

  // The rule set used for sessions of `profile` (the default set when it has none of its own).
  const std::shared_ptr<const CompiledRuleSet>& rulesFor(std::string_view profile) const;
  const FilterSettings& settings() const { return settings_; }
  const TrafficFilters& traffic() const { return *traffic_; }
  const ReputationDb& reputation() const { return *reputation_; }
  const Quarantine& quarantine() const { return *quarantine_; }
  std::vector<RuleSetReport> ruleSetReports() const;
  // Rules with the most hits over every rule set of this snapshot, summed by sid.
  std::vector<RuleHits> topRules(size_t n) const;

 private:
  Pipeline() = default;
  Status buildRuleSets();

  FilterSettings settings_;
  std::shared_ptr<const TrafficFilters> traffic_;
  std::shared_ptr<const ReputationDb> reputation_;
  std::shared_ptr<const Quarantine> quarantine_;
  std::map<std::string, std::shared_ptr<const CompiledRuleSet>> by_glob_;
  std::map<std::string, std::shared_ptr<const CompiledRuleSet>, std::less<>> by_profile_;
  std::shared_ptr<const CompiledRuleSet> default_rules_;
};

}  // namespace vtps::filter
