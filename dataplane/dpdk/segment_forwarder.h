// Segment forwarding on DPDK lcores: every segment is a pair of ports bridged both ways. When
// both ports can give every lcore an RSS queue, worker lcore i owns queue i of both (symmetric
// RSS sends a flow's two directions to the same queue index); otherwise (virtio without RSS,
// net_af_packet, net_ring) one lcore polls the segment's ports, segments dealt round-robin, and
// when there are fewer such segments than lcores that owner spreads its flows over every lcore
// by the symmetric flow hash, through rings (lcore_loop.cc, "software spreading").
// Each lcore has its own flow table and counters; nothing is shared or locked on the packet
// path and nothing is allocated per packet. Performance mode busy-polls; standard
// mode sleeps adaptively (1 us doubling to 500 us) once the ports have been idle for a while.
//
// This header exposes no DPDK types; ports are ethdev port ids.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"
#include "dataplane/dpdk/exception_steering.h"
#include "dataplane/dpdk/flow_inspection.h"

namespace vtps::dpdk {

struct ForwarderSegment {
  std::string name;
  uint16_t ports[2] = {0, 0};
  // The traffic the segment's profile covers (empty lists match all); decided per flow when it
  // is created, from its first packet (initiator = source).
  std::vector<int> vlans;
  std::vector<config::Cidr4> sources;
  std::vector<config::Cidr4> destinations;
  std::string profile;  // the profile whose filters inspect the covered flows ("" = default)
  // The segment's exception port (exception_steering.h), or -1: SSL-tuple flows are bridged.
  // A segment with one is polled by one lcore (spread in software, never by RSS): the kernel
  // sends a flow's packets back through the one TAP queue, and the flow's lcore must see them.
  int exception_port = -1;
  uint8_t exception_mac[6] = {};  // the TAP's MAC address (set when the ports start)
};

struct ForwarderOptions {
  std::vector<unsigned> lcores;  // EAL worker lcore ids (placement: see the class comment)
  bool busy_poll = false;
  std::size_t flows_per_lcore = 1 << 16;
  double flow_idle_timeout_s = 300;
  // A flow steered to the proxy: as long as a TCP keepalive's default idle time, so that an
  // idle proxied session keeps its way back (flow_table.h).
  double steered_flow_idle_timeout_s = 7200;
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
  // The filters on cleartext flows and the layer-2 fallback (flow_inspection.h); no engine:
  // bridging only. `cycles` and `cycles_per_second` are set by start() (the TSC).
  InspectionOptions inspection = {};
  // The SSL tuples steered into the exception ports (replaced by setSteering), and whether the
  // proxy takes them: while it does not (null: always), new SSL-tuple flows are bridged
  // uninspected (fail-open) or dropped (fail-closed), per inspection.fallback; steered flows
  // go on.
  std::vector<SteerTuple> steering = {};
  const std::atomic<bool>* proxy_available = nullptr;
};

// One direction of one segment on one lcore (rx port queue -> tx port queue).
struct PathCounters {
  std::string segment;
  uint16_t rx_port = 0;
  uint16_t tx_port = 0;
  uint16_t queue = 0;
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_dropped = 0;  // the tx queue was full
  uint64_t not_ip = 0;      // bridged without a flow (ARP, LLDP, ...)
  uint64_t truncated = 0;   // bridged without a flow: headers cut short
  uint64_t in_profile = 0;  // packets of flows the segment's VLAN/CIDR map covers
  // Software spreading: this lcore's share of a segment whose ports have no RSS, handed to it
  // by the segment's owner lcore through a ring (both directions; rx and tx are the ring's, and
  // the owner's port paths count the same packets on the ports).
  bool via_ring = false;
  bool exception = false;  // rx is the segment's exception port (what the kernel sends)
};

struct LcoreCounters {
  unsigned lcore = 0;
  uint64_t polls = 0;       // rounds over all of the lcore's queues
  uint64_t idle_polls = 0;  // rounds that received nothing
  uint64_t sleeps = 0;      // adaptive sleeps (standard mode)
  uint64_t flows_created = 0;
  uint64_t flows_evicted = 0;  // a full bucket gave up its stalest flow
  uint64_t flows_expired = 0;  // an idle flow's slot was reused
  uint64_t flows_live = 0;
  uint64_t flow_capacity = 0;
  bool inspecting = false;  // the lcore runs the filters (zero counters below otherwise)
  InspectionCounters inspection;
  bool exception_path = false;  // the lcore polls an exception port (zero counters otherwise)
  ExceptionCounters exception;
  std::vector<PathCounters> paths;
};

struct PortCounters {
  uint16_t port = 0;
  std::string name;
  uint16_t queues = 0;
  bool rss = false;  // symmetric RSS over one queue per lcore; false: the segment is on one lcore
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_missed = 0;
  uint64_t rx_errors = 0;
  uint64_t tx_errors = 0;
  uint64_t rx_no_mbuf = 0;
};

struct ForwarderSnapshot {
  bool busy_poll = false;
  bool inspecting = false;
  FallbackMode fallback = FallbackMode::kFailOpen;
  double inspection_budget = 0;
  std::vector<PortCounters> ports;
  std::vector<LcoreCounters> lcores;
};

class SegmentForwarder {
 public:
  // Places the segments, configures and starts their ports (promiscuous; one queue per lcore
  // with symmetric RSS, or one queue) and launches the lcores that have something to poll.
  // Errors: no lcore, no segment, a port that does not exist or is used twice, a lcore that is
  // not a worker, or a DPDK call that failed (named, with its error).
  static Result<std::unique_ptr<SegmentForwarder>> start(std::vector<ForwarderSegment> segments,
                                                         ForwarderOptions options);
  ~SegmentForwarder();
  SegmentForwarder(const SegmentForwarder&) = delete;
  SegmentForwarder& operator=(const SegmentForwarder&) = delete;

  // Stops the lcores, then stops and closes the ports. Idempotent.
  void stop();
  // Replaces the SSL tuples that new flows are steered by (a config reload); flows steered
  // already go on. Any thread; the lcores pick the new set up with their next new flow.
  void setSteering(std::vector<SteerTuple> tuples);
  ForwarderSnapshot snapshot() const;

  struct State;

 private:
  explicit SegmentForwarder(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The 40-byte Toeplitz key whose hash is the same for (src, dst) and (dst, src): 0x6d5a
// repeated. Exposed for tests.
const uint8_t* symmetricRssKey();

}  // namespace vtps::dpdk
