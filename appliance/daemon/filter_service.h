// vtpsd's filter engine: builds it from the config, hands the proxy its InspectorFactory, swaps
// pipelines on reload, and turns what the engine reports into files. Filter events become
// block.log and alert.log lines (posted to the JsonLog from the worker: the post only queues);
// packet traces are queued to the control thread, which writes them into filters.trace-dir when
// pollFd() is readable (file I/O never runs on a worker).
//
// Threading: everything but the FilterEventSink callbacks runs on the control thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "appliance/config/config.h"
#include "appliance/mgmt/control_server.h"
#include "appliance/telemetry/bounded_queue.h"
#include "appliance/telemetry/json_log.h"
#include "crypto/result.h"
#include "dataplane/filter/filter_inspector.h"
#include "dataplane/proxy/unique_fd.h"

namespace vtps::daemon {

// One block.log or alert.log line: the event's JSON (filter::toJsonLine) with an RFC 3339 time.
telemetry::Json filterLogEntry(const filter::FilterEvent& event);

class FilterService final : public filter::FilterEventSink {
 public:
  // Builds the pipeline from `config` (rule files loaded and compiled, reputation lists read)
  // and reports each rule set's load to system.log. Errors: "filters: <cause>".
  static Result<std::unique_ptr<FilterService>> create(const config::Config& config,
                                                       telemetry::JsonLog& log);
  ~FilterService() override;

  std::shared_ptr<proxy::InspectorFactory> inspectorFactory() const { return factory_; }
  const filter::FilterEngine& engine() const { return *engine_; }
  // The engine itself, for the dpdk dataplane's inspection of cleartext segment flows.
  std::shared_ptr<filter::FilterEngine> sharedEngine() const { return engine_; }

  // Builds the pipeline `config` asks for without switching to it.
  static Result<std::shared_ptr<const filter::Pipeline>> prepare(const config::Config& config);
  // Switches new sessions to `pipeline` (built by prepare() from `config`) and reports its load.
  void install(std::shared_ptr<const filter::Pipeline> pipeline, const config::Config& config);

  // Readable (eventfd) when traces wait to be written; writeTraces() drains them.
  int pollFd() const { return event_fd_.get(); }
  void writeTraces();

  // Control socket methods: "filters" (rule sets, counters) and "filters-top" {count}.
  mgmt::Json showResponse() const;
  mgmt::Json topResponse(const mgmt::Json& request) const;

  // filter::FilterEventSink, called on proxy workers: queue only.
  void filterEvent(const filter::FilterEvent& event) override;
  void traceCaptured(filter::TraceCapture capture) override;

 private:
  explicit FilterService(telemetry::JsonLog& log);
  void reportLoad();

  telemetry::JsonLog& log_;
  std::shared_ptr<filter::FilterEngine> engine_;
  std::shared_ptr<filter::FilterInspectorFactory> factory_;
  telemetry::BoundedQueue<filter::TraceCapture> traces_{64};
  std::atomic<uint64_t> traces_dropped_{0};
  proxy::UniqueFd event_fd_;
  std::string trace_dir_;
  // filters.cleartext-inspection of the config in force, for `vtpsctl show filters`.
  mgmt::Json cleartext_tuples_ = mgmt::Json::array();
  void rememberTuples(const config::Config& config);
};

}  // namespace vtps::daemon
