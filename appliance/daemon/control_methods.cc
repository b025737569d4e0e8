// The control socket's methods (docs/cli-reference.md, "Control socket protocol"):
//   status, counters [group], sessions, clear-sessions, proxy-stall {seconds},
//   apply {yaml, file} | {path}, reload.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "appliance/daemon/daemon.h"
#include "appliance/daemon/daemon_parts.h"
#include "appliance/telemetry/log_entries.h"
#include "crypto/file_util.h"
#include "dataplane/proxy/trace.h"

namespace vtps::daemon {
namespace {

using mgmt::Json;

constexpr const char* kMethods =
    "status, counters, sessions, clear-sessions, proxy-stall, apply, reload, crypto, trace, "
    "config-export, "
    "config-history, config-version, rollback, cert-list, cert-new-signing, cert-delete, "
    "cert-refresh, cert-csr-new, cert-csr-export, cert-import, cert-replace, cert-export, "
    "cert-supply-key, ca-list, ca-import, ca-delete, audit, filters, filters-top, dataplane";

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
  if (method == "clear-sessions") return clearSessionsResponse(request);
  if (method == "proxy-stall") return proxyStallResponse(request);
  if (method == "apply") return applyResponse(request);
  if (method == "reload") return outcomeResponse(reloadFromFile(), options_.config_path);
  if (method == "crypto") return cryptoResponse();
  if (method == "trace") return traceResponse(request);
  if (method == "filters") return parts_->filters->showResponse();
  if (method == "dataplane") {
    if (!parts_->dataplane) {
      return mgmt::errorResponse(
          "dataplane: device.dataplane is kernel; the dpdk dataplane "
          "is not running");
    }
    return parts_->dataplane->showResponse();
  }
  if (method == "filters-top") return parts_->filters->topResponse(request);
  if (Json answer = managementResponse(method, request); !answer.is_null()) return answer;
  return mgmt::errorResponse("unknown method '" + method + "' (known: " + kMethods + ")");
}

// trace {action: set, level, flags: [...], profile} | {action: off} | {action: show}.
Json Daemon::traceResponse(const Json& request) {
  proxy::Tracer& tracer = proxy::Tracer::instance();
  const std::string action = request.value("action", std::string("show"));
  if (action == "off") {
    tracer.configure({});
    systemLog("info", "trace", "debug trace off");
  } else if (action == "set") {
    proxy::TraceOptions o;
    const std::string level = request.value("level", std::string("brief"));
    auto parsed = proxy::parseTraceLevel(level);
    if (!parsed || *parsed == proxy::TraceLevel::kOff) {
      return mgmt::errorResponse("trace: unknown level \"" + level +
                                 "\"; expected one of: brief, detail, extensive, verbose");
    }
    o.level = *parsed;
    for (const auto& f : request.value("flags", Json::array())) {
      const std::string name = f.is_string() ? f.get<std::string>() : f.dump();
      auto flag = proxy::parseTraceFlag(name);
      if (!flag) {
        return mgmt::errorResponse(
            "trace: unknown flag \"" + name +
            "\"; expected one of: configuration, termination, initiation, proxy");
      }
      o.flags |= static_cast<uint8_t>(*flag);
    }
    if (o.flags == 0) return mgmt::errorResponse("trace: at least one flag is required");
    o.profile = request.value("profile", std::string());
    if (!o.profile.empty()) {
      const auto& profiles = config_->profiles;
      if (std::none_of(profiles.begin(), profiles.end(),
                       [&](const config::Profile& p) { return p.name == o.profile; })) {
        return mgmt::errorResponse("trace: profile \"" + o.profile +
                                   "\" is not in the running config");
      }
    }
    tracer.configure(o);
    systemLog("info", "trace",
              "debug trace set: level " + level + ", flags " + proxy::flagNames(o.flags) +
                  (o.profile.empty() ? std::string() : ", profile " + o.profile));
  } else if (action != "show") {
    return mgmt::errorResponse("trace: unknown action \"" + action + "\" (set, off, show)");
  }
  proxy::TraceOptions now = tracer.options();
  Json j;
  j["level"] = std::string(proxy::toString(now.level));
  j["flags"] = proxy::flagNames(now.flags);
  j["profile"] = now.profile;
  j["file"] = parts_->log->dir() + "/trace.log";
  j["emitted"] = tracer.emitted();
  return j;
}

Json Daemon::cryptoResponse() const {
  if (!options_.crypto) return mgmt::errorResponse("crypto: this vtpsd did not set up its crypto");
  return describeCrypto(*options_.crypto);
}

Json Daemon::statusResponse() const {
  const Parts& p = *parts_;
  const config::Config& c = *config_;
  int64_t now = telemetry::nowUnixMs();
  Json j;
  j["daemon"] = "vtpsd";
  j["version"] = VTPS_VERSION;
  j["pid"] = ::getpid();
  // persist-private-keys off: what runs until the keys come back (keystore_check.h).
  j["state"] = p.key_wait.waiting() ? p.key_wait.describe() : "inspecting";
  if (p.key_wait.waiting()) {
    j["keys_missing"] = p.key_wait.missing_keys;
    j["left_out"] = p.key_wait.left_out;
  }
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
  if (p.syslog) {
    Json collectors = Json::array();
    for (const telemetry::SyslogStats& s : p.syslog->stats()) {
      collectors.push_back({{"collector", s.collector},
                            {"connected", s.connected},
                            {"sent", s.sent},
                            {"dropped", s.dropped},
                            {"connect_failures", s.connect_failures},
                            {"last_error", s.last_error}});
    }
    j["syslog"] = std::move(collectors);
  }
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

Json Daemon::clearSessionsResponse(const Json& request) {
  size_t cleared = parts_->engine->clearSessions();
  systemLog("warning", "ssl-clear",
            std::to_string(cleared) + " live SSL sessions closed by the operator (ssl-clear)");
  // A change to the traffic, not to any state with a digest: the object says how many.
  audit(request.value("actor", std::string("root via control socket")), "ssl-clear",
        std::to_string(cleared) + " live SSL sessions", "", "", "");
  return Json{{"cleared", cleared}};
}

// A diagnostic: every worker sleeps `seconds`, so SSL inspection stops meanwhile (with the dpdk
// dataplane the watchdog's layer-2 fallback takes new SSL flows; proxy_watchdog.h).
Json Daemon::proxyStallResponse(const Json& request) {
  const Json seconds = request.value("seconds", Json());
  if (!seconds.is_number_integer() || seconds.get<int64_t>() < 1 || seconds.get<int64_t>() > 60) {
    return mgmt::errorResponse("proxy-stall: \"seconds\" must be an integer from 1 to 60, got " +
                               seconds.dump());
  }
  const int64_t s = seconds.get<int64_t>();
  size_t stalled = parts_->engine->stallWorkers(std::chrono::seconds(s));
  const std::string what = std::to_string(stalled) +
                           (stalled == 1 ? " proxy worker" : " proxy workers") + " for " +
                           std::to_string(s) + " s";
  systemLog("warning", "proxy-stall",
            "stalled " + what + " (debug np proxy-stall): SSL inspection stops meanwhile");
  audit(request.value("actor", std::string("root via control socket")), "proxy-stall", what, "", "",
        "");
  return Json{{"stalled_workers", stalled}, {"seconds", s}};
}

Json Daemon::applyResponse(const Json& request) {
  if (request.contains("yaml") && request.at("yaml").is_string()) {
    std::string label = request.value("file", std::string("<inline>"));
    return outcomeResponse(
        applyText(request.at("yaml").get<std::string>(), label, "apply",
                  request.value("actor", std::string("root via control socket"))),
        label);
  }
  if (request.contains("path") && request.at("path").is_string()) {
    auto file = request.at("path").get<std::string>();
    if (file.empty() || file.front() != '/') {
      return mgmt::errorResponse("apply: path '" + file +
                                 "' is not absolute (vtpsd does not share the caller's working "
                                 "directory); send the file's text as \"yaml\" instead");
    }
    auto text = crypto::readFile(file);
    if (!text.ok()) return mgmt::errorResponse("apply: " + text.message());
    return outcomeResponse(
        applyText(*text, file, "apply",
                  request.value("actor", std::string("root via control socket"))),
        file);
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
