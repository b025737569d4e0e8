// Internal: the state SegmentForwarder shares between its control side (segment_forwarder.cc,
// port_setup.cc) and its lcores (lcore_loop.cc). Counters are written by one lcore only, with
// relaxed load+store (a plain mov on x86, no locked instruction), and read by snapshot().
#pragma once

#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dataplane/dpdk/flow_inspection.h"
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
  // Software spreading (SegmentPlacement::software). On the owner lcore: to_worker[i] takes the
  // flows the software hash gives lcore i (null for the owner itself, `self`); the segment's
  // first path also drains from_worker (what the other lcores return, to send) and counts what
  // leaves by its sibling's port on `sibling`. On the other lcores, a single ring path (via_ring)
  // takes ring_in and returns to ring_out.
  std::vector<rte_ring*> to_worker;
  std::vector<rte_ring*> from_worker;
  Path* sibling = nullptr;
  Path* exception_path = nullptr;  // the owner's exception port path of the segment, if any
  std::size_t self = 0;
  bool via_ring = false;
  bool exception = false;  // rx_port is the segment's exception port
  rte_ring* ring_in = nullptr;
  rte_ring* ring_out = nullptr;
};

struct alignas(64) LcoreState {
  LcoreState(std::size_t flows, uint64_t idle_cycles, uint64_t steered_idle_cycles)
      : table(flows, idle_cycles, steered_idle_cycles) {}
  unsigned lcore = 0;
  bool busy_poll = false;
  const std::atomic<bool>* stop = nullptr;
  FlowTable table;
  std::unique_ptr<LcoreInspector> inspector;  // null: no filters
  rte_mempool* pool = nullptr;                // for the resets a block sends
  std::vector<std::unique_ptr<Path>> paths;
  // The exception path (exception_steering.h): the tuples in force, the proxy's availability
  // (null: available) and what happens to SSL-tuple flows while it is unavailable.
  const std::atomic<const SteerSet*>* steering = nullptr;
  const std::atomic<bool>* proxy_available = nullptr;
  FallbackMode fallback = FallbackMode::kFailOpen;
  bool exception_path = false;
  struct {
    Counter flows_steered{0}, flows_bypassed{0}, flows_refused{0}, to_kernel{0}, from_kernel{0},
        unmatched{0}, refused_drops{0};
  } exception;
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
// Such a whole segment is spread by software when there are fewer of them than lcores: its
// owner hands each flow to the lcore the symmetric flow hash picks, through rings.
struct SegmentPlacement {
  bool spread = false;
  bool software = false;
  std::size_t owner = 0;  // index into options.lcores when !spread
};

// The lcore a flow belongs to under software spreading: high bits of the symmetric flow hash
// (the low ones index the flow tables' buckets).
inline std::size_t softwareLcore(uint64_t hash, std::size_t lcores) {
  return static_cast<std::size_t>(hash >> 40) % lcores;
}

struct SegmentForwarder::State {
  ForwarderOptions options;
  std::vector<ForwarderSegment> segments;
  std::vector<SegmentPlacement> placements;  // decided by setUpPorts()
  std::vector<PortState> ports;
  std::unique_ptr<rte_mempool, MempoolDeleter> pool;
  std::vector<std::unique_ptr<LcoreState>> lcores;
  std::vector<rte_ring*> rings;  // software spreading's hand-off rings, freed by stop()
  // Every steering set published (the lcores may hold any of them until they stop); the last
  // one is in force.
  std::vector<std::unique_ptr<const SteerSet>> steer_sets;
  std::atomic<const SteerSet*> steering{nullptr};
  std::mutex steer_mutex;  // setSteering() callers (control threads), never the lcores
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
