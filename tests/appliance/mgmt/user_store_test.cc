#include "appliance/mgmt/user_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

namespace vtps::mgmt {
namespace {

TEST(PasswordHashTest, VerifiesOnlyTheRightPasswordWithAFreshSalt) {
  std::string a = hashPassword("correct horse", 1000);
  std::string b = hashPassword("correct horse", 1000);
  EXPECT_EQ(a.rfind("pbkdf2-sha256$1000$", 0), 0u) << a;
  EXPECT_NE(a, b);  // the salt differs
  EXPECT_TRUE(verifyPassword("correct horse", a));
  EXPECT_TRUE(verifyPassword("correct horse", b));
  EXPECT_FALSE(verifyPassword("correct horsE", a));
  EXPECT_FALSE(verifyPassword("", a));
  EXPECT_FALSE(verifyPassword("correct horse", "plain"));
  EXPECT_FALSE(verifyPassword("correct horse", "pbkdf2-sha256$x$00$00"));
}

TEST(ApiTokenTest, StoresOnlyTheDigestAndAuthenticatesTheSecret) {
  UserDb db;
  ASSERT_TRUE(addUser(db, User{"bob", "viewer", "", ""}, "password1").ok());
  NewToken t = makeToken("bob");
  EXPECT_EQ(t.secret.rfind("vtps_", 0), 0u);
  EXPECT_EQ(t.secret.size(), 45u);
  EXPECT_EQ(t.record.sha256, sha256Hex(t.secret));
  EXPECT_EQ(t.record.sha256.find(t.secret.substr(5)), std::string::npos);
  db.tokens.push_back(t.record);
  auto p = authenticateToken(db, t.secret);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->user, "bob");
  EXPECT_EQ(p->capabilities, static_cast<uint32_t>(Capability::kView));
  auto wrong = authenticateToken(db, t.secret + "x");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.message(), "authentication failed: unknown or revoked token");
  ASSERT_TRUE(revokeToken(db, t.record.id).ok());
  EXPECT_FALSE(authenticateToken(db, t.secret).ok());
}

TEST(UserDbTest, BuiltInRolesCannotBeRedefined) {
  UserDb db;
  Status st = addRole(db, Role{"administrator", 1});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "role administrator is built in and cannot be changed");
  EXPECT_EQ(addRole(db, Role{"viewer", kAllCapabilities}).message(),
            "role viewer is built in and cannot be changed");
  EXPECT_TRUE(
      addRole(db, Role{"ssl-ops", static_cast<uint32_t>(Capability::kSslInspectionManagement)})
          .ok());
  // Every role can read.
  EXPECT_TRUE(db.role("ssl-ops")->capabilities & static_cast<uint32_t>(Capability::kView));
}

TEST(UserDbTest, RefusesBadUsersWithReasons) {
  UserDb db;
  EXPECT_EQ(addUser(db, User{"a b", "viewer", "", ""}, "password1").message(),
            "user name \"a b\": 1 to 64 letters, digits, '.', '_' or '-'");
  EXPECT_EQ(addUser(db, User{"carol", "nobody", "", ""}, "password1").message(),
            "role nobody is not defined");
  EXPECT_EQ(addUser(db, User{"carol", "viewer", "web", ""}, "password1").message(),
            "group web is not defined");
  EXPECT_EQ(addUser(db, User{"carol", "viewer", "", ""}, "short").message(),
            "password for carol: at least 8 characters");
  ASSERT_TRUE(addUser(db, User{"carol", "viewer", "", ""}, "password1").ok());
  EXPECT_EQ(addUser(db, User{"carol", "viewer", "", ""}, "password1").message(),
            "user carol already exists");
}

TEST(UserDbTest, SavesAndLoadsEverythingWithOwnerOnlyMode) {
  char tmpl[] = "/tmp/vtps-users-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/users.json";
  UserDb db;
  ASSERT_TRUE(addRole(db, Role{"certs", static_cast<uint32_t>(Capability::kAdminX509)}).ok());
  ASSERT_TRUE(addGroup(db, Group{"web", std::vector<std::string>{"web1"}, std::nullopt,
                                 std::nullopt, std::nullopt, std::nullopt})
                  .ok());
  ASSERT_TRUE(addUser(db, User{"dave", "certs", "web", ""}, "password1").ok());
  ASSERT_TRUE(saveUserDb(path, db).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = loadUserDb(path);
  ASSERT_TRUE(back.ok()) << back.message();
  auto p = authenticatePassword(*back, "dave", "password1");
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->role, "certs");
  ASSERT_TRUE(p->group.has_value());
  EXPECT_EQ(p->group->server_proxies, std::vector<std::string>{"web1"});
  EXPECT_FALSE(p->group->client_proxies.has_value());
  EXPECT_EQ(authenticatePassword(*back, "dave", "password2").message(),
            "authentication failed: unknown user or wrong password");
  auto missing = loadUserDb(std::string(tmpl) + "/absent.json");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->users.empty());
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace vtps::mgmt
