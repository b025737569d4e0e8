// vtpsd's dpdk dataplane (device.dataplane: dpdk): started with the daemon, inside its process,
// on the configured dataplane cores; its counters answer the control method "dataplane"
// (`vtpsctl show dataplane`). Kernel mode has none.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/mgmt/control_server.h"
#include "appliance/telemetry/json_log.h"
#include "appliance/telemetry/metrics_collector.h"
#include "crypto/result.h"
#include "dataplane/dpdk/inline_dataplane.h"
#include "dataplane/filter/filter_inspector.h"
#include "dataplane/proxy/exception_routing.h"
#include "dataplane/proxy/proxy_engine.h"

namespace vtps::daemon {

class DataplaneService {
 public:
  // Reads the host's facts (/sys) and starts the dataplane, its segments' cleartext TCP flows
  // inspected by `filters` (the proxy's engine: block.log and alert.log through its sink);
  // entering and leaving the layer-2 fallback go to system.log (event "dataplane-fallback").
  // Errors: "dpdk dataplane: <cause>".
  // With SSL inspection on, each segment gets an exception port (exception_steering.h) for the
  // SSL tuples of `runnable` (the config the proxy engine runs), whose kernel side is set up
  // here (proxy/exception_routing.h) with the engine's marks and tables; `proxy_available`
  // says whether the proxy takes new flows.
  static Result<std::unique_ptr<DataplaneService>> start(
      const config::Config& config, const config::Config& runnable,
      std::shared_ptr<filter::FilterEngine> filters, telemetry::JsonLog& log,
      const proxy::EngineOptions& engine, const std::atomic<bool>* proxy_available);
  ~DataplaneService();

  // The kernel interfaces of the exception ports `config` gets, one per segment (none with SSL
  // inspection off): the proxy engine's EngineOptions::exception_interfaces.
  static std::vector<std::string> exceptionInterfaces(const config::Config& config);
  // A config the engine applied: its SSL tuples are steered from now on.
  void applyConfig(const config::Config& runnable);
  bool proxyAvailable() const;

  // What to put in system.log at start: the EAL arguments, the host report, the notes.
  std::vector<std::string> startupReport() const;

  // {mode, eal_args, host, ports: [...], lcores: [{..., paths: [...]}], totals: {...}}
  mgmt::Json showResponse() const;
  // The same counters for /metrics (any thread: the forwarder's counters are atomics).
  telemetry::DataplaneMetrics metrics() const;

 private:
  explicit DataplaneService(std::unique_ptr<dpdk::InlineDataplane> dataplane);
  std::unique_ptr<dpdk::InlineDataplane> dataplane_;
  std::optional<proxy::ExceptionRouting> routing_;
  const std::atomic<bool>* proxy_available_ = nullptr;
};

}  // namespace vtps::daemon
