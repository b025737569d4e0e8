// Test frames: Ethernet (optionally VLAN-tagged) + IPv4/IPv6 + TCP/UDP headers, enough for the
// parser and the forwarding tests. Checksums are left zero: nothing under test reads them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace vtps::dpdk::test {

inline void put16(std::vector<uint8_t>& f, uint16_t v) {
  f.push_back(static_cast<uint8_t>(v >> 8));
  f.push_back(static_cast<uint8_t>(v));
}

inline void put32(std::vector<uint8_t>& f, uint32_t v) {
  put16(f, static_cast<uint16_t>(v >> 16));
  put16(f, static_cast<uint16_t>(v));
}

inline std::vector<uint8_t> ethernet(uint16_t ethertype, int vlan = -1) {
  std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
  if (vlan >= 0) {
    put16(f, 0x8100);
    put16(f, static_cast<uint16_t>(vlan));
  }
  put16(f, ethertype);
  return f;
}

inline void ports(std::vector<uint8_t>& f, uint16_t sport, uint16_t dport, uint8_t protocol) {
  put16(f, sport);
  put16(f, dport);
  std::size_t rest = protocol == 6 ? 16 : 4;  // rest of a TCP or UDP header
  f.insert(f.end(), rest, 0);
}

inline std::vector<uint8_t> ipv4Frame(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                                      uint8_t protocol = 6, int vlan = -1, uint16_t fragment = 0) {
  std::vector<uint8_t> f = ethernet(0x0800, vlan);
  f.insert(f.end(), {0x45, 0});
  put16(f, protocol == 6 ? 40 : 28);
  put16(f, 1);
  put16(f, fragment);
  f.insert(f.end(), {64, protocol, 0, 0});
  put32(f, src);
  put32(f, dst);
  ports(f, sport, dport, protocol);
  return f;
}

inline std::vector<uint8_t> ipv6Frame(uint8_t src_last, uint8_t dst_last, uint16_t sport,
                                      uint16_t dport, bool hop_by_hop = false) {
  std::vector<uint8_t> f = ethernet(0x86dd);
  f.insert(f.end(), {0x60, 0, 0, 0});
  put16(f, hop_by_hop ? 16 : 8);
  f.push_back(hop_by_hop ? 0 : 17);
  f.push_back(64);
  for (uint8_t last : {src_last, dst_last}) {
    f.insert(f.end(), {0x20, 0x01, 0x0d, 0xb8});
    f.insert(f.end(), 11, 0);
    f.push_back(last);
  }
  if (hop_by_hop) f.insert(f.end(), {17, 0, 1, 4, 0, 0, 0, 0});
  ports(f, sport, dport, 17);
  return f;
}

// A TCP/IPv4 frame with sequence numbers, flags and a payload (the filters' view of a flow).
inline std::vector<uint8_t> tcpFrame(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                                     uint32_t seq, uint32_t ack, uint8_t flags,
                                     std::string_view payload = {}, int vlan = -1) {
  std::vector<uint8_t> f = ethernet(0x0800, vlan);
  f.insert(f.end(), {0x45, 0});
  put16(f, static_cast<uint16_t>(40 + payload.size()));
  put16(f, 1);
  put16(f, 0x4000);
  f.insert(f.end(), {64, 6, 0, 0});
  put32(f, src);
  put32(f, dst);
  put16(f, sport);
  put16(f, dport);
  put32(f, seq);
  put32(f, ack);
  f.insert(f.end(), {0x50, flags});
  put16(f, 65535);
  f.insert(f.end(), 4, 0);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

}  // namespace vtps::dpdk::test
