// The REST API over real HTTPS in-process (127.0.0.1, port 0, temp state directory): the
// authorization matrix (every role against every route), the OpenAPI document against the route
// table, group limits on apply, and the minimum TLS version. vtpsd's control methods are stood in
// for by a function, so what is tested is the API's own decisions; tests/e2e/mgmt_rest.sh drives
// the real daemon.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "appliance/mgmt/rest_server.h"
#include "appliance/mgmt/state_paths.h"
#include "appliance/mgmt/user_store.h"
#include "crypto/file_util.h"

namespace vtps::mgmt {
namespace {

using Json = RestJson;

constexpr const char* kRunning = R"(ssl:
  server-proxies:
    - {name: web1, destinations: [10.0.0.1/32], detection-ports: ["443"], certificates: [c1]}
    - {name: web2, destinations: [10.0.0.2/32], detection-ports: ["443"], certificates: [c2]}
profiles:
  - name: default
    ssl-server-policies:
      - {name: p1, server-proxy: web1}
      - {name: p2, server-proxy: web2}
)";

// Answers like vtpsd's control methods, enough for the API to do its part.
Result<Json> fakeDaemon(const Json& request) {
  const std::string method = request.at("method").get<std::string>();
  if (method == "config-export" || method == "config-version") return Json{{"yaml", kRunning}};
  if (method == "apply" && request.at("yaml").get<std::string>().find("bad") != std::string::npos) {
    return Json{{"error", "f.yaml: 1 error; first: f.yaml:1:1: error: bad"}};
  }
  return Json{{"ok", true}, {"method", method}};
}

struct Account {
  std::string role;
  uint32_t capabilities;
  std::string token;
};

class RestApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vtps-rest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    UserDb db;
    using C = Capability;
    const std::vector<std::pair<std::string, uint32_t>> custom{
        {"ssl-ops", static_cast<uint32_t>(C::kSslInspectionManagement)},
        {"ssl-locker", static_cast<uint32_t>(C::kSslInspectionManagement) |
                           static_cast<uint32_t>(C::kLockSslFilter)},
        {"cert-admin", static_cast<uint32_t>(C::kAdminX509)},
        {"device-cert", static_cast<uint32_t>(C::kDeviceX509)},
    };
    for (const auto& [name, caps] : custom)
      ASSERT_TRUE(addRole(db, Role{name, caps}).ok());
    ASSERT_TRUE(addGroup(db, Group{"web1-only", std::vector<std::string>{"web1"}, std::nullopt,
                                   std::nullopt, std::nullopt, std::nullopt})
                    .ok());
    for (const std::string role :
         {"administrator", "viewer", "ssl-ops", "ssl-locker", "cert-admin", "device-cert"}) {
      db.users.push_back(User{"u-" + role, role, "", hashPassword("password1", 1000)});
      NewToken t = makeToken("u-" + role);
      db.tokens.push_back(t.record);
      accounts_.push_back({role, db.role(role)->capabilities, t.secret});
    }
    db.users.push_back(User{"web1-user", "ssl-ops", "web1-only", hashPassword("password1", 1000)});
    NewToken t = makeToken("web1-user");
    db.tokens.push_back(t.record);
    group_token_ = t.secret;
    ASSERT_TRUE(saveUserDb(usersFile(root_), db).ok());
    server_ = start(config::TlsVersion::kTls12);
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(root_);
  }

  std::unique_ptr<RestServer> start(config::TlsVersion min_tls) {
    RestServerOptions o;
    o.listen = "127.0.0.1:0";
    o.min_tls = min_tls;
    o.state_dir = root_;
    o.log_dir = root_;
    auto s = RestServer::create(o, fakeDaemon);
    EXPECT_TRUE(s.ok()) << s.message();
    return s.ok() ? std::move(*s) : nullptr;
  }

  httplib::Client client(uint16_t port) const {
    httplib::Client c("https://127.0.0.1:" + std::to_string(port));
    c.enable_server_certificate_verification(true);
    c.set_ca_cert_path(managementCertFile(root_).c_str());
    return c;
  }

  httplib::Result send(const std::string& method, const std::string& path, const Json& body,
                       const std::string& token) {
    httplib::Client c = client(server_->port());
    if (!token.empty()) c.set_bearer_token_auth(token.c_str());
    std::string text = body.is_null() ? std::string() : body.dump();
    if (method == "GET") return c.Get(path.c_str());
    if (method == "POST") return c.Post(path.c_str(), text, "application/json");
    if (method == "PUT") return c.Put(path.c_str(), text, "application/json");
    return c.Delete(path.c_str());
  }

  std::string root_;
  std::vector<Account> accounts_;
  std::string group_token_;
  std::unique_ptr<RestServer> server_;
};

