#include "appliance/mgmt/user_store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "appliance/telemetry/json_log.h"
#include "crypto/file_util.h"
#include "crypto/ossl.h"

namespace vtps::mgmt {
namespace {

using Json = nlohmann::ordered_json;

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xf];
  }
  return out;
}

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) std::abort();  // no entropy
  return hex(buf.data(), buf.size());
}

std::string pbkdf2(std::string_view password, std::string_view salt, int iterations) {
  unsigned char out[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof out, out);
  return hex(out, sizeof out);
}

bool sameText(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool validName(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
             std::string_view::npos;
}

void optionalList(const Json& j, const char* key, std::optional<std::vector<std::string>>& out) {
  if (j.contains(key)) out = j.at(key).get<std::vector<std::string>>();
}

void putList(Json& j, const char* key, const std::optional<std::vector<std::string>>& list) {
  if (list) j[key] = *list;
}

Result<UserDb> parseDb(const Json& j) {
  UserDb db;
  for (const auto& r : j.value("roles", Json::array())) {
    Role role{r.at("name").get<std::string>(), 0};
    for (const auto& c : r.at("capabilities")) {
      auto cap = parseCapability(c.get<std::string>());
      if (!cap) return makeError("role " + role.name + ": unknown capability " + c.dump());
      role.capabilities |= static_cast<uint32_t>(*cap);
    }
    VTPS_RETURN_IF_ERROR(addRole(db, std::move(role)));
  }
  for (const auto& g : j.value("groups", Json::array())) {
    Group group{g.at("name").get<std::string>(), {}, {}, {}, {}, {}};
    optionalList(g, "server-proxies", group.server_proxies);
    optionalList(g, "client-proxies", group.client_proxies);
    optionalList(g, "decryption-policies", group.decryption_policies);
    optionalList(g, "profiles", group.profiles);
    optionalList(g, "devices", group.devices);
    VTPS_RETURN_IF_ERROR(addGroup(db, std::move(group)));
  }
  for (const auto& u : j.value("users", Json::array())) {
    db.users.push_back({u.at("name").get<std::string>(), u.at("role").get<std::string>(),
                        u.value("group", std::string()), u.at("password").get<std::string>()});
  }
  for (const auto& t : j.value("tokens", Json::array())) {
    db.tokens.push_back({t.at("id").get<std::string>(), t.at("user").get<std::string>(),
                         t.at("sha256").get<std::string>(), t.value("created", std::string())});
  }
  return db;
}

}  // namespace

