// The exception path of a segment: TCP flows that open towards an SSL tuple (a server proxy's
// destinations x detection ports, a client proxy's detection ports to any destination) leave
// the wire at the dataplane and go through the segment's net_tap exception port into vtpsd's
// network namespace, where the kernel's TPROXY path hands them to the proxy workers, as on the
// kernel dataplane. The proxy's upstream leg keeps the client's address and port
// (transparent_listener.h, UpstreamBinding), so it is the same flow: everything of the flow
// that arrives by a segment port goes into the TAP, and what the kernel sends out of the TAP
// leaves by the port on the far side from its destination, with the flow's MAC addresses:
//
//   client --A--> [flow steered] --TAP--> proxy (accepted leg)
//   proxy (upstream leg, client's address) --TAP--> [client MAC -> peer MAC] --B--> server
//   server --B--> [flow steered] --TAP--> proxy (upstream leg)
//   proxy (accepted leg, server's address) --TAP--> [peer MAC -> client MAC] --A--> client
//
// Only an opening SYN decides (a flow picked up later, or one that began before vtpsd, is
// bridged; a new SYN on a known 4-tuple decides again, with the tuples then in force); only
// IPv4 frames, untagged or with one 802.1Q tag, without encapsulation are steered. The TAP
// carries no tags: a tagged flow's frames lose theirs on the way in, and the kernel's get it
// back on the way out, found by an untagged alias entry of the flow (SteerState::kAlias); a
// tagged flow whose untagged key is already another flow's is bridged. Tunnelled flows, frames
// with two tags, and IPv6 are bridged uninspected.
//
// Pure code over bytes and plain values: the lcore loop (lcore_loop.cc) applies it to mbufs,
// the tests to arrays.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/dpdk/flow_table.h"
#include "dataplane/dpdk/packet_parser.h"
#include "dataplane/dpdk/tcp_segment.h"

