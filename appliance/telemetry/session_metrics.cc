#include "appliance/telemetry/session_metrics.h"

#include <algorithm>
#include <map>
#include <thread>

#include "appliance/telemetry/exposition.h"
#include "appliance/telemetry/metric_catalog.h"
#include "appliance/telemetry/series_table.h"

namespace vtps::telemetry {
namespace {

constexpr size_t kBucketCount = SessionMetrics::kHandshakeBounds.size() + 1;

// A histogram with one writer: relaxed atomics, non-cumulative buckets.
struct DurationHistogram {
  std::array<std::atomic<uint64_t>, kBucketCount> counts{};
  std::atomic<uint64_t> sum_ns{0};

  void record(double seconds) {
    const auto& bounds = SessionMetrics::kHandshakeBounds;
    size_t bucket = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) -
                                        bounds.begin());
    bump(counts[bucket]);
    bump(sum_ns, static_cast<uint64_t>(seconds * 1e9));
  }
};

// The next id for a SessionMetrics; ids are never reused, so a thread's cached shard pointer can
// never be mistaken for one of a later sink at the same address.
std::atomic<uint64_t> next_sink_id{1};

struct ThreadCache {
  uint64_t sink_id = 0;
  void* shard = nullptr;
};
thread_local ThreadCache thread_cache;

constexpr size_t kLegs = 2;        // 0: server leg, 1: client leg
constexpr size_t kDirections = 2;  // 0: received, 1: sent
constexpr std::string_view kLegNames[kLegs] = {"server", "client"};
constexpr std::string_view kDirectionNames[kDirections] = {"received", "sent"};

}  // namespace

struct SessionMetrics::Shard {
  explicit Shard(std::thread::id thread) : owner(thread) {}

  const std::thread::id owner;
  // proxy, policy, decision -> sessions, bytes client to server, bytes server to client.
  SeriesTable<3, 3> connections{kMaxSeries};
  // side, version, cipher -> completed handshakes.
  SeriesTable<3, 1> handshakes{kMaxSeries};
  std::array<std::atomic<uint64_t>, kLegs * kDirections * 256> alerts{};
  std::array<DurationHistogram, kLegs> handshake_duration;
};

SessionMetrics::SessionMetrics(proxy::EventSink* next)
    : next_(next), id_(next_sink_id.fetch_add(1, std::memory_order_relaxed)) {}

SessionMetrics::~SessionMetrics() = default;

SessionMetrics::Shard& SessionMetrics::shardOfThisThread() {
  if (thread_cache.sink_id == id_) return *static_cast<Shard*>(thread_cache.shard);
  std::lock_guard lock(shards_mutex_);
  const std::thread::id self = std::this_thread::get_id();
  Shard* shard = nullptr;
  for (const auto& s : shards_) {
    if (s->owner == self) shard = s.get();
  }
  if (shard == nullptr) {
    shards_.push_back(std::make_unique<Shard>(self));
    shard = shards_.back().get();
  }
  thread_cache = ThreadCache{id_, shard};
  return *shard;
}

void SessionMetrics::sessionClosed(const proxy::SessionRecord& record) {
  Shard& shard = shardOfThisThread();
  const proxy::SessionContext& ctx = record.context;
  auto& connection = shard.connections.values(
      {orNone(ctx.proxy), orNone(ctx.policy), decisionLabel(record.decision)});
  bump(connection[0]);
  bump(connection[1], record.bytes_client_to_server);
  bump(connection[2], record.bytes_server_to_client);

  struct Leg {
    double seconds;
    const std::string& version;
    const std::string& cipher;
  };
  const Leg legs[kLegs] = {
      {record.server_handshake_s, record.server_version, record.server_cipher},
      {record.client_handshake_s, record.client_version, record.client_cipher}};
  for (size_t leg = 0; leg < kLegs; ++leg) {
    if (legs[leg].seconds < 0) continue;
    bump(shard.handshakes.values(
        {kLegNames[leg], orNone(legs[leg].version), orNone(legs[leg].cipher)})[0]);
    shard.handshake_duration[leg].record(legs[leg].seconds);
  }

  const size_t alerts = std::min<size_t>(record.alert_count, record.alerts.size());
  for (size_t i = 0; i < alerts; ++i) {
    const proxy::SessionRecord::Alert& alert = record.alerts[i];
    size_t leg = alert.client_leg ? 1 : 0;
    size_t direction = alert.sent ? 1 : 0;
    bump(shard.alerts[(leg * kDirections + direction) * 256 + alert.code]);
  }

  if (next_ != nullptr) next_->sessionClosed(record);
}

