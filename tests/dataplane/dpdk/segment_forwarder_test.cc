// Segment forwarding through real DPDK lcores on net_ring ports (rte_eth_from_rings): the test
// feeds each port's rx ring and reads what the forwarder put on the other port's tx ring. EAL
// runs once for the whole binary (--no-huge --no-shconf), so this needs root like the other
// EAL users and carries the "root" label.
#include "dataplane/dpdk/segment_forwarder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_thash.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "dataplane/dpdk/eal.h"
#include "dataplane/dpdk/tcp_segment.h"
#include "dataplane/filter/filter_inspector.h"
#include "tests/dataplane/dpdk/packet_builder.h"
#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::dpdk {
namespace {

using ::testing::HasSubstr;

bool g_eal_ok = false;
rte_mempool* g_pool = nullptr;

constexpr uint32_t kClientNet = 0x0a140100;  // 10.20.1.0/24
constexpr uint32_t kOtherNet = 0x0a150100;   // 10.21.1.0/24
constexpr uint32_t kServer = 0x0a140202;     // 10.20.2.2

struct RingPort {
  rte_ring* rx = nullptr;
  rte_ring* tx = nullptr;
  uint16_t port = 0;
};

RingPort makeRingPort(const std::string& name, unsigned tx_size = 4096) {
  RingPort p;
  p.rx = rte_ring_create((name + "_rx").c_str(), 4096, SOCKET_ID_ANY, 0);
  p.tx = rte_ring_create((name + "_tx").c_str(), tx_size, SOCKET_ID_ANY, 0);
  EXPECT_NE(p.rx, nullptr);
  EXPECT_NE(p.tx, nullptr);
  int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY);
  EXPECT_GE(id, 0) << "rte_eth_from_rings " << name;
  p.port = static_cast<uint16_t>(id);
  return p;
}

void freeRings(RingPort& p) {
  void* m = nullptr;
  for (rte_ring* r : {p.rx, p.tx}) {
    while (rte_ring_dequeue(r, &m) == 0)
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(r);
  }
}

void feed(rte_ring* ring, const std::vector<uint8_t>& frame, int count) {
  for (int i = 0; i < count; ++i) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    ASSERT_NE(m, nullptr);
    char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()));
    std::memcpy(data, frame.data(), frame.size());
    ASSERT_EQ(rte_ring_enqueue(ring, m), 0);
  }
}

bool waitFor(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::vector<uint8_t> firstFrame(rte_ring* ring) {
  void* m = nullptr;
  if (rte_ring_dequeue(ring, &m) != 0) return {};
  auto* mbuf = static_cast<rte_mbuf*>(m);
  const auto* data = rte_pktmbuf_mtod(mbuf, const uint8_t*);
  std::vector<uint8_t> out(data, data + rte_pktmbuf_data_len(mbuf));
  rte_pktmbuf_free(mbuf);
  return out;
}

class SegmentForwarderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (g_eal_ok) return;
    // Only an unprivileged run may skip (ctest gives these tests the root label); as root an
    // EAL that does not start is a failure, so the tests cannot pass without running.
    if (::geteuid() != 0) GTEST_SKIP() << "DPDK EAL needs root";
    FAIL() << "DPDK EAL did not initialise as root (its error is on stderr)";
  }
};

