// The proxy watchdog: whether vtpsd's proxy workers can take new connections, for the dpdk
// dataplane's lcores, which steer new SSL-tuple flows to the proxy only while it can
// (Daemon::Parts::proxy_available). Otherwise those flows get the segment's layer-2 fallback
// (device.dataplane-fallback): fail-open bridges them uninspected, fail-closed drops them;
// flows already steered keep going to the proxy, so proxied sessions are not cleared.
//
// A worker's loop turns at least once a second even when idle (dataplane/proxy/worker.cc,
// kIdlePollMs) and stamps a heartbeat on each turn. A heartbeat older than the stall threshold
// — 3 s: three missed idle turns, far longer than any batch of events takes — means the worker
// is stuck (a blocking call, a runaway loop, `vtpsctl debug np proxy-stall`) and its listener's
// backlog is not being accepted. A worker whose thread has left its loop is unavailable at once,
// and so is an engine without workers. One unavailable worker makes the proxy unavailable: the
// kernel spreads new connections over every worker's SO_REUSEPORT listener, so a share of them
// would wait on the stuck one.
//
// Pure: the daemon's control loop calls check() about twice a second with the engine's
// workerLoad() (atomics only) and logs the transitions it returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "dataplane/proxy/proxy_engine.h"

namespace vtps::daemon {

class ProxyWatchdog {
 public:
  static constexpr int64_t kStallThresholdMs = 3000;
  // How often the control loop checks (its epoll_wait timeout with the dpdk dataplane).
  static constexpr int kCheckPeriodMs = 500;

  struct Transition {
    bool available = true;  // the state entered
    // Entering unavailable: which workers and why ("worker 0 (core 2) stalled for 3.4 s");
    // leaving it: how long the proxy was stuck (from the oldest stale heartbeat) and how long
    // of that in fallback (from the check that saw it).
    std::string reason;
  };

  explicit ProxyWatchdog(int64_t stall_threshold_ms = kStallThresholdMs)
      : threshold_ms_(stall_threshold_ms) {}

  // Judges `workers` at `now_ms` (steady-clock ms, the clock of WorkerLoad::heartbeat_ms).
  // Returns the transition when the state differs from the previous check's (the first check
  // compares with available).
  std::optional<Transition> check(const std::vector<proxy::WorkerLoad>& workers, int64_t now_ms);
  bool available() const { return available_; }

 private:
  int64_t threshold_ms_;
  bool available_ = true;
  int64_t entered_ms_ = 0;        // the check that found the proxy unavailable
  int64_t stalled_since_ms_ = 0;  // when the proxy stopped answering (stalledSince)
};

// The system.log message of a transition (event proxy-fallback): the reason, and what happens to
// new SSL flows under `fallback` and to the sessions already proxied.
std::string proxyFallbackMessage(const ProxyWatchdog::Transition& transition,
                                 config::DataplaneFallback fallback);

// Steady-clock milliseconds: the clock of the workers' heartbeats.
int64_t steadyNowMs();

}  // namespace vtps::daemon
