// Reads the flow key of an Ethernet frame: up to two VLAN tags (802.1Q / 802.1ad), IPv4 or IPv6
// (extension headers skipped), and TCP/UDP/SCTP ports. It never writes and never reads past
// `length`. Pure code over bytes, shared by the lcore loop and the tests.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/dpdk/flow_key.h"

namespace vtps::dpdk {

enum class ParseOutcome : uint8_t {
  kFlow,       // an IP packet; `key` and the fields below are set
  kNotIp,      // ARP, LLDP, other ethertypes: bridged without a flow
  kTruncated,  // headers cut short: bridged without a flow and counted
};

struct ParsedPacket {
  FlowKey key;
  bool reversed = false;  // the packet goes hi -> lo of the key
  uint32_t src4 = 0;      // IPv4 source and destination, host order (for segment CIDRs)
  uint32_t dst4 = 0;
  uint16_t vlan = 0;
  uint16_t l3_offset = 0;  // where the IP header starts in the frame
};

// Everything below is inline: it runs for every packet on the lcores.
namespace parser_detail {

inline constexpr uint16_t kEtherIpv4 = 0x0800;
inline constexpr uint16_t kEtherIpv6 = 0x86dd;
inline constexpr uint16_t kEtherVlan = 0x8100;
inline constexpr uint16_t kEtherQinQ = 0x88a8;
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

// Ports at `l4` when the protocol has them and they are present; non-first fragments have none.
inline bool readPorts(const uint8_t* l4, const uint8_t* end, uint8_t protocol, bool first_fragment,
                      Endpoint& src, Endpoint& dst) {
  if (!first_fragment || !hasPorts(protocol)) return true;
  if (end - l4 < 4) return false;
  src.port = be16(l4);
  dst.port = be16(l4 + 2);
  return true;
}

inline ParseOutcome parseIpv4(const uint8_t* ip, const uint8_t* end, ParsedPacket& out) {
  if (end - ip < 20) return ParseOutcome::kTruncated;
  std::size_t header = std::size_t{ip[0] & 0x0fu} * 4;
  if ((ip[0] >> 4) != 4 || header < 20 || static_cast<std::size_t>(end - ip) < header)
    return ParseOutcome::kTruncated;
  Endpoint src, dst;
  out.src4 = be32(ip + 12);
  out.dst4 = be32(ip + 16);
  src.addr[1] = out.src4;
  dst.addr[1] = out.dst4;
  uint8_t protocol = ip[9];
  bool first_fragment = (be16(ip + 6) & 0x1fff) == 0;
  if (!readPorts(ip + header, end, protocol, first_fragment, src, dst))
    return ParseOutcome::kTruncated;
  out.key = makeFlowKey(src, dst, protocol, 4, out.vlan, out.reversed);
  return ParseOutcome::kFlow;
}

inline ParseOutcome parseIpv6(const uint8_t* ip, const uint8_t* end, ParsedPacket& out) {
  if (end - ip < 40 || (ip[0] >> 4) != 6) return ParseOutcome::kTruncated;
  Endpoint src, dst;
  src.addr[0] = be64(ip + 8);
  src.addr[1] = be64(ip + 16);
  dst.addr[0] = be64(ip + 24);
  dst.addr[1] = be64(ip + 32);
  uint8_t next = ip[6];
  const uint8_t* l4 = ip + 40;
  bool first_fragment = true;
  for (int i = 0; i < kMaxIpv6ExtensionHeaders; ++i) {
    if (next != 0 && next != 43 && next != 44 && next != 60) break;
    if (end - l4 < 8) return ParseOutcome::kTruncated;
    if (next == 44) first_fragment = (be16(l4 + 2) & 0xfff8) == 0;
    std::size_t length = next == 44 ? 8 : (std::size_t{l4[1]} + 1) * 8;
    next = l4[0];
    if (static_cast<std::size_t>(end - l4) < length) return ParseOutcome::kTruncated;
    l4 += length;
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
  for (int tags = 0; tags < 2 && (type == kEtherVlan || type == kEtherQinQ); ++tags) {
    if (end - p < 4) return ParseOutcome::kTruncated;
    if (tags == 0) out.vlan = be16(p) & 0x0fff;
    type = be16(p + 2);
    p += 4;
  }
  out.l3_offset = static_cast<uint16_t>(p - frame);
  if (type == parser_detail::kEtherIpv4) return parser_detail::parseIpv4(p, end, out);
  if (type == parser_detail::kEtherIpv6) return parser_detail::parseIpv6(p, end, out);
  return ParseOutcome::kNotIp;
}

}  // namespace vtps::dpdk