TEST_F(SegmentForwarderTest, ForwardsEveryPacketBothWaysAndCountsIt) {
  RingPort a = makeRingPort("fwd_a");
  RingPort b = makeRingPort("fwd_b");
  ForwarderSegment seg{"seg1", {a.port, b.port}, {}, {{kClientNet, 24}}, {}, ""};
  auto fwd = SegmentForwarder::start(
      {seg}, {.lcores = workerLcores().size() > 0 ? std::vector<unsigned>{workerLcores()[0]}
                                                  : std::vector<unsigned>{}});
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  // 4 flows from the segment's source network, 2 from elsewhere; answers from the server; ARP.
  std::vector<uint8_t> first = test::ipv4Frame(kClientNet + 1, kServer, 40000, 443);
  for (uint32_t i = 0; i < 4; ++i)
    feed(a.rx, test::ipv4Frame(kClientNet + 1 + i, kServer, 40000, 443), 100);
  for (uint32_t i = 0; i < 2; ++i)
    feed(a.rx, test::ipv4Frame(kOtherNet + 1 + i, kServer, 40000, 443), 100);
  // The first packet of a flow decides its profile, so the answers follow the requests.
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 600; }));
  for (uint32_t i = 0; i < 4; ++i)
    feed(b.rx, test::ipv4Frame(kServer, kClientNet + 1 + i, 443, 40000), 50);
  feed(b.rx, test::ethernet(0x0806), 30);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 600 && rte_ring_count(a.tx) == 230; }))
      << "a.tx " << rte_ring_count(a.tx) << " b.tx " << rte_ring_count(b.tx);
  EXPECT_EQ(firstFrame(b.tx), first);

  ForwarderSnapshot snap = (*fwd)->snapshot();
  ASSERT_EQ(snap.ports.size(), 2u);
  EXPECT_EQ(snap.ports[0].name, "net_ring_fwd_a");
  EXPECT_EQ(snap.ports[0].rx_packets, 600u);
  EXPECT_EQ(snap.ports[0].tx_packets, 230u);
  EXPECT_EQ(snap.ports[1].rx_packets, 230u);
  ASSERT_EQ(snap.lcores.size(), 1u);
  const LcoreCounters& lc = snap.lcores[0];
  EXPECT_EQ(lc.flows_created, 6u);
  EXPECT_EQ(lc.flows_live, 6u);
  EXPECT_EQ(lc.flows_evicted, 0u);
  ASSERT_EQ(lc.paths.size(), 2u);
  const PathCounters& ab = lc.paths[0];
  EXPECT_EQ(ab.segment, "seg1");
  EXPECT_EQ(ab.rx_port, a.port);
  EXPECT_EQ(ab.tx_port, b.port);
  EXPECT_EQ(ab.rx_packets, 600u);
  EXPECT_EQ(ab.tx_packets, 600u);
  EXPECT_EQ(ab.rx_bytes, 600u * first.size());
  EXPECT_EQ(ab.tx_dropped, 0u);
  EXPECT_EQ(ab.in_profile, 400u);
  const PathCounters& ba = lc.paths[1];
  EXPECT_EQ(ba.rx_packets, 230u);
  EXPECT_EQ(ba.tx_packets, 230u);
  EXPECT_EQ(ba.not_ip, 30u);
  EXPECT_EQ(ba.in_profile, 200u);  // answers belong to flows the clients opened
  // Standard mode: once the rings are empty the lcore sleeps instead of spinning.
  EXPECT_TRUE(waitFor([&] { return (*fwd)->snapshot().lcores[0].sleeps > 10; }));
  (*fwd)->stop();
  EXPECT_FALSE(rte_eth_dev_is_valid_port(a.port));
  freeRings(a);
  freeRings(b);
}

TEST_F(SegmentForwarderTest, FullTxQueueCountsDropsAndFreesThePackets) {
  RingPort a = makeRingPort("drop_a");
  RingPort b = makeRingPort("drop_b", 64);  // holds 63
  unsigned free_before = rte_mempool_avail_count(g_pool);
  auto fwd = SegmentForwarder::start({{"seg1", {a.port, b.port}, {}, {}, {}, ""}},
                                     {.lcores = {workerLcores()[0]}, .busy_poll = true});
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  feed(a.rx, test::ipv4Frame(kClientNet + 1, kServer, 40000, 443), 200);
  ASSERT_TRUE(waitFor([&] { return (*fwd)->snapshot().lcores[0].paths[0].rx_packets == 200; }));
  PathCounters ab = (*fwd)->snapshot().lcores[0].paths[0];
  EXPECT_EQ(ab.tx_packets, 63u);
  EXPECT_EQ(ab.tx_dropped, 137u);
  EXPECT_EQ((*fwd)->snapshot().lcores[0].sleeps, 0u);  // performance mode never sleeps
  (*fwd)->stop();
  freeRings(a);
  freeRings(b);
  EXPECT_EQ(rte_mempool_avail_count(g_pool), free_before);
}

TEST_F(SegmentForwarderTest, SegmentsOnPortsWithoutRssRunWholeOnOneLcoreEach) {
  ASSERT_GE(workerLcores().size(), 2u);
  RingPort a = makeRingPort("whole_a"), b = makeRingPort("whole_b");
  RingPort c = makeRingPort("whole_c"), d = makeRingPort("whole_d");
  std::vector<unsigned> lcores = {workerLcores()[0], workerLcores()[1]};
  auto fwd = SegmentForwarder::start(
      {{"seg1", {a.port, b.port}, {}, {}, {}, ""}, {"seg2", {c.port, d.port}, {}, {}, {}, ""}},
      {.lcores = lcores});
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  feed(a.rx, test::ipv4Frame(kClientNet + 1, kServer, 40000, 443), 70);
  feed(d.rx, test::ipv4Frame(kServer, kClientNet + 2, 443, 40000), 30);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 70 && rte_ring_count(c.tx) == 30; }));
  ForwarderSnapshot snap = (*fwd)->snapshot();
  ASSERT_EQ(snap.lcores.size(), 2u);
  EXPECT_FALSE(snap.ports[0].rss);
  EXPECT_EQ(snap.ports[0].queues, 1);
  // seg1 on the first lcore, seg2 on the second, each with both directions on queue 0.
  ASSERT_EQ(snap.lcores[0].paths.size(), 2u);
  ASSERT_EQ(snap.lcores[1].paths.size(), 2u);
  EXPECT_EQ(snap.lcores[0].paths[0].segment, "seg1");
  EXPECT_EQ(snap.lcores[0].paths[0].rx_packets, 70u);
  EXPECT_EQ(snap.lcores[1].paths[1].segment, "seg2");
  EXPECT_EQ(snap.lcores[1].paths[1].rx_port, d.port);
  EXPECT_EQ(snap.lcores[1].paths[1].queue, 0);
  EXPECT_EQ(snap.lcores[1].paths[1].tx_packets, 30u);
  EXPECT_EQ(snap.lcores[0].flows_created, 1u);
  EXPECT_EQ(snap.lcores[1].flows_created, 1u);
  (*fwd)->stop();
  for (RingPort* p : {&a, &b, &c, &d})
    freeRings(*p);
}

