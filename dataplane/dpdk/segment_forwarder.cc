#include "dataplane/dpdk/segment_forwarder.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <algorithm>
#include <set>

#include "dataplane/dpdk/forwarder_state.h"

namespace vtps::dpdk {
namespace {

Status checkInputs(const std::vector<ForwarderSegment>& segments, const ForwarderOptions& o) {
  if (o.lcores.empty()) return Error{"start segment forwarding: no worker lcore"};
  if (segments.empty()) return Error{"start segment forwarding: no segment"};
  std::set<uint16_t> seen;
  for (const ForwarderSegment& s : segments) {
    for (uint16_t port : s.ports) {
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

void buildLcores(SegmentForwarder::State& s) {
  auto idle_cycles =
      static_cast<uint64_t>(s.options.flow_idle_timeout_s * static_cast<double>(rte_get_tsc_hz()));
  for (std::size_t i = 0; i < s.options.lcores.size(); ++i) {
    auto lc = std::make_unique<LcoreState>(s.options.flows_per_lcore, idle_cycles);
    lc->lcore = s.options.lcores[i];
    lc->busy_poll = s.options.busy_poll;
    lc->stop = &s.stop;
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
    }
    lc->flows_live.store(0);
    s.lcores.push_back(std::move(lc));
  }
}

PathCounters readPath(const Path& p) {
  auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  const PathStats& s = p.stats;
  return {p.segment->name,   p.rx_port,        p.tx_port,         p.queue,
          get(s.rx_packets), get(s.rx_bytes),  get(s.tx_packets), get(s.tx_dropped),
          get(s.not_ip),     get(s.truncated), get(s.in_profile)};
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
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  state->segments = std::move(segments);
  for (const ForwarderSegment& seg : state->segments) {
    for (uint16_t port : seg.ports)
      state->ports.push_back(PortState{port, 0, false, false});
  }
  std::unique_ptr<SegmentForwarder> forwarder(new SegmentForwarder(std::move(state)));
  State& s = *forwarder->state_;
  if (Status st = setUpPorts(s); !st.ok())
    return Error{"start segment forwarding: " + st.message()};
  buildLcores(s);
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
  tearDownPorts(*state_);
}

ForwarderSnapshot SegmentForwarder::snapshot() const {
  ForwarderSnapshot out;
  out.busy_poll = state_->options.busy_poll;
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
    for (const std::unique_ptr<Path>& p : lc->paths)
      c.paths.push_back(readPath(*p));
    out.lcores.push_back(std::move(c));
  }
  return out;
}

}  // namespace vtps::dpdk
