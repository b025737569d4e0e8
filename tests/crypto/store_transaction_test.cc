#include "crypto/store_transaction.h"

#include <gtest/gtest.h>

#include "tests/crypto/test_pki.h"

namespace vtps::crypto {
namespace {

TEST(StoreTransactionTest, AppliesPutsAndRemovesWithTheirModes) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.file("a"));
  testing::writeFile(dir.file("a/old"), "old");
  testing::writeFile(dir.file("a/gone"), "gone");
  StoreTransaction tx(dir.path());
  tx.put("a/old", "new", 0644);
  tx.put("a/secret", "s", 0600);
  tx.remove("a/gone");
  ASSERT_TRUE(tx.commit().ok());
  EXPECT_EQ(testing::readFile(dir.file("a/old")), "new");
  EXPECT_EQ(testing::fileMode(dir.file("a/secret")), 0600u);
  EXPECT_FALSE(std::filesystem::exists(dir.file("a/gone")));
  EXPECT_EQ(testing::snapshot(dir.path()).size(), 3u) << "no temporary or backup files remain";
}

TEST(StoreTransactionTest, FailureLeavesTheTreeByteForByteUnchanged) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.file("a"));
  testing::writeFile(dir.file("a/old"), "old");
  testing::writeFile(dir.file("a/gone"), "gone");
  auto before = testing::snapshot(dir.path());
  StoreTransaction tx(dir.path());
  tx.put("a/old", "new", 0644);
  tx.remove("a/gone");
  tx.put("missing-dir/file", "x", 0644);  // cannot be written
  Status st = tx.commit();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.message().starts_with("write " + dir.file("missing-dir/file"))) << st.message();
  EXPECT_EQ(testing::snapshot(dir.path()), before);
}

TEST(StoreTransactionTest, AnUncommittedTransactionChangesNothing) {
  testing::TempDir dir;
  testing::writeFile(dir.file("f"), "f");
  auto before = testing::snapshot(dir.path());
  {
    StoreTransaction tx(dir.path());
    tx.put("f", "changed", 0644);
    tx.remove("f");
  }
  EXPECT_EQ(testing::snapshot(dir.path()), before);
}

}  // namespace
}  // namespace vtps::crypto
