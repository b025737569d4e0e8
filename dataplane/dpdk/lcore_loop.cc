// The per-lcore poll loop: receive a burst, look every IP packet's flow up in the lcore's table,
// send the burst out of the segment's other port, count per burst.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <algorithm>

#include "dataplane/dpdk/forwarder_state.h"
#include "dataplane/dpdk/packet_parser.h"

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
};

void classify(LcoreState& lc, const ForwarderSegment& segment, rte_mbuf* m, uint64_t now,
              BurstTally& t) {
  t.bytes += m->pkt_len;
  ParsedPacket p;
  ParseOutcome outcome =
      parsePacket(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m), p);
  if (outcome != ParseOutcome::kFlow) {
    ++(outcome == ParseOutcome::kNotIp ? t.not_ip : t.truncated);
    return;
  }
  bool created = false;
  FlowEntry& e = lc.table.findOrInsert(p.key, flowHash(p.key), now, created);
  if (created) {
    ++t.created;
    e.in_profile = inProfile(segment, p);
  }
  e.last_seen = now;
  ++e.packets[p.reversed];
  e.bytes[p.reversed] += m->pkt_len;
  t.in_profile += e.in_profile;
}

uint16_t forwardBurst(LcoreState& lc, Path& path) {
  rte_mbuf* pkts[kBurst];
  uint16_t n = rte_eth_rx_burst(path.rx_port, path.queue, pkts, kBurst);
  if (n == 0) return 0;
  uint64_t now = rte_rdtsc();
  BurstTally t;
  for (int i = 0; i < kPrefetchAhead && i < n; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    classify(lc, *path.segment, pkts[i], now, t);
  }
  uint16_t sent = rte_eth_tx_burst(path.tx_port, path.queue, pkts, n);
  if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  PathStats& s = path.stats;
  bump(s.rx_packets, n);
  bump(s.rx_bytes, t.bytes);
  bump(s.tx_packets, sent);
  if (sent < n) bump(s.tx_dropped, n - sent);
  if (t.not_ip) bump(s.not_ip, t.not_ip);
  if (t.truncated) bump(s.truncated, t.truncated);
  if (t.in_profile) bump(s.in_profile, t.in_profile);
  if (t.created) {
    bump(lc.flows_created, t.created);
    lc.flows_evicted.store(lc.table.evictions(), std::memory_order_relaxed);
    lc.flows_expired.store(lc.table.expirations(), std::memory_order_relaxed);
    lc.flows_live.store(lc.table.live(), std::memory_order_relaxed);
  }
  return n;
}

}  // namespace

int runLcore(void* arg) {
  LcoreState& lc = *static_cast<LcoreState*>(arg);
  uint64_t idle_rounds = 0;
  unsigned sleep_us = 0;
  while (!lc.stop->load(std::memory_order_relaxed)) {
    uint32_t received = 0;
    for (const std::unique_ptr<Path>& path : lc.paths)
      received += forwardBurst(lc, *path);
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
