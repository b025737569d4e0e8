// The management REST API's request handling, independent of HTTP transport (rest_server.h
// serves it over HTTPS; the fuzzer and unit tests call it directly). Every route names the
// capability it needs; writes go through vtpsd's control methods — the same code `vtpsctl` uses
// over the control socket — so the API refuses bad input with the CLI's words. Errors are JSON:
// {"error": MESSAGE} (plus "diagnostics" for a refused config). The routes are documented by
// openApiDocument(); a test keeps the two equal.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/mgmt/rbac.h"
#include "crypto/result.h"

namespace vtps::mgmt {

using RestJson = nlohmann::ordered_json;

// Runs one control method in vtpsd and returns its answer ({"error": …} included); an Error
// when vtpsd could not be asked.
using ControlCall = std::function<Result<RestJson>(const RestJson& request)>;

struct RestRequest {
  std::string method;  // "GET", "POST", "PUT", "DELETE"
  std::string path;    // "/api/v1/certificates/web1" (percent-decoded)
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string authorization;  // the Authorization header
  std::string peer;           // "ADDRESS:PORT", for the audit log
};

struct RestResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

struct RestApiOptions {
  std::string users_file;  // STATE_DIR/users.json
  std::string log_dir;     // device.log-dir, for /logs
  std::string state_dir;   // the management certificate lives here
};

// One route: METHOD and a path pattern whose {param} segments match one path segment.
struct RestRouteInfo {
  std::string method;
  std::string pattern;
  std::optional<Capability> needs;  // none: no authentication (the OpenAPI document)
};

class RestApi {
 public:
  RestApi(RestApiOptions options, ControlCall control);
  RestResponse handle(const RestRequest& request) const;
  static std::vector<RestRouteInfo> routes();

  struct Call;
  using Handler = RestResponse (RestApi::*)(const Call&) const;

 private:
  friend struct RestRouteTable;

  RestResponse status(const Call& c) const;
  RestResponse configRunning(const Call& c) const;
  RestResponse configDisplay(const Call& c) const;
  RestResponse configHistory(const Call& c) const;
  RestResponse configApply(const Call& c) const;
  RestResponse configRollback(const Call& c) const;
  RestResponse serverProxies(const Call& c) const;
  RestResponse clientProxies(const Call& c) const;
  RestResponse trustStores(const Call& c) const;
  RestResponse decryptionPolicies(const Call& c) const;
  RestResponse profiles(const Call& c) const;
  RestResponse exclusions(const Call& c) const;
  RestResponse addExclusion(const Call& c) const;
  RestResponse deleteExclusion(const Call& c) const;
  RestResponse deviceSsl(const Call& c) const;
  RestResponse certificates(const Call& c) const;
  RestResponse newSigningCertificate(const Call& c) const;
  RestResponse importCertificate(const Call& c) const;
  RestResponse replaceCertificate(const Call& c) const;
  RestResponse exportCertificate(const Call& c) const;
  RestResponse supplyKey(const Call& c) const;
  RestResponse newCertificateRequest(const Call& c) const;
  RestResponse exportCertificateRequest(const Call& c) const;
  RestResponse deleteCertificate(const Call& c) const;
  RestResponse refreshCertificates(const Call& c) const;
  RestResponse caCertificates(const Call& c) const;
  RestResponse importCaCertificate(const Call& c) const;
  RestResponse deleteCaCertificate(const Call& c) const;
  RestResponse managementCertificate(const Call& c) const;
  RestResponse replaceManagementCertificate(const Call& c) const;
  RestResponse logs(const Call& c) const;
  RestResponse counters(const Call& c) const;
  RestResponse sessions(const Call& c) const;
  RestResponse openApi(const Call& c) const;

  // Forwards a control request (with the caller as "actor") and maps {"error"} to 400.
  RestResponse forward(const Call& c, RestJson request, const std::string& error_prefix = {}) const;
  // The running config, parsed; an error response when it cannot be had.
  Result<RestJson> ask(const RestJson& request) const;
  RestResponse authorizedApply(const Call& c, const std::string& yaml, RestJson request,
                               const std::string& error_prefix) const;

  RestApiOptions options_;
  ControlCall control_;
};

// {"error": message} with `status`.
RestResponse errorResponse(int status, const std::string& message);

// The OpenAPI 3.0 document served at /api/v1/openapi.json.
std::string_view openApiDocument();

}  // namespace vtps::mgmt
