#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/dpdk/forwarder_state.h"

namespace vtps::dpdk {
namespace {

constexpr std::size_t kMaxRssKey = 52;
constexpr uint64_t kWantedRss = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;

const uint8_t* symmetricKeyBytes() {
  static const auto key = [] {
    std::array<uint8_t, kMaxRssKey> k{};
    for (std::size_t i = 0; i < k.size(); ++i)
      k[i] = i % 2 == 0 ? 0x6d : 0x5a;
    return k;
  }();
  return key.data();
}

Error portError(uint16_t port, const std::string& op, int rc) {
  char name[RTE_ETH_NAME_MAX_LEN] = "?";
  rte_eth_dev_get_name_by_port(port, name);
  return Error{op + " on DPDK port " + std::to_string(port) + " (" + name +
               "): " + rte_strerror(rc < 0 ? -rc : rc)};
}

// The same redirection table on every port (entry i -> queue i % queues), so that a flow's two
// directions, hashed alike by the symmetric key, land on the same queue index on both ports.
Status programRedirection(uint16_t port, uint16_t reta_size, uint16_t queues) {
  if (reta_size == 0) return Status::success();
  std::vector<rte_eth_rss_reta_entry64> reta((reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                             RTE_ETH_RETA_GROUP_SIZE);
  for (uint16_t i = 0; i < reta_size; ++i) {
    auto& group = reta[i / RTE_ETH_RETA_GROUP_SIZE];
    group.mask |= uint64_t{1} << (i % RTE_ETH_RETA_GROUP_SIZE);
    group.reta[i % RTE_ETH_RETA_GROUP_SIZE] = static_cast<uint16_t>(i % queues);
  }
  int rc = rte_eth_dev_rss_reta_update(port, reta.data(), reta_size);
  if (rc != 0 && rc != -ENOTSUP) return portError(port, "set the RSS redirection table", rc);
  return Status::success();
}

// Whether `port` can give each of `lcores` lcores its own rx and tx queue, with RSS.
bool canSpread(uint16_t port, std::size_t lcores) {
  rte_eth_dev_info info{};
  if (lcores < 2 || rte_eth_dev_info_get(port, &info) != 0) return false;
  return info.max_rx_queues >= lcores && info.max_tx_queues >= lcores &&
         (info.flow_type_rss_offloads & kWantedRss) != 0;
}

Status configurePort(PortState& p, rte_mempool* pool, const ForwarderOptions& o) {
  rte_eth_dev_info info{};
  int rc = rte_eth_dev_info_get(p.port, &info);
  if (rc != 0) return portError(p.port, "read device info", rc);
  rte_eth_conf conf{};
  if (p.rss) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = const_cast<uint8_t*>(symmetricKeyBytes());
    conf.rx_adv_conf.rss_conf.rss_key_len =
        info.hash_key_size != 0 ? std::min<uint8_t>(info.hash_key_size, kMaxRssKey) : 40;
    conf.rx_adv_conf.rss_conf.rss_hf = kWantedRss & info.flow_type_rss_offloads;
  }
  rc = rte_eth_dev_configure(p.port, p.queues, p.queues, &conf);
  if (rc != 0) return portError(p.port, "configure", rc);
  uint16_t rxd = o.rx_descriptors, txd = o.tx_descriptors;
  rc = rte_eth_dev_adjust_nb_rx_tx_desc(p.port, &rxd, &txd);
  if (rc != 0) return portError(p.port, "adjust descriptor counts", rc);
  int socket = rte_eth_dev_socket_id(p.port);
  unsigned sock = socket < 0 ? SOCKET_ID_ANY : static_cast<unsigned>(socket);
  for (uint16_t q = 0; q < p.queues; ++q) {
    rc = rte_eth_rx_queue_setup(p.port, q, rxd, sock, nullptr, pool);
    if (rc != 0) return portError(p.port, "set up rx queue " + std::to_string(q), rc);
    rc = rte_eth_tx_queue_setup(p.port, q, txd, sock, nullptr);
    if (rc != 0) return portError(p.port, "set up tx queue " + std::to_string(q), rc);
  }
  if (p.rss) VTPS_RETURN_IF_ERROR(programRedirection(p.port, info.reta_size, p.queues));
  rc = rte_eth_dev_start(p.port);
  if (rc != 0) return portError(p.port, "start", rc);
  p.started = true;
  // A bump in the wire forwards frames for every MAC address.
  rc = rte_eth_promiscuous_enable(p.port);
  if (rc != 0 && rc != -ENOTSUP) return portError(p.port, "enable promiscuous mode", rc);
  return Status::success();
}

std::string uniquePoolName() {
  static std::atomic<unsigned> next{0};
  return "vtps_fwd_" + std::to_string(next.fetch_add(1));
}

}  // namespace

const uint8_t* symmetricRssKey() {
  return symmetricKeyBytes();
}

Status setUpPorts(SegmentForwarder::State& s) {
  const ForwarderOptions& o = s.options;
  std::size_t per_port = std::size_t{o.lcores.size()} * (o.rx_descriptors + o.tx_descriptors);
  std::size_t mbufs = s.ports.size() * per_port + o.lcores.size() * 512 + 1024;
  rte_mempool* pool =
      rte_pktmbuf_pool_create(uniquePoolName().c_str(), static_cast<unsigned>(mbufs), 256, 0,
                              RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (pool == nullptr) {
    return Error{"create the dataplane mbuf pool (" + std::to_string(mbufs) +
                 " mbufs): " + rte_strerror(rte_errno)};
  }
  s.pool.reset(pool);
  // Ports are listed segment by segment (segments[k] owns ports 2k and 2k+1).
  std::size_t whole = 0;
  s.placements.clear();
  for (std::size_t k = 0; k < s.segments.size(); ++k) {
    SegmentPlacement placement;
    placement.spread = s.segments[k].exception_port < 0 &&
                       canSpread(s.ports[2 * k].port, o.lcores.size()) &&
                       canSpread(s.ports[2 * k + 1].port, o.lcores.size());
    if (!placement.spread) placement.owner = whole++ % o.lcores.size();
    s.placements.push_back(placement);
  }
  // Fewer whole segments than lcores: each is spread by software over every lcore (with as many
  // whole segments as lcores, dealing them out keeps every lcore busy without rings).
  for (SegmentPlacement& placement : s.placements) {
    if (!placement.spread && whole < o.lcores.size()) placement.software = true;
  }
  for (std::size_t k = 0; k < s.segments.size(); ++k) {
    const SegmentPlacement& placement = s.placements[k];
    for (std::size_t i = 2 * k; i < 2 * k + 2; ++i) {
      s.ports[i].rss = placement.spread;
      s.ports[i].queues = placement.spread ? static_cast<uint16_t>(o.lcores.size()) : 1;
    }
  }
  for (PortState& p : s.ports)
    VTPS_RETURN_IF_ERROR(configurePort(p, pool, o));
  for (ForwarderSegment& seg : s.segments) {
    if (seg.exception_port < 0) continue;
    rte_ether_addr mac{};
    auto port = static_cast<uint16_t>(seg.exception_port);
    int rc = rte_eth_macaddr_get(port, &mac);
    if (rc != 0) return portError(port, "read the exception port's MAC address", rc);
    std::memcpy(seg.exception_mac, mac.addr_bytes, sizeof seg.exception_mac);
  }
  return Status::success();
}

void tearDownPorts(SegmentForwarder::State& s) {
  for (PortState& p : s.ports) {
    if (p.started) rte_eth_dev_stop(p.port);
    // Closing releases the queues and the mbufs they hold, before the pool goes.
    rte_eth_dev_close(p.port);
    p.started = false;
  }
  s.ports.clear();
  s.pool.reset();
}

}  // namespace vtps::dpdk
