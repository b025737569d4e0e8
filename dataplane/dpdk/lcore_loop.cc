// The per-lcore poll loop: receive a burst, look every IP packet's flow up in the lcore's table,
// let the filters decide on the packets of inspected flows (flow_inspection.h), send what is
// kept (and the resets of blocked flows) out of the segment's other port, count per burst.
// Software spreading (segments without RSS, fewer than lcores): the owner hands other lcores
// their flows through rings (handOff), they decide and return (ringBurst), the owner sends what
// comes back (sendReturns); rings are single-producer, single-consumer, no lock.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <algorithm>

#include "dataplane/dpdk/exception_steering.h"
#include "dataplane/dpdk/forwarder_state.h"
#include "dataplane/dpdk/packet_parser.h"
#include "dataplane/dpdk/tcp_segment.h"

namespace vtps::dpdk {
namespace {

constexpr uint16_t kBurst = 32;
constexpr int kPrefetchAhead = 3;
constexpr uint64_t kIdleRoundsBeforeSleep = 256;
constexpr unsigned kMaxSleepUs = 500;

bool anyContains(const std::vector<config::Cidr4>& cidrs, uint32_t address) {
  return cidrs.empty() || std::any_of(cidrs.begin(), cidrs.end(),
                                      [&](const config::Cidr4& c) { return c.contains(address); });
}

// The segment's VLAN/CIDR map for a new flow; IPv4 CIDRs cover no IPv6 flow.
bool inProfile(const ForwarderSegment& s, const ParsedPacket& p) {
  if (!s.vlans.empty() && std::find(s.vlans.begin(), s.vlans.end(), p.vlan) == s.vlans.end())
    return false;
  if (s.sources.empty() && s.destinations.empty()) return true;
  if (p.key.ip_version != 4) return false;
  return anyContains(s.sources, p.src4) && anyContains(s.destinations, p.dst4);
}

struct BurstTally {
  uint64_t bytes = 0, not_ip = 0, truncated = 0, in_profile = 0, created = 0;
  // The exception path (exception_steering.h).
  uint64_t steered = 0, bypassed = 0, refused = 0, to_kernel = 0, from_kernel = 0, unmatched = 0,
           refused_drops = 0;
};

uint16_t otherPort(const ForwarderSegment& s, uint16_t port) {
  return port == s.ports[0] ? s.ports[1] : s.ports[0];
}

bool proxyAvailable(const LcoreState& lc) {
  return lc.proxy_available == nullptr || lc.proxy_available->load(std::memory_order_relaxed);
}

// A steered tagged flow's untagged alias, which the kernel's frames of the flow find; false
// when the untagged key belongs to another flow (or taking a slot for it pushed `e` out).
bool makeAlias(LcoreState& lc, FlowEntry& e, uint64_t now) {
  FlowKey key = untaggedKey(e.key);
  bool created = false;
  FlowEntry& alias = lc.table.findOrInsert(key, flowHash(key), now, created);
  if (&alias == &e) return false;
  if (!created && alias.steer != static_cast<uint8_t>(SteerState::kAlias)) return false;
  alias.steer = static_cast<uint8_t>(SteerState::kAlias);
  alias.exception = e.exception;
  alias.last_seen = now;
  return true;
}

// A new flow's exception decision: an opening SYN to an SSL tuple is steered while the proxy
// takes flows; while it does not, the flow is bridged uninspected or dropped (fallback mode).
void decideSteering(LcoreState& lc, const ForwarderSegment& segment, FlowEntry& e,
                    const uint8_t* frame, uint16_t length, const ParsedPacket& p, uint16_t in,
                    uint64_t now, BurstTally& t) {
  if (segment.exception_port < 0) return;
  const SteerSet* set = lc.steering->load(std::memory_order_acquire);
  if (set == nullptr || set->tuples.empty() || !opensSslTuple(frame, length, p, *set)) return;
  if (proxyAvailable(lc)) {
    rememberClient(e, frame, p, in);
    if (e.exception.tagged && !makeAlias(lc, e, now)) {
      e.steer = static_cast<uint8_t>(SteerState::kNone);  // bridged (docs/dpdk.md)
      return;
    }
    ++t.steered;
  } else if (lc.fallback == FallbackMode::kFailClosed) {
    e.steer = static_cast<uint8_t>(SteerState::kRefused);
    ++t.refused;
  } else {
    e.steer = static_cast<uint8_t>(SteerState::kBypassed);
    ++t.bypassed;
  }
}

// A frame the kernel sent out of the exception port: out by the segment port towards its
// destination with the flow's MAC addresses, or dropped when it belongs to no steered flow.
PacketAction fromKernel(LcoreState& lc, const ForwarderSegment& segment, rte_mbuf* m, uint64_t now,
                        BurstTally& t, uint16_t& out) {
  ParsedPacket p;
  auto* frame = rte_pktmbuf_mtod(m, uint8_t*);
  uint16_t length = rte_pktmbuf_data_len(m);
  FlowEntry* e = nullptr;
  if (parsePacket(frame, length, p) == ParseOutcome::kFlow)
    e = lc.table.find(p.key, flowHash(p.key), now);
  bool alias = e != nullptr && e->steer == static_cast<uint8_t>(SteerState::kAlias);
  if (e == nullptr || (e->steer != static_cast<uint8_t>(SteerState::kSteered) && !alias)) {
    ++t.unmatched;
    return PacketAction::kDrop;
  }
  e->last_seen = now;
  ++e->packets[p.reversed];
  e->bytes[p.reversed] += m->pkt_len;
  out = addressFromKernel(frame, *e, p.src4, segment.ports);
  if (alias) {
    // The tagged flow's frames carry its tag again (the headroom holds it).
    auto* tagged = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
    if (tagged == nullptr) {
      ++t.unmatched;
      return PacketAction::kDrop;
    }
    tagInPlace(tagged, e->exception.vlan_tci);
  }
  ++t.from_kernel;
  return PacketAction::kForward;
}

// The decision for one packet that came in by port `in`; on kForward, `out` is the port it
// leaves by (the caller sets it to the segment's other port; steered flows change it).
PacketAction classify(LcoreState& lc, const ForwarderSegment& segment, rte_mbuf* m, uint16_t in,
                      uint64_t now, BurstTally& t, uint16_t& out) {
  t.bytes += m->pkt_len;
  if (static_cast<int>(in) == segment.exception_port)
    return fromKernel(lc, segment, m, now, t, out);
  ParsedPacket p;
  auto* frame = rte_pktmbuf_mtod(m, uint8_t*);
  uint16_t length = rte_pktmbuf_data_len(m);
  ParseOutcome outcome = parsePacket(frame, length, p);
  if (outcome != ParseOutcome::kFlow) {
    ++(outcome == ParseOutcome::kNotIp ? t.not_ip : t.truncated);
    return PacketAction::kForward;
  }
  bool created = false;
  FlowEntry& e = lc.table.findOrInsert(p.key, flowHash(p.key), now, created);
  if (created) {
    ++t.created;
    e.in_profile = inProfile(segment, p);
    decideSteering(lc, segment, e, frame, length, p, in, now, t);
    if (lc.inspector && e.steer == 0) lc.inspector->flowCreated(e, p);
  } else if (segment.exception_port >= 0 &&
             (plainTcpFlags(frame, length, p) & (kTcpSyn | kTcpAck)) == kTcpSyn) [[unlikely]] {
    // A new connection on a known 4-tuple (or a SYN retransmitted) decides again, with the
    // tuples in force now.
    uint8_t before = e.steer;
    e.steer = 0;
    decideSteering(lc, segment, e, frame, length, p, in, now, t);
    if (lc.inspector && before != 0 && e.steer == 0) lc.inspector->flowCreated(e, p);
  }
  e.last_seen = now;
  ++e.packets[p.reversed];
  e.bytes[p.reversed] += m->pkt_len;
  t.in_profile += e.in_profile;
  if (e.steer != 0) [[unlikely]] {
    switch (static_cast<SteerState>(e.steer)) {
      case SteerState::kSteered:
        if (e.exception.tagged) {
          // The TAP carries no tags (the kernel's frames find the flow by its alias).
          untagInPlace(frame);
          rte_pktmbuf_adj(m, 4);
          frame += 4;
        }
        addressToKernel(frame, segment.exception_mac);
        out = static_cast<uint16_t>(segment.exception_port);
        ++t.to_kernel;
        return PacketAction::kForward;
      case SteerState::kRefused:
        ++t.refused_drops;
        return PacketAction::kDrop;
      case SteerState::kBypassed:
      case SteerState::kAlias:  // an untagged flow with a steered tagged flow's key
      case SteerState::kNone:
        return PacketAction::kForward;
    }
  }
  if (!lc.inspector) return PacketAction::kForward;
  return lc.inspector->onPacket(e, p, frame, length, segment.name, segment.profile);
}

// A reset for the dropped frame (flow_inspection.h); null when the pool is empty.
rte_mbuf* makeReset(rte_mempool* pool, const uint8_t* frame, const TcpSegment& seg,
                    bool toward_sender) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return nullptr;
  char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(seg.l3_offset + 40));
  if (data == nullptr) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  buildTcpReset(frame, seg, toward_sender, reinterpret_cast<uint8_t*>(data));
  return m;
}

