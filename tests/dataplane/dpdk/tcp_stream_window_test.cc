// The reassembly window of one TCP direction and the resets a block sends (pure code).
#include "dataplane/dpdk/tcp_stream_window.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dataplane/dpdk/tcp_segment.h"
#include "tests/dataplane/dpdk/packet_builder.h"

namespace vtps::dpdk {
namespace {

using Outcome = TcpStreamWindow::Outcome;

struct Stream {
  TcpStreamWindow w;
  std::string seen;
  Outcome push(uint32_t seq, std::string_view data, bool syn = false) {
    auto bytes =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    return w.push(seq, syn, bytes, [&](std::span<const uint8_t> d) {
      seen.append(reinterpret_cast<const char*>(d.data()), d.size());
    });
  }
};

TEST(TcpStreamWindowTest, DeliversInOrderDataAndSkipsRetransmissions) {
  Stream s;
  EXPECT_EQ(s.push(1000, "", true), Outcome::kOld);  // SYN: the stream starts at 1001
  EXPECT_EQ(s.push(1001, "GET /"), Outcome::kInOrder);
  EXPECT_EQ(s.push(1001, "GET /"), Outcome::kOld);
  EXPECT_EQ(s.push(1004, " /abc"), Outcome::kInOrder);  // overlaps: only "abc" is new
  EXPECT_EQ(s.seen, "GET /abc");
  EXPECT_EQ(s.w.next(), 1009u);
  EXPECT_EQ(s.w.heldBytes(), 0u);
}

TEST(TcpStreamWindowTest, HoldsOutOfOrderSegmentsUntilTheGapIsFilled) {
  Stream s;
  EXPECT_EQ(s.push(1, "ab"), Outcome::kInOrder);  // picked up mid-stream at seq 1
  EXPECT_EQ(s.push(7, "gh"), Outcome::kHeld);
  EXPECT_EQ(s.push(5, "ef"), Outcome::kHeld);
  EXPECT_EQ(s.seen, "ab");
  EXPECT_EQ(s.w.heldBytes(), 4u);
  EXPECT_EQ(s.push(3, "cd"), Outcome::kInOrder);
  EXPECT_EQ(s.seen, "abcdefgh");
  EXPECT_EQ(s.w.heldBytes(), 0u);
  // A hole remains after a partial fill.
  EXPECT_EQ(s.push(13, "mn"), Outcome::kHeld);
  EXPECT_EQ(s.push(9, "ij"), Outcome::kInOrder);
  EXPECT_EQ(s.seen, "abcdefghij");
  EXPECT_EQ(s.w.heldBytes(), 2u);
  EXPECT_EQ(s.push(11, "kl"), Outcome::kInOrder);
  EXPECT_EQ(s.seen, "abcdefghijklmn");
  EXPECT_EQ(s.w.next(), 15u);
}

TEST(TcpStreamWindowTest, RefusesSegmentsBeyondTheWindow) {
  Stream s;
  s.push(0, "a");
  EXPECT_EQ(s.push(1 + TcpStreamWindow::kWindowBytes, "x"), Outcome::kBeyond);
  EXPECT_EQ(s.push(TcpStreamWindow::kWindowBytes, "x"), Outcome::kHeld);  // the last byte fits
  EXPECT_EQ(s.w.heldBytes(), 1u);
}

TEST(TcpStreamWindowTest, SequenceNumbersWrap) {
  Stream s;
  s.push(0xfffffffeu, "ab");
  EXPECT_EQ(s.push(2, "ef"), Outcome::kHeld);
  EXPECT_EQ(s.push(0, "cd"), Outcome::kInOrder);
  EXPECT_EQ(s.seen, "abcdef");
}

uint16_t checksum(const uint8_t* p, std::size_t n, uint32_t sum) {
  return tcp_detail::fold(tcp_detail::sum16(p, n, sum));
}

TEST(TcpSegmentTest, ParsesTheSegmentAndIgnoresEthernetPadding) {
  std::vector<uint8_t> f =
      test::tcpFrame(0x0a000001, 0x0a000002, 40000, 80, 100, 200, kTcpAck, "hi", 7);
  f.insert(f.end(), 10, 0);  // padding after the IP packet
  TcpSegment seg;
  ASSERT_TRUE(parseTcpSegment(f.data(), f.size(), 18, seg));
  EXPECT_EQ(seg.l4_offset, 38);
  EXPECT_EQ(seg.payload_offset, 58);
  EXPECT_EQ(seg.payload_length, 2);
  EXPECT_EQ(seg.seq, 100u);
  EXPECT_EQ(seg.ack, 200u);
  EXPECT_FALSE(parseTcpSegment(f.data(), 50, 18, seg));  // cut short
  std::vector<uint8_t> udp = test::ipv4Frame(1, 2, 3, 4, 17);
  EXPECT_FALSE(parseTcpSegment(udp.data(), udp.size(), 14, seg));
}

TEST(TcpSegmentTest, BuildsResetsTowardBothEnds) {
  std::vector<uint8_t> f =
      test::tcpFrame(0x0a000001, 0x0a000002, 40000, 80, 100, 200, kTcpAck, "GET /", 7);
  TcpSegment seg;
  ASSERT_TRUE(parseTcpSegment(f.data(), f.size(), 18, seg));
  uint8_t out[128];
  // Toward the receiver: same addresses, the dropped segment's sequence number.
  ASSERT_EQ(buildTcpReset(f.data(), seg, false, out), 58u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 18), std::vector<uint8_t>(f.begin(), f.begin() + 18));
  const uint8_t* ip = out + 18;
  const uint8_t* tcp = ip + 20;
  EXPECT_EQ(checksum(ip, 20, 0), 0);
  EXPECT_EQ(checksum(tcp, 20, tcp_detail::sum16(ip + 12, 8, 0) + 6 + 20), 0);
  EXPECT_EQ(tcp_detail::get32(ip + 12), 0x0a000001u);
  EXPECT_EQ(tcp_detail::get16(tcp), 40000);
  EXPECT_EQ(tcp_detail::get32(tcp + 4), 100u);
  EXPECT_EQ(tcp[13], kTcpRst | kTcpAck);
  // Toward the sender: swapped, at the sender's acknowledged sequence.
  ASSERT_EQ(buildTcpReset(f.data(), seg, true, out), 58u);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 6),
            std::vector<uint8_t>(f.begin() + 6, f.begin() + 12));
  EXPECT_EQ(tcp_detail::get32(ip + 12), 0x0a000002u);
  EXPECT_EQ(tcp_detail::get16(tcp), 80);
  EXPECT_EQ(tcp_detail::get16(tcp + 2), 40000);
  EXPECT_EQ(tcp_detail::get32(tcp + 4), 200u);
  EXPECT_EQ(tcp[13], kTcpRst);
  EXPECT_EQ(checksum(ip, 20, 0), 0);
  EXPECT_EQ(checksum(tcp, 20, tcp_detail::sum16(ip + 12, 8, 0) + 6 + 20), 0);
  // A SYN (no ACK) is answered RST+ACK acknowledging it.
  f = test::tcpFrame(0x0a000001, 0x0a000002, 40000, 80, 100, 0, kTcpSyn);
  ASSERT_TRUE(parseTcpSegment(f.data(), f.size(), 14, seg));
  buildTcpReset(f.data(), seg, true, out);
  EXPECT_EQ(out[14 + 20 + 13], kTcpRst | kTcpAck);
  EXPECT_EQ(tcp_detail::get32(out + 14 + 20 + 8), 101u);
}

}  // namespace
}  // namespace vtps::dpdk
