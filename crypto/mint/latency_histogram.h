// A fixed-bucket latency histogram of plain atomics: recording is wait-free and lock-free, so it
// can sit on a proxy worker's path; telemetry reads a snapshot and exports it (Prometheus
// histogram: the bounds are the `le` labels, counts are made cumulative on export).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace vtps::mint {

class LatencyHistogram {
 public:
  // Inclusive upper bounds of the finite buckets, in nanoseconds (25 us .. 250 ms); one more
  // bucket takes everything above the last bound (+Inf).
  static constexpr std::array<std::uint64_t, 13> kUpperBoundsNs = {
      25'000,    50'000,     100'000,    200'000,    500'000,     1'000'000,  2'000'000,
      5'000'000, 10'000'000, 25'000'000, 50'000'000, 100'000'000, 250'000'000};
  static constexpr std::size_t kBucketCount = kUpperBoundsNs.size() + 1;

  struct Snapshot {
    std::array<std::uint64_t, kBucketCount> counts{};  // per bucket, not cumulative
    std::uint64_t count = 0;
    std::uint64_t sum_ns = 0;
  };

  void record(std::chrono::nanoseconds latency);
  // Counters are read one by one, so a snapshot taken during record() may be off by that one
  // sample between `count` and the buckets; fine for monitoring.
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBucketCount> counts_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace vtps::mint