// What the flow table and the filters make of a burst: the kept packets, then the resets
// toward the receivers, compacted to the front of pkts (at most one reset per dropped packet,
// so they fit), each with the port it leaves by in out[]; the resets toward the senders in
// back, with that port in their mbuf port. Packets came in by `in_port` (a port's own path) or,
// when it is negative (software spreading's ring), by the port in their mbuf.
struct Decided {
  uint16_t kept = 0;      // pkts[0, kept): to send on, resets toward the receivers last
  uint16_t resets = 0;    // of them, resets
  uint16_t n_back = 0;    // back[0, n_back): resets toward the senders
  bool rerouted = false;  // some out[i] differs from `usual` (the exception path)
};

Decided decide(LcoreState& lc, const ForwarderSegment& segment, rte_mbuf** pkts, uint16_t n,
               rte_mbuf** back, BurstTally& t, int in_port, uint16_t usual, uint16_t* out) {
  uint64_t now = rte_rdtsc();
  for (int i = 0; i < kPrefetchAhead && i < n; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  rte_mbuf* dropped[kBurst];
  rte_mbuf* ahead[kBurst];
  uint16_t n_dropped = 0;
  Decided d;
  LcoreInspector* inspector = lc.inspector.get();
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    rte_mbuf* m = pkts[i];
    uint16_t in = in_port >= 0 ? static_cast<uint16_t>(in_port) : m->port;
    uint16_t to = in_port >= 0 ? usual : otherPort(segment, in);
    PacketAction action = classify(lc, segment, m, in, now, t, to);
    if (action == PacketAction::kForward) {
      d.rerouted |= to != usual;
      out[d.kept] = to;
      pkts[d.kept++] = m;
      continue;
    }
    dropped[n_dropped++] = m;
    if (action != PacketAction::kDropAndReset) continue;
    const auto* frame = rte_pktmbuf_mtod(m, const uint8_t*);
    if (rte_mbuf* r = makeReset(lc.pool, frame, inspector->segment(), false)) {
      r->port = otherPort(segment, in);
      ahead[d.resets++] = r;
    }
    if (rte_mbuf* r = makeReset(lc.pool, frame, inspector->segment(), true)) {
      r->port = in;
      back[d.n_back++] = r;
    }
  }
  if (n_dropped != 0) rte_pktmbuf_free_bulk(dropped, n_dropped);
  for (uint16_t i = 0; i < d.resets; ++i) {
    d.rerouted |= ahead[i]->port != usual;
    out[d.kept] = ahead[i]->port;
    pkts[d.kept++] = ahead[i];
  }
  return d;
}

