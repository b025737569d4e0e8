#include "dataplane/dpdk/packet_parser.h"

#include <gtest/gtest.h>

#include "tests/dataplane/dpdk/packet_builder.h"

namespace vtps::dpdk {
namespace {

using test::ipv4Frame;
using test::ipv6Frame;

constexpr uint32_t kClient = 0x0a140101;  // 10.20.1.1
constexpr uint32_t kServer = 0x0a140102;  // 10.20.1.2

ParsedPacket parsed(const std::vector<uint8_t>& frame,
                    ParseOutcome expected = ParseOutcome::kFlow) {
  ParsedPacket p;
  EXPECT_EQ(parsePacket(frame.data(), frame.size(), p), expected);
  return p;
}

TEST(PacketParserTest, BothDirectionsOfAnIpv4FlowHaveOneKey) {
  ParsedPacket out = parsed(ipv4Frame(kClient, kServer, 40000, 443));
  ParsedPacket back = parsed(ipv4Frame(kServer, kClient, 443, 40000));
  EXPECT_EQ(out.key, back.key);
  EXPECT_EQ(flowHash(out.key), flowHash(back.key));
  EXPECT_NE(out.reversed, back.reversed);
  EXPECT_EQ(out.key.ip_version, 4);
  EXPECT_EQ(out.key.protocol, 6);
  EXPECT_EQ(out.src4, kClient);
  EXPECT_EQ(out.dst4, kServer);
  EXPECT_EQ(out.key.lo[1], kClient);
  EXPECT_EQ(out.key.lo_port, 40000);
  EXPECT_EQ(out.key.hi_port, 443);
}

TEST(PacketParserTest, DifferentPortsVlansOrProtocolsAreDifferentFlows) {
  FlowKey base = parsed(ipv4Frame(kClient, kServer, 40000, 443)).key;
  EXPECT_FALSE(base == parsed(ipv4Frame(kClient, kServer, 40001, 443)).key);
  EXPECT_FALSE(base == parsed(ipv4Frame(kClient, kServer, 40000, 443, 17)).key);
  ParsedPacket tagged = parsed(ipv4Frame(kClient, kServer, 40000, 443, 6, 100));
  EXPECT_EQ(tagged.vlan, 100);
  EXPECT_EQ(tagged.key.vlan, 100);
  EXPECT_FALSE(base == tagged.key);
}

TEST(PacketParserTest, NonFirstFragmentsHaveNoPorts) {
  ParsedPacket frag = parsed(ipv4Frame(kClient, kServer, 40000, 443, 17, -1, 0x0010));
  EXPECT_EQ(frag.key.lo_port, 0);
  EXPECT_EQ(frag.key.hi_port, 0);
  ParsedPacket first = parsed(ipv4Frame(kClient, kServer, 40000, 443, 17, -1, 0x2000));  // MF
  EXPECT_EQ(first.key.hi_port, 443);
}

TEST(PacketParserTest, Ipv6FlowsSkipExtensionHeadersAndAreSymmetric) {
  ParsedPacket out = parsed(ipv6Frame(1, 2, 5353, 53, true));
  ParsedPacket back = parsed(ipv6Frame(2, 1, 53, 5353));
  EXPECT_EQ(out.key, back.key);
  EXPECT_EQ(out.key.ip_version, 6);
  EXPECT_EQ(out.key.protocol, 17);
  EXPECT_EQ(out.key.lo[0], 0x20010db800000000ULL);
  EXPECT_EQ(out.key.lo[1], 1u);
  EXPECT_EQ(out.key.hi_port, 53);
}

TEST(PacketParserTest, NonIpAndTruncatedFramesAreReportedAsSuch) {
  parsed(test::ethernet(0x0806), ParseOutcome::kNotIp);  // ARP
  std::vector<uint8_t> frame = ipv4Frame(kClient, kServer, 40000, 443);
  for (std::size_t cut : {std::size_t{10}, std::size_t{20}, std::size_t{35}, std::size_t{36}}) {
    std::vector<uint8_t> shorter(frame.begin(), frame.begin() + static_cast<long>(cut));
    parsed(shorter, ParseOutcome::kTruncated);
  }
  std::vector<uint8_t> bad_ihl = frame;
  bad_ihl[14] = 0x44;  // header length 16 < 20
  parsed(bad_ihl, ParseOutcome::kTruncated);
  std::vector<uint8_t> v6 = ipv6Frame(1, 2, 1, 2, true);
  parsed(std::vector<uint8_t>(v6.begin(), v6.begin() + 60), ParseOutcome::kTruncated);
}

}  // namespace
}  // namespace vtps::dpdk
