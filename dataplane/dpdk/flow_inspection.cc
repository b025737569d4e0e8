#include "dataplane/dpdk/flow_inspection.h"

#include <algorithm>
#include <cstdio>
#include <span>

#include "dataplane/dpdk/tcp_stream_window.h"
#include "dataplane/filter/filter_inspector.h"

namespace vtps::dpdk {

struct FlowInspection {
  std::unique_ptr<filter::SessionFilter> session;
  TcpStreamWindow streams[2];  // [0]: client to server
  bool client_is_lo = true;    // the key's lo endpoint is the client (the flow's initiator)
};

void FlowInspectionDeleter::operator()(FlowInspection* f) const {
  delete f;
}

namespace {

constexpr uint64_t kPeriodsPerSecond = 10;  // the budget is checked over 100 ms

// The packet goes from the client to the server.
bool fromClient(const FlowInspection& fi, const ParsedPacket& p) {
  return !p.reversed == fi.client_is_lo;
}

std::string percent(double share) {
  return std::to_string(static_cast<int>(share * 100 + 0.5)) + "%";
}

}  // namespace

LcoreInspector::LcoreInspector(unsigned lcore, InspectionOptions options)
    : lcore_(lcore), options_(std::move(options)) {
  period_cycles_ = std::max<uint64_t>(options_.cycles_per_second / kPeriodsPerSecond, 1);
  budget_cycles_ = static_cast<uint64_t>(static_cast<double>(period_cycles_) * options_.budget);
  hold_cycles_ = options_.cycles_per_second;  // a second in fallback at least
}

LcoreInspector::~LcoreInspector() = default;

void LcoreInspector::flowCreated(FlowEntry& e, const ParsedPacket& p) const {
  bool inspected = options_.engine && e.in_profile && p.key.protocol == 6 && p.key.ip_version == 4;
  e.filter =
      static_cast<uint8_t>(inspected ? FlowFilterState::kInspecting : FlowFilterState::kNone);
}

PacketAction LcoreInspector::lookAt(FlowEntry& e, const ParsedPacket& p, const uint8_t* frame,
                                    std::size_t length, const std::string& segment,
                                    const std::string& profile) {
  if (e.filter == static_cast<uint8_t>(FlowFilterState::kBlocked)) {
    bump(stats_.blocked_drops);
    return PacketAction::kDrop;
  }
  // kInspecting, or kDecided at a new connection (onPacket).
  e.filter = static_cast<uint8_t>(FlowFilterState::kInspecting);
  if (fallback_) {
    // Fail-closed drops the whole segment before this (lcore loop); fail-open lets the flow
    // go uninspected from here on: its streams would have a hole.
    e.filter = static_cast<uint8_t>(FlowFilterState::kSkip);
    e.inspection.reset();
    bump(stats_.fallback_forwarded);
    return PacketAction::kForward;
  }
  if (!parseTcpSegment(frame, length, p.l3_offset, seg_)) return PacketAction::kForward;
  uint64_t start = options_.cycles();
  PacketAction action = inspect(e, p, frame, segment, profile);
  // buildTcpReset writes a bare IPv4 header after the frame's headers up to the TCP segment's
  // IP header: for a tunnel those include the outer IP and GRE headers, whose lengths and
  // checksums would no longer fit. A blocked tunnelled flow is dropped without resets.
  if (action == PacketAction::kDropAndReset && p.tunnel != Tunnel::kNone)
    action = PacketAction::kDrop;
  uint64_t used = options_.cycles() - start;
  period_used_ += used;
  bump(stats_.filter_cycles, used);
  return action;
}

PacketAction LcoreInspector::inspect(FlowEntry& e, const ParsedPacket& p, const uint8_t* frame,
                                     const std::string& segment, const std::string& profile) {
  bool syn = (seg_.flags & kTcpSyn) != 0;
  bool ack = (seg_.flags & kTcpAck) != 0;
  // A new connection on the same 4-tuple (a SYN after the last one's session) starts afresh.
  if (e.inspection && syn && !ack) e.inspection.reset();
  if (!e.inspection) {
    // The initiator is the SYN's sender; a flow picked up at its SYN-ACK or later is taken
    // from the first packet seen (its sender is the client, unless it is the SYN-ACK).
    bool client_is_src = !(syn && ack);
    bool src_is_lo = !p.reversed;
    bool client_is_lo = client_is_src == src_is_lo;
    filter::FlowInfo info;
    info.profile = profile;
    info.proxy = segment;
    uint32_t lo = static_cast<uint32_t>(e.key.lo[1]);
    uint32_t hi = static_cast<uint32_t>(e.key.hi[1]);
    info.tuple.client_ip = client_is_lo ? lo : hi;
    info.tuple.client_port = client_is_lo ? e.key.lo_port : e.key.hi_port;
    info.tuple.server_ip = client_is_lo ? hi : lo;
    info.tuple.server_port = client_is_lo ? e.key.hi_port : e.key.lo_port;
    std::unique_ptr<filter::SessionFilter> session = options_.engine->open(info);
    bump(stats_.flows_inspected);
    const filter::SessionFilter& s = *session;
    if (s.verdict().action == filter::FilterAction::kBlock) return blocked(e, s.verdict().reset);
    if (s.bypassed() || s.trusted()) {
      e.filter = static_cast<uint8_t>(FlowFilterState::kSkip);
      bump(stats_.flows_skipped);
      return PacketAction::kForward;
    }
    if (!s.wantsCleartext()) {
      e.filter = static_cast<uint8_t>(FlowFilterState::kDecided);
      bump(stats_.flows_decided);
      return PacketAction::kForward;
    }
    e.inspection.reset(new FlowInspection());
    e.inspection->session = std::move(session);
    e.inspection->client_is_lo = client_is_lo;
  }
  FlowInspection& fi = *e.inspection;
  bool to_server = fromClient(fi, p);
  filter::SessionFilter& session = *fi.session;
  bool delivered = false;
  uint64_t bytes = 0;
  TcpStreamWindow::Outcome outcome = fi.streams[to_server ? 0 : 1].push(
      seg_.seq, syn, std::span<const uint8_t>(frame + seg_.payload_offset, seg_.payload_length),
      [&](std::span<const uint8_t> data) {
        if (session.verdict().action == filter::FilterAction::kBlock) return;
        session.inspect(to_server, data);
        delivered = true;
        bytes += data.size();
      });
  if (bytes != 0) bump(stats_.payload_bytes, bytes);
  const filter::SessionVerdict& v = session.verdict();
  // A quarantine redirect has no proxy here to send its answer from: the request is dropped and
  // both ends reset, so that the client learns at once.
  if (v.action == filter::FilterAction::kBlock)
    return blocked(e, v.reset || !v.client_response.empty());
  switch (outcome) {
    case TcpStreamWindow::Outcome::kHeld:
      bump(stats_.out_of_order);
      break;
    case TcpStreamWindow::Outcome::kBeyond:
      bump(stats_.beyond_window_drops);
      return PacketAction::kDrop;
    case TcpStreamWindow::Outcome::kInOrder:
    case TcpStreamWindow::Outcome::kOld:
      break;
  }
  if (delivered && v.throttle.count() > 0) {
    bump(stats_.rate_limit_drops);
    return PacketAction::kDrop;
  }
  // A reset ends the connection; the next SYN on the 4-tuple opens a new session.
  if ((seg_.flags & kTcpRst) != 0) e.inspection.reset();
  return PacketAction::kForward;
}

PacketAction LcoreInspector::blocked(FlowEntry& e, bool reset) {
  e.filter = static_cast<uint8_t>(FlowFilterState::kBlocked);
  e.inspection.reset();
  bump(stats_.flows_blocked);
  bump(stats_.blocked_drops);
  return reset ? PacketAction::kDropAndReset : PacketAction::kDrop;
}

void LcoreInspector::tick(uint64_t now) {
  if (fallback_) {
    if (now - fallback_since_ >= hold_cycles_) leaveFallback(now);
    return;
  }
  if (period_used_ > budget_cycles_) return enterFallback(now, period_used_);
  if (now - period_start_ >= period_cycles_) {
    period_start_ = now;
    period_used_ = 0;
  }
}

void LcoreInspector::enterFallback(uint64_t now, uint64_t used) {
  uint64_t elapsed = std::max<uint64_t>(now - period_start_, 1);
  fallback_ = true;
  fallback_since_ = now;
  period_used_ = 0;
  bump(stats_.fallback_entries);
  stats_.fallback_active.store(1, std::memory_order_relaxed);
  bool open = options_.fallback == FallbackMode::kFailOpen;
  fallback_packets_at_entry_ =
      (open ? stats_.fallback_forwarded : stats_.fallback_drops).load(std::memory_order_relaxed);
  if (options_.on_fallback) {
    double share = std::min(1.0, static_cast<double>(used) / static_cast<double>(elapsed));
    options_.on_fallback(lcore_, true,
                         "the filters used " + percent(share) +
                             " of the lcore's cycles, over the budget of " +
                             percent(options_.budget) + "; " +
                             (open ? "fail-open: bridging without inspection"
                                   : "fail-closed: dropping the segment's traffic"));
  }
}

void LcoreInspector::leaveFallback(uint64_t now) {
  fallback_ = false;
  period_start_ = now;
  period_used_ = 0;
  stats_.fallback_active.store(0, std::memory_order_relaxed);
  bool open = options_.fallback == FallbackMode::kFailOpen;
  uint64_t packets =
      (open ? stats_.fallback_forwarded : stats_.fallback_drops).load(std::memory_order_relaxed) -
      fallback_packets_at_entry_;
  if (options_.on_fallback) {
    double seconds = static_cast<double>(now - fallback_since_) /
                     static_cast<double>(std::max<uint64_t>(options_.cycles_per_second, 1));
    char held[32];
    std::snprintf(held, sizeof held, "%.1f", seconds);
    options_.on_fallback(lcore_, false,
                         std::string("inspection resumed after ") + held + " s; " +
                             std::to_string(packets) +
                             (open ? " packets bridged without inspection" : " packets dropped"));
  }
}

void LcoreInspector::countFallbackDrops(uint64_t n) {
  bump(stats_.fallback_drops, n);
}

void LcoreInspector::countReset(uint64_t n) {
  bump(stats_.resets_sent, n);
}

InspectionCounters LcoreInspector::counters() const {
  auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  const Stats& s = stats_;
  InspectionCounters c;
  c.flows_inspected = get(s.flows_inspected);
  c.flows_skipped = get(s.flows_skipped);
  c.flows_decided = get(s.flows_decided);
  c.flows_blocked = get(s.flows_blocked);
  c.payload_bytes = get(s.payload_bytes);
  c.blocked_drops = get(s.blocked_drops);
  c.rate_limit_drops = get(s.rate_limit_drops);
  c.out_of_order = get(s.out_of_order);
  c.beyond_window_drops = get(s.beyond_window_drops);
  c.resets_sent = get(s.resets_sent);
  c.fallback_active = get(s.fallback_active);
  c.fallback_entries = get(s.fallback_entries);
  c.fallback_forwarded = get(s.fallback_forwarded);
  c.fallback_drops = get(s.fallback_drops);
  c.filter_cycles = get(s.filter_cycles);
  return c;
}

}  // namespace vtps::dpdk