// Fail-closed fallback: the whole burst is dropped, uninspected.
void dropBurst(LcoreState& lc, Path& path, rte_mbuf** pkts, uint16_t n) {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i)
    bytes += pkts[i]->pkt_len;
  rte_pktmbuf_free_bulk(pkts, n);
  lc.inspector->countFallbackDrops(n);
  bump(path.stats.rx_packets, n);
  bump(path.stats.rx_bytes, bytes);
}

bool failClosed(const LcoreState& lc) {
  return lc.inspector && lc.inspector->inFallback() &&
         lc.inspector->fallbackMode() == FallbackMode::kFailClosed;
}

void countBurst(LcoreState& lc, Path& path, uint16_t n, uint16_t kept, uint16_t sent,
                const BurstTally& t) {
  PathStats& s = path.stats;
  bump(s.rx_packets, n);
  bump(s.rx_bytes, t.bytes);
  bump(s.tx_packets, sent);
  if (sent < kept) bump(s.tx_dropped, kept - sent);
  if (t.not_ip) bump(s.not_ip, t.not_ip);
  if (t.truncated) bump(s.truncated, t.truncated);
  if (t.in_profile) bump(s.in_profile, t.in_profile);
  if (t.to_kernel | t.from_kernel | t.unmatched | t.refused_drops | t.steered | t.bypassed |
      t.refused) [[unlikely]] {
    auto& x = lc.exception;
    bump(x.to_kernel, t.to_kernel);
    bump(x.from_kernel, t.from_kernel);
    bump(x.unmatched, t.unmatched);
    bump(x.refused_drops, t.refused_drops);
    bump(x.flows_steered, t.steered);
    bump(x.flows_bypassed, t.bypassed);
    bump(x.flows_refused, t.refused);
  }
  if (t.created) {
    bump(lc.flows_created, t.created);
    lc.flows_evicted.store(lc.table.evictions(), std::memory_order_relaxed);
    lc.flows_expired.store(lc.table.expirations(), std::memory_order_relaxed);
    lc.flows_live.store(lc.table.live(), std::memory_order_relaxed);
  }
}

