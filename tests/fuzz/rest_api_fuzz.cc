// libFuzzer target for the management REST API's JSON request handling (appliance/mgmt/
// rest_api.h): arbitrary bytes as the body (or path) of a request to one of the routes,
// authenticated as an administrator so that every handler is reached (and, for keystore routes,
// the daemon's decoding of the body: keystore_ops.h). The API must never throw
// or crash, and must answer JSON with a status it documents.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "appliance/mgmt/keystore_ops.h"
#include "appliance/mgmt/rest_api.h"
#include "appliance/mgmt/state_paths.h"
#include "appliance/mgmt/user_store.h"

namespace {

using vtps::mgmt::RestJson;

constexpr const char* kRunning =
    "ssl:\n  server-proxies:\n    - {name: web1, destinations: [10.0.0.1/32], "
    "detection-ports: [\"443\"], certificates: [c1]}\n";

vtps::Result<RestJson> fakeDaemon(const RestJson& request) {
  const std::string method = request.value("method", std::string());
  if (method == "config-export" || method == "config-version") return RestJson{{"yaml", kRunning}};
  // The daemon decodes keystore request bodies with keystore_ops.h: fuzz that decoding too.
  if (method == "cert-import" || method == "cert-replace") {
    auto source = vtps::mgmt::certificateSourceFromJson(request);
    if (!source.ok()) return RestJson{{"error", source.message()}};
  }
  if (method == "cert-csr-new" || method == "cert-new-signing") {
    (void)vtps::mgmt::newCertificateRequestFromJson(request);
  }
  if (method == "cert-supply-key") {
    auto key = vtps::mgmt::bytesField(request, "key");
    if (!key.ok()) return RestJson{{"error", key.message()}};
  }
  return RestJson{{"ok", true}};
}

// The API's state (users, tokens, keystore) lives in a temp directory, removed when libFuzzer
// exits normally (its time or run limit); after a crash it stays, for inspection.
struct Fixture {
  std::string dir;
  std::string token;
  std::unique_ptr<vtps::mgmt::RestApi> api;
  Fixture() {
    char tmpl[] = "/tmp/vtps-rest-fuzz-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    dir = tmpl;
    vtps::mgmt::UserDb db;
    db.users.push_back({"admin", "administrator", "", vtps::mgmt::hashPassword("password1", 1)});
    vtps::mgmt::NewToken t = vtps::mgmt::makeToken("admin");
    db.tokens.push_back(t.record);
    token = t.secret;
    if (!vtps::mgmt::saveUserDb(vtps::mgmt::usersFile(tmpl), db).ok()) std::abort();
    api = std::make_unique<vtps::mgmt::RestApi>(
        vtps::mgmt::RestApiOptions{vtps::mgmt::usersFile(tmpl), tmpl, tmpl}, fakeDaemon);
  }
  ~Fixture() {
    api.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  static const auto routes = vtps::mgmt::RestApi::routes();
  if (size < 2) return 0;
  const auto& route = routes[data[0] % routes.size()];
  const bool fuzz_path = (data[1] & 1) != 0;
  std::string input(reinterpret_cast<const char*>(data + 2), size - 2);
  vtps::mgmt::RestRequest request;
  request.method = route.method;
  request.path = fuzz_path ? "/api/v1/" + input : route.pattern;
  request.body = fuzz_path ? std::string() : input;
  request.authorization = "Bearer " + fixture.token;
  request.peer = "127.0.0.1:1";
  vtps::mgmt::RestResponse response = fixture.api->handle(request);
  switch (response.status) {
    case 200:
    case 400:
    case 401:
    case 403:
    case 404:
    case 405:
    case 500:
    case 503:
      break;
    default:
      std::abort();
  }
  if (response.content_type == "application/json" &&
      RestJson::parse(response.body, nullptr, false).is_discarded()) {
    std::abort();
  }
  return 0;
}
