// The filters on cleartext dpdk flows without EAL: frames as bytes through a LcoreInspector with
// a real filter engine (signature rules compiled by Hyperscan, traffic management), a fake
// cycle clock for the inspection budget and the layer-2 fallback.
#include "dataplane/dpdk/flow_inspection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/filter/filter_inspector.h"
#include "tests/dataplane/dpdk/packet_builder.h"
#include "tests/dataplane/dpdk/tunnel_builder.h"
#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::dpdk {
namespace {

constexpr uint32_t kClient = 0x0a140101;  // 10.20.1.1
constexpr uint32_t kServer = 0x0a140202;  // 10.20.2.2
constexpr uint32_t kTrusted = 0x0a140909;

uint64_t g_now = 0;
uint64_t g_step = 1;  // cycles each clock read advances
uint64_t fakeCycles() {
  return g_now += g_step;
}

struct FallbackEvent {
  bool entered;
  std::string detail;
};

class FlowInspectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_now = 0;
    g_step = 1;
    filter::FilterSettings s;
    s.traffic_management.push_back(
        filter::TrafficFilterSpec{filter::FiveTupleSpec{"backup", formatAddress(kTrusted)},
                                  filter::TrafficAction::kTrust, 0});
    s.signatures.rules = dir_.write(
        "a.rules",
        "reject http any any -> any any (msg:\"attack\"; http.uri; content:\"/attack\"; "
        "sid:1001;)\n"
        "alert http any any -> any any (msg:\"probe\"; http.uri; content:\"/probe\"; sid:1002;)\n"
        "drop tcp any any -> any any (msg:\"secret\"; content:\"TOPSECRET\"; sid:1003;)\n");
    auto engine = filter::FilterEngine::create(s, &sink_);
    ASSERT_TRUE(engine.ok()) << engine.message();
    engine_ = *engine;
  }

  static std::string formatAddress(uint32_t a) { return filter::formatIpv4(a); }

  std::unique_ptr<LcoreInspector> inspector(FallbackMode mode = FallbackMode::kFailOpen,
                                            double budget = 0.8) {
    InspectionOptions o;
    o.engine = engine_;
    o.fallback = mode;
    o.budget = budget;
    o.cycles = fakeCycles;
    o.cycles_per_second = 1'000'000;
    o.on_fallback = [this](unsigned, bool entered, const std::string& detail) {
      fallbacks_.push_back({entered, detail});
    };
    return std::make_unique<LcoreInspector>(3, std::move(o));
  }

  // One packet through a flow table like the lcore loop does it.
  PacketAction send(LcoreInspector& li, const std::vector<uint8_t>& frame, bool in_profile = true) {
    ParsedPacket p;
    EXPECT_EQ(parsePacket(frame.data(), frame.size(), p), ParseOutcome::kFlow);
    bool created = false;
    FlowEntry& e = table_.findOrInsert(p.key, flowHash(p.key), 1, created);
    if (created) {
      e.in_profile = in_profile;
      li.flowCreated(e, p);
    }
    return li.onPacket(e, p, frame.data(), frame.size(), "seg1", "");
  }

  std::vector<uint8_t> fromClient(uint32_t seq, uint8_t flags, std::string_view data = {},
                                  uint32_t client = kClient) {
    return test::tcpFrame(client, kServer, 40000, 80, seq, 5001, flags, data);
  }
  std::vector<uint8_t> fromServer(uint32_t seq, uint8_t flags, std::string_view data = {},
                                  uint32_t client = kClient) {
    return test::tcpFrame(kServer, client, 80, 40000, seq, 1001, flags, data);
  }

  filter::testing::TempDir dir_;
  filter::testing::RecordingSink sink_;
  std::shared_ptr<filter::FilterEngine> engine_;
  FlowTable table_{1024, 0};
  std::vector<FallbackEvent> fallbacks_;
};