// Software spreading, on the owner: the packets of flows the hash gives other lcores go into
// their rings (marked with the port they came in by); the owner's own stay in pkts, compacted.
// Returns how many stay. A full ring drops (counted as tx_dropped of the path).
uint16_t handOff(Path& path, rte_mbuf** pkts, uint16_t n) {
  std::size_t lcores = path.to_worker.size();
  uint16_t own = 0;
  uint16_t lost = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    m->port = path.rx_port;
    ParsedPacket p;
    std::size_t target = path.self;
    if (parsePacket(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), p) ==
        ParseOutcome::kFlow) {
      // Without the VLAN: a steered tagged flow's frames from the kernel carry none, and must
      // reach the lcore that holds the flow.
      target = softwareLcore(flowHash(untaggedKey(p.key)), lcores);
    }
    if (target == path.self) {
      pkts[own++] = m;
    } else if (rte_ring_sp_enqueue(path.to_worker[target], m) != 0) {
      rte_pktmbuf_free(m);
      ++lost;
    }
  }
  if (lost != 0) bump(path.stats.tx_dropped, lost);
  return own;
}

// Sends pkts[0, n) on `queue` of the port out[i] names (runs of one port go in one burst);
// frees what a full queue refused. Returns how many were sent.
uint16_t sendByPort(rte_mbuf** pkts, const uint16_t* out, uint16_t n, uint16_t queue) {
  uint16_t sent = 0;
  for (uint16_t start = 0; start < n;) {
    uint16_t port = out[start];
    auto end = static_cast<uint16_t>(start + 1);
    while (end < n && out[end] == port)
      ++end;
    auto count = static_cast<uint16_t>(end - start);
    uint16_t ok = rte_eth_tx_burst(port, queue, pkts + start, count);
    if (ok < count) rte_pktmbuf_free_bulk(pkts + start + ok, count - ok);
    sent = static_cast<uint16_t>(sent + ok);
    start = end;
  }
  return sent;
}

// The same, all on one port.
uint16_t sendAll(rte_mbuf** pkts, uint16_t n, uint16_t port, uint16_t queue) {
  if (n == 0) return 0;
  uint16_t ok = rte_eth_tx_burst(port, queue, pkts, n);
  if (ok < n) rte_pktmbuf_free_bulk(pkts + ok, n - ok);
  return ok;
}

uint16_t forwardBurst(LcoreState& lc, Path& path) {
  rte_mbuf* pkts[kBurst];
  uint16_t n = rte_eth_rx_burst(path.rx_port, path.queue, pkts, kBurst);
  if (n == 0) return 0;
  // Fail-closed drops the segment's wire traffic; the kernel's packets of flows the proxy has
  // already taken go on (proxied sessions are not cleared by a fallback).
  if (!path.exception && failClosed(lc)) {
    dropBurst(lc, path, pkts, n);
    return n;
  }
  uint16_t own = n;
  uint64_t handed_bytes = 0;
  if (!path.to_worker.empty()) {
    for (uint16_t i = 0; i < n; ++i)
      handed_bytes += pkts[i]->pkt_len;
    own = handOff(path, pkts, n);
    for (uint16_t i = 0; i < own; ++i)
      handed_bytes -= pkts[i]->pkt_len;
  }
  BurstTally t;
  rte_mbuf* back[kBurst];
  uint16_t out[kBurst];
  Decided d = decide(lc, *path.segment, pkts, own, back, t, path.rx_port, path.tx_port, out);
  // Both ports of a segment (and its exception port) use this lcore's queue index. Nearly
  // always everything leaves by the path's own tx port.
  uint16_t sent = d.rerouted ? sendByPort(pkts, out, d.kept, path.queue)
                             : sendAll(pkts, d.kept, path.tx_port, path.queue);
  if (d.n_back != 0) lc.inspector->countReset(sendAll(back, d.n_back, path.rx_port, path.queue));
  // The resets toward the receiver went last in the burst.
  uint16_t first_reset = static_cast<uint16_t>(d.kept - d.resets);
  if (d.resets != 0 && sent > first_reset) lc.inspector->countReset(sent - first_reset);
  t.bytes += handed_bytes;
  countBurst(lc, path, n, d.kept, sent, t);
  return n;
}

