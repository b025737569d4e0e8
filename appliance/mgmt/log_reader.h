// Reading the JSON-lines logs in device.log-dir a page at a time, newest first, keeping the
// entries whose top-level fields equal the values asked for: the REST API's GET /api/v1/logs/{log}
// and `vtpsctl logs` (local files, or the REST route with --remote) share it, so both answer and
// refuse alike. Only the current file is read, not its rotated predecessors (LOG.1, ...).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "crypto/result.h"

namespace vtps::mgmt {

inline constexpr size_t kDefaultLogLimit = 100;
inline constexpr size_t kMaxLogLimit = 1000;

struct LogQuery {
  std::string log = {};  // ssl, failed, block, alert, system, audit, trace
  size_t offset = 0;
  size_t limit = kDefaultLogLimit;
  std::vector<std::pair<std::string, std::string>> fields = {};  // FIELD=VALUE, all must match
};

// Whether `name` is one of the logs (the error text names them all).
bool isLogName(const std::string& name);
std::string unknownLogMessage(const std::string& name);
// "offset must be …" when `limit` is 0 or above kMaxLogLimit.
Status checkLogPage(size_t offset, size_t limit);

// {"log", "total" (matching entries), "offset", "limit", "entries": [newest first]}. A log that
// does not exist yet has no entries.
Result<nlohmann::ordered_json> readLogPage(const std::string& log_dir, const LogQuery& query);

}  // namespace vtps::mgmt
