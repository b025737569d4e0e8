// Fake metric sources for the telemetry tests: every engine counter, two workers, a mint cache
// and key pools, and filter counters, with values the tests can predict.
#pragma once

#include <prometheus/text_serializer.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "appliance/telemetry/metrics_collector.h"
#include "appliance/telemetry/session_metrics.h"
#include "dataplane/proxy/proxy_counters.h"

namespace vtps::telemetry::testing {

// Engine counters in the engine's own groups; counter i of proxy::counterInfo() has value i+1.
inline std::vector<proxy::CounterGroup> fakeEngineCounters() {
  std::vector<proxy::CounterGroup> groups;
  uint64_t value = 1;
  for (const proxy::CounterInfo& info : proxy::counterInfo()) {
    const std::string group(proxy::groupName(info.group));
    if (groups.empty() || groups.back().name != group) groups.push_back({group, {}});
    groups.back().values.emplace_back(std::string(info.name), value++);
  }
  return groups;
}

// The value fakeEngineCounters() gives `name`.
inline uint64_t fakeEngineValue(std::string_view name) {
  uint64_t value = 1;
  for (const proxy::CounterInfo& info : proxy::counterInfo()) {
    if (info.name == name) return value;
    ++value;
  }
  return 0;
}

inline MetricsSources fakeSources(const SessionMetrics* sessions, size_t workers = 2) {
  MetricsSources sources;
  sources.engine_counters = [] { return fakeEngineCounters(); };
  sources.worker_load = [workers] {
    std::vector<proxy::WorkerLoad> load;
    for (size_t i = 0; i < workers; ++i) {
      load.push_back({static_cast<int>(i), static_cast<int>(i) + 1, (i + 1) * 1'500'000'000});
    }
    return load;
  };
  sources.mint = [] {
    MintMetrics m;
    m.cache = {.hits = 7, .misses = 3, .evictions = 1, .mint_failures = 0, .entries = 2};
    m.latency.counts[2] = 2;  // two mints of at most 100 us
    m.latency.counts[5] = 1;  // one of at most 1 ms
    m.latency.count = 3;
    m.latency.sum_ns = 1'000'000;
    m.pools.push_back({"ecdsa-p256",
                       {.generated = 300,
                        .taken = 44,
                        .inline_fallbacks = 2,
                        .generation_failures = 0,
                        .size = 256}});
    return std::optional<MintMetrics>(m);
  };
  sources.filter_counters = [] {
    return std::vector<std::pair<std::string, uint64_t>>{{"sessions", 10},
                                                         {"signature_blocked", 4},
                                                         {"action_block", 5},
                                                         {"action_permit_notify", 6},
                                                         {"action_trace", 1}};
  };
  sources.sessions = sessions;
  return sources;
}

inline std::string renderText(const MetricsCollector& collector) {
  return prometheus::TextSerializer().Serialize(collector.Collect());
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command, capturing its output.
inline CommandResult runCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace vtps::telemetry::testing