namespace vtps::dpdk {

// One SSL tuple: TCP to destination CIDR x port range (prefix 0: any destination).
struct SteerTuple {
  uint32_t address = 0;  // host order
  int prefix = 0;
  uint16_t port_first = 0;
  uint16_t port_last = 0;
  bool operator==(const SteerTuple&) const = default;
};

// The tuples in force; replaced whole on a config reload (SegmentForwarder::setSteering).
struct SteerSet {
  std::vector<SteerTuple> tuples;
  bool matches(uint32_t destination, uint16_t port) const {
    for (const SteerTuple& t : tuples) {
      uint32_t mask = t.prefix == 0 ? 0 : ~uint32_t{0} << (32 - t.prefix);
      if ((destination & mask) == (t.address & mask) && port >= t.port_first && port <= t.port_last)
        return true;
    }
    return false;
  }
};

// A flow's exception state in FlowEntry::steer.
enum class SteerState : uint8_t {
  kNone = 0,                // bridged (and filtered) as usual
  kSteered = kFlowSteered,  // through the exception port; FlowEntry::exception holds the way
                            // back (flow_table.h: the long idle timeout)
  kBypassed,  // an SSL tuple while the proxy was unavailable, fail-open: bridged uninspected
  kRefused,   // the same, fail-closed: every packet dropped
  kAlias = kFlowAlias,  // the untagged key of a steered tagged flow: its way back for the frames
                        // the kernel sends (they carry no tag); bridged when a segment port
                        // brings an untagged flow with the same addresses and ports
};

struct ExceptionCounters {
  uint64_t flows_steered = 0;
  uint64_t flows_bypassed = 0;  // proxy unavailable, fail-open
  uint64_t flows_refused = 0;   // proxy unavailable, fail-closed
  uint64_t to_kernel = 0;       // packets sent into the exception port
  uint64_t from_kernel = 0;     // packets from the exception port sent on the wire
  uint64_t unmatched = 0;       // from the exception port with no steered flow: dropped
  uint64_t refused_drops = 0;   // packets of refused flows
};

namespace steer_detail {
inline constexpr uint16_t kEthernetHeader = 14;
inline constexpr uint16_t kVlanTag = 4;
inline bool singleTagged(const uint8_t* frame, const ParsedPacket& p) {
  return p.l3_offset == kEthernetHeader + kVlanTag && frame[12] == 0x81 && frame[13] == 0x00;
}
}  // namespace steer_detail

// The TCP flags of an IPv4 TCP frame `p` was parsed from, untagged or with one 802.1Q tag and
// not encapsulated; 0 when the frame is anything else or too short.
inline uint8_t plainTcpFlags(const uint8_t* frame, std::size_t length, const ParsedPacket& p) {
  if (p.key.ip_version != 4 || p.key.protocol != 6 || p.tunnel != Tunnel::kNone ||
      (p.l3_offset != steer_detail::kEthernetHeader && !steer_detail::singleTagged(frame, p)))
    return 0;
  return tcpFlags(frame, length, p.l3_offset);  // p.key.protocol is the header's protocol field
}

// Whether a new flow opened by `p` goes through the exception port: its first packet is a SYN
// without ACK to an SSL tuple.
inline bool opensSslTuple(const uint8_t* frame, std::size_t length, const ParsedPacket& p,
                          const SteerSet& set) {
  uint8_t flags = plainTcpFlags(frame, length, p);
  if ((flags & 0x12) != 0x02) return false;  // SYN, not ACK
  uint16_t dst_port = p.reversed ? p.key.lo_port : p.key.hi_port;
  return set.matches(p.dst4, dst_port);
}

// Records the way back on a flow being steered: the client (the SYN's sender) and the MAC
// addresses its frames carry, and the segment port it came in by.
inline void rememberClient(FlowEntry& e, const uint8_t* frame, const ParsedPacket& p,
                           uint16_t in_port) {
  e.steer = static_cast<uint8_t>(SteerState::kSteered);
  e.exception.client_port = in_port;
  e.exception.client_ip = p.src4;
  std::memcpy(e.exception.peer_mac, frame, 6);
  std::memcpy(e.exception.client_mac, frame + 6, 6);
  e.exception.tagged = p.l3_offset != steer_detail::kEthernetHeader;
  e.exception.vlan_tci = e.exception.tagged ? static_cast<uint16_t>(frame[14] << 8 | frame[15]) : 0;
}

// The key the kernel's frames of a tagged flow carry: the same without the VLAN.
inline FlowKey untaggedKey(const FlowKey& key) {
  FlowKey k = key;
  k.vlan = 0;
  return k;
}

// Removes a frame's 802.1Q tag in place: the MAC addresses move 4 bytes on, and the frame then
// starts at frame + 4.
inline void untagInPlace(uint8_t* frame) {
  std::memmove(frame + steer_detail::kVlanTag, frame, 12);
}

// Adds an 802.1Q tag to a frame whose MAC addresses start 4 bytes into `frame` (the 4 bytes
// before them made room for it): the addresses move to the front and the tag follows them.
inline void tagInPlace(uint8_t* frame, uint16_t tci) {
  std::memmove(frame, frame + steer_detail::kVlanTag, 12);
  frame[12] = 0x81;
  frame[13] = 0x00;
  frame[14] = static_cast<uint8_t>(tci >> 8);
  frame[15] = static_cast<uint8_t>(tci);
}

// A frame of a steered flow going into the exception port: addressed to the TAP, whose kernel
// side drops frames for other hosts.
inline void addressToKernel(uint8_t* frame, const uint8_t tap_mac[6]) {
  std::memcpy(frame, tap_mac, 6);
}

// A frame the kernel sent out of the exception port, of steered flow `e`, whose IPv4 source is
// `source`: rewrites its MAC addresses as the flow's own frames carry them and returns the
// segment port it leaves by (towards the client: the port the client came in by; towards the
// server: the other one of `ports`).
inline uint16_t addressFromKernel(uint8_t* frame, const FlowEntry& e, uint32_t source,
                                  const uint16_t ports[2]) {
  const FlowException& x = e.exception;
  bool to_server = source == x.client_ip;
  std::memcpy(frame, to_server ? x.peer_mac : x.client_mac, 6);
  std::memcpy(frame + 6, to_server ? x.client_mac : x.peer_mac, 6);
  if (!to_server) return x.client_port;
  return x.client_port == ports[0] ? ports[1] : ports[0];
}

}  // namespace vtps::dpdk