void SessionMetrics::failedConnection(const proxy::FailedConnectionRecord& record) {
  if (next_ != nullptr) next_->failedConnection(record);
}

void SessionMetrics::systemLog(std::string_view severity, std::string message) {
  if (next_ != nullptr) next_->systemLog(severity, std::move(message));
}

void SessionMetrics::collect(std::vector<prometheus::MetricFamily>& out) const {
  // Merged over shards, ordered by labels so that the exposition is stable between scrapes.
  std::map<std::array<std::string, 3>, std::array<uint64_t, 3>> connections;
  std::map<std::array<std::string, 3>, uint64_t> handshakes;
  std::array<uint64_t, kLegs * kDirections * 256> alerts{};
  std::array<std::array<uint64_t, kBucketCount>, kLegs> durations{};
  std::array<uint64_t, kLegs> duration_sum_ns{};
  {
    std::lock_guard lock(shards_mutex_);
    for (const auto& shard : shards_) {
      shard->connections.forEach([&](const auto& labels, const auto& values) {
        auto& merged = connections[labels];
        for (size_t i = 0; i < values.size(); ++i)
          merged[i] += values[i];
      });
      shard->handshakes.forEach(
          [&](const auto& labels, const auto& values) { handshakes[labels] += values[0]; });
      for (size_t i = 0; i < alerts.size(); ++i)
        alerts[i] += shard->alerts[i].load(std::memory_order_relaxed);
      for (size_t leg = 0; leg < kLegs; ++leg) {
        const DurationHistogram& h = shard->handshake_duration[leg];
        for (size_t b = 0; b < kBucketCount; ++b)
          durations[leg][b] += h.counts[b].load(std::memory_order_relaxed);
        duration_sum_ns[leg] += h.sum_ns.load(std::memory_order_relaxed);
      }
    }
  }

  prometheus::MetricFamily sessions = makeFamily(metric::kConnections);
  prometheus::MetricFamily bytes = makeFamily(metric::kSessionBytes);
  for (const auto& [labels, values] : connections) {
    addSample(sessions, labels, static_cast<double>(values[0]));
    const std::array<std::string, 3> up = {labels[0], labels[2], "client_to_server"};
    const std::array<std::string, 3> down = {labels[0], labels[2], "server_to_client"};
    addSample(bytes, up, static_cast<double>(values[1]));
    addSample(bytes, down, static_cast<double>(values[2]));
  }
  prometheus::MetricFamily completed = makeFamily(metric::kHandshakes);
  for (const auto& [labels, count] : handshakes) {
    const std::array<std::string, 4> values = {labels[0], labels[1], labels[2], "success"};
    addSample(completed, values, static_cast<double>(count));
  }
  prometheus::MetricFamily duration = makeFamily(metric::kHandshakeDuration);
  for (size_t leg = 0; leg < kLegs; ++leg) {
    const std::array<std::string, 1> side = {std::string(kLegNames[leg])};
    addHistogram(duration, side, kHandshakeBounds, durations[leg],
                 static_cast<double>(duration_sum_ns[leg]) / 1e9);
  }
  prometheus::MetricFamily alert_family = makeFamily(metric::kAlerts);
  for (size_t leg = 0; leg < kLegs; ++leg) {
    for (size_t direction = 0; direction < kDirections; ++direction) {
      for (size_t code = 0; code < 256; ++code) {
        uint64_t n = alerts[(leg * kDirections + direction) * 256 + code];
        if (n == 0) continue;
        const std::array<std::string, 3> labels = {std::string(kLegNames[leg]),
                                                   std::string(kDirectionNames[direction]),
                                                   alertLabel(static_cast<uint8_t>(code))};
        addSample(alert_family, labels, static_cast<double>(n));
      }
    }
  }
  out.push_back(std::move(sessions));
  out.push_back(std::move(bytes));
  out.push_back(std::move(completed));
  out.push_back(std::move(duration));
  out.push_back(std::move(alert_family));
}

}  // namespace vtps::telemetry
