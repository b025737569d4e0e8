// The filter engine as the proxy sees it. FilterEngine owns the current Pipeline snapshot, the
// counters and the event sink, and swaps in a new snapshot on reload (live sessions keep theirs).
// FilterInspectorFactory implements the proxy's InspectorFactory contract: one FilterInspector per
// decrypted session, each running the pipeline's SessionFilter.
//
// Threading: create()/inspect() run on proxy workers; reload*, counters(), topRules() on the
// control thread. The snapshot is published through an atomic shared_ptr; no lock is taken on the
// per-session path.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "crypto/result.h"
#include "dataplane/filter/filter_event.h"
#include "dataplane/filter/filter_settings.h"
#include "dataplane/filter/pipeline.h"
#include "dataplane/filter/session_filter.h"
#include "dataplane/proxy/proxy_engine.h"

namespace vtps::filter {

class FilterEngine {
 public:
  // Builds the pipeline (rule files loaded and compiled, lists read). `sink` may be null (events
  // are then only counted); it must outlive the engine and every inspector.
  static Result<std::shared_ptr<FilterEngine>> create(const FilterSettings& settings,
                                                      FilterEventSink* sink);

  // Rebuilds everything from `settings`; on failure the running pipeline stays unchanged.
  Status reload(const FilterSettings& settings);
  // Publishes a pipeline built beforehand (Pipeline::create), so that a caller can build it,
  // apply the rest of a config, and switch only when everything succeeded.
  void install(std::shared_ptr<const Pipeline> pipeline);
  // Re-reads the reputation lists named by the current settings (the lists change more often
  // than rules); on failure the running lists stay.
  Status reloadReputation();

  std::shared_ptr<const Pipeline> pipeline() const { return pipeline_.load(); }
  std::unique_ptr<SessionFilter> open(const FlowInfo& flow) const;

  // Counters per action and stage, summed over every session since the engine started.
  std::vector<std::pair<std::string, uint64_t>> counters() const;
  // For `vtpsctl`: the rules with the most hits in the current rule sets.
  std::vector<RuleHits> topRules(size_t n) const { return pipeline()->topRules(n); }
  std::vector<RuleSetReport> ruleSetReports() const { return pipeline()->ruleSetReports(); }
  // True when an inspection bypass rule matches: the session need not be decrypted at all.
  bool bypasses(const FiveTuple& tuple) const;
  // The matching inspection bypass rule's name (empty: none); counts a match as `bypassed`.
  std::string bypassRule(const FiveTuple& tuple) const;

 private:
  FilterEngine() = default;

  std::atomic<std::shared_ptr<const Pipeline>> pipeline_;
  std::shared_ptr<FilterRuntime> runtime_;
  std::mutex reload_mutex_;  // serializes reloads (control thread only)
};

// A SessionFilter behind the proxy's Inspector interface.
class FilterInspector final : public proxy::Inspector {
 public:
  explicit FilterInspector(std::unique_ptr<SessionFilter> session);

  // kBlock once any stage blocks (and for every later call); kTrace while the session's packet
  // trace is recording; kPass otherwise.
  proxy::Verdict inspect(proxy::Direction direction, std::span<const uint8_t> cleartext) override;
  std::string reason() const override { return session_->verdict().reason; }
  // kBlock when a 5-tuple stage (traffic management, quarantine) refused the session at open.
  proxy::Verdict openVerdict() const override;

  // The rate-limit delay before reading more, the quarantine redirect to send before closing,
  // and whether the deciding filter asks for a TCP reset (docs/filters.md, "Proxy integration").
  std::chrono::nanoseconds throttleDelay() const override { return session_->verdict().throttle; }
  std::string_view clientResponse() const override { return session_->verdict().client_response; }
  bool resetRequested() const override { return session_->verdict().reset; }
  const SessionFilter& session() const { return *session_; }

 private:
  std::unique_ptr<SessionFilter> session_;
};

class FilterInspectorFactory final : public proxy::InspectorFactory {
 public:
  explicit FilterInspectorFactory(std::shared_ptr<FilterEngine> engine);

  std::unique_ptr<proxy::Inspector> create(const proxy::SessionContext& session) override;
  // Whether an inspection bypass rule covers the session (the proxy may splice instead).
  bool bypasses(const proxy::SessionContext& session) const;
  std::string bypassRule(const proxy::SessionContext& session) const override;

  // The pipeline's view of a proxied session: decrypted, or cleartext (SessionContext::cleartext).
  static FlowInfo flowInfo(const proxy::SessionContext& session);

 private:
  std::shared_ptr<FilterEngine> engine_;
};

}  // namespace vtps::filter