std::string concrete(std::string pattern) {
  for (const auto& [param, value] : {std::pair{"{name}", "x"}, std::pair{"{log}", "ssl"},
                                     std::pair{"{domain}", "x.example.com"}}) {
    auto at = pattern.find(param);
    if (at != std::string::npos) pattern.replace(at, std::string(param).size(), value);
  }
  return pattern;
}

Json bodyFor(const RestRouteInfo& r) {
  if (r.pattern == "/api/v1/config/apply") return Json{{"yaml", kRunning}};
  if (r.pattern == "/api/v1/config/rollback") return Json{{"steps", 1}};
  if (r.method == "POST" || r.method == "PUT") return Json{{"name", "x"}};
  return nullptr;
}

TEST_F(RestApiTest, EveryRoleIsAllowedExactlyTheRoutesItsCapabilitiesCover) {
  ASSERT_EQ(accounts_.size(), 6u);
  int checked = 0;
  for (const RestRouteInfo& route : RestApi::routes()) {
    const std::string path = concrete(route.pattern);
    auto anonymous = send(route.method, path, bodyFor(route), "");
    ASSERT_TRUE(anonymous) << route.method << " " << path;
    EXPECT_EQ(anonymous->status, route.needs ? 401 : 200) << route.method << " " << path;
    for (const Account& a : accounts_) {
      auto r = send(route.method, path, bodyFor(route), a.token);
      ASSERT_TRUE(r) << route.method << " " << path;
      bool allowed = !route.needs || (a.capabilities & static_cast<uint32_t>(*route.needs)) != 0;
      if (allowed) {
        EXPECT_NE(r->status, 401) << a.role << " " << route.method << " " << path << r->body;
        EXPECT_NE(r->status, 403) << a.role << " " << route.method << " " << path << r->body;
      } else {
        EXPECT_EQ(r->status, 403) << a.role << " " << route.method << " " << path;
        EXPECT_EQ(Json::parse(r->body).at("error").get<std::string>(),
                  "user u-" + a.role + " (role " + a.role + ") lacks the " +
                      std::string(capabilityName(*route.needs)) + " capability");
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(RestApi::routes().size() * accounts_.size()));
}

TEST_F(RestApiTest, OpenApiDocumentListsExactlyTheRoutesWithTheirCapabilities) {
  auto r = send("GET", "/api/v1/openapi.json", nullptr, "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  Json doc = Json::parse(r->body);
  EXPECT_EQ(doc.at("openapi"), "3.0.3");
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc.at("paths").items()) {
    for (const auto& [verb, op] : ops.items()) {
      std::string method = verb;
      for (char& ch : method)
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.insert(method + " " + path + " " + op.value("x-vtps-capability", "-"));
    }
  }
  std::set<std::string> routed;
  for (const RestRouteInfo& route : RestApi::routes()) {
    routed.insert(route.method + " " + route.pattern + " " +
                  (route.needs ? std::string(capabilityName(*route.needs)) : "-"));
  }
  EXPECT_EQ(documented, routed);
}

TEST_F(RestApiTest, GroupMemberMayApplyChangesOnlyToTheGroupsProxies) {
  std::string web2_changed = kRunning;
  web2_changed.replace(web2_changed.find("10.0.0.2/32"), 11, "10.0.0.9/32");
  auto denied = send("POST", "/api/v1/config/apply", Json{{"yaml", web2_changed}}, group_token_);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(Json::parse(denied->body).at("error"),
            "user web1-user (role ssl-ops) may not change server proxy \"web2\": group web1-only "
            "does not include it");
  std::string web1_changed = kRunning;
  web1_changed.replace(web1_changed.find("10.0.0.1/32"), 11, "10.0.0.8/32");
  auto allowed = send("POST", "/api/v1/config/apply", Json{{"yaml", web1_changed}}, group_token_);
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200) << allowed->body;
  // The group's view hides what it may not touch.
  auto list = send("GET", "/api/v1/server-proxies", nullptr, group_token_);
  ASSERT_TRUE(list);
  Json proxies = Json::parse(list->body).at("server-proxies");
  ASSERT_EQ(proxies.size(), 1u);
  EXPECT_EQ(proxies[0].at("name"), "web1");
}

TEST_F(RestApiTest, RefusalsAreJsonWithTheDaemonsWords) {
  auto r = send("POST", "/api/v1/config/apply", Json{{"yaml", "bad: 1\n"}, {"file", "f.yaml"}},
                accounts_[0].token);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Json::parse(r->body).at("error"),
            "config apply refused: f.yaml: 1 error; first: f.yaml:1:1: error: bad");
  auto junk = send("POST", "/api/v1/config/apply", nullptr, accounts_[0].token);
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->status, 400);
  EXPECT_EQ(Json::parse(junk->body).at("error"), "apply needs \"yaml\" (the config text)");
  auto unknown = send("GET", "/api/v1/nothing", nullptr, accounts_[0].token);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Json::parse(unknown->body).at("error"), "no such resource: /api/v1/nothing");
  httplib::Client c = client(server_->port());
  c.set_basic_auth("u-viewer", "wrong-password");
  auto basic = c.Get("/api/v1/status");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
  EXPECT_EQ(Json::parse(basic->body).at("error"),
            "authentication failed: unknown user or wrong password");
  c.set_basic_auth("u-viewer", "password1");
  auto good = c.Get("/api/v1/status");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
}