TEST_F(FlowInspectionTest, RejectRuleBlocksTheFlowBothWaysWithResets) {
  auto li = inspector();
  EXPECT_EQ(send(*li, fromClient(1000, kTcpSyn)), PacketAction::kForward);
  EXPECT_EQ(send(*li, fromServer(5000, kTcpSyn | kTcpAck)), PacketAction::kForward);
  EXPECT_EQ(send(*li, fromClient(1001, kTcpAck)), PacketAction::kForward);
  EXPECT_EQ(send(*li, fromClient(1001, kTcpAck, "GET /attack HTTP/1.1\r\nHost: a\r\n\r\n")),
            PacketAction::kDropAndReset);
  EXPECT_EQ(li->segment().seq, 1001u);  // the dropped segment, for the resets
  EXPECT_EQ(send(*li, fromServer(5001, kTcpAck)), PacketAction::kDrop);
  EXPECT_EQ(send(*li, fromClient(1001, kTcpAck, "GET /")), PacketAction::kDrop);
  ASSERT_EQ(sink_.events.size(), 1u);
  const filter::FilterEvent& e = sink_.events[0];
  EXPECT_EQ(e.log, filter::FilterLog::kBlock);
  EXPECT_EQ(e.sid, 1001u);
  EXPECT_FALSE(e.ssl_inspect);
  EXPECT_EQ(e.proxy, "seg1");
  EXPECT_EQ(e.client_address, "10.20.1.1");
  EXPECT_EQ(e.client_port, 40000);
  EXPECT_EQ(e.server_address, "10.20.2.2");
  EXPECT_EQ(e.http_uri, "/attack");
  InspectionCounters c = li->counters();
  EXPECT_EQ(c.flows_inspected, 1u);
  EXPECT_EQ(c.flows_blocked, 1u);
  EXPECT_EQ(c.blocked_drops, 3u);
}

TEST_F(FlowInspectionTest, AlertPassesAndStreamRulesMatchAcrossSegmentsOutOfOrder) {
  auto li = inspector();
  send(*li, fromClient(1000, kTcpSyn));
  EXPECT_EQ(send(*li, fromClient(1001, kTcpAck, "GET /probe HTTP/1.1\r\nHost: a\r\n\r\n")),
            PacketAction::kForward);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].log, filter::FilterLog::kAlert);
  EXPECT_EQ(sink_.events[0].action, "permit+notify");
  EXPECT_FALSE(sink_.events[0].ssl_inspect);
  // The server's answer carries "TOPSECRET" split over two segments that arrive swapped: the
  // later half is held (and forwarded), the earlier one completes the match and is dropped.
  EXPECT_EQ(send(*li, fromServer(5000, kTcpSyn | kTcpAck)), PacketAction::kForward);
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nxxxxTOPS";
  EXPECT_EQ(send(*li, fromServer(5001 + static_cast<uint32_t>(head.size()), kTcpAck, "ECRETyyyy")),
            PacketAction::kForward);
  EXPECT_EQ(li->counters().out_of_order, 1u);
  EXPECT_EQ(send(*li, fromServer(5001, kTcpAck, head)), PacketAction::kDrop);  // drop: no reset
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[1].sid, 1003u);
  EXPECT_EQ(sink_.events[1].direction, "server-to-client");
}

