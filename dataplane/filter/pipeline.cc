#include "dataplane/filter/pipeline.h"

#include <algorithm>

#include "dataplane/filter/session_filter.h"

namespace vtps::filter {
namespace {

Status checkLimits(const InspectionLimits& l) {
  struct Bound {
    const char* name;
    size_t value;
    size_t min;
  };
  const Bound bounds[] = {
      {"max-header-bytes", l.http.max_header_bytes, 1024},
      {"max-body-bytes", l.http.max_body_bytes, 1024},
      {"max-headers", l.http.max_headers, 8},
      {"max-pending-requests", l.http.max_pending_requests, 1},
      {"stream-window-bytes", l.stream_window_bytes, 4096},
      {"trace-max-bytes", l.trace_max_bytes, 4096},
  };
  for (const Bound& b : bounds) {
    if (b.value < b.min) {
      return makeError(std::string("limits: ") + b.name + ": must be at least " +
                       std::to_string(b.min) + ", got " + std::to_string(b.value));
    }
  }
  if (l.stream_overlap_bytes >= l.stream_window_bytes) {
    return makeError("limits: stream-overlap-bytes: must be smaller than stream-window-bytes (" +
                     std::to_string(l.stream_window_bytes) + "), got " +
                     std::to_string(l.stream_overlap_bytes));
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<const Pipeline>> Pipeline::create(const FilterSettings& settings) {
  VTPS_RETURN_IF_ERROR(checkLimits(settings.limits));
  std::shared_ptr<Pipeline> p(new Pipeline());
  p->settings_ = settings;
  const RuleVariables& vars = settings.signatures.variables;
  auto traffic =
      TrafficFilters::create(settings.inspection_bypass, settings.traffic_management, vars);
  if (!traffic.ok()) return traffic.error();
  p->traffic_ = std::make_shared<const TrafficFilters>(std::move(*traffic));
  auto reputation = ReputationDb::load(settings.reputation);
  if (!reputation.ok()) return reputation.error();
  p->reputation_ = std::move(*reputation);
  auto quarantine = Quarantine::create(settings.quarantine, vars);
  if (!quarantine.ok()) return quarantine.error();
  p->quarantine_ = std::make_shared<const Quarantine>(std::move(*quarantine));
  VTPS_RETURN_IF_ERROR(p->buildRuleSets());
  return std::shared_ptr<const Pipeline>(std::move(p));
}

Status Pipeline::buildRuleSets() {
  const SignatureSettings& sig = settings_.signatures;
  std::vector<std::string> globs{sig.rules};
  for (const auto& [profile, glob] : sig.profile_rules)
    globs.push_back(glob);
  RuleParser parser(sig.variables);
  for (const std::string& glob : globs) {
    if (by_glob_.contains(glob)) continue;
    RuleSet rules;
    if (!glob.empty()) {
      auto loaded = parser.loadGlob(glob);
      if (!loaded.ok()) return loaded.error();
      rules = std::move(*loaded);
    }
    auto compiled = CompiledRuleSet::compile(std::move(rules), CompileOptions{sig.cache_dir});
    if (!compiled.ok()) return compiled.error();
    by_glob_[glob] = std::move(*compiled);
  }
  default_rules_ = by_glob_[sig.rules];
  for (const auto& [profile, glob] : sig.profile_rules)
    by_profile_[profile] = by_glob_[glob];
  return {};
}

std::shared_ptr<const Pipeline> Pipeline::withReputation(
    std::shared_ptr<const ReputationDb> db) const {
  std::shared_ptr<Pipeline> copy(new Pipeline(*this));
  copy->reputation_ = std::move(db);
  return copy;
}

std::unique_ptr<SessionFilter> Pipeline::open(const FlowInfo& flow,
                                              std::shared_ptr<FilterRuntime> runtime) const {
  return std::make_unique<SessionFilter>(shared_from_this(), std::move(runtime), flow);
}

const std::shared_ptr<const CompiledRuleSet>& Pipeline::rulesFor(std::string_view profile) const {
  auto it = by_profile_.find(profile);
  return it != by_profile_.end() ? it->second : default_rules_;
}

std::vector<RuleSetReport> Pipeline::ruleSetReports() const {
  std::vector<RuleSetReport> out;
  for (const auto& [glob, set] : by_glob_) {
    RuleSetReport r;
    r.glob = glob;
    if (glob == settings_.signatures.rules) r.profiles.emplace_back();
    for (const auto& [profile, g] : settings_.signatures.profile_rules) {
      if (g == glob) r.profiles.push_back(profile);
    }
    r.files = set->files();
    r.loaded = set->loaded();
    r.failed = set->failed();
    for (const RuleError& e : set->errors())
      r.errors.push_back(e.toString());
    r.from_cache = set->loadedFromCache();
    r.cache_note = set->cacheNote();
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RuleHits> Pipeline::topRules(size_t n) const {
  std::map<uint32_t, RuleHits> by_sid;
  for (const auto& [glob, set] : by_glob_) {
    for (const RuleHits& h : set->topRules(set->loaded())) {
      auto [it, inserted] = by_sid.emplace(h.sid, h);
      if (!inserted) it->second.hits += h.hits;
    }
  }
  std::vector<RuleHits> all;
  all.reserve(by_sid.size());
  for (auto& [sid, h] : by_sid)
    all.push_back(std::move(h));
  std::stable_sort(all.begin(), all.end(),
                   [](const RuleHits& a, const RuleHits& b) { return a.hits > b.hits; });
  if (all.size() > n) all.resize(n);
  return all;
}

}  // namespace vtps::filter
