#include "crypto/mint/latency_histogram.h"

#include <gtest/gtest.h>

namespace vtps::mint {
namespace {

using std::chrono::nanoseconds;

TEST(LatencyHistogramTest, PutsSamplesInTheFirstBucketWhoseBoundIsNotBelowThem) {
  LatencyHistogram h;
  h.record(nanoseconds(25'000));      // exactly the first bound: first bucket ("le" semantics)
  h.record(nanoseconds(25'001));      // just above: second bucket
  h.record(nanoseconds(150'000));     // (100 us, 200 us]: fourth bucket
  h.record(nanoseconds(-5));          // clock oddity: counted as zero
  h.record(std::chrono::seconds(1));  // above 250 ms: the +Inf bucket
  const LatencyHistogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.counts[0], 2u);
  EXPECT_EQ(s.counts[1], 1u);
  EXPECT_EQ(s.counts[2], 0u);
  EXPECT_EQ(s.counts[3], 1u);
  EXPECT_EQ(s.counts[LatencyHistogram::kBucketCount - 1], 1u);
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.sum_ns, 25'000u + 25'001u + 150'000u + 0u + 1'000'000'000u);
}

TEST(LatencyHistogramTest, StartsEmpty) {
  const LatencyHistogram h;
  const LatencyHistogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum_ns, 0u);
  for (const auto c : s.counts)
    EXPECT_EQ(c, 0u);
}

}  // namespace
}  // namespace vtps::mint
