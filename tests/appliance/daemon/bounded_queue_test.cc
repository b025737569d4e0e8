#include "appliance/telemetry/bounded_queue.h"

#include <gtest/gtest.h>

#include <thread>
#include <utility>
#include <vector>

namespace vtps::telemetry {
namespace {

TEST(BoundedQueueTest, RoundsCapacityUpToAPowerOfTwo) {
  EXPECT_EQ(BoundedQueue<int>(5).capacity(), 8u);
  EXPECT_EQ(BoundedQueue<int>(8).capacity(), 8u);
  EXPECT_EQ(BoundedQueue<int>(0).capacity(), 2u);
}

TEST(BoundedQueueTest, RefusesPushWhenFullAndAcceptsAgainAfterPop) {
  BoundedQueue<int> q(4);
  for (int i = 0; i < 4; ++i) {
    int v = i;
    ASSERT_TRUE(q.tryPush(v)) << i;
  }
  int extra = 99;
  EXPECT_FALSE(q.tryPush(extra));
  EXPECT_EQ(extra, 99);  // a refused value is left with the caller
  auto first = q.tryPop();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 0);
  EXPECT_TRUE(q.tryPush(extra));
  for (int expected : {1, 2, 3, 99}) {
    auto v = q.tryPop();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, expected);
  }
  EXPECT_FALSE(q.tryPop().has_value());
}

TEST(BoundedQueueTest, KeepsEachProducersOrderUnderContention) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 20000;
  BoundedQueue<std::pair<int, int>> q(64);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        std::pair<int, int> item{p, i};
        while (!q.tryPush(item))
          std::this_thread::yield();
      }
    });
  }
  std::vector<int> next(kProducers, 0);
  int received = 0;
  while (received < kProducers * kPerProducer) {
    auto item = q.tryPop();
    if (!item) continue;
    ASSERT_EQ(item->second, next[item->first]) << "producer " << item->first;
    ++next[item->first];
    ++received;
  }
  for (auto& t : producers)
    t.join();
  EXPECT_FALSE(q.tryPop().has_value());
}

}  // namespace
}  // namespace vtps::telemetry
