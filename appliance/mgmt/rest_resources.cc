// The REST API's read views of the running config, the management certificate and the logs.
#include "appliance/config/loader.h"
#include "appliance/mgmt/log_reader.h"
#include "appliance/mgmt/rest_internal.h"
#include "appliance/mgmt/running_config_format.h"
#include "appliance/mgmt/state_paths.h"
#include "crypto/file_util.h"
#include "crypto/keys.h"
#include "crypto/x509.h"

namespace vtps::mgmt {
namespace {

using Json = RestJson;
using namespace config;

std::vector<std::string> strings(const std::vector<Cidr4>& v) {
  std::vector<std::string> out;
  for (const auto& c : v)
    out.push_back(c.str());
  return out;
}

std::vector<std::string> strings(const std::vector<PortRange>& v) {
  std::vector<std::string> out;
  for (const auto& p : v)
    out.push_back(p.str());
  return out;
}

std::vector<std::string> strings(const std::vector<TlsVersion>& v) {
  std::vector<std::string> out;
  for (TlsVersion t : v)
    out.emplace_back(toString(t));
  return out;
}

Json serverProxyJson(const ServerProxy& p) {
  return Json{{"name", p.name},
              {"description", p.description},
              {"destinations", strings(p.destinations)},
              {"detection-ports", strings(p.detection_ports)},
              {"decrypted-service", std::string(toString(p.decrypted_service))},
              {"certificates", p.certificates},
              {"protocols", strings(p.protocols)},
              {"cipher-suites", p.cipher_suites},
              {"logging", p.logging},
              {"tcp-reset", p.tcp_reset},
              {"http2-to-http1-downgrade", p.http2_to_http1_downgrade}};
}

Json clientProxyJson(const ClientProxy& p) {
  return Json{{"name", p.name},
              {"description", p.description},
              {"signing-certificate", p.signing_certificate},
              {"decrypted-service", std::string(toString(p.decrypted_service))},
              {"detection-ports", strings(p.detection_ports)},
              {"min-key-length", p.min_key_length},
              {"protocols", strings(p.protocols)},
              {"cipher-suites", p.cipher_suites},
              {"block-invalid-certificates", p.block_invalid_certificates},
              {"block-expired-certificates", p.block_expired_certificates},
              {"logging", p.logging},
              {"tcp-reset", p.tcp_reset},
              {"http2-to-http1-downgrade", p.http2_to_http1_downgrade}};
}

Json profileJson(const Profile& p) {
  Json servers = Json::array();
  for (const auto& s : p.ssl_server_policies) {
    servers.push_back(Json{{"name", s.name},
                           {"enabled", s.enabled},
                           {"locked", s.locked},
                           {"server-proxy", s.server_proxy},
                           {"source-exceptions", strings(s.source_exceptions)}});
  }
  Json clients = Json::array();
  for (const auto& s : p.ssl_client_policies) {
    clients.push_back(Json{{"name", s.name},
                           {"enabled", s.enabled},
                           {"locked", s.locked},
                           {"client-proxy", s.client_proxy},
                           {"decryption-policy", s.decryption_policy},
                           {"trust-store", s.trust_store},
                           {"never-decrypt", strings(s.never_decrypt)},
                           {"always-decrypt", strings(s.always_decrypt)}});
  }
  return Json{{"name", p.name},
              {"description", p.description},
              {"parent", p.parent},
              {"ssl-server-policies", std::move(servers)},
              {"ssl-client-policies", std::move(clients)}};
}

// The objects of one kind the caller's group may see, as a JSON list under `key`.
template <typename T, typename F>
RestResponse listOf(const Principal& p, std::string_view kind, const char* key,
                    const std::vector<T>& objects, F toJson) {
  Json list = Json::array();
  for (const T& o : objects) {
    if (groupAllows(p, kind, o.name)) list.push_back(toJson(o));
  }
  return jsonResponse(200, Json{{key, std::move(list)}});
}

std::optional<std::size_t> number(const std::string& text) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoul(text);
}

}  // namespace

Result<std::shared_ptr<const Config>> runningConfig(const ControlCall& control) {
  auto answer = control(Json{{"method", "config-export"}});
  if (!answer.ok()) return answer.error();
  if (!answer->contains("yaml")) {
    return makeError("vtpsd did not export its running config: " + answer->dump());
  }
  auto loaded = loadString(answer->at("yaml").get<std::string>(), "running");
  if (!loaded.ok()) return makeError("running config does not load: " + loaded.report());
  return std::shared_ptr<const Config>(loaded.config);
}

std::optional<std::shared_ptr<const Config>> parseConfig(const std::string& yaml,
                                                         const std::string& label) {
  auto loaded = loadString(yaml, label);
  if (!loaded.ok()) return std::nullopt;
  return std::shared_ptr<const Config>(loaded.config);
}

// Each view reads the running config fresh: what it shows is what vtpsd runs.
#define VTPS_RUNNING_OR_503(var)      \
  auto var = runningConfig(control_); \
  if (!var.ok()) return errorResponse(503, var.message());

RestResponse RestApi::configDisplay(const Call& c) const {
  VTPS_RUNNING_OR_503(running);
  std::string section = c.query("section");
  if (!section.empty() && section != "ssl-inspection") {
    return errorResponse(400, "section \"" + section + "\": only ssl-inspection is known");
  }
  auto which = section.empty() ? DisplaySection::kAll : DisplaySection::kSslInspection;
  return RestResponse{200, formatRunningConfig(**running, which), "text/plain"};
}

