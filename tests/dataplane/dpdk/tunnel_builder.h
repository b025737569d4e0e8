// Test frames in one layer (or two) of GRE or IP-in-IP: an outer IPv4 or IPv6 header around
// the IP packet of a packet_builder.h frame, with or without a GRE header (its checksum, key and
// sequence number fields present as the flags say). Checksums are left zero, like
// packet_builder.h's: nothing under test reads them.
#pragma once

#include <cstdint>
#include <vector>

#include "tests/dataplane/dpdk/packet_builder.h"

namespace vtps::dpdk::test {

inline constexpr uint16_t kGreChecksum = 0x8000;
inline constexpr uint16_t kGreKey = 0x2000;
inline constexpr uint16_t kGreSequence = 0x1000;
inline constexpr uint32_t kTunnelA = 0xc0000201;  // 192.0.2.1, the outer addresses
inline constexpr uint32_t kTunnelB = 0xc0000202;

// The IP packet of an untagged test frame, and what its Ethernet header says it is.
inline std::vector<uint8_t> ipPacket(const std::vector<uint8_t>& frame) {
  return {frame.begin() + 14, frame.end()};
}
inline uint16_t etherType(const std::vector<uint8_t>& frame) {
  return static_cast<uint16_t>(frame[12] << 8 | frame[13]);
}

// A GRE header (RFC 2784/2890) with the given flags and protocol type, then `payload`.
inline std::vector<uint8_t> gre(uint16_t flags, uint16_t type,
                                const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> g;
  put16(g, flags);
  put16(g, type);
  if (flags & kGreChecksum) put32(g, 0xabcd0000);  // checksum and reserved1
  if (flags & kGreKey) put32(g, 0x00000064);
  if (flags & kGreSequence) put32(g, 0x00000007);
  g.insert(g.end(), payload.begin(), payload.end());
  return g;
}

// GRE around the IP packet of `inner` (an untagged test frame), its type taken from the frame.
inline std::vector<uint8_t> greIp(uint16_t flags, const std::vector<uint8_t>& inner) {
  return gre(flags, etherType(inner), ipPacket(inner));
}

// An Ethernet frame with an outer IPv4 header of protocol `protocol` around `payload`; the
// outer addresses are swapped for the way back (reverse = true).
inline std::vector<uint8_t> outerIpv4(uint8_t protocol, const std::vector<uint8_t>& payload,
                                      bool reverse = false, int vlan = -1, uint16_t fragment = 0) {
  std::vector<uint8_t> f = ethernet(0x0800, vlan);
  f.insert(f.end(), {0x45, 0});
  put16(f, static_cast<uint16_t>(20 + payload.size()));
  put16(f, 7);
  put16(f, fragment);
  f.insert(f.end(), {64, protocol, 0, 0});
  put32(f, reverse ? kTunnelB : kTunnelA);
  put32(f, reverse ? kTunnelA : kTunnelB);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

// The same with an outer IPv6 header (2001:db8::a1 and ::b1) of next header `next`.
inline std::vector<uint8_t> outerIpv6(uint8_t next, const std::vector<uint8_t>& payload,
                                      bool reverse = false) {
  std::vector<uint8_t> f = ethernet(0x86dd);
  f.insert(f.end(), {0x60, 0, 0, 0});
  put16(f, static_cast<uint16_t>(payload.size()));
  f.push_back(next);
  f.push_back(64);
  for (uint8_t last :
       {reverse ? uint8_t{0xb1} : uint8_t{0xa1}, reverse ? uint8_t{0xa1} : uint8_t{0xb1}}) {
    f.insert(f.end(), {0x20, 0x01, 0x0d, 0xb8});
    f.insert(f.end(), 11, 0);
    f.push_back(last);
  }
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

// The usual tunnel of the tests: `inner` in GRE with a key over IPv4.
inline std::vector<uint8_t> inGre(const std::vector<uint8_t>& inner, bool reverse = false) {
  return outerIpv4(47, greIp(kGreKey, inner), reverse);
}

// `inner` in IP-in-IP over IPv4 (protocol 4 or 41 from the inner packet's version).
inline std::vector<uint8_t> inIpip(const std::vector<uint8_t>& inner, bool reverse = false) {
  return outerIpv4(etherType(inner) == 0x0800 ? 4 : 41, ipPacket(inner), reverse);
}

}  // namespace vtps::dpdk::test