// net_null ports have RSS and many queues: the segment is spread, one RSS queue per lcore.
TEST_F(SegmentForwarderTest, SegmentsOnRssPortsAreSpreadOverEveryLcore) {
  ASSERT_GE(workerLcores().size(), 2u);
  ASSERT_EQ(rte_vdev_init("net_null_s0", nullptr), 0);
  ASSERT_EQ(rte_vdev_init("net_null_s1", nullptr), 0);
  uint16_t p0 = 0, p1 = 0;
  ASSERT_EQ(rte_eth_dev_get_port_by_name("net_null_s0", &p0), 0);
  ASSERT_EQ(rte_eth_dev_get_port_by_name("net_null_s1", &p1), 0);
  auto fwd = SegmentForwarder::start({{"seg1", {p0, p1}, {}, {}, {}, ""}},
                                     {.lcores = {workerLcores()[0], workerLcores()[1]}});
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  // net_null receives endlessly: every lcore forwards on its own queue of both ports.
  ASSERT_TRUE(waitFor([&] {
    ForwarderSnapshot s = (*fwd)->snapshot();
    return s.lcores[0].paths[0].tx_packets > 1000 && s.lcores[1].paths[1].tx_packets > 1000;
  }));
  ForwarderSnapshot snap = (*fwd)->snapshot();
  EXPECT_TRUE(snap.ports[0].rss);
  EXPECT_EQ(snap.ports[0].queues, 2);
  EXPECT_EQ(snap.lcores[0].paths[0].queue, 0);
  EXPECT_EQ(snap.lcores[1].paths[0].queue, 1);
  EXPECT_EQ(snap.lcores[1].paths[1].rx_port, p1);
  (*fwd)->stop();
  EXPECT_EQ(rte_vdev_uninit("net_null_s0"), 0);
  EXPECT_EQ(rte_vdev_uninit("net_null_s1"), 0);
}

TEST_F(SegmentForwarderTest, RefusesUnknownPortsAndPortsUsedTwice) {
  RingPort a = makeRingPort("twice_a");
  auto twice = SegmentForwarder::start({{"seg1", {a.port, a.port}, {}, {}, {}, ""}},
                                       {.lcores = {workerLcores()[0]}});
  EXPECT_EQ(twice.message(), "start segment forwarding: port " + std::to_string(a.port) +
                                 " is used twice (segment \"seg1\")");
  auto unknown = SegmentForwarder::start({{"seg1", {a.port, 999}, {}, {}, {}, ""}},
                                         {.lcores = {workerLcores()[0]}});
  EXPECT_EQ(unknown.message(),
            "start segment forwarding: segment \"seg1\" names port 999, which does not exist");
  auto main_lcore = SegmentForwarder::start({{"seg1", {a.port, a.port}, {}, {}, {}, ""}},
                                            {.lcores = {rte_get_main_lcore()}});
  EXPECT_THAT(main_lcore.message(), HasSubstr("is used twice"));
  rte_eth_dev_close(a.port);
  freeRings(a);
}

uint32_t seqOf(const std::vector<uint8_t>& frame) {
  TcpSegment seg;
  return parseTcpSegment(frame.data(), frame.size(), 14, seg) ? seg.seq : 0;
}

