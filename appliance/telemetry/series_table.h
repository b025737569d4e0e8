// Lock-free, single-writer tables of labelled counters, for tallies kept on a proxy worker thread
// and read by the metrics server at scrape time.
//
// One writer (the worker that owns the shard) adds series and bumps their values; any thread may
// read concurrently. Series are appended to a fixed array and published by a release store of the
// count, so a reader never sees a half-written label; values are relaxed atomics. Nothing is
// allocated after a label set's first occurrence, and the table never grows: once `capacity`
// series exist, further label sets fold into one overflow series whose labels are all "other"
// (labels stay bounded even if a config churns through many proxy names).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vtps::telemetry {

// Adds `n` to an atomic only this thread writes: a plain load and store, no lock prefix.
inline void bump(std::atomic<uint64_t>& value, uint64_t n = 1) {
  value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

template <size_t L, size_t V>
class SeriesTable {
 public:
  using Labels = std::array<std::string_view, L>;
  using Values = std::array<std::atomic<uint64_t>, V>;

  explicit SeriesTable(size_t capacity)
      : capacity_(capacity), series_(capacity + 1), index_(std::bit_ceil(2 * capacity + 2), 0) {
    for (std::string& label : series_[capacity_].labels)
      label = "other";
  }

  // Writer thread only: the values of the series `labels` (created on first use), or the
  // overflow series once the table is full.
  Values& values(const Labels& labels) {
    const size_t mask = index_.size() - 1;
    size_t slot = hashOf(labels) & mask;
    for (; index_[slot] != 0; slot = (slot + 1) & mask) {
      Series& s = series_[index_[slot] - 1];
      if (sameLabels(s.labels, labels)) return s.values;
    }
    const size_t n = published_.load(std::memory_order_relaxed);
    if (n == capacity_) return series_[capacity_].values;
    Series& s = series_[n];
    for (size_t i = 0; i < L; ++i)
      s.labels[i] = std::string(labels[i]);
    index_[slot] = static_cast<uint32_t>(n + 1);
    published_.store(n + 1, std::memory_order_release);
    return s.values;
  }

  // Any thread: f(const std::array<std::string, L>&, const std::array<uint64_t, V>&) for every
  // published series, the overflow series last (only once it has counted something).
  template <typename F>
  void forEach(F&& f) const {
    const size_t n = published_.load(std::memory_order_acquire);
    for (size_t i = 0; i < n; ++i)
      f(series_[i].labels, load(series_[i].values));
    std::array<uint64_t, V> overflow = load(series_[capacity_].values);
    for (uint64_t v : overflow) {
      if (v != 0) {
        f(series_[capacity_].labels, overflow);
        break;
      }
    }
  }

  size_t capacity() const { return capacity_; }

 private:
  struct Series {
    std::array<std::string, L> labels;
    Values values{};
  };

  static size_t hashOf(const Labels& labels) {
    size_t h = 0;
    for (std::string_view label : labels)
      h = h * 1000003 ^ std::hash<std::string_view>{}(label);
    return h;
  }
  static bool sameLabels(const std::array<std::string, L>& a, const Labels& b) {
    for (size_t i = 0; i < L; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  static std::array<uint64_t, V> load(const Values& values) {
    std::array<uint64_t, V> out{};
    for (size_t i = 0; i < V; ++i)
      out[i] = values[i].load(std::memory_order_relaxed);
    return out;
  }

  const size_t capacity_;
  std::vector<Series> series_;   // capacity_ + 1 (overflow), never resized
  std::vector<uint32_t> index_;  // open addressing: 0 empty, else series index + 1; writer only
  std::atomic<size_t> published_{0};
};

}  // namespace vtps::telemetry
