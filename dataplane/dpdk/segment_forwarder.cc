#include "dataplane/dpdk/segment_forwarder.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "dataplane/dpdk/forwarder_state.h"

namespace vtps::dpdk {
namespace {

Status checkInputs(const std::vector<ForwarderSegment>& segments, const ForwarderOptions& o) {
  if (o.lcores.empty()) return Error{"start segment forwarding: no worker lcore"};
  if (segments.empty()) return Error{"start segment forwarding: no segment"};
  std::set<uint16_t> seen;
  for (const ForwarderSegment& s : segments) {
    std::vector<uint16_t> ports(s.ports, s.ports + 2);
    if (s.exception_port >= 0) ports.push_back(static_cast<uint16_t>(s.exception_port));
    for (uint16_t port : ports) {
      if (!rte_eth_dev_is_valid_port(port)) {
        return Error{"start segment forwarding: segment \"" + s.name + "\" names port " +
                     std::to_string(port) + ", which does not exist"};
      }
      if (!seen.insert(port).second) {
        return Error{"start segment forwarding: port " + std::to_string(port) +
                     " is used twice (segment \"" + s.name + "\")"};
      }
    }
  }
  for (unsigned lcore : o.lcores) {
    if (!rte_lcore_is_enabled(lcore) || lcore == rte_get_main_lcore()) {
      return Error{"start segment forwarding: lcore " + std::to_string(lcore) +
                   " is not an enabled worker lcore"};
    }
  }
  return Status::success();
}

constexpr unsigned kSoftwareRingSize = 4096;

// A single-producer, single-consumer hand-off ring of software spreading, owned by the state.
Result<rte_ring*> makeRing(SegmentForwarder::State& s) {
  static std::atomic<unsigned> next{0};
  std::string name = "vtps_sw_" + std::to_string(next.fetch_add(1));
  rte_ring* r = rte_ring_create(name.c_str(), kSoftwareRingSize, SOCKET_ID_ANY,
                                RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (r == nullptr) {
    return Error{"start segment forwarding: create the software spreading ring " + name + ": " +
                 rte_strerror(rte_errno)};
  }
  s.rings.push_back(r);
  return r;
}

// Software spreading of segment k: the owner's two port paths (first, second) and its
// exception port's path (when there is one) hand flows to the other lcores; the first sends
// what they return; every other lcore gets one ring path.
Status wireSoftware(SegmentForwarder::State& s, std::size_t k, Path& first, Path& second,
                    Path* exception) {
  std::size_t lcores = s.options.lcores.size();
  std::size_t owner = s.placements[k].owner;
  first.to_worker.assign(lcores, nullptr);
  first.from_worker.assign(lcores, nullptr);
  for (std::size_t i = 0; i < lcores; ++i) {
    if (i == owner) continue;
    Result<rte_ring*> in = makeRing(s);
    if (!in.ok()) return in.error();
    Result<rte_ring*> out = makeRing(s);
    if (!out.ok()) return out.error();
    first.to_worker[i] = *in;
    first.from_worker[i] = *out;
    auto path = std::make_unique<Path>();
    path->rx_port = s.segments[k].ports[0];
    path->tx_port = s.segments[k].ports[1];
    path->segment = &s.segments[k];
    path->via_ring = true;
    s.lcores[i]->exception_path = s.segments[k].exception_port >= 0;
    path->ring_in = *in;
    path->ring_out = *out;
    s.lcores[i]->paths.push_back(std::move(path));
  }
  second.to_worker = first.to_worker;
  first.sibling = &second;
  first.self = second.self = owner;
  // The exception port's path hands off by the same flow hash: a steered flow's packets from
  // the kernel reach the lcore that holds the flow.
  first.exception_path = exception;
  if (exception != nullptr) {
    exception->to_worker = first.to_worker;
    exception->self = owner;
  }
  return Status::success();
}

Status buildLcores(SegmentForwarder::State& s) {
  auto hz = static_cast<double>(rte_get_tsc_hz());
  auto idle_cycles = static_cast<uint64_t>(s.options.flow_idle_timeout_s * hz);
  auto steered_idle_cycles = static_cast<uint64_t>(s.options.steered_flow_idle_timeout_s * hz);
  for (std::size_t i = 0; i < s.options.lcores.size(); ++i) {
    auto lc =
        std::make_unique<LcoreState>(s.options.flows_per_lcore, idle_cycles, steered_idle_cycles);
    lc->lcore = s.options.lcores[i];
    lc->busy_poll = s.options.busy_poll;
    lc->stop = &s.stop;
    lc->pool = s.pool.get();
    lc->steering = &s.steering;
    lc->proxy_available = s.options.proxy_available;
    lc->fallback = s.options.inspection.fallback;
    if (s.options.inspection.engine)
      lc->inspector = std::make_unique<LcoreInspector>(lc->lcore, s.options.inspection);
    for (std::size_t k = 0; k < s.segments.size(); ++k) {
      const ForwarderSegment& seg = s.segments[k];
      const SegmentPlacement& placement = s.placements[k];
      if (!placement.spread && placement.owner != i) continue;
      for (int dir = 0; dir < 2; ++dir) {
        auto path = std::make_unique<Path>();
        path->rx_port = seg.ports[dir];
        path->tx_port = seg.ports[1 - dir];
        path->queue = placement.spread ? static_cast<uint16_t>(i) : 0;
        path->segment = &seg;
        lc->paths.push_back(std::move(path));
      }
      if (seg.exception_port >= 0) {
        auto path = std::make_unique<Path>();
        path->rx_port = path->tx_port = static_cast<uint16_t>(seg.exception_port);
        path->segment = &seg;
        path->exception = true;
        lc->paths.push_back(std::move(path));
      }
      lc->exception_path = lc->exception_path || seg.exception_port >= 0;
    }
    lc->flows_live.store(0);
    s.lcores.push_back(std::move(lc));
  }
  for (std::size_t k = 0; k < s.segments.size(); ++k) {
    if (!s.placements[k].software) continue;
    // buildLcores gave the owner the segment's paths in order: a -> b, b -> a, the exception
    // port's.
    std::vector<Path*> owned;
    for (std::unique_ptr<Path>& p : s.lcores[s.placements[k].owner]->paths) {
      if (p->segment == &s.segments[k] && !p->via_ring) owned.push_back(p.get());
    }
    if (owned.size() < 2) return Error{"start segment forwarding: segment paths missing"};
    VTPS_RETURN_IF_ERROR(
        wireSoftware(s, k, *owned[0], *owned[1], owned.size() > 2 ? owned[2] : nullptr));
  }
  return Status::success();
}

// After the lcores stopped: what is still in the hand-off rings goes back to the pool.
void freeRings(SegmentForwarder::State& s) {
  for (rte_ring* r : s.rings) {
    void* m = nullptr;
    while (rte_ring_sc_dequeue(r, &m) == 0)
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
  s.rings.clear();
}

PathCounters readPath(const Path& p) {
  auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  const PathStats& s = p.stats;
  return {p.segment->name,   p.rx_port,         p.tx_port,         p.queue,       get(s.rx_packets),
          get(s.rx_bytes),   get(s.tx_packets), get(s.tx_dropped), get(s.not_ip), get(s.truncated),
          get(s.in_profile), p.via_ring,        p.exception};
}

PortCounters readPort(const PortState& p) {
  PortCounters out;
  out.port = p.port;
  out.queues = p.queues;
  out.rss = p.rss;
  char name[RTE_ETH_NAME_MAX_LEN] = "";
  rte_eth_dev_get_name_by_port(p.port, name);
  out.name = name;
  rte_eth_stats st{};
  if (rte_eth_stats_get(p.port, &st) == 0) {
    out.rx_packets = st.ipackets;
    out.tx_packets = st.opackets;
    out.rx_bytes = st.ibytes;
    out.tx_bytes = st.obytes;
    out.rx_missed = st.imissed;
    out.rx_errors = st.ierrors;
    out.tx_errors = st.oerrors;
    out.rx_no_mbuf = st.rx_nombuf;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<SegmentForwarder>> SegmentForwarder::start(
    std::vector<ForwarderSegment> segments, ForwarderOptions options) {
  VTPS_RETURN_IF_ERROR(checkInputs(segments, options));
  options.inspection.cycles = [] { return rte_rdtsc(); };
  options.inspection.cycles_per_second = rte_get_tsc_hz();
  if (options.inspection.budget <= 0 || options.inspection.budget > 1)
    return Error{"start segment forwarding: the inspection budget must be in (0, 1]"};
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  state->segments = std::move(segments);
  for (const ForwarderSegment& seg : state->segments) {
    for (uint16_t port : seg.ports)
      state->ports.push_back(PortState{port, 0, false, false});
  }
  // The exception ports after all segment ports (port_setup.cc counts on segment k owning
  // ports 2k and 2k+1).
  for (const ForwarderSegment& seg : state->segments) {
    if (seg.exception_port >= 0)
      state->ports.push_back(PortState{static_cast<uint16_t>(seg.exception_port), 1, false, false});
  }
  state->steer_sets.push_back(
      std::make_unique<const SteerSet>(SteerSet{std::move(state->options.steering)}));
  state->steering.store(state->steer_sets.back().get());
  std::unique_ptr<SegmentForwarder> forwarder(new SegmentForwarder(std::move(state)));
  State& s = *forwarder->state_;
  if (Status st = setUpPorts(s); !st.ok())
    return Error{"start segment forwarding: " + st.message()};
  VTPS_RETURN_IF_ERROR(buildLcores(s));
  for (const std::unique_ptr<LcoreState>& lc : s.lcores) {
    if (lc->paths.empty()) continue;  // more lcores than whole segments: nothing to poll
    int rc = rte_eal_remote_launch(runLcore, lc.get(), lc->lcore);
    if (rc != 0) {
      return Error{"start segment forwarding: launch lcore " + std::to_string(lc->lcore) +
                   ": it is busy"};
    }
    s.launched.push_back(lc->lcore);
  }
  return forwarder;
}

SegmentForwarder::SegmentForwarder(std::unique_ptr<State> state) : state_(std::move(state)) {}

SegmentForwarder::~SegmentForwarder() {
  stop();
}

void SegmentForwarder::stop() {
  if (!state_) return;
  state_->stop.store(true);
  for (unsigned lcore : state_->launched)
    rte_eal_wait_lcore(lcore);
  state_->launched.clear();
  freeRings(*state_);
  tearDownPorts(*state_);
}

void SegmentForwarder::setSteering(std::vector<SteerTuple> tuples) {
  std::lock_guard<std::mutex> lock(state_->steer_mutex);
  state_->steer_sets.push_back(std::make_unique<const SteerSet>(SteerSet{std::move(tuples)}));
  state_->steering.store(state_->steer_sets.back().get(), std::memory_order_release);
}

ForwarderSnapshot SegmentForwarder::snapshot() const {
  ForwarderSnapshot out;
  out.busy_poll = state_->options.busy_poll;
  out.inspecting = state_->options.inspection.engine != nullptr;
  out.fallback = state_->options.inspection.fallback;
  out.inspection_budget = state_->options.inspection.budget;
  for (const PortState& p : state_->ports)
    out.ports.push_back(readPort(p));
  auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  for (const std::unique_ptr<LcoreState>& lc : state_->lcores) {
    LcoreCounters c;
    c.lcore = lc->lcore;
    c.polls = get(lc->polls);
    c.idle_polls = get(lc->idle_polls);
    c.sleeps = get(lc->sleeps);
    c.flows_created = get(lc->flows_created);
    c.flows_evicted = get(lc->flows_evicted);
    c.flows_expired = get(lc->flows_expired);
    c.flows_live = get(lc->flows_live);
    c.flow_capacity = lc->table.capacity();
    if (lc->inspector) {
      c.inspecting = true;
      c.inspection = lc->inspector->counters();
    }
    c.exception_path = lc->exception_path;
    const auto& x = lc->exception;
    c.exception = {get(x.flows_steered), get(x.flows_bypassed), get(x.flows_refused),
                   get(x.to_kernel),     get(x.from_kernel),    get(x.unmatched),
                   get(x.refused_drops)};
    for (const std::unique_ptr<Path>& p : lc->paths)
      c.paths.push_back(readPath(*p));
    out.lcores.push_back(std::move(c));
  }
  return out;
}

}  // namespace vtps::dpdk