// net_ring ports have no RSS: one segment on two lcores is spread by the software hash. Both
// directions of a flow are handled by one lcore, every flow's packets keep their order, and
// a block on the other lcore sends its resets out of the right ports through the owner.
TEST_F(SegmentForwarderTest, SegmentWithoutRssIsSpreadBySoftwareOverTheLcores) {
  ASSERT_GE(workerLcores().size(), 2u);
  filter::testing::TempDir dir;
  filter::FilterSettings fs;
  fs.signatures.rules = dir.write(
      "r.rules", "reject tcp any any -> any any (msg:\"x\"; content:\"BLOCKME\"; sid:9;)\n");
  auto engine = filter::FilterEngine::create(fs, nullptr);
  ASSERT_TRUE(engine.ok()) << engine.message();
  RingPort a = makeRingPort("soft_a"), b = makeRingPort("soft_b");
  ForwarderOptions o{.lcores = {workerLcores()[0], workerLcores()[1]}};
  o.inspection.engine = *engine;
  auto fwd = SegmentForwarder::start({{"seg1", {a.port, b.port}, {}, {}, {}, ""}}, std::move(o));
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  constexpr int kFlows = 64, kEach = 10;
  for (int i = 0; i < kEach; ++i) {
    for (int f = 0; f < kFlows; ++f) {
      feed(a.rx,
           test::tcpFrame(kClientNet + 1, kServer, static_cast<uint16_t>(30000 + f), 80,
                          static_cast<uint32_t>(1000 + i), 1, kTcpAck, "x"),
           1);
    }
  }
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == kFlows * kEach; }))
      << rte_ring_count(b.tx);
  std::vector<uint32_t> last(kFlows, 0);
  for (int k = 0; k < kFlows * kEach; ++k) {
    std::vector<uint8_t> frame = firstFrame(b.tx);
    int f = (frame[34] << 8 | frame[35]) - 30000;
    ASSERT_TRUE(f >= 0 && f < kFlows);
    EXPECT_GT(seqOf(frame), last[f]) << "flow " << f << " out of order";
    last[f] = seqOf(frame);
  }
  for (int f = 0; f < kFlows; ++f) {
    feed(b.rx,
         test::tcpFrame(kServer, kClientNet + 1, 80, static_cast<uint16_t>(30000 + f), 1, 1011,
                        kTcpAck, "y"),
         1);
  }
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(a.tx) == kFlows; }));
  ForwarderSnapshot snap = (*fwd)->snapshot();
  ASSERT_EQ(snap.lcores.size(), 2u);
  // Each flow was created once, on one lcore, for both directions; both lcores have some.
  EXPECT_EQ(snap.lcores[0].flows_created + snap.lcores[1].flows_created, uint64_t{kFlows});
  EXPECT_GT(snap.lcores[0].flows_created, 0u);
  EXPECT_GT(snap.lcores[1].flows_created, 0u);
  ASSERT_EQ(snap.lcores[0].paths.size(), 2u);  // the owner: both ports
  ASSERT_EQ(snap.lcores[1].paths.size(), 1u);  // the other: the hand-off ring
  EXPECT_FALSE(snap.lcores[0].paths[0].via_ring);
  EXPECT_TRUE(snap.lcores[1].paths[0].via_ring);
  EXPECT_EQ(snap.lcores[1].paths[0].rx_packets, snap.lcores[1].flows_created * (kEach + 1));
  EXPECT_EQ(snap.lcores[0].paths[0].rx_packets, uint64_t{kFlows * kEach});
  EXPECT_EQ(snap.lcores[0].paths[0].tx_packets, uint64_t{kFlows * kEach});
  EXPECT_EQ(snap.lcores[0].paths[1].tx_packets, uint64_t{kFlows});
  for (int k = 0; k < kFlows; ++k)
    firstFrame(a.tx);  // the answers
  // Block every flow: each lcore resets its own flows; all resets leave by the right ports.
  for (int f = 0; f < kFlows; ++f) {
    feed(a.rx,
         test::tcpFrame(kClientNet + 1, kServer, static_cast<uint16_t>(30000 + f), 80, 1010, 2,
                        kTcpAck, "BLOCKME"),
         1);
  }
  ASSERT_TRUE(waitFor([&] {
    return rte_ring_count(b.tx) == kFlows && rte_ring_count(a.tx) == kFlows;
  })) << rte_ring_count(b.tx)
      << " " << rte_ring_count(a.tx);
  for (int k = 0; k < kFlows; ++k) {
    std::vector<uint8_t> to_server = firstFrame(b.tx), to_client = firstFrame(a.tx);
    TcpSegment seg;
    ASSERT_TRUE(parseTcpSegment(to_server.data(), to_server.size(), 14, seg));
    EXPECT_TRUE(seg.flags & kTcpRst);
    EXPECT_EQ(tcp_detail::get16(to_server.data() + 36), 80);  // toward the server
    ASSERT_TRUE(parseTcpSegment(to_client.data(), to_client.size(), 14, seg));
    EXPECT_TRUE(seg.flags & kTcpRst);
    EXPECT_EQ(tcp_detail::get16(to_client.data() + 34), 80);  // from the server's port
  }
  snap = (*fwd)->snapshot();
  EXPECT_EQ(snap.lcores[0].inspection.flows_blocked + snap.lcores[1].inspection.flows_blocked,
            uint64_t{kFlows});
  EXPECT_EQ(snap.lcores[0].inspection.resets_sent + snap.lcores[1].inspection.resets_sent,
            uint64_t{2 * kFlows});
  (*fwd)->stop();
  freeRings(a);
  freeRings(b);
}

