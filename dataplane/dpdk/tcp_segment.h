// The TCP view of an IPv4 frame the filters inspect: sequence numbers, flags and where the
// payload is (from the IP total length, so Ethernet padding is not payload), and the two TCP
// resets a block sends. Pure code over bytes, no DPDK types: the lcore loop copies the built
// frames into mbufs, the tests read them directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vtps::dpdk {

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpAck = 0x10;

struct TcpSegment {
  uint16_t l3_offset = 0;  // IPv4 header
  uint16_t l4_offset = 0;  // TCP header
  uint16_t payload_offset = 0;
  uint16_t payload_length = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
};

namespace tcp_detail {

inline uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
  return uint32_t{get16(p)} << 16 | get16(p + 2);
}
inline void set16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void set32(uint8_t* p, uint32_t v) {
  set16(p, static_cast<uint16_t>(v >> 16));
  set16(p + 2, static_cast<uint16_t>(v));
}
inline uint32_t sum16(const uint8_t* p, std::size_t n, uint32_t sum) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += get16(p + i);
  if (n % 2 != 0) sum += uint32_t{p[n - 1]} << 8;
  return sum;
}
inline uint16_t fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace tcp_detail

// The TCP flags of the IPv4 TCP frame at `l3_offset`, 0 when the frame is too short to hold
// them; a quick look for the per-packet path (parseTcpSegment validates the whole header).
inline uint8_t tcpFlags(const uint8_t* frame, std::size_t length, uint16_t l3_offset) {
  if (length < std::size_t{l3_offset} + 20) return 0;
  std::size_t flags_at = l3_offset + std::size_t{frame[l3_offset] & 0x0fu} * 4 + 13;
  return flags_at < length ? frame[flags_at] : 0;
}

// False when the frame at `l3_offset` is not a complete, unfragmented IPv4 TCP header (the
// caller then forwards it uninspected).
inline bool parseTcpSegment(const uint8_t* frame, std::size_t length, uint16_t l3_offset,
                            TcpSegment& out) {
  using namespace tcp_detail;
  if (length < std::size_t{l3_offset} + 20) return false;
  const uint8_t* ip = frame + l3_offset;
  std::size_t ihl = std::size_t{ip[0] & 0x0fu} * 4;
  std::size_t total = get16(ip + 2);
  if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20) return false;
  if ((get16(ip + 6) & 0x3fff) != 0) return false;  // a fragment: no reassembly of IP
  if (total < ihl + 20 || l3_offset + total > length) return false;
  const uint8_t* tcp = ip + ihl;
  std::size_t doff = static_cast<std::size_t>(tcp[12] >> 4) * 4;
  if (doff < 20 || ihl + doff > total) return false;
  out.l3_offset = l3_offset;
  out.l4_offset = static_cast<uint16_t>(l3_offset + ihl);
  out.payload_offset = static_cast<uint16_t>(out.l4_offset + doff);
  out.payload_length = static_cast<uint16_t>(total - ihl - doff);
  out.seq = get32(tcp + 4);
  out.ack = get32(tcp + 8);
  out.flags = tcp[13];
  return true;
}

// The reset a block sends for the dropped segment `seg` of `frame`, written to `out` (room for
// l3_offset + 40 bytes). toward_sender = false: a reset that continues the sender's sequence at
// the dropped segment (the receiver's next expected byte, RFC 5961 exact match); true: MACs,
// addresses and ports swapped, sequence at the sender's acknowledgement. The Ethernet header
// and VLAN tags are kept. Returns the frame length.
inline std::size_t buildTcpReset(const uint8_t* frame, const TcpSegment& seg, bool toward_sender,
                                 uint8_t* out) {
  using namespace tcp_detail;
  std::memcpy(out, frame, seg.l3_offset);
  if (toward_sender) {
    std::memcpy(out, frame + 6, 6);
    std::memcpy(out + 6, frame, 6);
  }
  const uint8_t* ip_in = frame + seg.l3_offset;
  const uint8_t* tcp_in = frame + seg.l4_offset;
  uint8_t* ip = out + seg.l3_offset;
  uint8_t* tcp = ip + 20;
  std::memset(ip, 0, 40);
  ip[0] = 0x45;
  set16(ip + 2, 40);
  set16(ip + 6, 0x4000);  // DF
  ip[8] = 64;
  ip[9] = 6;
  std::memcpy(ip + 12, ip_in + (toward_sender ? 16 : 12), 4);
  std::memcpy(ip + 16, ip_in + (toward_sender ? 12 : 16), 4);
  set16(ip + 10, fold(sum16(ip, 20, 0)));
  std::memcpy(tcp, tcp_in + (toward_sender ? 2 : 0), 2);
  std::memcpy(tcp + 2, tcp_in + (toward_sender ? 0 : 2), 2);
  bool acked = (seg.flags & kTcpAck) != 0;
  uint32_t consumed =
      seg.payload_length + ((seg.flags & kTcpSyn) ? 1u : 0u) + ((seg.flags & kTcpFin) ? 1u : 0u);
  if (toward_sender) {
    // The sender accepts a reset at its next sequence number, which it told us as its ack; a
    // segment without ACK (a SYN) is answered RST+ACK acknowledging it.
    set32(tcp + 4, acked ? seg.ack : 0);
    set32(tcp + 8, acked ? 0 : seg.seq + consumed);
    tcp[13] = acked ? kTcpRst : static_cast<uint8_t>(kTcpRst | kTcpAck);
  } else {
    set32(tcp + 4, seg.seq);
    set32(tcp + 8, acked ? seg.ack : 0);
    tcp[13] = acked ? static_cast<uint8_t>(kTcpRst | kTcpAck) : kTcpRst;
  }
  tcp[12] = 5 << 4;
  // Checksum over the IPv4 pseudo-header and the 20-byte header.
  uint32_t sum = sum16(ip + 12, 8, 0) + 6 + 20;
  set16(tcp + 16, fold(sum16(tcp, 20, sum)));
  return std::size_t{seg.l3_offset} + 40;
}

}  // namespace vtps::dpdk