// The refusals themselves (the CLI's words) are checked against a real vtpsd by e2e mgmt_rest.
TEST_F(RestApiTest, ExclusionRoutesRunTheDaemonsExclusionMethods) {
  auto add =
      send("POST", "/api/v1/exclusions", Json{{"domain", "a.example.com"}}, accounts_[0].token);
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 200);
  EXPECT_EQ(Json::parse(add->body).at("method"), "exclusion-add");
  auto del = send("DELETE", "/api/v1/exclusions/a.example.com", nullptr, accounts_[0].token);
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  EXPECT_EQ(Json::parse(del->body).at("method"), "exclusion-delete");
}

// Each certificate route runs its keystore control method with the path's name and the body's
// fields; the daemon's answers (and the shared words) are checked by e2e cert_keys_rest.
TEST_F(RestApiTest, CertificateRoutesRunTheDaemonsKeystoreMethods) {
  struct Case {
    std::string verb, path;
    Json body;
    std::string method;
  };
  const std::vector<Case> cases{
      {"POST", "/api/v1/certificates", Json{{"name", "web 1"}, {"cert", "PEM"}}, "cert-import"},
      {"PUT", "/api/v1/certificates/web%201", Json{{"cert", "PEM"}}, "cert-replace"},
      {"POST", "/api/v1/certificates/web%201/export", Json{{"with_key", true}}, "cert-export"},
      {"POST", "/api/v1/certificates/web%201/key", Json{{"key", "PEM"}}, "cert-supply-key"},
      {"POST", "/api/v1/certificate-requests", Json{{"name", "web 1"}, {"cn", "w"}},
       "cert-csr-new"},
      {"GET", "/api/v1/certificate-requests/web%201", nullptr, "cert-csr-export"},
  };
  std::vector<Json> seen;
  RestServerOptions o;
  o.listen = "127.0.0.1:0";
  o.state_dir = root_;
  o.log_dir = root_;
  auto recording = RestServer::create(o, [&seen](const Json& request) -> Result<Json> {
    seen.push_back(request);
    return Json{{"ok", true}};
  });
  ASSERT_TRUE(recording.ok()) << recording.message();
  for (const Case& k : cases) {
    httplib::Client c = client((*recording)->port());
    c.set_bearer_token_auth(accounts_[0].token.c_str());  // administrator
    const std::string text = k.body.is_null() ? std::string() : k.body.dump();
    auto r = k.verb == "GET"   ? c.Get(k.path.c_str())
             : k.verb == "PUT" ? c.Put(k.path.c_str(), text, "application/json")
                               : c.Post(k.path.c_str(), text, "application/json");
    ASSERT_TRUE(r) << k.path;
    EXPECT_EQ(r->status, 200) << k.verb << " " << k.path << " " << r->body;
    ASSERT_FALSE(seen.empty()) << k.path;
    const Json& sent = seen.back();
    EXPECT_EQ(sent.at("method"), k.method) << k.path;
    EXPECT_EQ(sent.at("name"), "web 1") << k.path;
    EXPECT_EQ(sent.value("actor", std::string()).rfind("user u-administrator via REST", 0), 0u)
        << k.path;
    if (!k.body.is_null() && k.body.contains("cert")) {
      EXPECT_EQ(sent.at("cert"), "PEM");
    }
    if (!k.body.is_null() && k.body.contains("key")) {
      EXPECT_EQ(sent.at("key"), "PEM");
    }
  }
}