// The filters on a real lcore: a reject rule drops the request, sends a reset to each end out
// of the right port, and drops the flow's later packets both ways.
TEST_F(SegmentForwarderTest, BlockedFlowIsDroppedBothWaysWithResets) {
  filter::testing::TempDir dir;
  filter::testing::RecordingSink sink;
  filter::FilterSettings fs;
  fs.signatures.rules = dir.write("r.rules",
                                  "reject http any any -> any any (msg:\"attack\"; http.uri; "
                                  "content:\"/attack\"; sid:7;)\n");
  auto engine = filter::FilterEngine::create(fs, &sink);
  ASSERT_TRUE(engine.ok()) << engine.message();
  RingPort a = makeRingPort("blk_a"), b = makeRingPort("blk_b");
  ForwarderOptions o{.lcores = {workerLcores()[0]}};
  o.inspection.engine = *engine;
  auto fwd = SegmentForwarder::start({{"seg1", {a.port, b.port}, {}, {{kClientNet, 24}}, {}, ""}},
                                     std::move(o));
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  uint32_t client = kClientNet + 1;
  feed(a.rx, test::tcpFrame(client, kServer, 40000, 80, 100, 0, kTcpSyn), 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 1; }));
  feed(b.rx, test::tcpFrame(kServer, client, 80, 40000, 900, 101, kTcpSyn | kTcpAck), 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(a.tx) == 1; }));
  feed(a.rx,
       test::tcpFrame(client, kServer, 40000, 80, 101, 901, kTcpAck,
                      "GET /attack HTTP/1.1\r\nHost: x\r\n\r\n"),
       1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 2 && rte_ring_count(a.tx) == 2; }));
  feed(b.rx, test::tcpFrame(kServer, client, 80, 40000, 901, 101, kTcpAck, "late"), 3);
  ASSERT_TRUE(waitFor([&] { return (*fwd)->snapshot().lcores[0].paths[1].rx_packets == 4; }));
  ForwarderSnapshot snap = (*fwd)->snapshot();
  ASSERT_TRUE(snap.lcores[0].inspecting);
  const InspectionCounters& c = snap.lcores[0].inspection;
  EXPECT_EQ(c.flows_inspected, 1u);
  EXPECT_EQ(c.flows_blocked, 1u);
  EXPECT_EQ(c.blocked_drops, 4u);  // the request and the three late answers
  EXPECT_EQ(c.resets_sent, 2u);
  EXPECT_EQ(rte_ring_count(a.tx), 2u);
  EXPECT_EQ(rte_ring_count(b.tx), 2u);
  // Each port's second frame is a reset: toward the server at the dropped request's sequence,
  // toward the client at its acknowledged sequence.
  firstFrame(b.tx);
  std::vector<uint8_t> to_server = firstFrame(b.tx);
  TcpSegment seg;
  ASSERT_TRUE(parseTcpSegment(to_server.data(), to_server.size(), 14, seg));
  EXPECT_TRUE(seg.flags & kTcpRst);
  EXPECT_EQ(seg.seq, 101u);
  firstFrame(a.tx);
  std::vector<uint8_t> to_client = firstFrame(a.tx);
  ASSERT_TRUE(parseTcpSegment(to_client.data(), to_client.size(), 14, seg));
  EXPECT_TRUE(seg.flags & kTcpRst);
  EXPECT_EQ(seg.seq, 901u);
  EXPECT_EQ(tcp_detail::get16(to_client.data() + 36), 40000);  // destination port: the client
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].sid, 7u);
  EXPECT_FALSE(sink.events[0].ssl_inspect);
  (*fwd)->stop();
  freeRings(a);
  freeRings(b);
}

// Fail-closed: once the filters go over the lcore's inspection budget the segment drops
// everything until the fallback's hold time has passed; both transitions are reported.
TEST_F(SegmentForwarderTest, FailClosedFallbackDropsTheSegmentUntilItLeaves) {
  filter::FilterSettings fs;
  auto engine = filter::FilterEngine::create(fs, nullptr);
  ASSERT_TRUE(engine.ok()) << engine.message();
  std::mutex mutex;
  std::vector<std::string> reports;
  RingPort a = makeRingPort("fb_a"), b = makeRingPort("fb_b");
  ForwarderOptions o{.lcores = {workerLcores()[0]}};
  o.inspection.engine = *engine;
  o.inspection.fallback = FallbackMode::kFailClosed;
  o.inspection.budget = 1e-9;  // any inspection at all is over it
  o.inspection.on_fallback = [&](unsigned, bool entered, const std::string& detail) {
    std::lock_guard lock(mutex);
    reports.push_back((entered ? "entered: " : "left: ") + detail);
  };
  auto fwd = SegmentForwarder::start({{"seg1", {a.port, b.port}, {}, {}, {}, ""}}, std::move(o));
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  feed(a.rx, test::tcpFrame(kClientNet + 1, kServer, 40000, 80, 100, 0, kTcpSyn), 1);
  ASSERT_TRUE(waitFor([&] { return (*fwd)->snapshot().lcores[0].inspection.fallback_active; }));
  EXPECT_EQ(rte_ring_count(b.tx), 1u);  // inspected before the budget was found exceeded
  feed(a.rx, test::ethernet(0x0806), 5);
  feed(b.rx, test::tcpFrame(kServer, kClientNet + 1, 80, 40000, 900, 101, kTcpSyn | kTcpAck), 5);
  ASSERT_TRUE(
      waitFor([&] { return (*fwd)->snapshot().lcores[0].inspection.fallback_drops == 10; }));
  EXPECT_EQ(rte_ring_count(b.tx), 1u);
  EXPECT_EQ(rte_ring_count(a.tx), 0u);
  ASSERT_TRUE(waitFor([&] { return !(*fwd)->snapshot().lcores[0].inspection.fallback_active; }));
  feed(a.rx, test::ethernet(0x0806), 1);  // not inspected: no new fallback
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 2; }));
  EXPECT_EQ((*fwd)->snapshot().lcores[0].inspection.fallback_entries, 1u);
  (*fwd)->stop();
  std::lock_guard lock(mutex);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_THAT(reports[0], HasSubstr("entered: the filters used"));
  EXPECT_THAT(reports[0], HasSubstr("fail-closed: dropping the segment's traffic"));
  EXPECT_THAT(reports[1], HasSubstr("left: inspection resumed after"));
  EXPECT_THAT(reports[1], HasSubstr("10 packets dropped"));
  freeRings(a);
  freeRings(b);
}

