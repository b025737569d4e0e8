#include "appliance/mgmt/rest_client.h"

#include <httplib.h>

#include <cctype>

namespace vtps::mgmt {
namespace {

using Json = nlohmann::ordered_json;

struct RemoteRoute {
  std::string verb;
  std::string path;
  Json body;
};

// A path segment: certificate names may hold spaces.
std::string segment(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 0xf];
    }
  }
  return out;
}

// The request without "method" (and "name" when the route carries it in the path).
Json bodyOf(const Json& request, bool drop_name) {
  Json body = request;
  body.erase("method");
  if (drop_name) body.erase("name");
  return body;
}

std::optional<RemoteRoute> certificateRoute(const std::string& method, const Json& request) {
  const std::string at = "/api/v1/certificates/" + segment(request.value("name", std::string()));
  if (method == "cert-supply-key") return RemoteRoute{"POST", at + "/key", bodyOf(request, true)};
  if (method == "cert-export") return RemoteRoute{"POST", at + "/export", bodyOf(request, true)};
  if (method == "cert-replace") return RemoteRoute{"PUT", at, bodyOf(request, true)};
  if (method == "cert-delete") return RemoteRoute{"DELETE", at, nullptr};
  if (method == "cert-import") {
    return RemoteRoute{"POST", "/api/v1/certificates", bodyOf(request, false)};
  }
  if (method == "cert-new-signing") {
    return RemoteRoute{"POST", "/api/v1/certificates/signing", bodyOf(request, false)};
  }
  if (method == "cert-csr-new") {
    return RemoteRoute{"POST", "/api/v1/certificate-requests", bodyOf(request, false)};
  }
  if (method == "cert-csr-export") {
    return RemoteRoute{
        "GET", "/api/v1/certificate-requests/" + segment(request.value("name", std::string())),
        nullptr};
  }
  if (method == "cert-refresh") return RemoteRoute{"POST", "/api/v1/certificates/refresh", nullptr};
  return std::nullopt;
}

std::optional<RemoteRoute> routeFor(const Json& request) {
  const std::string method = request.value("method", std::string());
  if (method.starts_with("cert-") && method != "cert-list")
    return certificateRoute(method, request);
  if (method == "status") return RemoteRoute{"GET", "/api/v1/status", nullptr};
  if (method == "sessions") return RemoteRoute{"GET", "/api/v1/sessions", nullptr};
  if (method == "config-export") return RemoteRoute{"GET", "/api/v1/config/running", nullptr};
  if (method == "config-history") return RemoteRoute{"GET", "/api/v1/config/history", nullptr};
  if (method == "cert-list") return RemoteRoute{"GET", "/api/v1/certificates", nullptr};
  if (method == "ca-list") return RemoteRoute{"GET", "/api/v1/ca-certificates", nullptr};
  if (method == "ca-import") {
    return RemoteRoute{"POST", "/api/v1/ca-certificates", bodyOf(request, false)};
  }
  if (method == "ca-delete") {
    return RemoteRoute{"DELETE",
                       "/api/v1/ca-certificates/" + segment(request.value("name", std::string())),
                       nullptr};
  }
  if (method == "counters") {
    std::string group = request.value("group", std::string());
    return RemoteRoute{
        "GET",
        "/api/v1/counters" +
            (group.empty() ? "" : "?group=" + httplib::detail::encode_query_param(group)),
        nullptr};
  }
  if (method == "logs") {
    std::string path = "/api/v1/logs/" + segment(request.value("log", std::string())) +
                       "?offset=" + std::to_string(request.value("offset", size_t{0})) +
                       "&limit=" + std::to_string(request.value("limit", size_t{100}));
    const Json where = request.value("where", Json::object());
    for (const auto& [field, value] : where.items()) {
      path += "&" + segment(field) + "=" + segment(value.get<std::string>());
    }
    return RemoteRoute{"GET", path, nullptr};
  }
  if (method == "apply") {
    return RemoteRoute{"POST", "/api/v1/config/apply",
                       Json{{"yaml", request.value("yaml", std::string())},
                            {"file", request.value("file", std::string("<remote>"))}}};
  }
  if (method == "rollback") {
    return RemoteRoute{"POST", "/api/v1/config/rollback",
                       Json{{"steps", request.value("steps", 1)}}};
  }
  return std::nullopt;
}

}  // namespace

Result<Json> callRemote(const RemoteOptions& remote, const Json& request) {
  auto route = routeFor(request);
  if (!route) {
    return makeError("'" + request.value("method", std::string()) +
                     "' is not available through the REST API (--remote); run it on the appliance");
  }
  httplib::Client client(remote.url);
  if (!client.is_valid()) return makeError("remote " + remote.url + ": not an https:// URL");
  client.enable_server_certificate_verification(true);
  if (!remote.ca_file.empty()) client.set_ca_cert_path(remote.ca_file.c_str());
  client.set_bearer_token_auth(remote.token.c_str());
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(60, 0);
  const std::string payload = route->body.is_null() ? std::string() : route->body.dump();
  httplib::Result result =
      route->verb == "GET"      ? client.Get(route->path.c_str())
      : route->verb == "PUT"    ? client.Put(route->path.c_str(), payload, "application/json")
      : route->verb == "DELETE" ? client.Delete(route->path.c_str())
                                : client.Post(route->path.c_str(), payload, "application/json");
  if (!result) {
    std::string why = httplib::to_string(result.error());
    if (result.error() == httplib::Error::SSLServerVerification) {
      why += " (pass the appliance's management certificate with --remote-ca)";
    }
    return makeError("remote " + remote.url + route->path + ": " + why);
  }
  Json body = Json::parse(result->body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return makeError("remote " + remote.url + route->path + ": HTTP " +
                     std::to_string(result->status) + " without a JSON object");
  }
  // The REST API words a refused apply as "config apply refused: …", which vtpsctl adds itself.
  constexpr std::string_view kApplyPrefix = "config apply refused: ";
  if (body.contains("error") && body.at("error").is_string()) {
    std::string error = body.at("error").get<std::string>();
    if (error.starts_with(kApplyPrefix)) body["error"] = error.substr(kApplyPrefix.size());
  }
  return body;
}

}  // namespace vtps::mgmt
