#include "appliance/mgmt/log_reader.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <string_view>

namespace vtps::mgmt {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 7> kLogs = {"ssl",    "failed", "block", "alert",
                                                   "system", "audit",  "trace"};

bool matches(const Json& entry, const LogQuery& q) {
  for (const auto& [key, want] : q.fields) {
    if (!entry.is_object() || !entry.contains(key)) return false;
    const Json& v = entry.at(key);
    if ((v.is_string() ? v.get<std::string>() : v.dump()) != want) return false;
  }
  return true;
}

}  // namespace

bool isLogName(const std::string& name) {
  return std::find(kLogs.begin(), kLogs.end(), name) != kLogs.end();
}

std::string unknownLogMessage(const std::string& name) {
  std::string known;
  for (std::string_view l : kLogs)
    known += (known.empty() ? "" : ", ") + std::string(l);
  return "no such log: " + name + " (known: " + known + ")";
}

Status checkLogPage(size_t /*offset*/, size_t limit) {
  if (limit == 0 || limit > kMaxLogLimit) {
    return makeError("offset must be a number and limit 1.." + std::to_string(kMaxLogLimit));
  }
  return {};
}

Result<Json> readLogPage(const std::string& log_dir, const LogQuery& q) {
  if (!isLogName(q.log)) return makeError(unknownLogMessage(q.log));
  VTPS_RETURN_IF_ERROR(checkLogPage(q.offset, q.limit));
  std::ifstream in(log_dir + "/" + q.log + ".log");
  std::vector<Json> matched;
  std::string line;
  while (std::getline(in, line)) {
    Json entry = Json::parse(line, nullptr, false);
    if (!entry.is_discarded() && matches(entry, q)) matched.push_back(std::move(entry));
  }
  std::reverse(matched.begin(), matched.end());  // newest first
  Json page = Json::array();
  for (size_t i = q.offset; i < matched.size() && page.size() < q.limit; ++i)
    page.push_back(std::move(matched[i]));
  return Json{{"log", q.log},
              {"total", matched.size()},
              {"offset", q.offset},
              {"limit", q.limit},
              {"entries", std::move(page)}};
}

}  // namespace vtps::mgmt