TEST(SymmetricRssTest, KeyHashesBothDirectionsAlike) {
  rte_ipv4_tuple out{}, back{};
  out.src_addr = kClientNet + 7;
  out.dst_addr = kServer;
  out.sport = 40000;
  out.dport = 443;
  back.src_addr = kServer;
  back.dst_addr = kClientNet + 7;
  back.sport = 443;
  back.dport = 40000;
  uint32_t h1 =
      rte_softrss(reinterpret_cast<uint32_t*>(&out), RTE_THASH_V4_L4_LEN, symmetricRssKey());
  uint32_t h2 =
      rte_softrss(reinterpret_cast<uint32_t*>(&back), RTE_THASH_V4_L4_LEN, symmetricRssKey());
  EXPECT_EQ(h1, h2);
  out.sport = 40001;
  EXPECT_NE(rte_softrss(reinterpret_cast<uint32_t*>(&out), RTE_THASH_V4_L4_LEN, symmetricRssKey()),
            h1);
}

// A forwarder on one busy-polling lcore bridging a-b, with x as the segment's exception port and
// TCP to kServer:443 as the SSL tuple; `o` brings any other option.
Result<std::unique_ptr<SegmentForwarder>> startWithExceptionPort(const RingPort& a,
                                                                 const RingPort& b,
                                                                 const RingPort& x,
                                                                 ForwarderOptions o = {}) {
  ForwarderSegment seg{"seg1", {a.port, b.port}, {}, {}, {}, ""};
  seg.exception_port = x.port;
  o.lcores = {workerLcores()[0]};
  o.busy_poll = true;
  o.steering = {{kServer, 32, 443, 443}};
  return SegmentForwarder::start({seg}, std::move(o));
}

// The exception path (exception_steering.h) with a net_ring port standing in for the TAP: an
// opening SYN to an SSL tuple goes into it addressed to its MAC; what comes back out of it
// leaves by the segment port towards its destination with the flow's MAC addresses; a frame
// of no steered flow is dropped.
TEST_F(SegmentForwarderTest, ExceptionPortSteersSslTuplesBothWaysWithTheFlowsMacs) {
  RingPort a = makeRingPort("exc_a");
  RingPort b = makeRingPort("exc_b");
  RingPort x = makeRingPort("exc_x");
  rte_ether_addr tap_mac{};
  ASSERT_EQ(rte_eth_macaddr_get(x.port, &tap_mac), 0);
  auto fwd = startWithExceptionPort(a, b, x);
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  const uint32_t client = kClientNet + 1;
  // The client's SYN (frames from test::ethernet: dst 02:..:02, src 02:..:01) goes to the TAP.
  feed(a.rx, test::tcpFrame(client, kServer, 40000, 443, 1, 0, kTcpSyn), 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(x.tx) == 1; }));
  std::vector<uint8_t> in = firstFrame(x.tx);
  ASSERT_GE(in.size(), 14u);
  EXPECT_EQ(std::memcmp(in.data(), tap_mac.addr_bytes, 6), 0);
  EXPECT_EQ(in[11], 0x01);  // the client's own source MAC is left
  // Not an SSL tuple (port 80), and a SYN to 443 of another host: bridged.
  feed(a.rx, test::tcpFrame(client, kServer, 40001, 80, 1, 0, kTcpSyn), 1);
  feed(a.rx, test::tcpFrame(client, kServer + 1, 40002, 443, 1, 0, kTcpSyn), 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 2; }));
  // The proxy's upstream SYN (same 4-tuple, any MACs) leaves by b: client MAC -> peer MAC.
  std::vector<uint8_t> up = test::tcpFrame(client, kServer, 40000, 443, 7, 0, kTcpSyn);
  std::fill(up.begin(), up.begin() + 12, 0xee);
  feed(x.rx, up, 1);
  // The accepted leg's SYN-ACK to the client leaves by a: peer MAC -> client MAC.
  std::vector<uint8_t> back = test::tcpFrame(kServer, client, 443, 40000, 9, 2, kTcpSyn | kTcpAck);
  std::fill(back.begin(), back.begin() + 12, 0xee);
  feed(x.rx, back, 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 3 && rte_ring_count(a.tx) == 1; }));
  firstFrame(b.tx);
  firstFrame(b.tx);
  std::vector<uint8_t> to_server = firstFrame(b.tx);
  const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 2};
  const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 1};
  EXPECT_EQ(std::memcmp(to_server.data(), peer, 6), 0);
  EXPECT_EQ(std::memcmp(to_server.data() + 6, client_mac, 6), 0);
  std::vector<uint8_t> to_client = firstFrame(a.tx);
  EXPECT_EQ(std::memcmp(to_client.data(), client_mac, 6), 0);
  EXPECT_EQ(std::memcmp(to_client.data() + 6, peer, 6), 0);
  // The server's SYN-ACK to the upstream leg comes in by b and goes to the TAP too.
  feed(b.rx, test::tcpFrame(kServer, client, 443, 40000, 11, 8, kTcpSyn | kTcpAck), 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(x.tx) == 1; }));
  firstFrame(x.tx);
  // From the TAP, a frame of no steered flow is dropped.
  feed(x.rx, test::tcpFrame(client, kServer, 40001, 80, 5, 0, kTcpAck), 1);
  ASSERT_TRUE(waitFor([&] { return (*fwd)->snapshot().lcores[0].exception.unmatched == 1; }));
  LcoreCounters lc = (*fwd)->snapshot().lcores[0];
  EXPECT_TRUE(lc.exception_path);
  EXPECT_EQ(lc.exception.flows_steered, 1u);
  EXPECT_EQ(lc.exception.to_kernel, 2u);
  EXPECT_EQ(lc.exception.from_kernel, 2u);
  EXPECT_EQ(rte_ring_count(a.tx) + rte_ring_count(b.tx) + rte_ring_count(x.tx), 0u);
  ASSERT_EQ(lc.paths.size(), 3u);
  EXPECT_TRUE(lc.paths[2].exception);
  EXPECT_EQ(lc.paths[2].rx_packets, 3u);
  (*fwd)->stop();
  for (RingPort* p : {&a, &b, &x})
    freeRings(*p);
}

