// MetricsCollector: the prometheus-cpp Collectable behind vtpsd's /metrics. Nothing is counted
// through prometheus-cpp on the data path: at scrape time the collector reads the proxy engine's
// per-worker counters, the workers' busy time, the mint cache and key pool, the filter counters
// and the session tallies (SessionMetrics), and builds every family of the catalog from them.
// Control-plane facts (config generation, reload results, readiness) are pushed by the control
// thread through the setters.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/mint/key_pool.h"
#include "crypto/mint/latency_histogram.h"
#include "crypto/mint/mint_cache.h"
#include "dataplane/proxy/proxy_engine.h"

namespace vtps::telemetry {

class SessionMetrics;

// Leaf-minting state (client inspection), read at scrape time.
struct MintMetrics {
  mint::MintCacheStats cache;
  mint::LatencyHistogram::Snapshot latency;
  struct Pool {
    std::string key_type;  // "ecdsa-p256", "rsa-2048"
    mint::KeyPoolStats stats;
  };
  std::vector<Pool> pools;
};

// Where the scraped numbers come from. Every source is optional: unset, its families are exposed
// without samples (HELP and TYPE only). Sources are called on the metrics server's threads while
// the collector lives, so each must be safe to call from any thread (the engine's counters() and
// workerLoad() read only atomics).
// The DPDK dataplane's counters, read at scrape time (device.dataplane: dpdk only).
struct DataplaneMetrics {
  struct Port {
    std::string name;
    uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
    uint64_t rx_missed = 0, rx_errors = 0, tx_errors = 0, rx_no_mbuf = 0;
  };
  struct Queue {
    std::string port;
    uint16_t queue = 0;
    bool rx = true;  // the receiving side of a forwarding path, else the sending side
    uint64_t packets = 0;
    uint64_t tx_full_drops = 0;  // sending side only
  };
  struct Lcore {
    unsigned lcore = 0;
    uint64_t polls = 0, idle_polls = 0, flows = 0;
    bool filters = false;  // the filters run on this lcore (the fields below are set)
    uint64_t flows_inspected = 0, flows_skipped = 0, flows_decided = 0, flows_blocked = 0;
    uint64_t blocked_drops = 0, rate_limit_drops = 0, beyond_window_drops = 0, fallback_drops = 0;
    uint64_t resets = 0, fallback_active = 0, fallback_entries = 0;
    bool exception_path = false;  // the lcore steers SSL-tuple flows (the fields below are set)
    uint64_t to_kernel = 0, from_kernel = 0, unmatched = 0;
    uint64_t flows_steered = 0, flows_bypassed = 0, flows_refused = 0;
  };
  std::vector<Port> ports;
  std::vector<Queue> queues;
  std::vector<Lcore> lcores;
  std::optional<bool> proxy_available;  // set when the segments have exception ports
};

struct MetricsSources {
  std::function<std::vector<proxy::CounterGroup>()> engine_counters;
  std::function<std::vector<proxy::WorkerLoad>()> worker_load;
  std::function<std::optional<MintMetrics>()> mint;
  std::function<std::vector<std::pair<std::string, uint64_t>>()> filter_counters;
  std::function<std::optional<DataplaneMetrics>()> dataplane;
  const SessionMetrics* sessions = nullptr;  // must outlive the collector
};

// Identity shown by vtps_build_info and vtps_crypto_aead_provider_info.
struct BuildIdentity {
  std::string version;
  std::string aead_provider = "openssl";  // "openssl" or "ipsec-mb"
};

struct Readiness {
  bool ready = false;
  std::string reason;  // why not, when !ready ("configuration not loaded", ...)
};

class MetricsCollector final : public prometheus::Collectable {
 public:
  MetricsCollector(MetricsSources sources, BuildIdentity identity);

  std::vector<prometheus::MetricFamily> Collect() const override;

  // Control thread. A configuration was loaded (start) or applied (reload): the generation goes
  // up by one, a reload (every call after the first) counts as a success, and the number of
  // proxy workers the configuration asks for becomes what readiness waits for.
  void configApplied(size_t proxy_workers);
  // A reload or apply was refused; the running configuration stays.
  void reloadFailed();
  // vtpsd is draining: not ready any more.
  void setStopping();
  // persist-private-keys off: the keys vtpsd still waits for (empty: none). Not ready while any.
  void setWaitingForKeys(std::vector<std::string> names);

  // Ready when a configuration is loaded, vtpsd is not stopping, waits for no key, and as many
  // workers run as the configuration asks for. Any thread.
  Readiness readiness() const;

 private:
  void collectEngine(std::vector<prometheus::MetricFamily>& out) const;
  void collectWorkers(std::vector<prometheus::MetricFamily>& out) const;
  void collectMint(std::vector<prometheus::MetricFamily>& out) const;
  void collectFilters(std::vector<prometheus::MetricFamily>& out) const;
  void collectDataplane(std::vector<prometheus::MetricFamily>& out) const;
  void collectControl(std::vector<prometheus::MetricFamily>& out) const;
  void collectIdentity(std::vector<prometheus::MetricFamily>& out) const;
  size_t runningWorkers() const;

  MetricsSources sources_;
  BuildIdentity identity_;
  std::vector<std::pair<std::string, bool>> cpu_features_;  // detected once
  int64_t start_unix_ms_ = 0;

  mutable std::mutex control_mutex_;  // control-plane facts, written rarely
  uint64_t generation_ = 0;
  uint64_t reloads_ok_ = 0;
  uint64_t reloads_failed_ = 0;
  int64_t loaded_unix_ms_ = 0;
  size_t expected_workers_ = 0;
  bool stopping_ = false;
  std::vector<std::string> waiting_for_keys_;
};

}  // namespace vtps::telemetry
