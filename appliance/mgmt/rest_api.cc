#include "appliance/mgmt/rest_api.h"

#include <openssl/evp.h>

#include <optional>

#include "appliance/mgmt/rest_internal.h"
#include "appliance/mgmt/user_store.h"

namespace vtps::mgmt {

using Json = RestJson;

namespace {

constexpr auto kView = Capability::kView;
constexpr auto kSsl = Capability::kSslInspectionManagement;
constexpr auto kX509 = Capability::kAdminX509;
constexpr auto kDevice = Capability::kDeviceX509;

// Matches `path` against `pattern`, filling {param}s.
bool matches(std::string_view pattern, std::string_view path,
             std::map<std::string, std::string>& params) {
  params.clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern.front() != '/' || path.front() != '/') {
      return false;
    }
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    std::string_view p = pattern.substr(0, pattern.find('/'));
    std::string_view s = path.substr(0, path.find('/'));
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      if (s.empty()) return false;
      params[std::string(p.substr(1, p.size() - 2))] = std::string(s);
    } else if (p != s) {
      return false;
    }
    pattern.remove_prefix(p.size());
    path.remove_prefix(s.size());
  }
  return true;
}

std::optional<std::string> decodeBase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = (in.back() == '=') + (in[in.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

Result<Principal> authenticate(const std::string& users_file, const std::string& header) {
  if (header.empty()) {
    return makeError("authentication required: send Authorization: Bearer TOKEN or Basic");
  }
  auto db = loadUserDb(users_file);
  if (!db.ok()) return db.error();
  if (header.starts_with("Bearer ")) return authenticateToken(*db, header.substr(7));
  if (header.starts_with("Basic ")) {
    auto decoded = decodeBase64(std::string_view(header).substr(6));
    std::size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return makeError("authentication failed: malformed Basic credentials");
    return authenticatePassword(*db, decoded->substr(0, colon), decoded->substr(colon + 1));
  }
  return makeError("authentication failed: unsupported Authorization scheme");
}

// A keystore change's control request: the REST body as it came, the control method, and the
// certificate name from the path when the route has one.
Json bodyRequest(const RestApi::Call& c, const char* method, bool name_from_path) {
  Json request = c.body;
  request["method"] = method;
  if (name_from_path) request["name"] = c.params.at("name");
  return request;
}

}  // namespace

RestResponse jsonResponse(int status, const Json& body) {
  // Replace, not throw, on invalid UTF-8: a path or body echoed in a message may carry any bytes.
  return RestResponse{status,
                      body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                      "application/json"};
}

RestResponse errorResponse(int status, const std::string& message) {
  return jsonResponse(status, Json{{"error", message}});
}

RestApi::RestApi(RestApiOptions options, ControlCall control)
    : options_(std::move(options)), control_(std::move(control)) {}

std::vector<RestRouteInfo> RestApi::routes() {
  std::vector<RestRouteInfo> out;
  for (const Route& r : RestRouteTable::get())
    out.push_back({r.method, r.pattern, r.needs});
  return out;
}

RestResponse RestApi::handle(const RestRequest& request) const {
  std::map<std::string, std::string> params;
  const Route* found = nullptr;
  bool path_known = false;
  for (const Route& r : RestRouteTable::get()) {
    if (!matches(r.pattern, request.path, params)) continue;
    path_known = true;
    if (request.method == r.method) {
      found = &r;
      break;
    }
  }
  if (found == nullptr) {
    return path_known ? errorResponse(405, request.method + " is not allowed on " + request.path)
                      : errorResponse(404, "no such resource: " + request.path);
  }
  Call call{request, {}, params, Json::object()};
  if (found->needs) {
    auto principal = authenticate(options_.users_file, request.authorization);
    if (!principal.ok()) return errorResponse(401, principal.message());
    call.principal = std::move(*principal);
    Status allowed = requireCapability(call.principal, *found->needs);
    if (!allowed.ok()) return errorResponse(403, allowed.message());
  }
  if (!request.body.empty()) {
    try {
      call.body = Json::parse(request.body);
    } catch (const nlohmann::json::exception& e) {
      return errorResponse(400, std::string("request body is not JSON: ") + e.what());
    }
    if (!call.body.is_object()) return errorResponse(400, "request body must be a JSON object");
  }
  try {
    return (this->*(found->handler))(call);
  } catch (const nlohmann::json::exception& e) {
    return errorResponse(400, std::string("bad request: ") + e.what());
  }
}

Result<Json> RestApi::ask(const Json& request) const {
  auto answer = control_(request);
  if (!answer.ok()) return answer.error();
  if (!answer->is_object()) return makeError("vtpsd answered with something other than an object");
  return answer;
}

RestResponse RestApi::forward(const Call& c, Json request, const std::string& error_prefix) const {
  if (!c.principal.user.empty()) request["actor"] = c.actor();
  auto answer = ask(request);
  if (!answer.ok()) return errorResponse(503, answer.message());
  if (answer->contains("error")) {
    Json out = *answer;
    const Json& e = answer->at("error");
    out["error"] = error_prefix + (e.is_string() ? e.get<std::string>() : e.dump());
    return jsonResponse(400, out);
  }
  return jsonResponse(200, *answer);
}

RestResponse RestApi::status(const Call& c) const {
  return forward(c, Json{{"method", "status"}});
}

RestResponse RestApi::counters(const Call& c) const {
  Json request{{"method", "counters"}};
  if (!c.query("group").empty()) request["group"] = c.query("group");
  return forward(c, request);
}

RestResponse RestApi::sessions(const Call& c) const {
  return forward(c, Json{{"method", "sessions"}});
}

RestResponse RestApi::openApi(const Call&) const {
  return RestResponse{200, std::string(openApiDocument()), "application/json"};
}

RestResponse RestApi::configRunning(const Call& c) const {
  return forward(c, Json{{"method", "config-export"}});
}

RestResponse RestApi::configHistory(const Call& c) const {
  return forward(c, Json{{"method", "config-history"}});
}

RestResponse RestApi::authorizedApply(const Call& c, const std::string& yaml, Json request,
                                      const std::string& error_prefix) const {
  auto running = runningConfig(control_);
  if (!running.ok()) return errorResponse(503, running.message());
  auto next = parseConfig(yaml, request.value("file", std::string("request")));
  // A config that does not load is refused by vtpsd with its diagnostics, as for the CLI.
  if (next) {
    Status allowed = authorizeConfigChange(c.principal, **running, **next);
    if (!allowed.ok()) return errorResponse(403, allowed.message());
  }
  return forward(c, std::move(request), error_prefix);
}

RestResponse RestApi::configApply(const Call& c) const {
  if (!c.body.contains("yaml") || !c.body.at("yaml").is_string()) {
    return errorResponse(400, "apply needs \"yaml\" (the config text)");
  }
  std::string yaml = c.body.at("yaml").get<std::string>();
  std::string file = c.body.value("file", std::string("<rest>"));
  return authorizedApply(c, yaml, Json{{"method", "apply"}, {"yaml", yaml}, {"file", file}},
                         "config apply refused: ");
}

RestResponse RestApi::configRollback(const Call& c) const {
  int steps = c.body.value("steps", 1);
  auto version = ask(Json{{"method", "config-version"}, {"steps", steps}});
  if (!version.ok()) return errorResponse(503, version.message());
  if (version->contains("error"))
    return errorResponse(400, version->at("error").get<std::string>());
  return authorizedApply(c, version->at("yaml").get<std::string>(),
                         Json{{"method", "rollback"}, {"steps", steps}}, "");
}

RestResponse RestApi::certificates(const Call& c) const {
  return forward(c, Json{{"method", "cert-list"}});
}

RestResponse RestApi::newSigningCertificate(const Call& c) const {
  return forward(c, bodyRequest(c, "cert-new-signing", false));
}

// The keystore changes below carry the request body to vtpsd as the control method's request:
// the same fields, the same shared code (keystore_ops.h), the same words as vtpsctl.
RestResponse RestApi::newCertificateRequest(const Call& c) const {
  return forward(c, bodyRequest(c, "cert-csr-new", false));
}

RestResponse RestApi::exportCertificateRequest(const Call& c) const {
  return forward(c, Json{{"method", "cert-csr-export"}, {"name", c.params.at("name")}});
}

RestResponse RestApi::importCertificate(const Call& c) const {
  return forward(c, bodyRequest(c, "cert-import", false));
}

RestResponse RestApi::replaceCertificate(const Call& c) const {
  return forward(c, bodyRequest(c, "cert-replace", true));
}

RestResponse RestApi::exportCertificate(const Call& c) const {
  return forward(c, bodyRequest(c, "cert-export", true));
}

RestResponse RestApi::supplyKey(const Call& c) const {
  return forward(c, bodyRequest(c, "cert-supply-key", true));
}

RestResponse RestApi::deleteCertificate(const Call& c) const {
  return forward(c, Json{{"method", "cert-delete"}, {"name", c.params.at("name")}});
}

RestResponse RestApi::refreshCertificates(const Call& c) const {
  return forward(c, Json{{"method", "cert-refresh"}});
}

RestResponse RestApi::caCertificates(const Call& c) const {
  return forward(c, Json{{"method", "ca-list"}});
}

RestResponse RestApi::importCaCertificate(const Call& c) const {
  return forward(c, bodyRequest(c, "ca-import", false));
}

RestResponse RestApi::deleteCaCertificate(const Call& c) const {
  return forward(c, Json{{"method", "ca-delete"}, {"name", c.params.at("name")}});
}

// Manual exclusions, in the store `vtpsctl exclusions add|delete` edits (the daemon's methods).
RestResponse RestApi::addExclusion(const Call& c) const {
  return forward(c, Json{{"method", "exclusion-add"},
                         {"domain", c.body.value("domain", std::string())},
                         {"reason", c.body.value("reason", std::string())}});
}

RestResponse RestApi::deleteExclusion(const Call& c) const {
  return forward(c, Json{{"method", "exclusion-delete"}, {"domain", c.params.at("domain")}});
}

const std::vector<Route>& RestRouteTable::get() {
  using A = RestApi;
  static const std::vector<Route> table{
      {"GET", "/api/v1/openapi.json", std::nullopt, &A::openApi},
      {"GET", "/api/v1/status", kView, &A::status},
      {"GET", "/api/v1/config/running", kView, &A::configRunning},
      {"GET", "/api/v1/config/running/display", kView, &A::configDisplay},
      {"GET", "/api/v1/config/history", kView, &A::configHistory},
      {"POST", "/api/v1/config/apply", kSsl, &A::configApply},
      {"POST", "/api/v1/config/rollback", kSsl, &A::configRollback},
      {"GET", "/api/v1/server-proxies", kView, &A::serverProxies},
      {"GET", "/api/v1/client-proxies", kView, &A::clientProxies},
      {"GET", "/api/v1/trust-stores", kView, &A::trustStores},
      {"GET", "/api/v1/decryption-policies", kView, &A::decryptionPolicies},
      {"GET", "/api/v1/profiles", kView, &A::profiles},
      {"GET", "/api/v1/exclusions", kView, &A::exclusions},
      {"POST", "/api/v1/exclusions", kSsl, &A::addExclusion},
      {"DELETE", "/api/v1/exclusions/{domain}", kSsl, &A::deleteExclusion},
      {"GET", "/api/v1/device/ssl", kView, &A::deviceSsl},
      {"GET", "/api/v1/certificates", kView, &A::certificates},
      {"POST", "/api/v1/certificates/signing", kX509, &A::newSigningCertificate},
      {"POST", "/api/v1/certificates/refresh", kX509, &A::refreshCertificates},
      {"POST", "/api/v1/certificates", kX509, &A::importCertificate},
      {"PUT", "/api/v1/certificates/{name}", kX509, &A::replaceCertificate},
      {"DELETE", "/api/v1/certificates/{name}", kX509, &A::deleteCertificate},
      {"POST", "/api/v1/certificates/{name}/export", kX509, &A::exportCertificate},
      {"POST", "/api/v1/certificates/{name}/key", kX509, &A::supplyKey},
      {"POST", "/api/v1/certificate-requests", kX509, &A::newCertificateRequest},
      {"GET", "/api/v1/certificate-requests/{name}", kView, &A::exportCertificateRequest},
      {"GET", "/api/v1/ca-certificates", kView, &A::caCertificates},
      {"POST", "/api/v1/ca-certificates", kX509, &A::importCaCertificate},
      {"DELETE", "/api/v1/ca-certificates/{name}", kX509, &A::deleteCaCertificate},
      {"GET", "/api/v1/device/management-certificate", kView, &A::managementCertificate},
      {"PUT", "/api/v1/device/management-certificate", kDevice, &A::replaceManagementCertificate},
      {"GET", "/api/v1/logs/{log}", kView, &A::logs},
      {"GET", "/api/v1/counters", kView, &A::counters},
      {"GET", "/api/v1/sessions", kView, &A::sessions},
  };
  return table;
}

}  // namespace vtps::mgmt