// Software spreading, on another lcore: the owner's hand-off through this lcore's flow table
// and filters, returned to the owner to send.
uint16_t ringBurst(LcoreState& lc, Path& path) {
  rte_mbuf* pkts[kBurst * 2];
  unsigned n =
      rte_ring_sc_dequeue_burst(path.ring_in, reinterpret_cast<void**>(pkts), kBurst, nullptr);
  if (n == 0) return 0;
  auto count = static_cast<uint16_t>(n);
  if (failClosed(lc)) {
    dropBurst(lc, path, pkts, count);
    return count;
  }
  BurstTally t;
  rte_mbuf** back = pkts + kBurst;
  uint16_t out[kBurst];
  Decided d = decide(lc, *path.segment, pkts, count, back, t, -1, path.tx_port, out);
  // The owner sends each by the port in its mbuf (sendReturns).
  for (uint16_t i = 0; i < d.kept; ++i)
    pkts[i]->port = out[i];
  unsigned sent =
      rte_ring_sp_enqueue_burst(path.ring_out, reinterpret_cast<void**>(pkts), d.kept, nullptr);
  if (sent < d.kept) rte_pktmbuf_free_bulk(pkts + sent, d.kept - sent);
  unsigned back_sent =
      rte_ring_sp_enqueue_burst(path.ring_out, reinterpret_cast<void**>(back), d.n_back, nullptr);
  if (back_sent < d.n_back) rte_pktmbuf_free_bulk(back + back_sent, d.n_back - back_sent);
  unsigned first_reset = d.kept - d.resets;  // the resets toward the receivers went last
  if (lc.inspector)
    lc.inspector->countReset(back_sent + (sent > first_reset ? sent - first_reset : 0));
  countBurst(lc, path, count, static_cast<uint16_t>(d.kept + d.n_back),
             static_cast<uint16_t>(sent + back_sent), t);
  return count;
}

// Software spreading, on the owner: what the other lcores kept (and their resets) leaves by
// the port other than the one each came in by, counted on the owner's path to that port.
uint16_t sendReturns(Path& first) {
  Path* exception = first.exception_path;
  uint16_t total = 0;
  for (rte_ring* ring : first.from_worker) {
    if (ring == nullptr) continue;
    rte_mbuf* pkts[kBurst];
    unsigned n = rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(pkts), kBurst, nullptr);
    if (n == 0) continue;
    total = static_cast<uint16_t>(total + n);
    rte_mbuf* out[3][kBurst];
    uint16_t count[3] = {0, 0, 0};
    // Out by the first path's tx port, by its sibling's (the way back), or by the segment's
    // exception port: each counted on the owner's path that sends there.
    Path* by[3] = {&first, first.sibling, exception};
    for (unsigned i = 0; i < n; ++i) {
      uint16_t port = pkts[i]->port;
      int k = port == first.tx_port ? 0 : port == first.sibling->tx_port ? 1 : 2;
      out[k][count[k]++] = pkts[i];
    }
    uint16_t port_of[3] = {first.tx_port, first.sibling->tx_port,
                           exception != nullptr ? exception->rx_port : uint16_t{0}};
    for (int k = 0; k < 3; ++k) {
      if (count[k] == 0) continue;
      uint16_t sent = sendAll(out[k], count[k], port_of[k], first.queue);
      Path* p = by[k] != nullptr ? by[k] : &first;
      bump(p->stats.tx_packets, sent);
      if (sent < count[k]) bump(p->stats.tx_dropped, count[k] - sent);
    }
  }
  return total;
}

}  // namespace

int runLcore(void* arg) {
  LcoreState& lc = *static_cast<LcoreState*>(arg);
  uint64_t idle_rounds = 0;
  unsigned sleep_us = 0;
  while (!lc.stop->load(std::memory_order_relaxed)) {
    uint32_t received = 0;
    for (const std::unique_ptr<Path>& path : lc.paths) {
      if (path->via_ring) {
        received += ringBurst(lc, *path);
        continue;
      }
      received += forwardBurst(lc, *path);
      if (!path->from_worker.empty()) received += sendReturns(*path);
    }
    if (lc.inspector) lc.inspector->tick(rte_rdtsc());
    bump(lc.polls, 1);
    if (received != 0) {
      idle_rounds = 0;
      sleep_us = 0;
      continue;
    }
    bump(lc.idle_polls, 1);
    // Standard mode gives the core back when the wire is quiet; the first packet after a sleep
    // waits at most kMaxSleepUs.
    if (lc.busy_poll || ++idle_rounds < kIdleRoundsBeforeSleep) continue;
    sleep_us = std::min(sleep_us == 0 ? 1 : sleep_us * 2, kMaxSleepUs);
    rte_delay_us_sleep(sleep_us);
    bump(lc.sleeps, 1);
  }
  return 0;
}

}  // namespace vtps::dpdk
