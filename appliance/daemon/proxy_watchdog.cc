#include "appliance/daemon/proxy_watchdog.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace vtps::daemon {
namespace {

std::string seconds(int64_t ms) {
  return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

// "worker 0 (core 2) stalled for 3.4 s; worker 1 (core 3) stopped", or empty when all are alive.
std::string stalledWorkers(const std::vector<proxy::WorkerLoad>& workers, int64_t now_ms,
                           int64_t threshold_ms) {
  std::string out;
  for (const proxy::WorkerLoad& w : workers) {
    std::string what;
    if (!w.running) {
      what = "stopped";
    } else if (now_ms - w.heartbeat_ms > threshold_ms) {
      what = "stalled for " + seconds(now_ms - w.heartbeat_ms);
    } else {
      continue;
    }
    out += fmt::format("{}worker {} (core {}) {}", out.empty() ? "" : "; ", w.worker, w.core, what);
  }
  return out;
}

// When the proxy stopped answering: the oldest stale heartbeat (a stuck worker was last seen
// then), else now (a stopped worker, no worker).
int64_t stalledSince(const std::vector<proxy::WorkerLoad>& workers, int64_t now_ms,
                     int64_t threshold_ms) {
  int64_t since = now_ms;
  for (const proxy::WorkerLoad& w : workers) {
    if (w.running && now_ms - w.heartbeat_ms > threshold_ms)
      since = std::min(since, w.heartbeat_ms);
  }
  return since;
}

}  // namespace

std::optional<ProxyWatchdog::Transition> ProxyWatchdog::check(
    const std::vector<proxy::WorkerLoad>& workers, int64_t now_ms) {
  std::string stalled = workers.empty() ? std::string("no proxy worker is running")
                                        : stalledWorkers(workers, now_ms, threshold_ms_);
  const bool available = stalled.empty();
  if (available == available_) return std::nullopt;
  available_ = available;
  if (!available) {
    entered_ms_ = now_ms;
    stalled_since_ms_ = stalledSince(workers, now_ms, threshold_ms_);
    return Transition{false, std::move(stalled)};
  }
  return Transition{true, "every proxy worker is turning its loop again after " +
                              seconds(now_ms - stalled_since_ms_) + " stalled, " +
                              seconds(now_ms - entered_ms_) + " of them in fallback"};
}

std::string proxyFallbackMessage(const ProxyWatchdog::Transition& transition,
                                 config::DataplaneFallback fallback) {
  if (transition.available) {
    return "proxy available again, left layer-2 fallback: " + transition.reason +
           "; new SSL flows are steered to the proxy and inspected again";
  }
  const bool open = fallback == config::DataplaneFallback::kFailOpen;
  return "proxy unavailable (" + transition.reason + "), entered layer-2 fallback (" +
         std::string(config::toString(fallback)) + "): new SSL flows are " +
         (open ? "bridged uninspected" : "dropped") +
         "; sessions already proxied are kept and resume when the proxy does";
}

int64_t steadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace vtps::daemon
