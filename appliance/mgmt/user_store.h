// Management users, custom roles, groups and API tokens: one JSON file (STATE_DIR/users.json,
// mode 0600) edited offline by `vtpsctl user|role|group|token …` and read by vtpsd's REST API on
// every request that authenticates (a change takes effect at once, no restart).
//
// Passwords are stored as "pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX" (16-byte random salt,
// 32-byte PBKDF2-HMAC-SHA256); tokens as the SHA-256 of the token, which is shown once when made.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/mgmt/rbac.h"
#include "crypto/result.h"

namespace vtps::mgmt {

inline constexpr int kPasswordIterations = 310000;
inline constexpr std::size_t kMinPasswordLength = 8;

struct User {
  std::string name;
  std::string role;
  std::string group;  // empty: no group limits
  std::string password_hash;
};

struct ApiToken {
  std::string id;  // the first 8 hex digits of the token's secret part: names it for revoking
  std::string user;
  std::string sha256;
  std::string created;
};

struct UserDb {
  std::vector<Role> roles;  // custom roles; the built-in ones are implied
  std::vector<Group> groups;
  std::vector<User> users;
  std::vector<ApiToken> tokens;

  const Role* role(std::string_view name) const;  // built-in or custom
  const Group* group(std::string_view name) const;
  const User* user(std::string_view name) const;
};

// Reads `path`; a missing file is an empty database. Errors name the file and the bad entry.
Result<UserDb> loadUserDb(const std::string& path);
// Writes atomically, mode 0600.
Status saveUserDb(const std::string& path, const UserDb& db);

std::string hashPassword(std::string_view password, int iterations = kPasswordIterations);
bool verifyPassword(std::string_view password, std::string_view encoded);
std::string sha256Hex(std::string_view text);

// A new token for `user`: the secret to show once ("vtps_" and 40 hex digits) and its record.
struct NewToken {
  std::string secret;
  ApiToken record;
};
NewToken makeToken(const std::string& user);

// The principal of a user, a password or a token; errors say why without saying which part of
// a credential was wrong.
Result<Principal> principalOf(const UserDb& db, const User& user);
Result<Principal> authenticatePassword(const UserDb& db, std::string_view user,
                                       std::string_view password);
Result<Principal> authenticateToken(const UserDb& db, std::string_view token);

// Edits shared by the CLI; each refuses with a message naming the object and the rule.
Status addUser(UserDb& db, User user, std::string_view password);
Status removeUser(UserDb& db, std::string_view name);
Status addRole(UserDb& db, Role role);
Status addGroup(UserDb& db, Group group);
Status revokeToken(UserDb& db, std::string_view id);

}  // namespace vtps::mgmt
