// vtpsd's management methods on the control socket (docs/management.md): the config lifecycle
// (config-export, config-history, config-version, rollback; apply and reload run through
// applyText), keystore methods for the REST API (keystore_ops.h, shared with vtpsctl) and
// cert-supply-key, the audit log, and starting the REST server.
// Every change is audited as one audit.log line: who, what, SHA-256 of the state before and after.
#include <unistd.h>

#include <algorithm>

#include "appliance/daemon/daemon.h"
#include "appliance/daemon/daemon_parts.h"
#include "appliance/mgmt/control_client.h"
#include "appliance/mgmt/keystore_ops.h"
#include "appliance/mgmt/state_paths.h"
#include "appliance/mgmt/user_store.h"
#include "appliance/telemetry/log_entries.h"
#include "crypto/file_util.h"
#include "crypto/ossl.h"
#include "dataplane/proxy/domain_exclusions.h"

namespace vtps::daemon {
namespace {

using mgmt::Json;

constexpr const char* kControlSocketActor = "root via control socket";

std::string actorOf(const Json& request) {
  return request.value("actor", std::string(kControlSocketActor));
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
  if (method == "cert-supply-key") return supplyKeyResponse(request);
  if (method == "cert-csr-export") {
    const std::string name = request.value("name", std::string());
    auto pem = ks.requestPem(name);
    return pem.ok() ? Json{{"name", name}, {"pem", *pem}} : mgmt::errorResponse(pem.message());
  }
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
  const std::string before = mgmt::keystoreDigest(ks);
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
    auto made =
        mgmt::createSigningCertificate(ks, name, mgmt::newCertificateRequestFromJson(request));
    answer = made.ok() ? mgmt::certificateJson(*made) : mgmt::errorResponse(made.message());
  } else if (method == "cert-csr-new") {
    auto made = mgmt::createRequest(ks, name, mgmt::newCertificateRequestFromJson(request));
    answer = made.ok() ? mgmt::requestJson(*made) : mgmt::errorResponse(made.message());
  } else if (method == "cert-import" || method == "cert-replace") {
    answer = importResponse(method, name, request);
  } else if (method == "cert-export") {
    answer = exportResponse(name, request);
  } else if (method == "ca-import") {
    crypto::CertificateInput input;
    input.cert_bytes = request.value("pem", std::string());
    input.cert_source = "request";
    auto imported = ks.importCa(name, input);
    answer = imported.ok() ? mgmt::caJson(*imported) : mgmt::errorResponse(imported.message());
  } else {
    return nullptr;
  }
  audit(actorOf(request), method, name, before, mgmt::keystoreDigest(ks),
        answer.contains("error") ? answer.at("error").get<std::string>() : std::string());
  // A replaced certificate the config uses is served from the next apply: do it now.
  if (method == "cert-replace" && !answer.contains("error")) {
    const auto used = config_->referencedCertificates();
    if (std::find(used.begin(), used.end(), name) != used.end()) {
      ApplyOutcome outcome = reapplyRunning("certificate-replaced", actorOf(request));
      answer["reapplied"] = outcome.applied;
      if (!outcome.applied) answer["reapply_error"] = outcome.error;
    }
  }
  return answer;
}

Json Daemon::importResponse(const std::string& method, const std::string& name,
                            const Json& request) {
  crypto::Keystore& ks = *parts_->keystore;
  auto source = mgmt::certificateSourceFromJson(request);
  const char* operation = method == "cert-import" ? "import certificate " : "replace certificate ";
  if (!source.ok()) return mgmt::errorResponse(operation + name + ": " + source.message());
  Json answer;
  if (method == "cert-import") {
    auto made = mgmt::importCertificate(ks, name, *source, request.value("exportable", false));
    if (!made.ok()) answer = mgmt::errorResponse(made.message());
    if (made.ok()) {
      answer["imported"] = Json::array();
      for (const auto& r : *made)
        answer["imported"].push_back(mgmt::certificateJson(r));
    }
  } else {
    auto made = mgmt::replaceCertificate(ks, name, *source);
    answer = made.ok() ? mgmt::certificateJson(*made) : mgmt::errorResponse(made.message());
    if (made.ok()) answer["previous"] = name + std::string(crypto::kReplacedSuffix);
  }
  if (source->password) ossl::cleanse(*source->password);
  if (source->key_bytes) ossl::cleanse(*source->key_bytes);
  return answer;
}

// The key (when asked for: exportable certificates only, under the request's password) goes back
// in the answer; PEM as text, DER and PKCS#12 as base64.
Json Daemon::exportResponse(const std::string& name, const Json& request) {
  mgmt::ExportRequest options;
  options.format = request.value("format", std::string("pem"));
  options.with_key = request.value("with_key", false);
  if (request.contains("password") && request.at("password").is_string())
    options.password = request.at("password").get<std::string>();
  const std::string format = options.format;
  auto bytes = mgmt::exportCertificate(*parts_->keystore, name, std::move(options));
  if (!bytes.ok()) return mgmt::errorResponse(bytes.message());
  Json answer{{"name", name}, {"format", format}};
  if (format == "pem") {
    answer["pem"] = *bytes;
  } else {
    answer["data_base64"] = mgmt::encodeBase64(*bytes);
  }
  ossl::cleanse(*bytes);
  return answer;
}

// persist-private-keys off: the key goes into the keystore's memory; while the running config
// waits for keys it is applied again, so that every proxy whose keys are all there now runs.
Json Daemon::supplyKeyResponse(const Json& request) {
  crypto::Keystore& ks = *parts_->keystore;
  const std::string name = request.value("name", std::string());
  const std::string actor = actorOf(request);
  const std::string before = mgmt::keystoreDigest(ks);
  Json answer;
  auto key = mgmt::bytesField(request, "key");
  std::optional<std::string> password;
  if (request.contains("password") && request.at("password").is_string())
    password = request.at("password").get<std::string>();
  if (!key.ok() || !*key) {
    answer = mgmt::errorResponse(
        "supply key for " + name + ": " +
        (key.ok() ? std::string("the request needs \"key\" (PEM text) or \"key_base64\"")
                  : key.message()));
  } else {
    Status st = mgmt::supplyKey(ks, name, **key,
                                request.value("key_source", std::string("request key")), password);
    answer = st.ok() ? Json{{"supplied", name}} : mgmt::errorResponse(st.message());
    ossl::cleanse(**key);
  }
  if (password) ossl::cleanse(*password);
  audit(actor, "cert-supply-key", name, before, mgmt::keystoreDigest(ks),
        answer.contains("error") ? answer.at("error").get<std::string>() : std::string());
  if (answer.contains("error") || !parts_->key_wait.waiting()) return answer;

  ApplyOutcome outcome = reapplyRunning("keys-supplied", actor);
  answer["applied"] = outcome.applied;
  if (!outcome.applied) answer["apply_error"] = outcome.error;
  answer["waiting_for_keys"] = parts_->key_wait.missing_keys;
  if (outcome.applied && !parts_->key_wait.waiting()) {
    systemLog(
        "info", "keys-supplied",
        "every key the configuration needs is supplied: " + config_source_ + " now runs whole");
  }
  return answer;
}

// The running config again, through the normal path (history, audit, engine switch).
ApplyOutcome Daemon::reapplyRunning(const std::string& event, const std::string& actor) {
  if (!parts_->running_yaml.empty())
    return applyText(parts_->running_yaml, config_source_, event, actor);
  config::LoadResult loaded;
  loaded.config = std::make_shared<config::Config>(*config_);
  return applyLoaded(std::move(loaded), config_source_, event);
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
