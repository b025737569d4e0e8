// vtpsd's management methods on the control socket (docs/management.md): the config lifecycle
// (config-export, config-history, config-version, rollback; apply and reload run through
// applyText), keystore methods for the REST API, the audit log, and starting the REST server.
// Every change is audited as one audit.log line: who, what, SHA-256 of the state before and after.
#include <unistd.h>

#include "appliance/daemon/daemon.h"
#include "appliance/daemon/daemon_parts.h"
#include "appliance/mgmt/control_client.h"
#include "appliance/mgmt/keystore_ops.h"
#include "appliance/mgmt/state_paths.h"
#include "appliance/mgmt/user_store.h"
#include "appliance/telemetry/log_entries.h"
#include "crypto/file_util.h"
#include "dataplane/proxy/domain_exclusions.h"

namespace vtps::daemon {
namespace {

using mgmt::Json;

constexpr const char* kControlSocketActor = "root via control socket";

std::string actorOf(const Json& request) {
  return request.value("actor", std::string(kControlSocketActor));
}

// A digest of the keystore's listing (names and fingerprints), for the audit log.
std::string keystoreDigest(const crypto::Keystore& keystore) {
  Json listing = Json::array();
  if (auto certs = keystore.certificates(); certs.ok()) {
    for (const auto& c : *certs)
      listing.push_back(c.name + " " + c.info.sha256_fingerprint);
  }
  if (auto cas = keystore.cas(); cas.ok()) {
    for (const auto& c : *cas)
      listing.push_back("ca " + c.name);
  }
  return mgmt::sha256Hex(listing.dump());
}

Json statusOnly(const Status& st, Json ok) {
  return st.ok() ? ok : mgmt::errorResponse(st.message());
}

// exclusion-add / exclusion-delete: the store `vtpsctl exclusions add|delete` edits, opened the
// same way, so both refuse with the same words; the engine's store picks the edit up on its sync.
Json exclusionChange(const config::Config& config, const std::string& method,
                     const std::string& domain, const std::string& reason) {
  auto store = proxy::ExclusionStore::open(
      proxy::exclusionStatePath(config), proxy::ExclusionSettings::from(config.domain_exclusions));
  if (!store.ok()) return mgmt::errorResponse(store.message());
  const std::string normalized = proxy::normalizeDomain(domain);
  if (method == "exclusion-add") {
    return statusOnly((*store)->add(domain, reason), Json{{"excluded", normalized}});
  }
  return statusOnly((*store)->remove(domain), Json{{"deleted", normalized}});
}

}  // namespace

ApplyOutcome Daemon::applyText(const std::string& yaml, const std::string& source,
                               const std::string& event, const std::string& actor) {
  Parts& p = *parts_;
  const std::string before = p.running_yaml;
  ApplyOutcome outcome = applyLoaded(config::loadString(yaml, source), source, event);
  if (outcome.applied) {
    if (!before.empty() && before != yaml && p.history) {
      Status saved = p.history->push(before);
      if (!saved.ok()) outcome.warnings.push_back(saved.message());
    }
    p.running_yaml = yaml;
  }
  audit(actor, event, source, mgmt::sha256Hex(before),
        mgmt::sha256Hex(outcome.applied ? yaml : before), outcome.error);
  return outcome;
}

void Daemon::audit(const std::string& actor, const std::string& action, const std::string& object,
                   const std::string& before, const std::string& after, const std::string& error) {
  Json entry;
  entry["time"] = telemetry::rfc3339Utc(telemetry::nowUnixMs());
  entry["actor"] = actor;
  entry["action"] = action;
  entry["object"] = object;
  entry["sha256_before"] = before;
  entry["sha256_after"] = after;
  entry["result"] = error.empty() ? "ok" : "refused";
  if (!error.empty()) entry["error"] = error;
  parts_->log->post(telemetry::LogFile::kAudit, std::move(entry));
}

Json Daemon::managementResponse(const std::string& method, const Json& request) {
  Parts& p = *parts_;
  if (method == "config-export") {
    return Json{{"yaml", p.running_yaml},
                {"sha256", mgmt::sha256Hex(p.running_yaml)},
                {"source", config_source_}};
  }
  if (method == "config-history") {
    auto versions = p.history->list();
    if (!versions.ok()) return mgmt::errorResponse(versions.message());
    Json list = Json::array();
    for (const auto& v : *versions) {
      list.push_back(Json{{"steps_back", v.steps_back},
                          {"saved", telemetry::rfc3339Utc(v.saved_unix_s * 1000)},
                          {"sha256", v.sha256},
                          {"file", v.file}});
    }
    return Json{{"history", std::move(list)}};
  }
  if (method == "config-version" || method == "rollback") {
    int steps = request.value("steps", 1);
    auto text = p.history->load(steps);
    if (!text.ok()) return mgmt::errorResponse(text.message());
    if (method == "config-version") return Json{{"yaml", *text}};
    std::string source = "rollback " + std::to_string(steps);
    return outcomeResponse(applyText(*text, source, "rollback", actorOf(request)), source);
  }
  if (method == "audit") {
    audit(actorOf(request), request.value("action", std::string()),
          request.value("object", std::string()), "", "", "");
    return Json{{"audited", true}};
  }
  if (method == "exclusion-add" || method == "exclusion-delete") {
    const std::string domain = request.value("domain", std::string());
    Json answer = exclusionChange(*config_, method, domain, request.value("reason", std::string()));
    audit(actorOf(request), method, domain, "", "",
          answer.contains("error") ? answer.at("error").get<std::string>() : std::string());
    return answer;
  }
  return keystoreResponse(method, request);
}

Json Daemon::keystoreResponse(const std::string& method, const Json& request) {
  crypto::Keystore& ks = *parts_->keystore;
  if (method == "cert-list" || method == "ca-list") {
    Json list = Json::array();
    if (method == "cert-list") {
      auto certs = ks.certificates();
      if (!certs.ok()) return mgmt::errorResponse(certs.message());
      for (const auto& c : *certs)
        list.push_back(mgmt::certificateJson(c));
      return Json{{"certificates", std::move(list)}};
    }
    auto cas = ks.cas();
    if (!cas.ok()) return mgmt::errorResponse(cas.message());
    for (const auto& c : *cas)
      list.push_back(mgmt::caJson(c));
    return Json{{"ca-certificates", std::move(list)}};
  }
  const std::string name = request.value("name", std::string());
  const std::string before = keystoreDigest(ks);
  Json answer;
  if (method == "cert-delete") {
    answer = statusOnly(mgmt::deleteCertificateChecked(ks, *config_, config_source_, name),
                        Json{{"deleted", name}});
  } else if (method == "ca-delete") {
    answer = statusOnly(mgmt::deleteCaChecked(ks, *config_, config_source_, name),
                        Json{{"deleted", name}});
  } else if (method == "cert-refresh") {
    auto refreshed = ks.refreshStatus();
    answer = refreshed.ok() ? Json{{"refreshed", refreshed->size()}}
                            : mgmt::errorResponse(refreshed.message());
  } else if (method == "cert-new-signing") {
    answer = newSigningResponse(request);
  } else if (method == "ca-import") {
    crypto::CertificateInput input;
    input.cert_bytes = request.value("pem", std::string());
    input.cert_source = "request";
    auto imported = ks.importCa(name, input);
    answer = imported.ok() ? mgmt::caJson(*imported) : mgmt::errorResponse(imported.message());
  } else {
    return nullptr;
  }
  audit(actorOf(request), method, name, before, keystoreDigest(ks),
        answer.contains("error") ? answer.at("error").get<std::string>() : std::string());
  return answer;
}

Json Daemon::newSigningResponse(const Json& request) {
  crypto::NewSigningOptions options;
  options.subject.cn = request.value("cn", std::string());
  options.subject.o = request.value("o", std::string());
  options.subject.c = request.value("c", std::string());
  options.days = request.value("days", 3650);
  options.exportable = request.value("exportable", false);
  auto key = crypto::KeySpec::parse(request.value("key", std::string("rsa:2048")));
  if (!key.ok()) return mgmt::errorResponse(key.message());
  options.key = *key;
  auto made =
      parts_->keystore->createSigningCertificate(request.value("name", std::string()), options);
  return made.ok() ? mgmt::certificateJson(*made) : mgmt::errorResponse(made.message());
}

Status Daemon::startManagement(const config::Config& config) {
  Parts& p = *parts_;
  const std::string state = mgmt::stateDir(config.device);
  p.history = std::make_unique<mgmt::ConfigHistory>(mgmt::historyDir(state));
  if (auto text = crypto::readFile(options_.config_path); text.ok()) p.running_yaml = *text;
  if (!config.device.management_enabled) return {};
  mgmt::RestServerOptions options;
  options.listen = config.device.management_listen;
  options.min_tls = config.device.management_min_tls;
  options.state_dir = state;
  options.log_dir = config.device.log_dir;
  // The API runs each request as a control method on the control thread, through the socket:
  // one serialised path for every change, whichever door it came in by.
  std::string socket = config.device.control_socket;
  auto rest = mgmt::RestServer::create(options, [socket](const Json& request) -> Result<Json> {
    auto client = mgmt::ControlClient::connect(socket);
    if (!client.ok()) return client.error();
    return client->call(request);
  });
  if (!rest.ok()) return makeError("start: " + rest.message());
  p.rest = std::move(*rest);
  systemLog("info", "start",
            "management API on https://" + config.device.management_listen + " (minimum " +
                std::string(config::toString(config.device.management_min_tls)) + ")");
  return {};
}

}  // namespace vtps::daemon