RestResponse RestApi::serverProxies(const Call& c) const {
  VTPS_RUNNING_OR_503(running);
  return listOf(c.principal, "server proxy", "server-proxies", (*running)->server_proxies,
                serverProxyJson);
}

RestResponse RestApi::clientProxies(const Call& c) const {
  VTPS_RUNNING_OR_503(running);
  return listOf(c.principal, "client proxy", "client-proxies", (*running)->client_proxies,
                clientProxyJson);
}

RestResponse RestApi::trustStores(const Call& c) const {
  VTPS_RUNNING_OR_503(running);
  return listOf(c.principal, "trust store", "trust-stores", (*running)->trust_stores,
                [](const TrustStore& t) {
                  return Json{{"name", t.name},
                              {"description", t.description},
                              {"include-default-ca", t.include_default_ca},
                              {"ca-certificates", t.ca_certificates}};
                });
}

RestResponse RestApi::decryptionPolicies(const Call& c) const {
  VTPS_RUNNING_OR_503(running);
  return listOf(c.principal, "decryption policy", "decryption-policies",
                (*running)->decryption_policies, [](const DecryptionPolicy& d) {
                  return Json{{"name", d.name},
                              {"description", d.description},
                              {"categories", d.categories},
                              {"category-overrides", d.category_overrides},
                              {"domains", d.domains},
                              {"domain-files", d.domain_files}};
                });
}

RestResponse RestApi::profiles(const Call& c) const {
  VTPS_RUNNING_OR_503(running);
  return listOf(c.principal, "profile", "profiles", (*running)->profiles, profileJson);
}

RestResponse RestApi::exclusions(const Call&) const {
  VTPS_RUNNING_OR_503(running);
  const DomainExclusions& e = (*running)->domain_exclusions;
  return jsonResponse(200, Json{{"automatic", e.automatic},
                                {"domains", e.domains},
                                {"auto-failure-threshold", e.auto_failure_threshold},
                                {"auto-failure-window", e.auto_failure_window_s}});
}

RestResponse RestApi::deviceSsl(const Call&) const {
  VTPS_RUNNING_OR_503(running);
  const SslInspectionSettings& s = (*running)->device.ssl_inspection;
  return jsonResponse(200, Json{{"server", s.server},
                                {"client", s.client},
                                {"persist-private-keys", s.persist_private_keys},
                                {"max-concurrent-connections", s.max_concurrent_connections},
                                {"over-threshold", std::string(toString(s.over_threshold))}});
}

RestResponse RestApi::managementCertificate(const Call&) const {
  std::string file = managementCertFile(options_.state_dir);
  auto pem = crypto::readFile(file);
  if (!pem.ok()) return errorResponse(404, pem.message());
  auto certs = crypto::Certificate::parseAll(*pem, file);
  if (!certs.ok() || certs->empty())
    return errorResponse(500, "management certificate " + file + " does not parse");
  crypto::CertificateInfo i = certs->front().info();
  return jsonResponse(200, Json{{"subject", i.subject},
                                {"not_after", crypto::formatUtc(i.not_after)},
                                {"sha256_fingerprint", i.sha256_fingerprint},
                                {"self_signed", i.self_signed},
                                {"pem", *pem}});
}

// Served from the next TLS handshake on: the listener reads the files at every handshake
// (rest_server.cc), so no restart is needed.
RestResponse RestApi::replaceManagementCertificate(const Call& c) const {
  std::string cert_pem = c.body.value("certificate", std::string());
  std::string key_pem = c.body.value("key", std::string());
  auto certs = crypto::Certificate::parseAll(cert_pem, "certificate");
  if (!certs.ok()) return errorResponse(400, certs.message());
  if (certs->empty()) return errorResponse(400, "certificate: no PEM certificate in the request");
  auto key = crypto::PrivateKey::parse(key_pem, std::nullopt, "key");
  if (!key.ok()) return errorResponse(400, key.message());
  if (!crypto::keyMatchesCertificate(*key, certs->front())) {
    return errorResponse(400, "key does not match the certificate");
  }
  Status st = crypto::writeFileAtomic(managementKeyFile(options_.state_dir), key_pem, 0600);
  if (st.ok()) st = crypto::writeFileAtomic(managementCertFile(options_.state_dir), cert_pem, 0644);
  if (!st.ok()) return errorResponse(500, st.message());
  (void)ask(Json{{"method", "audit"},
                 {"actor", c.actor()},
                 {"action", "replace-management-certificate"},
                 {"object", certs->front().info().subject}});
  return jsonResponse(200, Json{{"replaced", true}, {"takes_effect", "from the next connection"}});
}

RestResponse RestApi::logs(const Call& c) const {
  LogQuery q;
  q.log = c.params.at("log");
  if (!isLogName(q.log)) return errorResponse(404, unknownLogMessage(q.log));
  auto offset = number(c.query("offset").empty() ? "0" : c.query("offset"));
  auto limit =
      number(c.query("limit").empty() ? std::to_string(kDefaultLogLimit) : c.query("limit"));
  if (!offset || !limit) return errorResponse(400, checkLogPage(0, 0).message());
  q.offset = *offset;
  q.limit = *limit;
  for (const auto& [key, value] : c.request.query) {
    if (key != "offset" && key != "limit") q.fields.emplace_back(key, value);
  }
  auto page = readLogPage(options_.log_dir, q);
  if (!page.ok()) return errorResponse(400, page.message());
  return jsonResponse(200, *page);
}

}  // namespace vtps::mgmt
