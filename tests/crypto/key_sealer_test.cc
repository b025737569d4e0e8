#include "crypto/key_sealer.h"

#include <gtest/gtest.h>

#include "tests/crypto/test_pki.h"

namespace vtps::crypto {
namespace {

TEST(KeySealerTest, CreatesA32ByteMasterKeyReadableOnlyByItsOwner) {
  testing::TempDir dir;
  ASSERT_TRUE(KeySealer::openOrCreate(dir.path()).ok());
  EXPECT_EQ(testing::readFile(dir.file("master.key")).size(), 32u);
  EXPECT_EQ(testing::fileMode(dir.file("master.key")), 0600u);
  std::string first = testing::readFile(dir.file("master.key"));
  ASSERT_TRUE(KeySealer::openOrCreate(dir.path()).ok());
  EXPECT_EQ(testing::readFile(dir.file("master.key")), first) << "reopening must keep the key";
}

TEST(KeySealerTest, RefusesAMasterKeyOthersCanRead) {
  testing::TempDir dir;
  testing::writeFile(dir.file("master.key"), std::string(32, 'k'));
  ::chmod(dir.file("master.key").c_str(), 0644);
  auto sealer = KeySealer::openOrCreate(dir.path());
  ASSERT_FALSE(sealer.ok());
  EXPECT_EQ(sealer.message(), fmt::format("read master key {}: mode 644 lets others read it; "
                                          "expected 0600",
                                          dir.file("master.key")));
}

TEST(KeySealerTest, RefusesAMasterKeyOfTheWrongSize) {
  testing::TempDir dir;
  testing::writeFile(dir.file("master.key"), "short");
  ::chmod(dir.file("master.key").c_str(), 0600);
  EXPECT_EQ(KeySealer::openOrCreate(dir.path()).message(),
            fmt::format("read master key {}: 5 bytes, expected 32", dir.file("master.key")));
}

TEST(KeySealerTest, SealsWithMagicVersionNonceAndTag) {
  KeySealer sealer = KeySealer::withKey(std::string(32, 'm'));
  std::string sealed = sealer.seal("secret key bytes", "key", "web1").value();
  EXPECT_EQ(sealed.substr(0, 4), "VTPK");
  EXPECT_EQ(sealed[4], '\x01');
  EXPECT_EQ(sealed.size(), 5u + 12 + 16 + 16);
  EXPECT_EQ(sealed.find("secret"), std::string::npos);
  EXPECT_NE(sealer.seal("secret key bytes", "key", "web1").value(), sealed) << "nonce is random";
  EXPECT_EQ(sealer.open(sealed, "key", "web1", "f").value(), "secret key bytes");
}

TEST(KeySealerTest, OpeningFailsForAnotherNamePurposeKeyOrAnAlteredFile) {
  KeySealer sealer = KeySealer::withKey(std::string(32, 'm'));
  std::string sealed = sealer.seal("secret", "key", "web1").value();
  const std::string kAuthFailed =
      "open sealed key keys/x.key: authentication failed (wrong master key, or the file was "
      "altered or moved)";
  EXPECT_EQ(sealer.open(sealed, "key", "web2", "keys/x.key").message(), kAuthFailed);
  EXPECT_EQ(sealer.open(sealed, "pending", "web1", "keys/x.key").message(), kAuthFailed);
  EXPECT_EQ(
      KeySealer::withKey(std::string(32, 'o')).open(sealed, "key", "web1", "keys/x.key").message(),
      kAuthFailed);
  std::string altered = sealed;
  altered[20] ^= 1;
  EXPECT_EQ(sealer.open(altered, "key", "web1", "keys/x.key").message(), kAuthFailed);
  std::string v2 = sealed;
  v2[4] = 2;
  EXPECT_EQ(sealer.open(v2, "key", "web1", "k").message(),
            "open sealed key k: format version 2 is not supported");
  EXPECT_EQ(sealer.open("PEM?", "key", "web1", "k").message(),
            "open sealed key k: not a vtps sealed key file");
}

}  // namespace
}  // namespace vtps::crypto
