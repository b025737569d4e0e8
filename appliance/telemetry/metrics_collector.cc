#include "appliance/telemetry/metrics_collector.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string_view>

#include "appliance/telemetry/exposition.h"
#include "appliance/telemetry/metric_catalog.h"
#include "appliance/telemetry/session_metrics.h"
#include "crypto/accel/cpu_features.h"
#include "dataplane/proxy/proxy_counters.h"

namespace vtps::telemetry {
namespace {

int64_t nowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Engine counter names (proxy_counters.cc) behind the labelled families.
struct Mapped {
  std::string_view counter;
  std::string_view label;
};
constexpr Mapped kDecisionCounters[] = {
    {"sessionsDecrypted", "decrypted"},
    {"sessionsDecryptedNotInspected", "decrypted_not_inspected"},
    {"sessionsNotDecrypted", "not_decrypted"},
    {"sessionsBypassed", "bypassed"},
    {"sessionsBlocked", "blocked"},
};
constexpr Mapped kDropCounters[] = {
    {"sessionsCleartextDropped", "cleartext"},
    {"sessionsMalformedHello", "malformed_hello"},
    {"sessionsHelloTimeout", "hello_timeout"},
};
constexpr Mapped kByteCounters[] = {
    {"tcpBytesClientToServer", "client_to_server"},
    {"tcpBytesServerToClient", "server_to_client"},
};
constexpr Mapped kCleartextCounters[] = {
    {"cleartextInspected", "inspected"},
    {"cleartextNotInspected", "not_inspected"},
    {"cleartextBlocked", "blocked"},
};
constexpr Mapped kCleartextByteCounters[] = {
    {"cleartextBytesClientToServer", "client_to_server"},
    {"cleartextBytesServerToClient", "server_to_client"},
};
constexpr Mapped kHandshakeFailureCounters[] = {
    {"clientHandshakeFailures", "client"},
    {"serverHandshakeFailures", "server"},
};
constexpr Mapped kFilterActionCounters[] = {
    {"action_block", "block"},
    {"action_permit_notify", "permit_notify"},
    {"action_trace", "trace"},
};

bool isGaugeCounter(std::string_view name) {
  for (const proxy::CounterInfo& info : proxy::counterInfo()) {
    if (info.name == name) return info.gauge;
  }
  return false;
}

prometheus::MetricFamily* familyIn(std::vector<prometheus::MetricFamily>& families,
                                   std::string_view name) {
  for (auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

}  // namespace

MetricsCollector::MetricsCollector(MetricsSources sources, BuildIdentity identity)
    : sources_(std::move(sources)), identity_(std::move(identity)), start_unix_ms_(nowUnixMs()) {
  for (const accel::NamedFeature& f : accel::listCpuFeatures(accel::detectCpuFeatures())) {
    cpu_features_.emplace_back(std::string(f.name), f.present);
  }
}

std::vector<prometheus::MetricFamily> MetricsCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  if (sources_.sessions != nullptr) {
    sources_.sessions->collect(out);
  } else {
    for (auto name : {metric::kConnections, metric::kSessionBytes, metric::kHandshakes,
                      metric::kHandshakeDuration, metric::kAlerts}) {
      out.push_back(makeFamily(name));
    }
  }
  collectEngine(out);
  collectWorkers(out);
  collectMint(out);
  collectFilters(out);
  collectDataplane(out);
  collectControl(out);
  collectIdentity(out);
  return out;
}

void MetricsCollector::collectEngine(std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily accepted = makeFamily(metric::kAccepted);
  prometheus::MetricFamily active = makeFamily(metric::kSessionsActive);
  prometheus::MetricFamily decisions = makeFamily(metric::kDecisions);
  prometheus::MetricFamily bytes = makeFamily(metric::kBytes);
  prometheus::MetricFamily dropped = makeFamily(metric::kDropped);
  prometheus::MetricFamily cleartext = makeFamily(metric::kCleartextSessions);
  prometheus::MetricFamily cleartext_active = makeFamily(metric::kCleartextActive);
  prometheus::MetricFamily cleartext_bytes = makeFamily(metric::kCleartextBytes);
  prometheus::MetricFamily np_counters = makeFamily(metric::kNpStats);
  prometheus::MetricFamily np_gauges = makeFamily(metric::kNpStatsCurrent);
  prometheus::MetricFamily* handshakes = familyIn(out, metric::kHandshakes);

  std::vector<proxy::CounterGroup> groups;
  if (sources_.engine_counters) groups = sources_.engine_counters();
  std::map<std::string_view, uint64_t> by_name;
  for (const proxy::CounterGroup& group : groups) {
    for (const auto& [name, value] : group.values) {
      by_name[name] = value;
      const double v = static_cast<double>(value);
      addSample(isGaugeCounter(name) ? np_gauges : np_counters, {group.name, name}, v);
    }
  }
  auto mapped = [&](prometheus::MetricFamily& family, std::span<const Mapped> table) {
    for (const Mapped& m : table) {
      auto it = by_name.find(m.counter);
      if (it != by_name.end()) addSample(family, {m.label}, static_cast<double>(it->second));
    }
  };
  // The tcp* counters count every TPROXY-ed connection; the SSL families leave out the sessions of
  // cleartext inspection tuples, which have their own.
  auto sslOnly = [&](std::string_view all, std::string_view plain) {
    return static_cast<double>(by_name[all] - std::min(by_name[all], by_name[plain]));
  };
  if (!groups.empty()) {
    addSample(accepted, {}, sslOnly("tcpAccepted", "cleartextSessions"));
    addSample(active, {}, static_cast<double>(by_name["sessionsActive"]));
    addSample(cleartext_active, {}, static_cast<double>(by_name["cleartextSessionsActive"]));
    for (std::size_t i = 0; i < std::size(kByteCounters); ++i) {
      addSample(bytes, {kByteCounters[i].label},
                sslOnly(kByteCounters[i].counter, kCleartextByteCounters[i].counter));
    }
  }
  mapped(decisions, kDecisionCounters);
  mapped(cleartext, kCleartextCounters);
  mapped(cleartext_bytes, kCleartextByteCounters);
  mapped(dropped, kDropCounters);
  if (handshakes != nullptr) {
    for (const Mapped& m : kHandshakeFailureCounters) {
      auto it = by_name.find(m.counter);
      if (it == by_name.end()) continue;
      addSample(*handshakes, {m.label, "none", "none", "failure"}, static_cast<double>(it->second));
    }
  }
  for (auto* family : {&accepted, &active, &decisions, &bytes, &dropped, &cleartext,
                       &cleartext_active, &cleartext_bytes, &np_counters, &np_gauges})
    out.push_back(std::move(*family));
}

void MetricsCollector::collectWorkers(std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily busy = makeFamily(metric::kWorkerBusy);
  prometheus::MetricFamily running = makeFamily(metric::kWorkers);
  std::vector<proxy::WorkerLoad> load;
  if (sources_.worker_load) load = sources_.worker_load();
  for (const proxy::WorkerLoad& w : load) {
    addSample(busy, {std::to_string(w.worker), std::to_string(w.core)},
              static_cast<double>(w.busy_ns) / 1e9);
  }
  addSample(running, {}, static_cast<double>(load.size()));
  out.push_back(std::move(busy));
  out.push_back(std::move(running));
}

void MetricsCollector::collectMint(std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily hits = makeFamily(metric::kMintHits);
  prometheus::MetricFamily misses = makeFamily(metric::kMintMisses);
  prometheus::MetricFamily evictions = makeFamily(metric::kMintEvictions);
  prometheus::MetricFamily failures = makeFamily(metric::kMintFailures);
  prometheus::MetricFamily entries = makeFamily(metric::kMintEntries);
  prometheus::MetricFamily duration = makeFamily(metric::kMintDuration);
  prometheus::MetricFamily pool_keys = makeFamily(metric::kKeyPoolKeys);
  prometheus::MetricFamily pool_fallbacks = makeFamily(metric::kKeyPoolFallbacks);
  std::optional<MintMetrics> mint;
  if (sources_.mint) mint = sources_.mint();
  if (mint) {
    addSample(hits, {}, static_cast<double>(mint->cache.hits));
    addSample(misses, {}, static_cast<double>(mint->cache.misses));
    addSample(evictions, {}, static_cast<double>(mint->cache.evictions));
    addSample(failures, {}, static_cast<double>(mint->cache.mint_failures));
    addSample(entries, {}, static_cast<double>(mint->cache.entries));
    std::array<double, mint::LatencyHistogram::kUpperBoundsNs.size()> bounds{};
    for (size_t i = 0; i < bounds.size(); ++i)
      bounds[i] = static_cast<double>(mint::LatencyHistogram::kUpperBoundsNs[i]) / 1e9;
    addHistogram(duration, {}, bounds, mint->latency.counts,
                 static_cast<double>(mint->latency.sum_ns) / 1e9);
    for (const MintMetrics::Pool& pool : mint->pools) {
      addSample(pool_keys, {pool.key_type}, static_cast<double>(pool.stats.size));
      addSample(pool_fallbacks, {pool.key_type}, static_cast<double>(pool.stats.inline_fallbacks));
    }
  }
  for (auto* family :
       {&hits, &misses, &evictions, &failures, &entries, &duration, &pool_keys, &pool_fallbacks})
    out.push_back(std::move(*family));
}

void MetricsCollector::collectFilters(std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily actions = makeFamily(metric::kFilterActions);
  prometheus::MetricFamily counters = makeFamily(metric::kFilterEvents);
  std::vector<std::pair<std::string, uint64_t>> values;
  if (sources_.filter_counters) values = sources_.filter_counters();
  for (const auto& [name, value] : values) {
    addSample(counters, {name}, static_cast<double>(value));
    for (const Mapped& m : kFilterActionCounters) {
      if (m.counter == name) addSample(actions, {m.label}, static_cast<double>(value));
    }
  }
  out.push_back(std::move(actions));
  out.push_back(std::move(counters));
}

void MetricsCollector::collectDataplane(std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily packets = makeFamily(metric::kDpPortPackets);
  prometheus::MetricFamily bytes = makeFamily(metric::kDpPortBytes);
  prometheus::MetricFamily drops = makeFamily(metric::kDpPortDrops);
  prometheus::MetricFamily queue_packets = makeFamily(metric::kDpQueuePackets);
  prometheus::MetricFamily queue_drops = makeFamily(metric::kDpQueueDrops);
  prometheus::MetricFamily polls = makeFamily(metric::kDpLcorePolls);
  prometheus::MetricFamily flows = makeFamily(metric::kDpFlows);
  prometheus::MetricFamily filter_flows = makeFamily(metric::kDpFilterFlows);
  prometheus::MetricFamily filter_drops = makeFamily(metric::kDpFilterDrops);
  prometheus::MetricFamily resets = makeFamily(metric::kDpResets);
  prometheus::MetricFamily fallback = makeFamily(metric::kDpFallback);
  prometheus::MetricFamily fallback_entries = makeFamily(metric::kDpFallbackEntries);
  prometheus::MetricFamily exception_packets = makeFamily(metric::kDpExceptionPackets);
  prometheus::MetricFamily exception_flows = makeFamily(metric::kDpExceptionFlows);
  prometheus::MetricFamily proxy_available = makeFamily(metric::kDpProxyAvailable);
  std::optional<DataplaneMetrics> dp;
  if (sources_.dataplane) dp = sources_.dataplane();
  if (dp) {
    auto d = [](uint64_t v) { return static_cast<double>(v); };
    for (const DataplaneMetrics::Port& p : dp->ports) {
      addSample(packets, {p.name, "rx"}, d(p.rx_packets));
      addSample(packets, {p.name, "tx"}, d(p.tx_packets));
      addSample(bytes, {p.name, "rx"}, d(p.rx_bytes));
      addSample(bytes, {p.name, "tx"}, d(p.tx_bytes));
      addSample(drops, {p.name, "rx_missed"}, d(p.rx_missed));
      addSample(drops, {p.name, "rx_errors"}, d(p.rx_errors));
      addSample(drops, {p.name, "tx_errors"}, d(p.tx_errors));
      addSample(drops, {p.name, "rx_no_mbuf"}, d(p.rx_no_mbuf));
    }
    for (const DataplaneMetrics::Queue& q : dp->queues) {
      const std::string queue = std::to_string(q.queue);
      addSample(queue_packets, {q.port, queue, q.rx ? "rx" : "tx"}, d(q.packets));
      if (!q.rx) addSample(queue_drops, {q.port, queue, "tx_full"}, d(q.tx_full_drops));
    }
    for (const DataplaneMetrics::Lcore& l : dp->lcores) {
      const std::string lcore = std::to_string(l.lcore);
      addSample(polls, {lcore, "busy"}, d(l.polls - l.idle_polls));
      addSample(polls, {lcore, "idle"}, d(l.idle_polls));
      addSample(flows, {lcore}, d(l.flows));
      if (l.exception_path) {
        addSample(exception_packets, {lcore, "to_kernel"}, d(l.to_kernel));
        addSample(exception_packets, {lcore, "from_kernel"}, d(l.from_kernel));
        addSample(exception_packets, {lcore, "unmatched"}, d(l.unmatched));
        addSample(exception_flows, {lcore, "steered"}, d(l.flows_steered));
        addSample(exception_flows, {lcore, "bypassed"}, d(l.flows_bypassed));
        addSample(exception_flows, {lcore, "refused"}, d(l.flows_refused));
      }
      if (!l.filters) continue;
      addSample(filter_flows, {lcore, "inspected"}, d(l.flows_inspected));
      addSample(filter_flows, {lcore, "skipped"}, d(l.flows_skipped));
      addSample(filter_flows, {lcore, "decided"}, d(l.flows_decided));
      addSample(filter_flows, {lcore, "blocked"}, d(l.flows_blocked));
      addSample(filter_drops, {lcore, "blocked"}, d(l.blocked_drops));
      addSample(filter_drops, {lcore, "rate_limit"}, d(l.rate_limit_drops));
      addSample(filter_drops, {lcore, "beyond_window"}, d(l.beyond_window_drops));
      addSample(filter_drops, {lcore, "fallback"}, d(l.fallback_drops));
      addSample(resets, {lcore}, d(l.resets));
      addSample(fallback, {lcore}, d(l.fallback_active));
      addSample(fallback_entries, {lcore}, d(l.fallback_entries));
    }
  }
  if (dp && dp->proxy_available) addSample(proxy_available, {}, *dp->proxy_available ? 1 : 0);
  for (auto* family : {&packets, &bytes, &drops, &queue_packets, &queue_drops, &polls, &flows,
                       &filter_flows, &filter_drops, &resets, &fallback, &fallback_entries,
                       &exception_packets, &exception_flows, &proxy_available})
    out.push_back(std::move(*family));
}

void MetricsCollector::collectControl(std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily generation = makeFamily(metric::kConfigGeneration);
  prometheus::MetricFamily reloads = makeFamily(metric::kConfigReloads);
  prometheus::MetricFamily loaded_at = makeFamily(metric::kConfigLoadedAt);
  prometheus::MetricFamily ready = makeFamily(metric::kReady);
  {
    std::lock_guard lock(control_mutex_);
    addSample(generation, {}, static_cast<double>(generation_));
    addSample(reloads, {"success"}, static_cast<double>(reloads_ok_));
    addSample(reloads, {"failure"}, static_cast<double>(reloads_failed_));
    if (loaded_unix_ms_ != 0) {
      addSample(loaded_at, {}, static_cast<double>(loaded_unix_ms_) / 1000.0);
    }
  }
  addSample(ready, {}, readiness().ready ? 1.0 : 0.0);
  for (auto* family : {&generation, &reloads, &loaded_at, &ready})
    out.push_back(std::move(*family));
}

void MetricsCollector::collectIdentity(std::vector<prometheus::MetricFamily>& out) const {
  prometheus::MetricFamily start = makeFamily(metric::kStartTime);
  prometheus::MetricFamily build = makeFamily(metric::kBuildInfo);
  prometheus::MetricFamily cpu = makeFamily(metric::kCpuFeature);
  prometheus::MetricFamily aead = makeFamily(metric::kAeadProvider);
  addSample(start, {}, static_cast<double>(start_unix_ms_) / 1000.0);
  addSample(build, {identity_.version}, 1.0);
  for (const auto& [name, present] : cpu_features_)
    addSample(cpu, {name}, present ? 1.0 : 0.0);
  addSample(aead, {identity_.aead_provider}, 1.0);
  for (auto* family : {&start, &build, &cpu, &aead})
    out.push_back(std::move(*family));
}

void MetricsCollector::configApplied(size_t proxy_workers) {
  std::lock_guard lock(control_mutex_);
  if (generation_ > 0) ++reloads_ok_;
  ++generation_;
  loaded_unix_ms_ = nowUnixMs();
  expected_workers_ = proxy_workers;
}

void MetricsCollector::reloadFailed() {
  std::lock_guard lock(control_mutex_);
  ++reloads_failed_;
}

void MetricsCollector::setStopping() {
  std::lock_guard lock(control_mutex_);
  stopping_ = true;
}

void MetricsCollector::setWaitingForKeys(std::vector<std::string> names) {
  std::lock_guard lock(control_mutex_);
  waiting_for_keys_ = std::move(names);
}

size_t MetricsCollector::runningWorkers() const {
  return sources_.worker_load ? sources_.worker_load().size() : 0;
}

Readiness MetricsCollector::readiness() const {
  size_t expected = 0;
  {
    std::lock_guard lock(control_mutex_);
    if (stopping_) return {false, "stopping"};
    if (generation_ == 0) return {false, "configuration not loaded"};
    if (!waiting_for_keys_.empty()) {
      std::string names;
      for (const auto& n : waiting_for_keys_)
        names += (names.empty() ? "" : ", ") + n;
      return {false, "waiting for keys: " + names};
    }
    expected = expected_workers_;
  }
  const size_t running = runningWorkers();
  if (running < expected) {
    return {false,
            std::to_string(running) + " of " + std::to_string(expected) + " proxy workers running"};
  }
  return {true, {}};
}

}  // namespace vtps::telemetry