const Role* UserDb::role(std::string_view name) const {
  for (const Role& r : builtinRoles()) {
    if (r.name == name) return &r;
  }
  for (const Role& r : roles) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const Group* UserDb::group(std::string_view name) const {
  for (const Group& g : groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

const User* UserDb::user(std::string_view name) const {
  for (const User& u : users) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

Result<UserDb> loadUserDb(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return UserDb{};
  auto text = crypto::readFile(path);
  if (!text.ok()) return text.error();
  try {
    auto db = parseDb(Json::parse(*text));
    if (!db.ok()) return makeError("users file " + path + ": " + db.message());
    return db;
  } catch (const nlohmann::json::exception& e) {
    return makeError("users file " + path + ": " + e.what());
  }
}

Status saveUserDb(const std::string& path, const UserDb& db) {
  Json j{{"roles", Json::array()},
         {"groups", Json::array()},
         {"users", Json::array()},
         {"tokens", Json::array()}};
  for (const Role& r : db.roles)
    j["roles"].push_back(Json{{"name", r.name}, {"capabilities", capabilityNames(r.capabilities)}});
  for (const Group& g : db.groups) {
    Json group{{"name", g.name}};
    putList(group, "server-proxies", g.server_proxies);
    putList(group, "client-proxies", g.client_proxies);
    putList(group, "decryption-policies", g.decryption_policies);
    putList(group, "profiles", g.profiles);
    putList(group, "devices", g.devices);
    j["groups"].push_back(std::move(group));
  }
  for (const User& u : db.users) {
    Json user{{"name", u.name}, {"role", u.role}, {"password", u.password_hash}};
    if (!u.group.empty()) user["group"] = u.group;
    j["users"].push_back(std::move(user));
  }
  for (const ApiToken& t : db.tokens) {
    j["tokens"].push_back(
        Json{{"id", t.id}, {"user", t.user}, {"sha256", t.sha256}, {"created", t.created}});
  }
  return crypto::writeFileAtomic(path, j.dump(2) + "\n", 0600);
}

std::string hashPassword(std::string_view password, int iterations) {
  std::string salt = randomHex(16);
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + salt + "$" +
         pbkdf2(password, salt, iterations);
}

bool verifyPassword(std::string_view password, std::string_view encoded) {
  constexpr std::string_view kScheme = "pbkdf2-sha256$";
  if (!encoded.starts_with(kScheme)) return false;
  std::string rest(encoded.substr(kScheme.size()));
  std::size_t a = rest.find('$');
  std::size_t b = a == std::string::npos ? a : rest.find('$', a + 1);
  if (b == std::string::npos || a == 0 || a > 9) return false;
  if (rest.substr(0, a).find_first_not_of("0123456789") != std::string::npos) return false;
  int iterations = std::stoi(rest.substr(0, a));
  if (iterations < 1) return false;
  return sameText(pbkdf2(password, rest.substr(a + 1, b - a - 1), iterations), rest.substr(b + 1));
}

std::string sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  return hex(digest, size);
}

NewToken makeToken(const std::string& user) {
  NewToken t;
  std::string secret = randomHex(20);
  t.secret = "vtps_" + secret;
  t.record = {secret.substr(0, 8), user, sha256Hex(t.secret),
              telemetry::rfc3339Utc(telemetry::nowUnixMs())};
  return t;
}

Result<Principal> principalOf(const UserDb& db, const User& user) {
  const Role* role = db.role(user.role);
  if (role == nullptr)
    return makeError("user " + user.name + ": role " + user.role + " is not defined");
  Principal p{user.name, role->name, role->capabilities, std::nullopt};
  if (!user.group.empty()) {
    const Group* group = db.group(user.group);
    if (group == nullptr) {
      return makeError("user " + user.name + ": group " + user.group + " is not defined");
    }
    p.group = *group;
  }
  return p;
}

Result<Principal> authenticatePassword(const UserDb& db, std::string_view user,
                                       std::string_view password) {
  const User* u = db.user(user);
  if (u == nullptr || !verifyPassword(password, u->password_hash)) {
    return makeError("authentication failed: unknown user or wrong password");
  }
  return principalOf(db, *u);
}

Result<Principal> authenticateToken(const UserDb& db, std::string_view token) {
  std::string digest = sha256Hex(token);
  for (const ApiToken& t : db.tokens) {
    if (!sameText(t.sha256, digest)) continue;
    const User* u = db.user(t.user);
    if (u == nullptr) break;
    return principalOf(db, *u);
  }
  return makeError("authentication failed: unknown or revoked token");
}

Status addUser(UserDb& db, User user, std::string_view password) {
  if (!validName(user.name)) {
    return makeError("user name \"" + user.name + "\": 1 to 64 letters, digits, '.', '_' or '-'");
  }
  if (db.user(user.name) != nullptr) return makeError("user " + user.name + " already exists");
  if (db.role(user.role) == nullptr) return makeError("role " + user.role + " is not defined");
  if (!user.group.empty() && db.group(user.group) == nullptr) {
    return makeError("group " + user.group + " is not defined");
  }
  if (password.size() < kMinPasswordLength) {
    return makeError("password for " + user.name + ": at least " +
                     std::to_string(kMinPasswordLength) + " characters");
  }
  user.password_hash = hashPassword(password);
  db.users.push_back(std::move(user));
  return {};
}

Status removeUser(UserDb& db, std::string_view name) {
  auto it =
      std::find_if(db.users.begin(), db.users.end(), [&](const User& u) { return u.name == name; });
  if (it == db.users.end()) return makeError("user " + std::string(name) + " does not exist");
  db.users.erase(it);
  std::erase_if(db.tokens, [&](const ApiToken& t) { return t.user == name; });
  return {};
}

Status addRole(UserDb& db, Role role) {
  if (!validName(role.name)) {
    return makeError("role name \"" + role.name + "\": 1 to 64 letters, digits, '.', '_' or '-'");
  }
  for (const Role& r : builtinRoles()) {
    if (r.name == role.name) {
      return makeError("role " + role.name + " is built in and cannot be changed");
    }
  }
  if (db.role(role.name) != nullptr) return makeError("role " + role.name + " already exists");
  // Every role can at least read: a role that can change objects it cannot see is no use.
  role.capabilities |= static_cast<uint32_t>(Capability::kView);
  db.roles.push_back(std::move(role));
  return {};
}

Status addGroup(UserDb& db, Group group) {
  if (!validName(group.name)) {
    return makeError("group name \"" + group.name + "\": 1 to 64 letters, digits, '.', '_' or '-'");
  }
  if (db.group(group.name) != nullptr) return makeError("group " + group.name + " already exists");
  db.groups.push_back(std::move(group));
  return {};
}

Status revokeToken(UserDb& db, std::string_view id) {
  auto before = db.tokens.size();
  std::erase_if(db.tokens, [&](const ApiToken& t) { return t.id == id; });
  if (db.tokens.size() == before) return makeError("token " + std::string(id) + " does not exist");
  return {};
}

}  // namespace vtps::mgmt