TEST_F(FlowInspectionTest, TrustedFlowsAndFlowsOutsideTheProfileAreNotInspected) {
  auto li = inspector();
  EXPECT_EQ(send(*li, fromClient(1000, kTcpSyn, {}, kTrusted)), PacketAction::kForward);
  EXPECT_EQ(send(*li, fromClient(1001, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n", kTrusted)),
            PacketAction::kForward);
  std::vector<uint8_t> outside =
      test::tcpFrame(kClient, kServer, 40001, 80, 1, 1, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n");
  EXPECT_EQ(send(*li, outside, false), PacketAction::kForward);
  std::vector<uint8_t> udp = test::ipv4Frame(kClient, kServer, 5000, 53, 17);
  EXPECT_EQ(send(*li, udp), PacketAction::kForward);
  EXPECT_TRUE(sink_.events.empty());
  InspectionCounters c = li->counters();
  EXPECT_EQ(c.flows_inspected, 1u);  // the trusted flow was opened, then skipped
  EXPECT_EQ(c.flows_skipped, 1u);
}

TEST_F(FlowInspectionTest, FlowsNothingLooksIntoAreDecidedAtOpenUntilTheNextConnection) {
  // No rules, lists or filters: the session is opened and decided, its payload never looked at.
  auto engine = filter::FilterEngine::create(filter::FilterSettings{}, &sink_);
  ASSERT_TRUE(engine.ok()) << engine.message();
  engine_ = *engine;
  auto li = inspector();
  EXPECT_EQ(send(*li, fromClient(1000, kTcpSyn)), PacketAction::kForward);
  uint64_t opening_cycles = li->counters().filter_cycles;
  EXPECT_EQ(send(*li, fromClient(1001, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n")),
            PacketAction::kForward);
  EXPECT_EQ(send(*li, fromServer(5000, kTcpAck, "HTTP/1.1 200 OK\r\n\r\n")),
            PacketAction::kForward);
  InspectionCounters c = li->counters();
  EXPECT_EQ(c.flows_inspected, 1u);
  EXPECT_EQ(c.flows_decided, 1u);
  EXPECT_EQ(c.flows_skipped, 0u);
  EXPECT_EQ(c.payload_bytes, 0u);
  EXPECT_EQ(c.filter_cycles, opening_cycles);  // later packets are not timed: not looked at
  // A rule set loaded now applies to the next connection on the same 4-tuple, not to this one.
  filter::FilterSettings s;
  s.signatures.rules = dir_.write(
      "b.rules", "reject http any any -> any any (http.uri; content:\"/attack\"; sid:1;)\n");
  ASSERT_TRUE(engine_->reload(s).ok());
  EXPECT_EQ(send(*li, fromClient(1030, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n")),
            PacketAction::kForward);
  EXPECT_EQ(send(*li, fromClient(7000, kTcpSyn)), PacketAction::kForward);
  EXPECT_EQ(send(*li, fromClient(7001, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n")),
            PacketAction::kDropAndReset);
  c = li->counters();
  EXPECT_EQ(c.flows_inspected, 2u);
  EXPECT_EQ(c.flows_decided, 1u);
  EXPECT_EQ(c.flows_blocked, 1u);
}

TEST_F(FlowInspectionTest, RateLimitDropsPacketsOverTheRate) {
  filter::FilterSettings s;
  s.traffic_management.push_back(filter::TrafficFilterSpec{
      filter::FiveTupleSpec{"slow", formatAddress(kClient)}, filter::TrafficAction::kRateLimit,
      8});  // 8 kbit/s: 1,000 bytes a second, a second's burst
  auto engine = filter::FilterEngine::create(s, &sink_);
  ASSERT_TRUE(engine.ok()) << engine.message();
  engine_ = *engine;
  auto li = inspector();
  send(*li, fromClient(1000, kTcpSyn));
  std::string chunk(400, 'a');
  int forwarded = 0, dropped = 0;
  for (uint32_t i = 0; i < 10; ++i) {
    PacketAction a = send(*li, fromClient(1001 + i * 400, kTcpAck, chunk));
    (a == PacketAction::kForward ? forwarded : dropped) += 1;
  }
  EXPECT_GE(forwarded, 2);  // within the burst
  EXPECT_GE(dropped, 5);    // then over the rate
  EXPECT_EQ(li->counters().rate_limit_drops, static_cast<uint64_t>(dropped));
}

TEST_F(FlowInspectionTest, QuarantineRedirectDropsTheRequestAndResetsBothEnds) {
  filter::FilterSettings s;
  s.quarantine.hosts = {"10.20.1.1"};
  s.quarantine.action = filter::QuarantineAction::kRedirect;
  s.quarantine.redirect_url = "http://remediation.example/quarantined";
  auto engine = filter::FilterEngine::create(s, &sink_);
  ASSERT_TRUE(engine.ok()) << engine.message();
  engine_ = *engine;
  auto li = inspector();
  EXPECT_EQ(send(*li, fromClient(1000, kTcpSyn)), PacketAction::kForward);
  EXPECT_EQ(send(*li, fromClient(1001, kTcpAck, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")),
            PacketAction::kDropAndReset);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].action, "redirect");
}

TEST_F(FlowInspectionTest, OverBudgetEntersFallbackAndLeavesItLogged) {
  auto li = inspector(FallbackMode::kFailOpen, 0.5);
  send(*li, fromClient(1000, kTcpSyn));
  li->tick(g_now);
  EXPECT_FALSE(li->inFallback());
  // Inspection now costs far more than half of a 100 ms period (100,000 cycles).
  g_step = 80'000;
  send(*li, fromClient(1001, kTcpAck, "GET / HTTP/1.1\r\n\r\n"));
  li->tick(g_now);
  ASSERT_TRUE(li->inFallback());
  ASSERT_EQ(fallbacks_.size(), 1u);
  EXPECT_TRUE(fallbacks_[0].entered);
  EXPECT_THAT(fallbacks_[0].detail, ::testing::HasSubstr("over the budget of 50%; fail-open"));
  // Fail-open: the flow is bridged uninspected from now on, even after the fallback.
  EXPECT_EQ(send(*li, fromClient(1019, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n")),
            PacketAction::kForward);
  li->tick(g_now + 2'000'000);  // the hold time (a second) has passed
  EXPECT_FALSE(li->inFallback());
  ASSERT_EQ(fallbacks_.size(), 2u);
  EXPECT_FALSE(fallbacks_[1].entered);
  EXPECT_THAT(fallbacks_[1].detail, ::testing::HasSubstr("1 packets bridged without inspection"));
  EXPECT_EQ(send(*li, fromClient(1043, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n")),
            PacketAction::kForward);
  InspectionCounters c = li->counters();
  EXPECT_EQ(c.fallback_entries, 1u);
  EXPECT_EQ(c.fallback_forwarded, 1u);
  EXPECT_EQ(c.fallback_active, 0u);
  EXPECT_TRUE(sink_.events.empty());
  // A new flow after the fallback is inspected again.
  g_step = 1;
  std::vector<uint8_t> syn = test::tcpFrame(kClient, kServer, 40002, 80, 1, 0, kTcpSyn);
  send(*li, syn);
  EXPECT_EQ(send(*li, test::tcpFrame(kClient, kServer, 40002, 80, 2, 1, kTcpAck,
                                     "GET /attack HTTP/1.1\r\n\r\n")),
            PacketAction::kDropAndReset);
}

TEST_F(FlowInspectionTest, TunnelledFlowsAreInspectedAndBlockedWithoutResets) {
  auto li = inspector();
  // Through GRE: the reject rule fires on the inner flow; the block drops, it does not reset.
  EXPECT_EQ(send(*li, test::inGre(fromClient(1000, kTcpSyn))), PacketAction::kForward);
  EXPECT_EQ(send(*li, test::inGre(fromServer(5000, kTcpSyn | kTcpAck), true)),
            PacketAction::kForward);
  EXPECT_EQ(send(*li, test::inGre(fromClient(1001, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n"))),
            PacketAction::kDrop);
  EXPECT_EQ(send(*li, test::inGre(fromServer(5001, kTcpAck), true)), PacketAction::kDrop);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].log, filter::FilterLog::kBlock);
  EXPECT_EQ(sink_.events[0].sid, 1001u);
  EXPECT_EQ(sink_.events[0].client_address, "10.20.1.1");
  EXPECT_EQ(sink_.events[0].server_address, "10.20.2.2");
  EXPECT_EQ(sink_.events[0].http_uri, "/attack");
  // Through IP-in-IP (another client port): an alert passes, the drop rule drops.
  auto client = [](uint32_t seq, uint8_t flags, std::string_view data = {}) {
    return test::inIpip(test::tcpFrame(kClient, kServer, 40001, 80, seq, 0, flags, data));
  };
  std::string probe = "GET /probe HTTP/1.1\r\n\r\n";
  EXPECT_EQ(send(*li, client(1, kTcpSyn)), PacketAction::kForward);
  EXPECT_EQ(send(*li, client(2, kTcpAck, probe)), PacketAction::kForward);
  EXPECT_EQ(send(*li, client(2 + static_cast<uint32_t>(probe.size()), kTcpAck, "TOPSECRET")),
            PacketAction::kDrop);
  ASSERT_EQ(sink_.events.size(), 3u);
  EXPECT_EQ(sink_.events[1].sid, 1002u);
  EXPECT_EQ(sink_.events[1].log, filter::FilterLog::kAlert);
  EXPECT_EQ(sink_.events[2].sid, 1003u);
  EXPECT_EQ(sink_.events[2].client_port, 40001);
  InspectionCounters c = li->counters();
  EXPECT_EQ(c.flows_inspected, 2u);
  EXPECT_EQ(c.flows_blocked, 2u);
}

TEST_F(FlowInspectionTest, ATunnelInsideATunnelIsNotInspected) {
  auto li = inspector();
  std::vector<uint8_t> inner =
      test::inIpip(fromClient(1001, kTcpAck, "GET /attack HTTP/1.1\r\n\r\n"));
  std::vector<uint8_t> frame = test::outerIpv4(47, test::greIp(0, inner));
  EXPECT_EQ(send(*li, frame), PacketAction::kForward);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(li->counters().flows_inspected, 0u);
}

}  // namespace
}  // namespace vtps::dpdk
