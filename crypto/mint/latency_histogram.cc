#include "crypto/mint/latency_histogram.h"

#include <algorithm>

namespace vtps::mint {

void LatencyHistogram::record(std::chrono::nanoseconds latency) {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
  const auto* const bound = std::lower_bound(kUpperBoundsNs.begin(), kUpperBoundsNs.end(), ns);
  const auto bucket = static_cast<std::size_t>(bound - kUpperBoundsNs.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot s;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  s.count = count_.load(std::memory_order_relaxed);
  s.sum_ns = sum_ns_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace vtps::mint
