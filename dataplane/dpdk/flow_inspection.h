// The filters on cleartext dpdk flows: one LcoreInspector per lcore hands the TCP payload of
// each IPv4 flow the segment's profile covers to the filter pipeline the proxy uses
// (filter::FilterEngine: inspection bypass, traffic management, reputation, quarantine,
// signatures), in order (TcpStreamWindow), and turns the verdict into what happens to the
// packet:
//   - block: this packet and every later one of the flow, both ways, are dropped; when the
//     deciding filter asks for a reset (reject rules, traffic management, reputation,
//     quarantine), a reset goes to each end;
//   - alert: the event goes to alert.log through the engine's FilterEventSink, with
//     "ssl_inspect": false; the packet passes;
//   - inspection bypass and trust: the flow is marked and its state freed; later packets are
//     bridged without a look (a signature pass rule stops signature matching inside the
//     pipeline, which still follows HTTP for URL reputation);
//   - decided at open: nothing in the pipeline looks at payload (SessionFilter::wantsCleartext):
//     the session is freed and later packets are bridged with a look at their TCP flags only,
//     until a SYN opens a session again;
//   - rate limit: a packet whose new bytes go over the filter's rate is dropped (TCP slows
//     down; its retransmission, bytes already charged and inspected, passes);
//   - quarantine redirect: nothing here can answer with the redirect; the request is dropped
//     and both ends reset.
// The flow of a packet in one layer of GRE or IP-in-IP is its inner packet's (packet_parser.h),
// so the same applies to it, except that a block never resets it: it is dropped (buildTcpReset
// cannot rewrap a reset in the tunnel's headers). IPv6, UDP and other flows are bridged
// uninspected.
//
// Allocation: per flow, or per HTTP message, at most. The pipeline's session
// (filter::SessionFilter) is created on a flow's first packet; its stream windows grow to their
// bounds once; its HTTP parsers copy a message's headers and body window and free them when the
// message completes; the reassembly window of a direction is allocated on its first
// out-of-order segment; events (block/alert lines) are built when a filter fires. Forwarding a
// packet of a flow whose verdict is made allocates nothing, and no lock is taken per packet (the
// engine's pipeline snapshot is loaded once per flow).
//
// Layer-2 fallback (device.dataplane-fallback): the lcore measures the cycles it spends in the
// filters; when they exceed the inspection budget (a share of the lcore's cycles over a 100 ms
// period) the lcore enters fallback for at least a second: fail-open bridges every packet
// without inspection (a flow that passed a packet uninspected stays uninspected), fail-closed
// drops every packet of the segment. Entering and leaving are reported through the
// FallbackListener and counted.
//
// No DPDK types: the lcore loop gives frames as bytes and the TSC as the clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dataplane/dpdk/flow_table.h"
#include "dataplane/dpdk/packet_parser.h"
#include "dataplane/dpdk/tcp_segment.h"

namespace vtps::filter {
class FilterEngine;
}

namespace vtps::dpdk {

enum class FallbackMode : uint8_t { kFailOpen, kFailClosed };

// Called on the lcore when it enters (entered = true) or leaves fallback; rare (at most once
// per hold period), so it may queue a log line.
using FallbackListener = std::function<void(unsigned lcore, bool entered, const std::string&)>;

struct InspectionOptions {
  std::shared_ptr<filter::FilterEngine> engine;  // null: no inspection at all
  FallbackMode fallback = FallbackMode::kFailOpen;
  double budget = 0.8;  // share of the lcore's cycles the filters may use (0..1]
  FallbackListener on_fallback;
  uint64_t (*cycles)() = nullptr;  // the clock of `now` arguments (the TSC on lcores)
  uint64_t cycles_per_second = 0;
};

// What the lcore does with a packet.
enum class PacketAction : uint8_t {
  kForward,
  kDrop,
  kDropAndReset,  // drop, and send the two resets built by buildTcpReset (never for a tunnel)
};

// A flow's state in FlowEntry::filter.
enum class FlowFilterState : uint8_t {
  kNone = 0,    // not inspected (not TCP/IPv4, not in the profile, no engine)
  kInspecting,  // FlowEntry::inspection is set
  kSkip,        // bypass, trust, or uninspected since a fail-open fallback
  kBlocked,     // every packet dropped
  kDecided,     // the pipeline needs none of the payload (SessionFilter::wantsCleartext):
                // forwarded without a look until a new connection (a SYN) opens a session again
};

struct InspectionCounters {
  uint64_t flows_inspected = 0;  // flows opened in the pipeline
  uint64_t flows_skipped = 0;    // bypass or trust: bridged without matching
  uint64_t flows_decided = 0;    // decided at open: nothing in the pipeline needs the payload
  uint64_t flows_blocked = 0;
  uint64_t payload_bytes = 0;     // in-order bytes handed to the filters
  uint64_t blocked_drops = 0;     // packets dropped because their flow is blocked
  uint64_t rate_limit_drops = 0;  // packets over a rate-limit filter's rate
  uint64_t out_of_order = 0;      // segments held in a reassembly window
  uint64_t beyond_window_drops = 0;
  uint64_t resets_sent = 0;
  uint64_t fallback_active = 0;  // 1 while the lcore is in fallback
  uint64_t fallback_entries = 0;
  uint64_t fallback_forwarded = 0;  // fail-open: packets bridged without inspection
  uint64_t fallback_drops = 0;      // fail-closed: packets dropped
  uint64_t filter_cycles = 0;       // TSC cycles spent in the filters
};

class LcoreInspector {
 public:
  LcoreInspector(unsigned lcore, InspectionOptions options);
  ~LcoreInspector();
  LcoreInspector(const LcoreInspector&) = delete;
  LcoreInspector& operator=(const LcoreInspector&) = delete;