// A VLAN-tagged SSL flow: its frames lose the tag into the TAP; the kernel's (untagged) frames
// find the flow by its untagged alias and leave with the tag again. An untagged flow that has
// the same addresses and ports is bridged, and a tagged flow whose untagged key is another
// flow's is not steered.
TEST_F(SegmentForwarderTest, TaggedSslFlowLosesItsTagIntoTheTapAndGetsItBack) {
  RingPort a = makeRingPort("vl_a");
  RingPort b = makeRingPort("vl_b");
  RingPort x = makeRingPort("vl_x");
  auto fwd = startWithExceptionPort(a, b, x);
  ASSERT_TRUE(fwd.ok()) << fwd.message();
  const uint32_t client = kClientNet + 1;
  std::vector<uint8_t> syn = test::tcpFrame(client, kServer, 42000, 443, 1, 0, kTcpSyn, {}, 100);
  syn[14] |= 0xa0;  // priority 5: the whole tag control comes back
  feed(a.rx, syn, 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(x.tx) == 1; }));
  std::vector<uint8_t> in = firstFrame(x.tx);
  std::vector<uint8_t> plain = test::tcpFrame(client, kServer, 42000, 443, 1, 0, kTcpSyn);
  ASSERT_EQ(in.size(), plain.size());
  EXPECT_TRUE(std::equal(in.begin() + 12, in.end(), plain.begin() + 12));  // untagged
  EXPECT_EQ(in[11], 0x01);
  // The proxy's upstream SYN (no tag) leaves by b tagged, client MAC -> peer MAC.
  std::vector<uint8_t> up = test::tcpFrame(client, kServer, 42000, 443, 7, 0, kTcpSyn);
  std::fill(up.begin(), up.begin() + 12, 0xee);
  feed(x.rx, up, 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 1; }));
  std::vector<uint8_t> out = firstFrame(b.tx);
  std::vector<uint8_t> want = test::tcpFrame(client, kServer, 42000, 443, 7, 0, kTcpSyn, {}, 100);
  want[14] |= 0xa0;
  EXPECT_EQ(out, want);
  // The server's tagged SYN-ACK goes into the TAP untagged.
  feed(b.rx, test::tcpFrame(kServer, client, 443, 42000, 11, 8, kTcpSyn | kTcpAck, {}, 100), 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(x.tx) == 1; }));
  EXPECT_EQ(firstFrame(x.tx).size(), plain.size());
  // An untagged flow with the same addresses and ports is bridged, not steered.
  feed(a.rx, test::tcpFrame(client, kServer, 42000, 443, 50, 0, kTcpAck), 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 1; }));
  firstFrame(b.tx);
  // A tagged SYN whose untagged key is a live untagged flow's is not steered.
  feed(a.rx, test::tcpFrame(client, kServer, 42001, 443, 1, 0, kTcpAck), 1);
  feed(a.rx, test::tcpFrame(client, kServer, 42001, 443, 1, 0, kTcpSyn, {}, 200), 1);
  ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == 2; }));
  EXPECT_EQ(rte_ring_count(x.tx), 0u);
  ExceptionCounters c = (*fwd)->snapshot().lcores[0].exception;
  EXPECT_EQ(c.flows_steered, 1u);
  EXPECT_EQ(c.to_kernel, 2u);
  EXPECT_EQ(c.from_kernel, 1u);
  (*fwd)->stop();
  for (RingPort* p : {&a, &b, &x})
    freeRings(*p);
}

