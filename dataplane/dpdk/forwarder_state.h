// Internal: the state SegmentForwarder shares between its control side (segment_forwarder.cc,
// port_setup.cc) and its lcores (lcore_loop.cc). Counters are written by one lcore only, with
// relaxed load+store (a plain mov on x86, no locked instruction), and read by snapshot().
#pragma once

#include <rte_mempool.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/dpdk/flow_table.h"
#include "dataplane/dpdk/segment_forwarder.h"

namespace vtps::dpdk {

using Counter = std::atomic<uint64_t>;

inline void bump(Counter& c, uint64_t n) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct PathStats {
  Counter rx_packets{0}, rx_bytes{0}, tx_packets{0}, tx_dropped{0}, not_ip{0}, truncated{0},
      in_profile{0};
};

struct Path {
  uint16_t rx_port = 0;
  uint16_t tx_port = 0;
  uint16_t queue = 0;
  const ForwarderSegment* segment = nullptr;
  PathStats stats;
};

struct alignas(64) LcoreState {
  LcoreState(std::size_t flows, uint64_t idle_cycles) : table(flows, idle_cycles) {}
  unsigned lcore = 0;
  bool busy_poll = false;
  const std::atomic<bool>* stop = nullptr;
  FlowTable table;
  std::vector<std::unique_ptr<Path>> paths;
  Counter polls{0}, idle_polls{0}, sleeps{0}, flows_created{0}, flows_evicted{0}, flows_expired{0},
      flows_live{0};
};

struct PortState {
  uint16_t port = 0;
  uint16_t queues = 0;
  bool rss = false;
  bool started = false;
};

struct MempoolDeleter {
  void operator()(rte_mempool* mp) const { rte_mempool_free(mp); }
};

// How a segment's packets reach lcores: spread over all of them by symmetric RSS, or the whole
// segment (queue 0 of both ports) on one lcore when a port cannot have one RSS queue per lcore.
struct SegmentPlacement {
  bool spread = false;
  std::size_t owner = 0;  // index into options.lcores when !spread
};

struct SegmentForwarder::State {
  ForwarderOptions options;
  std::vector<ForwarderSegment> segments;
  std::vector<SegmentPlacement> placements;  // decided by setUpPorts()
  std::vector<PortState> ports;
  std::unique_ptr<rte_mempool, MempoolDeleter> pool;
  std::vector<std::unique_ptr<LcoreState>> lcores;
  std::vector<unsigned> launched;
  std::atomic<bool> stop{false};
};

// port_setup.cc: place every segment (spread or whole on one lcore), configure and start its
// ports accordingly; stop and close them.
Status setUpPorts(SegmentForwarder::State& state);
void tearDownPorts(SegmentForwarder::State& state);

// lcore_loop.cc: the lcore entry point (rte_lcore_function_t); `arg` is a LcoreState*.
int runLcore(void* arg);

}  // namespace vtps::dpdk
