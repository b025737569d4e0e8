#include "dataplane/dpdk/flow_table.h"

#include <gtest/gtest.h>

#include <set>

#include "dataplane/dpdk/packet_parser.h"

namespace vtps::dpdk {
namespace {

FlowKey keyOf(uint32_t src, uint16_t sport) {
  Endpoint a, b;
  a.addr[1] = src;
  a.port = sport;
  b.addr[1] = 0x0a000001;
  b.port = 443;
  bool reversed = false;
  return makeFlowKey(a, b, 6, 4, 0, reversed);
}

TEST(FlowTableTest, FindsWhatItInsertedAndCreatesOnce) {
  FlowTable t(1024, 0);
  EXPECT_EQ(t.capacity(), 1024u);
  FlowKey k = keyOf(0x0a000002, 40000);
  bool created = false;
  FlowEntry& e = t.findOrInsert(k, flowHash(k), 10, created);
  EXPECT_TRUE(created);
  e.packets[0] = 7;
  FlowEntry& again = t.findOrInsert(k, flowHash(k), 11, created);
  EXPECT_FALSE(created);
  EXPECT_EQ(&again, &e);
  EXPECT_EQ(again.packets[0], 7u);
  EXPECT_EQ(t.live(), 1u);
  EXPECT_EQ(t.find(keyOf(0x0a000002, 40001), flowHash(keyOf(0x0a000002, 40001)), 11), nullptr);
}

TEST(FlowTableTest, FullBucketGivesUpItsStalestFlow) {
  FlowTable t(FlowTable::kBucketEntries, 0);  // one bucket: every key collides
  ASSERT_EQ(t.capacity(), FlowTable::kBucketEntries);
  bool created = false;
  for (uint16_t i = 0; i < FlowTable::kBucketEntries; ++i) {
    FlowKey k = keyOf(0x0a000002, static_cast<uint16_t>(1000 + i));
    t.findOrInsert(k, flowHash(k), 100 + i, created).last_seen = 100 + i;
  }
  EXPECT_EQ(t.evictions(), 0u);
  FlowKey newcomer = keyOf(0x0a000003, 1);
  t.findOrInsert(newcomer, flowHash(newcomer), 200, created);
  EXPECT_TRUE(created);
  EXPECT_EQ(t.evictions(), 1u);
  FlowKey oldest = keyOf(0x0a000002, 1000);
  EXPECT_EQ(t.find(oldest, flowHash(oldest), 200), nullptr);
  FlowKey second = keyOf(0x0a000002, 1001);
  EXPECT_NE(t.find(second, flowHash(second), 200), nullptr);
  EXPECT_EQ(t.live(), FlowTable::kBucketEntries);
}

TEST(FlowTableTest, IdleFlowsExpireAndTheirSlotsAreReused) {
  FlowTable t(FlowTable::kBucketEntries, 50);
  FlowKey k = keyOf(0x0a000002, 40000);
  bool created = false;
  t.findOrInsert(k, flowHash(k), 100, created);
  EXPECT_NE(t.find(k, flowHash(k), 150), nullptr);
  EXPECT_EQ(t.find(k, flowHash(k), 151), nullptr);
  FlowEntry& again = t.findOrInsert(k, flowHash(k), 151, created);
  EXPECT_TRUE(created);
  EXPECT_EQ(again.packets[0], 0u);
  EXPECT_EQ(t.expirations(), 1u);
  EXPECT_EQ(t.live(), 1u);
}

TEST(FlowTableTest, SteeredFlowsLiveByTheLongIdleTimeout) {
  FlowTable t(FlowTable::kBucketEntries, 50, 500);
  FlowKey steered = keyOf(0x0a000002, 40000);
  FlowKey plain = keyOf(0x0a000002, 40001);
  bool created = false;
  t.findOrInsert(steered, flowHash(steered), 100, created).steer = kFlowSteered;
  t.findOrInsert(plain, flowHash(plain), 100, created);
  EXPECT_EQ(t.find(plain, flowHash(plain), 151), nullptr);
  EXPECT_NE(t.find(steered, flowHash(steered), 151), nullptr);
  EXPECT_NE(t.find(steered, flowHash(steered), 600), nullptr);
  EXPECT_EQ(t.find(steered, flowHash(steered), 601), nullptr);
}

TEST(FlowTableTest, HoldsItsCapacityOfDistinctFlowsWithFewEvictions) {
  FlowTable t(1 << 14, 0);
  bool created = false;
  std::size_t n = (1 << 14) / 2;
  for (std::size_t i = 0; i < n; ++i) {
    FlowKey k = keyOf(0x0a000000 + static_cast<uint32_t>(i / 1000), static_cast<uint16_t>(i));
    t.findOrInsert(k, flowHash(k), i, created);
  }
  // At half load the hash spreads keys well enough that almost no bucket overflows.
  EXPECT_LT(t.evictions(), n / 100);
  EXPECT_EQ(t.live() + t.evictions(), n);
}

TEST(FlowHashTest, SpreadsFlowsOverBucketsEvenly) {
  std::vector<int> per_bucket(64, 0);
  for (uint16_t port = 0; port < 6400; ++port) {
    FlowKey k = keyOf(0x0a000002, port);
    ++per_bucket[flowHash(k) & 63];
  }
  for (int count : per_bucket) {
    EXPECT_GT(count, 50);
    EXPECT_LT(count, 150);
  }
}

}  // namespace
}  // namespace vtps::dpdk
