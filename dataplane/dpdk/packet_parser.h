// Reads the flow key of an Ethernet frame: up to two VLAN tags (802.1Q / 802.1ad), IPv4 or IPv6
// (extension headers skipped), and TCP/UDP/SCTP ports. One layer of GRE or IP-in-IP is opened:
// the key, the addresses and l3_offset are then the inner packet's, so that the segment's map
// and the filters see the tunnelled flow (the frame itself is forwarded as it came). It never
// writes and never reads past `length`. Pure code over bytes, shared by the lcore loop and the
// tests.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "dataplane/dpdk/flow_key.h"

namespace vtps::dpdk {

enum class ParseOutcome : uint8_t {
  kFlow,       // an IP packet; `key` and the fields below are set
  kNotIp,      // ARP, LLDP, other ethertypes: bridged without a flow
  kTruncated,  // headers cut short: bridged without a flow and counted
};

// The encapsulation the key was read through.
enum class Tunnel : uint8_t {
  kNone,
  kGre,     // IP protocol 47, version 0 (RFC 2784/2890): IPv4, IPv6 or Ethernet (0x6558) inside
  kIpInIp,  // IP protocol 4 (IPv4 inside) or 41 (IPv6 inside), over IPv4 or IPv6
};

struct ParsedPacket {
  FlowKey key;             // the inner packet's for a tunnel (the outer VLAN id stays)
  bool reversed = false;   // the packet goes hi -> lo of the key
  uint32_t src4 = 0;       // IPv4 source and destination, host order (for segment CIDRs)
  uint32_t dst4 = 0;       // (0 when the key's packet is IPv6)
  uint16_t vlan = 0;       // outer 802.1Q id
  uint16_t l3_offset = 0;  // where the IP header of the key starts in the frame (the inner one)
  Tunnel tunnel = Tunnel::kNone;
  uint16_t outer_l3_offset = 0;  // the outer IP header, when tunnel != kNone
};

// Everything below is inline: it runs for every packet on the lcores.
namespace parser_detail {

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr uint16_t kEtherVlan = 0x8100;
inline constexpr uint16_t kEtherQinQ = 0x88a8;
inline constexpr uint16_t kEtherTeb = 0x6558;  // transparent Ethernet bridging (GRE)
inline constexpr uint8_t kProtoIpv4 = 4;
inline constexpr uint8_t kProtoIpv6 = 41;
inline constexpr uint8_t kProtoGre = 47;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoSctp = 132;
inline constexpr int kMaxIpv6ExtensionHeaders = 4;

inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

inline uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

inline uint64_t be64(const uint8_t* p) {
  return uint64_t{be32(p)} << 32 | be32(p + 4);
}

inline bool hasPorts(uint8_t protocol) {
  return protocol == kProtoTcp || protocol == kProtoUdp || protocol == kProtoSctp;
}

inline bool isTunnel(uint8_t protocol) {
  return protocol == kProtoGre || protocol == kProtoIpv4 || protocol == kProtoIpv6;
}

template <bool kOuter>
inline ParseOutcome parseIpv4(const uint8_t* ip, const uint8_t* end, ParsedPacket& out);
template <bool kOuter>
inline ParseOutcome parseIpv6(const uint8_t* ip, const uint8_t* end, ParsedPacket& out);

// The inner packet of one tunnel layer: `payload` follows the outer IP header at `ip`, `end` is
// where the outer packet ends. False when the payload is no tunnel this parser opens (the outer
// header is then the flow): GRE with RFC 1701 routing, strict-route or recursion bits or a
// version other than 0 (RFC 2784 receivers discard those; version 1 is PPTP), and payload types
// other than IPv4, IPv6 and Ethernet carrying either. The GRE checksum is not verified: the
// frame goes on unchanged and the tunnel's endpoint checks it. Out of line and cold, so that the
// untunnelled path stays small enough to be inlined into the lcore loop.
[[gnu::cold, gnu::noinline]] inline bool parseTunnel(uint8_t protocol, const uint8_t* ip,
                                                     const uint8_t* payload, const uint8_t* end,
                                                     ParsedPacket& out, ParseOutcome& outcome) {
  outcome = ParseOutcome::kTruncated;
  if (payload > end) return true;  // the outer length field is shorter than its own header
  uint16_t type = protocol == kProtoIpv4 ? kEtherIpv4 : kEtherIpv6;
  const uint8_t* inner = payload;
  Tunnel tunnel = Tunnel::kIpInIp;
  if (protocol == kProtoGre) {
    tunnel = Tunnel::kGre;
    if (end - payload < 4) return true;
    uint16_t flags = be16(payload);
    if ((flags & 0x4c07) != 0) return false;
    // 4 bytes each for the checksum (C, with its reserved half), key (K) and sequence number (S).
    std::size_t length =
        4 + ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) + ((flags & 0x1000) ? 4 : 0);
    if (static_cast<std::size_t>(end - payload) < length) return true;
    type = be16(payload + 2);
    inner = payload + length;
    if (type == kEtherTeb) {
      if (end - inner < 14) return true;
      type = be16(inner + 12);
      inner += 14;
      for (int tags = 0; tags < 2 && (type == kEtherVlan || type == kEtherQinQ); ++tags) {
        if (end - inner < 4) return true;
        type = be16(inner + 2);
        inner += 4;
      }
    }
  }
  if (type != kEtherIpv4 && type != kEtherIpv6) return false;
  out.tunnel = tunnel;
  out.outer_l3_offset = out.l3_offset;
  out.l3_offset = static_cast<uint16_t>(out.l3_offset + (inner - ip));
  out.src4 = 0;
  out.dst4 = 0;
  outcome =
      type == kEtherIpv4 ? parseIpv4<false>(inner, end, out) : parseIpv6<false>(inner, end, out);
  return true;
}

// The outer IPv4 header at `ip`, `header` bytes long, says a tunnel follows: the inner flow, or
// the outer one (a tunnel protocol has no ports) when parseTunnel does not open it.
[[gnu::cold, gnu::noinline]] inline ParseOutcome parseIpv4Tunnel(const uint8_t* ip,
                                                                 const uint8_t* end,
                                                                 std::size_t header,
                                                                 ParsedPacket& out) {
  const uint8_t* packet_end =
      ip + std::min<std::size_t>(be16(ip + 2), static_cast<std::size_t>(end - ip));
  ParseOutcome outcome;
  if (parseTunnel(ip[9], ip, ip + header, packet_end, out, outcome)) return outcome;
  Endpoint src, dst;
  src.addr[1] = out.src4;
  dst.addr[1] = out.dst4;
  out.key = makeFlowKey(src, dst, ip[9], 4, out.vlan, out.reversed);
  return ParseOutcome::kFlow;
}

// Ports at `l4` when the protocol has them and they are present; non-first fragments have none.
inline bool readPorts(const uint8_t* l4, const uint8_t* end, uint8_t protocol, bool first_fragment,
                      Endpoint& src, Endpoint& dst) {
  if (!first_fragment || !hasPorts(protocol)) return true;
  if (end - l4 < 4) return false;
  src.port = be16(l4);
  dst.port = be16(l4 + 2);
  return true;
}

// kOuter: the header on the wire, which may open a tunnel; else a tunnel's inner header, whose
// length must fit the outer packet and bounds what is read (a tunnel inside it is not opened).
// Always inlined into parsePacket: the common case, kept in one piece as it was before tunnels
// (gcc's size limit would otherwise leave it a call of its own).
template <bool kOuter>
[[gnu::always_inline]] inline ParseOutcome parseIpv4(const uint8_t* ip, const uint8_t* end,
                                                     ParsedPacket& out) {
  if (end - ip < 20) return ParseOutcome::kTruncated;
  std::size_t header = std::size_t{ip[0] & 0x0fu} * 4;
  if ((ip[0] >> 4) != 4 || header < 20 || static_cast<std::size_t>(end - ip) < header)
    return ParseOutcome::kTruncated;
  if constexpr (!kOuter) {
    std::size_t total = be16(ip + 2);
    if (total < header || static_cast<std::size_t>(end - ip) < total)
      return ParseOutcome::kTruncated;
    end = ip + total;
  }
  Endpoint src, dst;
  out.src4 = be32(ip + 12);
  out.dst4 = be32(ip + 16);
  src.addr[1] = out.src4;
  dst.addr[1] = out.dst4;
  uint8_t protocol = ip[9];
  uint16_t fragment = be16(ip + 6);
  bool first_fragment = (fragment & 0x1fff) == 0;
  if constexpr (kOuter) {
    // Fragments of a tunnel are not reassembled: they stay the outer flow, all of them.
    if (isTunnel(protocol) && (fragment & 0x3fff) == 0) [[unlikely]]
      return parseIpv4Tunnel(ip, end, header, out);
  }
  if (!readPorts(ip + header, end, protocol, first_fragment, src, dst))
    return ParseOutcome::kTruncated;
  out.key = makeFlowKey(src, dst, protocol, 4, out.vlan, out.reversed);
  return ParseOutcome::kFlow;
}

template <bool kOuter>
inline ParseOutcome parseIpv6(const uint8_t* ip, const uint8_t* end, ParsedPacket& out) {
  if (end - ip < 40 || (ip[0] >> 4) != 6) return ParseOutcome::kTruncated;
  if constexpr (!kOuter) {
    std::size_t total = std::size_t{be16(ip + 4)} + 40;
    if (static_cast<std::size_t>(end - ip) < total) return ParseOutcome::kTruncated;
    end = ip + total;
  }
  Endpoint src, dst;
  src.addr[0] = be64(ip + 8);
  src.addr[1] = be64(ip + 16);
  dst.addr[0] = be64(ip + 24);
  dst.addr[1] = be64(ip + 32);
  uint8_t next = ip[6];
  const uint8_t* l4 = ip + 40;
  bool first_fragment = true;
  bool fragmented = false;
  for (int i = 0; i < kMaxIpv6ExtensionHeaders; ++i) {
    if (next != 0 && next != 43 && next != 44 && next != 60) break;
    if (end - l4 < 8) return ParseOutcome::kTruncated;
    if (next == 44) {
      first_fragment = (be16(l4 + 2) & 0xfff8) == 0;
      fragmented = true;
    }
    std::size_t length = next == 44 ? 8 : (std::size_t{l4[1]} + 1) * 8;
    next = l4[0];
    if (static_cast<std::size_t>(end - l4) < length) return ParseOutcome::kTruncated;
    l4 += length;
  }
  if constexpr (kOuter) {
    if (isTunnel(next) && !fragmented) [[unlikely]] {
      const uint8_t* packet_end = ip + std::min<std::size_t>(be16(ip + 4) + std::size_t{40},
                                                             static_cast<std::size_t>(end - ip));
      ParseOutcome outcome;
      if (parseTunnel(next, ip, l4, packet_end, out, outcome)) return outcome;
    }
  }
  if (!readPorts(l4, end, next, first_fragment, src, dst)) return ParseOutcome::kTruncated;
  out.key = makeFlowKey(src, dst, next, 6, out.vlan, out.reversed);
  return ParseOutcome::kFlow;
}

}  // namespace parser_detail

inline ParseOutcome parsePacket(const uint8_t* frame, std::size_t length, ParsedPacket& out) {
  const uint8_t* end = frame + length;
  if (length < 14) return ParseOutcome::kTruncated;
  using parser_detail::be16;
  using parser_detail::kEtherQinQ;
  using parser_detail::kEtherVlan;
  uint16_t type = be16(frame + 12);
  const uint8_t* p = frame + 14;
  out.vlan = 0;
  out.tunnel = Tunnel::kNone;
  for (int tags = 0; tags < 2 && (type == kEtherVlan || type == kEtherQinQ); ++tags) {
    if (end - p < 4) return ParseOutcome::kTruncated;
    if (tags == 0) out.vlan = be16(p) & 0x0fff;
    type = be16(p + 2);
    p += 4;
  }
  out.l3_offset = static_cast<uint16_t>(p - frame);
  if (type == parser_detail::kEtherIpv4) return parser_detail::parseIpv4<true>(p, end, out);
  if (type == parser_detail::kEtherIpv6) return parser_detail::parseIpv6<true>(p, end, out);
  return ParseOutcome::kNotIp;
}

}  // namespace vtps::dpdk
