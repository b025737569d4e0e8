// The frame parser on tunnels: one layer of GRE (with or without checksum, key and sequence
// number; IPv4, IPv6 and Ethernet inside) or IP-in-IP (4in4, 6in4, 4in6, 6in6) gives the inner
// flow; a second layer, other GRE versions and payloads, and outer fragments give the outer flow
// as before; a frame cut anywhere inside the tunnel is truncated, never read past its end.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/dpdk/packet_parser.h"
#include "dataplane/dpdk/tcp_segment.h"
#include "tests/dataplane/dpdk/tunnel_builder.h"

namespace vtps::dpdk {
namespace {

using test::gre;
using test::greIp;
using test::ipPacket;
using test::ipv4Frame;
using test::ipv6Frame;
using test::outerIpv4;
using test::outerIpv6;

constexpr uint32_t kClient = 0x0a140101;  // 10.20.1.1
constexpr uint32_t kServer = 0x0a140102;  // 10.20.1.2

ParseOutcome parse(const std::vector<uint8_t>& frame, ParsedPacket& p) {
  // A copy of exactly the frame's size, so that a sanitizer build sees any read past it.
  std::vector<uint8_t> exact(frame);
  exact.shrink_to_fit();
  return parsePacket(exact.data(), exact.size(), p);
}

ParsedPacket parsed(const std::vector<uint8_t>& frame,
                    ParseOutcome expected = ParseOutcome::kFlow) {
  ParsedPacket p;
  EXPECT_EQ(parse(frame, p), expected);
  return p;
}

// The outer flow of an IPv4 tunnel packet between the tunnel's endpoints.
void expectOuterFlow(const std::vector<uint8_t>& frame, uint8_t protocol) {
  ParsedPacket p = parsed(frame);
  EXPECT_EQ(p.tunnel, Tunnel::kNone);
  EXPECT_EQ(p.key.protocol, protocol);
  EXPECT_EQ(p.key.lo[1], test::kTunnelA);
  EXPECT_EQ(p.key.hi[1], test::kTunnelB);
  EXPECT_EQ(p.l3_offset, 14);
}

TEST(TunnelParserTest, GreGivesTheInnerFlowWhateverOptionalFieldsItHas) {
  std::vector<uint8_t> inner = ipv4Frame(kClient, kServer, 40000, 443);
  FlowKey plain = parsed(inner).key;
  for (uint16_t flags : {0, 0x8000, 0x2000, 0x1000, 0xa000, 0x9000, 0x3000, 0xb000}) {
    SCOPED_TRACE(flags);
    std::size_t fields =
        ((flags & 0x8000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) + ((flags & 0x1000) ? 4 : 0);
    ParsedPacket p = parsed(outerIpv4(47, greIp(flags, inner)));
    EXPECT_EQ(p.tunnel, Tunnel::kGre);
    EXPECT_EQ(p.key, plain);
    EXPECT_EQ(p.outer_l3_offset, 14);
    EXPECT_EQ(p.l3_offset, 14 + 20 + 4 + fields);
    EXPECT_EQ(p.src4, kClient);
    EXPECT_EQ(p.dst4, kServer);
    EXPECT_FALSE(p.reversed);
  }
  // The way back through the tunnel (outer addresses swapped) is the same flow.
  ParsedPacket back = parsed(test::inGre(ipv4Frame(kServer, kClient, 443, 40000), true));
  EXPECT_EQ(back.key, plain);
  EXPECT_TRUE(back.reversed);
}

TEST(TunnelParserTest, GreCarriesIpv6AndRunsOverIpv6AndVlans) {
  std::vector<uint8_t> inner6 = ipv6Frame(1, 2, 5353, 53);
  ParsedPacket p = parsed(outerIpv4(47, greIp(test::kGreSequence, inner6)));
  EXPECT_EQ(p.tunnel, Tunnel::kGre);
  EXPECT_EQ(p.key, parsed(inner6).key);
  EXPECT_EQ(p.key.ip_version, 6);
  EXPECT_EQ(p.src4, 0u);  // an IPv6 flow: no IPv4 addresses for the segment's CIDRs
  EXPECT_EQ(p.dst4, 0u);

  std::vector<uint8_t> inner = ipv4Frame(kClient, kServer, 40000, 443);
  ParsedPacket over6 = parsed(outerIpv6(47, greIp(0, inner)));
  EXPECT_EQ(over6.tunnel, Tunnel::kGre);
  EXPECT_EQ(over6.key, parsed(inner).key);
  EXPECT_EQ(over6.l3_offset, 14 + 40 + 4);

  // The outer VLAN stays the key's: it is the segment's wire.
  ParsedPacket tagged = parsed(outerIpv4(47, greIp(0, inner), false, 100));
  EXPECT_EQ(tagged.vlan, 100);
  EXPECT_EQ(tagged.key.vlan, 100);
  EXPECT_EQ(tagged.outer_l3_offset, 18);
  EXPECT_EQ(tagged.l3_offset, 18 + 20 + 4);
  EXPECT_EQ(tagged.key.lo[1], kClient);
}

TEST(TunnelParserTest, GreBridgingEthernetGivesTheInnerFrameFlow) {
  std::vector<uint8_t> inner = ipv4Frame(kClient, kServer, 40000, 443);
  ParsedPacket p = parsed(outerIpv4(47, gre(test::kGreKey, 0x6558, inner)));
  EXPECT_EQ(p.tunnel, Tunnel::kGre);
  EXPECT_EQ(p.key, parsed(inner).key);
  EXPECT_EQ(p.l3_offset, 14 + 20 + 8 + 14);
  // An inner VLAN tag is skipped and is not the key's VLAN.
  std::vector<uint8_t> tagged = ipv4Frame(kClient, kServer, 40000, 443, 6, 200);
  ParsedPacket t = parsed(outerIpv4(47, gre(0, 0x6558, tagged)));
  EXPECT_EQ(t.tunnel, Tunnel::kGre);
  EXPECT_EQ(t.key.vlan, 0);
  EXPECT_EQ(t.key.lo[1], kClient);
  EXPECT_EQ(t.key.hi_port, 443);
  EXPECT_EQ(t.l3_offset, 14 + 20 + 4 + 18);
  // Ethernet carrying ARP is no IP flow to open: the GRE packet is the flow.
  expectOuterFlow(outerIpv4(47, gre(0, 0x6558, test::ethernet(0x0806))), 47);
}

TEST(TunnelParserTest, IpInIpGivesTheInnerFlowOverIpv4AndIpv6) {
  std::vector<uint8_t> inner4 = ipv4Frame(kClient, kServer, 40000, 443);
  std::vector<uint8_t> inner6 = ipv6Frame(1, 2, 5353, 53, true);
  struct Case {
    const char* name;
    std::vector<uint8_t> frame;
    const std::vector<uint8_t>& inner;
    uint16_t l3_offset;
  } cases[] = {
      {"4in4", outerIpv4(4, ipPacket(inner4)), inner4, 14 + 20},
      {"6in4", outerIpv4(41, ipPacket(inner6)), inner6, 14 + 20},
      {"4in6", outerIpv6(4, ipPacket(inner4)), inner4, 14 + 40},
      {"6in6", outerIpv6(41, ipPacket(inner6)), inner6, 14 + 40},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ParsedPacket p = parsed(c.frame);
    EXPECT_EQ(p.tunnel, Tunnel::kIpInIp);
    EXPECT_EQ(p.key, parsed(c.inner).key);
    EXPECT_EQ(p.outer_l3_offset, 14);
    EXPECT_EQ(p.l3_offset, c.l3_offset);
  }
  EXPECT_EQ(parsed(test::inIpip(inner4)).src4, kClient);
}

TEST(TunnelParserTest, ASecondLayerIsNotOpened) {
  std::vector<uint8_t> inner = ipv4Frame(kClient, kServer, 40000, 443);
  // IP-in-IP inside GRE: the first inner header (protocol 4, no ports) is the flow.
  ParsedPacket p = parsed(outerIpv4(47, gre(0, 0x0800, ipPacket(test::inIpip(inner)))));
  EXPECT_EQ(p.tunnel, Tunnel::kGre);
  EXPECT_EQ(p.key.protocol, 4);
  EXPECT_EQ(p.key.lo[1], test::kTunnelA);
  EXPECT_EQ(p.key.lo_port, 0);
  EXPECT_EQ(p.key.hi_port, 0);
  EXPECT_EQ(p.l3_offset, 14 + 20 + 4);
  // GRE inside IP-in-IP, and IP-in-IP inside IP-in-IP over IPv6.
  ParsedPacket g = parsed(outerIpv4(4, ipPacket(test::inGre(inner))));
  EXPECT_EQ(g.tunnel, Tunnel::kIpInIp);
  EXPECT_EQ(g.key.protocol, 47);
  EXPECT_EQ(g.l3_offset, 14 + 20);
  ParsedPacket i = parsed(outerIpv6(4, ipPacket(test::inIpip(inner))));
  EXPECT_EQ(i.key.protocol, 4);
  EXPECT_EQ(i.l3_offset, 14 + 40);
}

TEST(TunnelParserTest, OtherGreAndFragmentedTunnelsAreTheOuterFlow) {
  std::vector<uint8_t> inner = ipv4Frame(kClient, kServer, 40000, 443);
  std::vector<uint8_t> packet = ipPacket(inner);
  expectOuterFlow(outerIpv4(47, gre(0x0001, 0x880b, packet)), 47);         // version 1 (PPTP)
  expectOuterFlow(outerIpv4(47, gre(0x4000, 0x0800, packet)), 47);         // RFC 1701 routing
  expectOuterFlow(outerIpv4(47, gre(0x0800, 0x0800, packet)), 47);         // strict source route
  expectOuterFlow(outerIpv4(47, gre(0x0400, 0x0800, packet)), 47);         // recursion control
  expectOuterFlow(outerIpv4(47, gre(0, 0x8847, packet)), 47);              // MPLS
  expectOuterFlow(outerIpv4(47, greIp(0, inner), false, -1, 0x2000), 47);  // first fragment
  expectOuterFlow(outerIpv4(4, packet, false, -1, 0x0003), 4);             // a later one
  // Reserved GRE bits 6-12 are ignored (RFC 2784).
  EXPECT_EQ(parsed(outerIpv4(47, greIp(0x0100, inner))).tunnel, Tunnel::kGre);
  // An IPv6 fragment header in front of the tunnel: the outer flow too.
  std::vector<uint8_t> fragment = {4, 0, 0, 0, 0, 0, 0, 1};
  fragment.insert(fragment.end(), packet.begin(), packet.end());
  ParsedPacket p6 = parsed(outerIpv6(44, fragment));
  EXPECT_EQ(p6.tunnel, Tunnel::kNone);
  EXPECT_EQ(p6.key.protocol, 4);
  EXPECT_EQ(p6.key.ip_version, 6);
}

TEST(TunnelParserTest, TunnelsCutAnywhereAreTruncated) {
  std::vector<uint8_t> tcp = test::tcpFrame(kClient, kServer, 40000, 80, 1, 2, 0x18, "GET /");
  std::vector<uint8_t> frames[] = {
      outerIpv4(47, greIp(0xb000, tcp)),
      outerIpv4(47, gre(0x2000, 0x6558, ipv4Frame(kClient, kServer, 1, 2, 17, 300))),
      outerIpv4(41, ipPacket(ipv6Frame(1, 2, 5353, 53, true))),
      outerIpv6(4, ipPacket(tcp)),
      outerIpv6(47, greIp(0x8000, ipv6Frame(1, 2, 5353, 53))),
  };
  for (const std::vector<uint8_t>& frame : frames) {
    ASSERT_EQ(parsed(frame).tunnel == Tunnel::kNone, false);
    // Every cut from inside the outer header on: the outer length says more than there is, and
    // the inner headers or the ports are cut short.
    for (std::size_t cut = 14; cut < frame.size(); ++cut) {
      SCOPED_TRACE(cut);
      parsed(std::vector<uint8_t>(frame.begin(), frame.begin() + static_cast<long>(cut)),
             ParseOutcome::kTruncated);
    }
  }
}

TEST(TunnelParserTest, LengthFieldsBoundTheInnerPacket) {
  std::vector<uint8_t> inner = ipv4Frame(kClient, kServer, 40000, 443);
  std::vector<uint8_t> frame = outerIpv4(47, greIp(0, inner));
  // Ethernet padding after the outer packet is not read.
  std::vector<uint8_t> padded = frame;
  padded.insert(padded.end(), 20, 0xee);
  EXPECT_EQ(parsed(padded).key, parsed(inner).key);
  // An outer length shorter than its header and GRE's, or than the inner packet: truncated,
  // although the bytes are in the frame.
  for (uint16_t outer_total : {10, 22, 20 + 4 + 39}) {
    std::vector<uint8_t> short_outer = padded;
    short_outer[16] = static_cast<uint8_t>(outer_total >> 8);
    short_outer[17] = static_cast<uint8_t>(outer_total);
    parsed(short_outer, ParseOutcome::kTruncated);
  }
  // An inner IPv4 length below its header length.
  std::vector<uint8_t> bad_inner = frame;
  bad_inner[14 + 24 + 3] = 19;
  parsed(bad_inner, ParseOutcome::kTruncated);
  // An inner header that is not the IP version GRE said.
  std::vector<uint8_t> wrong_version = frame;
  wrong_version[14 + 24] = 0x65;
  parsed(wrong_version, ParseOutcome::kTruncated);
}

TEST(TunnelParserTest, TcpSegmentInsideGreIsReadAtTheInnerHeader) {
  std::string payload = "GET /attack HTTP/1.1\r\nHost: a\r\n\r\n";
  std::vector<uint8_t> inner =
      test::tcpFrame(kClient, kServer, 40000, 80, 1001, 5001, kTcpAck, payload);
  std::vector<uint8_t> frame = outerIpv4(47, greIp(0xb000, inner));
  frame.insert(frame.end(), 6, 0);  // Ethernet padding: not payload
  ParsedPacket p = parsed(frame);
  TcpSegment seg;
  ASSERT_TRUE(parseTcpSegment(frame.data(), frame.size(), p.l3_offset, seg));
  EXPECT_EQ(seg.l3_offset, 14 + 20 + 16);
  EXPECT_EQ(seg.l4_offset, seg.l3_offset + 20);
  EXPECT_EQ(seg.seq, 1001u);
  EXPECT_EQ(seg.ack, 5001u);
  EXPECT_EQ(seg.flags, kTcpAck);
  ASSERT_EQ(seg.payload_length, payload.size());
  EXPECT_EQ(std::string(frame.begin() + seg.payload_offset,
                        frame.begin() + seg.payload_offset + seg.payload_length),
            payload);
  // The outer header is not a TCP segment.
  EXPECT_FALSE(parseTcpSegment(frame.data(), frame.size(), p.outer_l3_offset, seg));
}

}  // namespace
}  // namespace vtps::dpdk