// While the proxy takes no flows, new SSL-tuple flows are bridged (fail-open) or dropped
// (fail-closed); once it takes them again, new ones are steered. setSteering replaces the
// tuples for new flows.
TEST_F(SegmentForwarderTest, ProxyUnavailableBypassesOrRefusesNewSslFlows) {
  for (FallbackMode mode : {FallbackMode::kFailOpen, FallbackMode::kFailClosed}) {
    bool open = mode == FallbackMode::kFailOpen;
    std::string tag = open ? "open" : "closed";
    RingPort a = makeRingPort("pu_a_" + tag);
    RingPort b = makeRingPort("pu_b_" + tag);
    RingPort x = makeRingPort("pu_x_" + tag);
    std::atomic<bool> available{false};
    ForwarderOptions o;
    o.inspection.fallback = mode;
    o.proxy_available = &available;
    auto fwd = startWithExceptionPort(a, b, x, std::move(o));
    ASSERT_TRUE(fwd.ok()) << fwd.message();
    const uint32_t client = kClientNet + 1;
    feed(a.rx, test::tcpFrame(client, kServer, 41000, 443, 1, 0, kTcpSyn), 1);
    feed(a.rx, test::tcpFrame(client, kServer, 41000, 443, 2, 0, kTcpAck), 1);
    ASSERT_TRUE(waitFor([&] { return (*fwd)->snapshot().lcores[0].paths[0].rx_packets == 2; }));
    ExceptionCounters c = (*fwd)->snapshot().lcores[0].exception;
    EXPECT_EQ(c.flows_bypassed, open ? 1u : 0u) << tag;
    EXPECT_EQ(c.flows_refused, open ? 0u : 1u) << tag;
    EXPECT_EQ(c.refused_drops, open ? 0u : 2u) << tag;
    EXPECT_EQ(rte_ring_count(b.tx), open ? 2u : 0u) << tag;
    EXPECT_EQ(rte_ring_count(x.tx), 0u) << tag;
    available = true;
    feed(a.rx, test::tcpFrame(client, kServer, 41001, 443, 1, 0, kTcpSyn), 1);
    ASSERT_TRUE(waitFor([&] { return rte_ring_count(x.tx) == 1; })) << tag;
    (*fwd)->setSteering({{kServer, 32, 8443, 8443}});
    std::size_t bridged = rte_ring_count(b.tx);
    feed(a.rx, test::tcpFrame(client, kServer, 41002, 443, 1, 0, kTcpSyn), 1);
    feed(a.rx, test::tcpFrame(client, kServer, 41003, 8443, 1, 0, kTcpSyn), 1);
    // A new connection on the 4-tuple steered before decides again: 443 is no longer a tuple.
    feed(a.rx, test::tcpFrame(client, kServer, 41001, 443, 100, 0, kTcpSyn), 1);
    ASSERT_TRUE(waitFor([&] { return rte_ring_count(b.tx) == bridged + 2; })) << tag;
    EXPECT_EQ(rte_ring_count(x.tx), 2u) << tag;
    EXPECT_EQ((*fwd)->snapshot().lcores[0].exception.flows_steered, 2u) << tag;
    (*fwd)->stop();
    for (RingPort* p : {&a, &b, &x})
      freeRings(*p);
  }
}

}  // namespace
}  // namespace vtps::dpdk

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (::testing::GTEST_FLAG(list_tests)) return RUN_ALL_TESTS();  // ctest discovery: no EAL
  // Three lcores floating over every CPU: the main one and two workers.
  vtps::Status st = vtps::dpdk::initEal(
      {"vtps_dpdk_forwarding_test", "--lcores", "0@(0-1),1@(0-1),2@(0-1)", "--no-huge", "-m", "256",
       "--no-shconf", "--no-pci", "--no-telemetry", "--log-level", "lib.eal:error"});
  if (st.ok()) {
    vtps::dpdk::g_pool = rte_pktmbuf_pool_create("test_pool", 8191, 256, 0,
                                                 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    vtps::dpdk::g_eal_ok = vtps::dpdk::g_pool != nullptr;
  } else {
    std::fprintf(stderr, "%s\n", st.message().c_str());
  }
  int rc = RUN_ALL_TESTS();
  if (st.ok()) rte_eal_cleanup();
  return rc;
}
