// JSON-lines log files (ssl.log, system.log, ...) in device.log-dir, written by one dedicated
// thread. Producers (proxy workers through the daemon's EventSink, the control thread) post
// entries into a bounded lock-free queue and never block: when the queue is full the entry is
// dropped and counted, and the logging thread reports the drops in system.log. Each file rotates
// by size: NAME.log, NAME.log.1 … NAME.log.(max_files-1), oldest deleted (docs/logs.md).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crypto/result.h"

namespace vtps::telemetry {

using Json = nlohmann::ordered_json;

// The log files this writer owns.
enum class LogFile { kSsl, kSystem, kFailed, kAudit, kBlock, kAlert, kTrace };
inline constexpr int kLogFileCount = 7;
// "ssl.log", "system.log", "failed.log", "audit.log" (management changes, docs/management.md),
// "block.log", "alert.log" (filter events, docs/filters.md), "trace.log" (`vtpsctl debug trace`).
std::string_view fileName(LogFile file);

struct JsonLogOptions {
  uint64_t max_file_bytes = 16 * 1024 * 1024;  // rotate before a line would exceed this
  int max_files = 5;                           // NAME.log plus 4 rotated files
  size_t queue_capacity = 8192;                // entries; rounded up to a power of two
};

struct JsonLogStats {
  uint64_t written = 0;       // lines written
  uint64_t dropped = 0;       // entries dropped because the queue was full
  uint64_t write_errors = 0;  // failed write(2)/rename(2)/open(2) calls
  uint64_t rotations = 0;
};

class JsonLog {
 public:
  // Creates `dir` when missing, opens every log file for appending (mode 0640) and starts the
  // logging thread. Errors name the directory or file and errno's text.
  static Result<std::unique_ptr<JsonLog>> open(const std::string& dir, JsonLogOptions options);
  // Writes everything still queued, then stops the thread and closes the files.
  ~JsonLog();
  JsonLog(const JsonLog&) = delete;
  JsonLog& operator=(const JsonLog&) = delete;

  // Queues one entry for `file`. Thread-safe, wait-free unless the queue is contended; returns
  // false (and counts a drop) when the queue is full.
  bool post(LogFile file, Json entry);
  // Blocks until every entry posted before the call is written to its file.
  void flush();
  JsonLogStats stats() const;
  const std::string& dir() const;

  // Called on the logging thread with every entry after it is written (syslog forwarding). The
  // callee must not block. Replacing or clearing it waits for the logging thread to be outside it.
  using Tap = std::function<void(LogFile file, const Json& entry, std::string_view line)>;
  void setTap(Tap tap);

  class Impl;

 private:
  explicit JsonLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "2024-05-01T12:00:00.123Z": RFC 3339, UTC, millisecond precision.
std::string rfc3339Utc(int64_t unix_ms);
int64_t nowUnixMs();

}  // namespace vtps::telemetry
