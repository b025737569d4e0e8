// SessionMetrics: the proxy engine's EventSink in front of the log sink. Each closed session's
// SessionRecord is tallied into labelled counters (connections by proxy, policy and decision;
// bytes; handshakes by leg, version and cipher; alerts; handshake latency) and then forwarded
// unchanged to the next sink.
//
// The engine calls sessionClosed() on the worker that owned the session. Each worker thread
// tallies into its own shard (series_table.h: single writer, lock-free, no allocation after a
// label set's first occurrence); the metrics server merges the shards at scrape time. A thread
// takes the registry mutex once, the first time it reports, to get its shard.
#pragma once

#include <prometheus/metric_family.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/proxy/proxy_engine.h"

namespace vtps::telemetry {

class SessionMetrics final : public proxy::EventSink {
 public:
  // Upper bounds of the handshake duration histogram, in seconds.
  static constexpr std::array<double, 14> kHandshakeBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  // Series per label table per worker before new label sets fold into "other".
  static constexpr size_t kMaxSeries = 512;

  // `next` (may be null) receives every call after it is tallied; it must outlive this sink.
  explicit SessionMetrics(proxy::EventSink* next);
  ~SessionMetrics() override;
  SessionMetrics(const SessionMetrics&) = delete;
  SessionMetrics& operator=(const SessionMetrics&) = delete;

  void sessionClosed(const proxy::SessionRecord& record) override;
  void failedConnection(const proxy::FailedConnectionRecord& record) override;
  void systemLog(std::string_view severity, std::string message) override;

  // Appends the record-derived families (vtps_ssl_connections_total, ...), merged over workers.
  // Any thread.
  void collect(std::vector<prometheus::MetricFamily>& out) const;

 private:
  struct Shard;
  Shard& shardOfThisThread();

  proxy::EventSink* next_;
  const uint64_t id_;  // tells this sink's shards apart in the threads' caches
  mutable std::mutex shards_mutex_;
  std::vector<std::unique_ptr<Shard>> shards_;  // guarded by shards_mutex_; never shrinks
};

}  // namespace vtps::telemetry