  // A flow was created from packet `p` (after its in_profile was decided): whether the
  // filters see it (TCP over IPv4 in the segment's profile, with an engine).
  void flowCreated(FlowEntry& e, const ParsedPacket& p) const;
  // The decision for one packet of flow `e` (of segment `segment`, whose profile is `profile`;
  // the segment name is the events' "proxy" field); `frame` is the whole frame. When it
  // returns kDropAndReset, `segment()` holds the dropped segment for buildTcpReset.
  // Inline for the flows the filters no longer look at, which are most packets.
  PacketAction onPacket(FlowEntry& e, const ParsedPacket& p, const uint8_t* frame,
                        std::size_t length, const std::string& segment,
                        const std::string& profile) {
    switch (static_cast<FlowFilterState>(e.filter)) {
      case FlowFilterState::kNone:
      case FlowFilterState::kSkip:
        return PacketAction::kForward;
      case FlowFilterState::kDecided:
        // Only a new connection on the 4-tuple (a bare SYN) is looked at: it opens a session
        // in the pipeline of the moment.
        if ((tcpFlags(frame, length, p.l3_offset) & (kTcpSyn | kTcpAck)) != kTcpSyn)
          return PacketAction::kForward;
        break;
      case FlowFilterState::kBlocked:
      case FlowFilterState::kInspecting:
        break;
    }
    return lookAt(e, p, frame, length, segment, profile);
  }
  // Once per polling round: the budget period and the fallback's hold time.
  void tick(uint64_t now);

  bool inFallback() const { return fallback_; }
  FallbackMode fallbackMode() const { return options_.fallback; }
  const TcpSegment& segment() const { return seg_; }
  void countReset(uint64_t n);
  void countFallbackDrops(uint64_t n);  // fail-closed: the lcore loop dropped a burst
  InspectionCounters counters() const;  // any thread

 private:
  PacketAction lookAt(FlowEntry& e, const ParsedPacket& p, const uint8_t* frame, std::size_t length,
                      const std::string& segment, const std::string& profile);
  PacketAction inspect(FlowEntry& e, const ParsedPacket& p, const uint8_t* frame,
                       const std::string& segment, const std::string& profile);
  PacketAction blocked(FlowEntry& e, bool reset);
  void enterFallback(uint64_t now, uint64_t used);
  void leaveFallback(uint64_t now);

  using Counter = std::atomic<uint64_t>;
  static void bump(Counter& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  unsigned lcore_;
  InspectionOptions options_;
  uint64_t period_cycles_;
  uint64_t budget_cycles_;  // per period
  uint64_t hold_cycles_;
  uint64_t period_start_ = 0;
  uint64_t period_used_ = 0;
  uint64_t fallback_since_ = 0;
  uint64_t fallback_packets_at_entry_ = 0;
  bool fallback_ = false;
  TcpSegment seg_;
  struct Stats {
    Counter flows_inspected{0}, flows_skipped{0}, flows_decided{0}, flows_blocked{0},
        payload_bytes{0}, blocked_drops{0}, rate_limit_drops{0}, out_of_order{0},
        beyond_window_drops{0}, resets_sent{0}, fallback_active{0}, fallback_entries{0},
        fallback_forwarded{0}, fallback_drops{0}, filter_cycles{0};
  } stats_;
};

}  // namespace vtps::dpdk
