#include "dataplane/filter/filter_event.h"

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace vtps::filter {

std::string_view toString(FilterLog log) {
  return log == FilterLog::kBlock ? "block" : "alert";
}

std::string_view toString(FilterStage stage) {
  switch (stage) {
    case FilterStage::kTrafficManagement:
      return "traffic-management";
    case FilterStage::kReputation:
      return "reputation";
    case FilterStage::kQuarantine:
      return "quarantine";
    case FilterStage::kSignature:
      return "signature";
  }
  return "?";
}

std::string toJsonLine(const FilterEvent& e) {
  nlohmann::ordered_json j;
  j["time"] = e.time_unix_ms;
  j["log"] = toString(e.log);
  j["stage"] = toString(e.stage);
  j["action"] = e.action;
  j["reason"] = e.reason;
  j["ssl_inspect"] = e.ssl_inspect;
  if (e.stage == FilterStage::kSignature) {
    j["sid"] = e.sid;
    j["rev"] = e.rev;
    j["priority"] = e.priority;
    j["msg"] = e.msg;
    j["classtype"] = e.classtype;
  } else {
    j["filter"] = e.filter;
  }
  if (e.score >= 0) j["score"] = e.score;
  j["profile"] = e.profile;
  j["policy"] = e.policy;
  j["proxy"] = e.proxy;
  j["client"] = e.client_address + ":" + std::to_string(e.client_port);
  j["server"] = e.server_address + ":" + std::to_string(e.server_port);
  if (!e.direction.empty()) j["direction"] = e.direction;
  if (!e.http_method.empty()) j["http_method"] = e.http_method;
  if (!e.http_host.empty()) j["http_host"] = e.http_host;
  if (!e.http_uri.empty()) j["http_uri"] = e.http_uri;
  j["traced"] = e.traced;
  // Cleartext bytes from the network may be invalid UTF-8: replace rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status writeTraceFile(const std::string& dir, const TraceCapture& capture) {
  if (capture.file_name.empty() || capture.file_name.find('/') != std::string::npos) {
    return makeError("write trace: bad file name \"" + capture.file_name + "\"");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return makeError("write trace: create directory " + dir + ": " + ec.message());
  std::string path = dir + "/" + capture.file_name;
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(capture.pcap.data()),
              static_cast<std::streamsize>(capture.pcap.size()));
    if (!out)
      return makeError("write trace " + tmp + ": " + std::generic_category().message(errno));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return makeError("write trace " + path + ": " + ec.message());
  }
  return {};
}

std::string_view FilterCounters::name(Id id) {
  static constexpr std::array<std::string_view, kCount> kNames{
      "sessions",
      "bypassed",
      "traffic_management_blocked",
      "traffic_management_allowed",
      "traffic_management_trusted",
      "traffic_management_rate_limited",
      "traffic_management_throttled",
      "reputation_blocked",
      "reputation_notified",
      "quarantine_blocked",
      "quarantine_redirected",
      "signature_blocked",
      "signature_notified",
      "signature_passed",
      "action_block",
      "action_permit_notify",
      "action_trace",
      "traces_written",
      "traces_truncated",
      "http_parse_errors",
      "verify_budget_exhausted",
      "scan_errors",
  };
  return kNames[id];
}

std::vector<std::pair<std::string, uint64_t>> FilterCounters::snapshot() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  for (int i = 0; i < kCount; ++i) {
    auto id = static_cast<Id>(i);
    out.emplace_back(std::string(name(id)), get(id));
  }
  return out;
}

}  // namespace vtps::filter
