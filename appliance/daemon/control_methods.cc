// The control socket's methods (docs/cli-reference.md, "Control socket protocol"):
//   status, counters [group], sessions, clear-sessions, apply {yaml, file} | {path}, reload.
#include <unistd.h>

#include <cmath>

#include "appliance/daemon/daemon.h"
#include "appliance/daemon/daemon_parts.h"
#include "appliance/telemetry/log_entries.h"

namespace vtps::daemon {
namespace {

using mgmt::Json;

constexpr const char* kMethods = "status, counters, sessions, clear-sessions, apply, reload";

std::string endpoint(const std::string& address, uint16_t port) {
  return address + ":" + std::to_string(port);
}

double roundMs(double seconds) {
  return std::round(seconds * 1000.0) / 1000.0;
}

}  // namespace

Json Daemon::handleRequest(const Json& request) {
  const auto method = request.at("method").get<std::string>();
  if (method == "status") return statusResponse();
  if (method == "counters") return countersResponse(request);
  if (method == "sessions") return sessionsResponse();
  if (method == "clear-sessions") return clearSessionsResponse();
  if (method == "apply") return applyResponse(request);
  if (method == "reload") return outcomeResponse(reloadFromFile(), options_.config_path);
  return mgmt::errorResponse("unknown method '" + method + "' (known: " + kMethods + ")");
}

Json Daemon::statusResponse() const {
  const Parts& p = *parts_;
  const config::Config& c = *config_;
  int64_t now = telemetry::nowUnixMs();
  Json j;
  j["daemon"] = "vtpsd";
  j["version"] = VTPS_VERSION;
  j["pid"] = ::getpid();
  j["started"] = telemetry::rfc3339Utc(started_ms_);
  j["uptime_s"] = roundMs(static_cast<double>(now - started_ms_) / 1000.0);
  j["config_file"] = options_.config_path;
  j["config_source"] = config_source_;
  j["config_loaded"] = telemetry::rfc3339Utc(config_loaded_ms_);
  j["dataplane"] = c.device.dataplane == config::Dataplane::kKernel ? "kernel" : "dpdk";
  j["mode"] = c.device.mode == config::DeviceMode::kStandard ? "standard" : "performance";
  j["proxy_cores"] = c.device.proxy_cores;
  j["proxy_listen_port"] = p.engine->listenPort();
  j["server_proxies"] = c.server_proxies.size();
  j["client_proxies"] = c.client_proxies.size();
  j["profiles"] = c.profiles.size();
  j["live_sessions"] = p.engine->liveSessions().size();
  j["keystore"] = p.keystore_dir;
  j["control_socket"] = p.control ? p.control->path() : std::string();
  j["log_dir"] = p.log->dir();
  auto logs = p.log->stats();
  j["log_entries_written"] = logs.written;
  j["log_entries_dropped"] = logs.dropped;
  j["log_write_errors"] = logs.write_errors;
  j["reloads_ok"] = reloads_ok_;
  j["reloads_failed"] = reloads_failed_;
  return j;
}

Json Daemon::countersResponse(const Json& request) const {
  std::string wanted = request.value("group", std::string());
  Json groups = Json::array();
  std::string known;
  for (const auto& g : parts_->engine->counters()) {
    known += (known.empty() ? "" : ", ") + g.name;
    if (!wanted.empty() && g.name != wanted) continue;
    Json values = Json::object();
    for (const auto& [name, value] : g.values)
      values[name] = value;
    groups.push_back(Json{{"name", g.name}, {"values", std::move(values)}});
  }
  if (!wanted.empty() && groups.empty()) {
    return mgmt::errorResponse("unknown counter group '" + wanted + "' (known: " + known + ")");
  }
  return Json{{"groups", std::move(groups)}};
}

Json Daemon::sessionsResponse() const {
  int64_t now = telemetry::nowUnixMs();
  Json sessions = Json::array();
  for (const auto& s : parts_->engine->liveSessions()) {
    const auto& c = s.context;
    Json j;
    j["client"] = endpoint(c.client_address, c.client_port);
    j["server"] = endpoint(c.server_address, c.server_port);
    j["sni"] = c.sni;
    j["profile"] = c.profile;
    j["policy"] = c.policy;
    j["proxy"] = c.proxy;
    j["decision"] = std::string(telemetry::decisionText(s.decision));
    j["client_version"] = s.client_version;
    j["client_cipher"] = s.client_cipher;
    j["started"] = telemetry::rfc3339Utc(s.start_unix_ms);
    j["age_s"] = roundMs(static_cast<double>(now - s.start_unix_ms) / 1000.0);
    j["bytes_client_to_server"] = s.bytes_client_to_server;
    j["bytes_server_to_client"] = s.bytes_server_to_client;
    j["worker"] = s.worker;
    sessions.push_back(std::move(j));
  }
  return Json{{"sessions", std::move(sessions)}};
}

Json Daemon::clearSessionsResponse() {
  size_t cleared = parts_->engine->clearSessions();
  systemLog("warning", "ssl-clear",
            std::to_string(cleared) + " live SSL sessions closed by the operator (ssl-clear)");
  return Json{{"cleared", cleared}};
}

Json Daemon::applyResponse(const Json& request) {
  if (request.contains("yaml") && request.at("yaml").is_string()) {
    std::string label = request.value("file", std::string("<inline>"));
    auto loaded = config::loadString(request.at("yaml").get<std::string>(), label);
    return outcomeResponse(applyLoaded(std::move(loaded), label, "apply"), label);
  }
  if (request.contains("path") && request.at("path").is_string()) {
    auto file = request.at("path").get<std::string>();
    if (file.empty() || file.front() != '/') {
      return mgmt::errorResponse("apply: path '" + file +
                                 "' is not absolute (vtpsd does not share the caller's working "
                                 "directory); send the file's text as \"yaml\" instead");
    }
    return outcomeResponse(applyLoaded(config::loadFileDiagnostics(file), file, "apply"), file);
  }
  return mgmt::errorResponse(
      "apply needs \"yaml\" (the config text) or \"path\" (an absolute file name)");
}

Json Daemon::outcomeResponse(const ApplyOutcome& outcome, const std::string& source) {
  Json j;
  if (!outcome.applied) {
    j["error"] = outcome.error;
    Json diagnostics = Json::array();
    for (const auto& d : outcome.diagnostics)
      diagnostics.push_back(d.str());
    j["diagnostics"] = std::move(diagnostics);
    return j;
  }
  j["applied"] = true;
  j["source"] = source;
  j["warnings"] = outcome.warnings;
  return j;
}

}  // namespace vtps::daemon