// A replaced management certificate is served from the next connection, without a restart.
TEST_F(RestApiTest, ReplacedManagementCertificateIsServedWithoutARestart) {
  char tmpl[] = "/tmp/vtps-rest-new-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string other = tmpl;
  ASSERT_TRUE(ensureManagementCertificate(other).ok());
  auto cert = crypto::readFile(managementCertFile(other));
  auto key = crypto::readFile(managementKeyFile(other));
  ASSERT_TRUE(cert.ok() && key.ok());
  const std::string old_copy = other + "/old-cert.pem";
  std::filesystem::copy_file(managementCertFile(root_), old_copy);
  auto r = send("PUT", "/api/v1/device/management-certificate",
                Json{{"certificate", *cert}, {"key", *key}}, accounts_[0].token);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  httplib::Client trusts_new("https://127.0.0.1:" + std::to_string(server_->port()));
  trusts_new.enable_server_certificate_verification(true);
  trusts_new.set_ca_cert_path(managementCertFile(other).c_str());
  auto fresh = trusts_new.Get("/api/v1/openapi.json");
  ASSERT_TRUE(fresh) << httplib::to_string(fresh.error());
  EXPECT_EQ(fresh->status, 200);
  httplib::Client trusts_old("https://127.0.0.1:" + std::to_string(server_->port()));
  trusts_old.enable_server_certificate_verification(true);
  trusts_old.set_ca_cert_path(old_copy.c_str());
  EXPECT_FALSE(trusts_old.Get("/api/v1/openapi.json"));
  std::filesystem::remove_all(other);
}

// Whether a TLS handshake with at most `max_version` succeeds against 127.0.0.1:port.
bool handshakes(uint16_t port, int max_version) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  bool ok = SSL_connect(ssl) == 1;
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return ok;
}

TEST_F(RestApiTest, MinimumTlsVersionIsEnforcedAndFollowsTheConfig) {
  EXPECT_TRUE(handshakes(server_->port(), TLS1_2_VERSION));
  EXPECT_FALSE(handshakes(server_->port(), TLS1_1_VERSION));
  EXPECT_FALSE(handshakes(server_->port(), TLS1_VERSION));
  auto tls13 = start(config::TlsVersion::kTls13);
  ASSERT_TRUE(tls13);
  EXPECT_FALSE(handshakes(tls13->port(), TLS1_2_VERSION));
  EXPECT_TRUE(handshakes(tls13->port(), TLS1_3_VERSION));
  auto tls11 = start(config::TlsVersion::kTls11);
  ASSERT_TRUE(tls11);
  EXPECT_TRUE(handshakes(tls11->port(), TLS1_1_VERSION));
  EXPECT_FALSE(handshakes(tls11->port(), TLS1_VERSION));
}

TEST_F(RestApiTest, ManagementCertificateIsMadeOnceAndKept) {
  std::string cert = managementCertFile(root_);
  auto again = ensureManagementCertificate(root_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // SetUp's server made it
  std::filesystem::remove(cert);
  auto made = ensureManagementCertificate(root_);
  ASSERT_TRUE(made.ok());
  EXPECT_TRUE(*made);
  EXPECT_EQ(
      std::filesystem::status(managementKeyFile(root_)).permissions() & std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace
}  // namespace vtps::mgmt
