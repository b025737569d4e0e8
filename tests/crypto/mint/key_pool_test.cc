#include "crypto/mint/key_pool.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <string>
#include <thread>

namespace vtps::mint {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kFillTimeout = seconds(120);

std::unique_ptr<KeyPool> makePool(KeyPoolWatermarks ecdsa, KeyPoolWatermarks rsa) {
  KeyPoolOptions options;
  options.ecdsa_p256 = ecdsa;
  options.rsa_2048 = rsa;
  options.refill_nice_increment = 0;
  Result<std::unique_ptr<KeyPool>> pool = KeyPool::create(options);
  EXPECT_TRUE(pool.ok()) << (pool.ok() ? "" : pool.message());
  return pool.ok() ? std::move(pool).value() : nullptr;
}

std::string curveOf(EVP_PKEY* key) {
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) return "";
  return {group, len};
}

TEST(KeyPoolTest, CreateRejectsHighWatermarkOutOfRange) {
  KeyPoolOptions options;
  options.ecdsa_p256 = {.low = 0, .high = 0};
  Result<std::unique_ptr<KeyPool>> zero = KeyPool::create(options);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.message(),
            "key pool: ecdsa-p256 high watermark must be between 1 and 1000000, got 0");

  options.ecdsa_p256 = {.low = 1, .high = 2};
  options.rsa_2048 = {.low = 1, .high = 1'000'001};
  Result<std::unique_ptr<KeyPool>> huge = KeyPool::create(options);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.message(),
            "key pool: rsa-2048 high watermark must be between 1 and 1000000, got 1000001");
}

TEST(KeyPoolTest, CreateRejectsLowWatermarkAboveHigh) {
  KeyPoolOptions options;
  options.ecdsa_p256 = {.low = 2, .high = 4};
  options.rsa_2048 = {.low = 9, .high = 8};
  Result<std::unique_ptr<KeyPool>> pool = KeyPool::create(options);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.message(), "key pool: rsa-2048 low watermark 9 exceeds high watermark 8");
}

TEST(KeyPoolTest, FillsEveryQueueToItsHighWatermark) {
  auto pool = makePool({.low = 2, .high = 8}, {.low = 1, .high = 2});
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->waitUntilFull(kFillTimeout));
  const KeyPoolStats ecdsa = pool->stats(LeafKeyType::kEcdsaP256);
  const KeyPoolStats rsa = pool->stats(LeafKeyType::kRsa2048);
  EXPECT_EQ(ecdsa.size, 8u);
  EXPECT_EQ(ecdsa.generated, 8u);
  EXPECT_EQ(rsa.size, 2u);
  EXPECT_EQ(rsa.generated, 2u);
  EXPECT_EQ(ecdsa.taken + rsa.taken + ecdsa.inline_fallbacks + rsa.inline_fallbacks, 0u);
}

TEST(KeyPoolTest, TakeHandsOutPooledKeysOfTheRequestedType) {
  auto pool = makePool({.low = 1, .high = 4}, {.low = 1, .high = 2});
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->waitUntilFull(kFillTimeout));

  Result<LeafKey> ec1 = pool->take(LeafKeyType::kEcdsaP256);
  Result<LeafKey> ec2 = pool->take(LeafKeyType::kEcdsaP256);
  Result<LeafKey> rsa = pool->take(LeafKeyType::kRsa2048);
  ASSERT_TRUE(ec1.ok() && ec2.ok() && rsa.ok());
  EXPECT_EQ(EVP_PKEY_get_base_id(ec1->key.get()), EVP_PKEY_EC);
  EXPECT_EQ(curveOf(ec1->key.get()), "prime256v1");
  EXPECT_EQ(EVP_PKEY_get_base_id(rsa->key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(rsa->key.get()), 2048);
  EXPECT_NE(EVP_PKEY_eq(ec1->key.get(), ec2->key.get()), 1) << "two takes returned the same key";

  const KeyPoolStats ecdsa = pool->stats(LeafKeyType::kEcdsaP256);
  EXPECT_EQ(ecdsa.taken, 2u);
  EXPECT_EQ(ecdsa.size, 2u);  // 4 - 2, not below low = 1, so no refill started
  EXPECT_EQ(ecdsa.inline_fallbacks, 0u);
  EXPECT_EQ(pool->stats(LeafKeyType::kRsa2048).taken, 1u);
}

TEST(KeyPoolTest, RefillsOnlyAfterFallingBelowLowWatermark) {
  auto pool = makePool({.low = 4, .high = 8}, {.low = 1, .high = 1});
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->waitUntilFull(kFillTimeout));

  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(pool->take(LeafKeyType::kEcdsaP256).ok());
  // 4 left == low: still no refill. ECDSA keys take microseconds, so a refill would show.
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(pool->stats(LeafKeyType::kEcdsaP256).generated, 8u);
  EXPECT_EQ(pool->stats(LeafKeyType::kEcdsaP256).size, 4u);

  ASSERT_TRUE(pool->take(LeafKeyType::kEcdsaP256).ok());  // 3 < low: refill to high
  ASSERT_TRUE(pool->waitUntilFull(kFillTimeout));
  const KeyPoolStats s = pool->stats(LeafKeyType::kEcdsaP256);
  EXPECT_EQ(s.size, 8u);
  EXPECT_EQ(s.generated, 13u);
  EXPECT_EQ(s.taken, 5u);
  EXPECT_EQ(s.inline_fallbacks, 0u);
}

TEST(KeyPoolTest, GeneratesInlineWhenQueueIsEmptyAndRefillsAfterwards) {
  auto pool = makePool({.low = 0, .high = 1}, {.low = 0, .high = 1});
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->waitUntilFull(kFillTimeout));
  ASSERT_TRUE(pool->take(LeafKeyType::kEcdsaP256).ok());  // queue now empty, 0 < low is false
  EXPECT_EQ(pool->stats(LeafKeyType::kEcdsaP256).inline_fallbacks, 0u);

  Result<LeafKey> inline_key = pool->take(LeafKeyType::kEcdsaP256);
  ASSERT_TRUE(inline_key.ok());
  EXPECT_EQ(curveOf(inline_key->key.get()), "prime256v1");
  EXPECT_EQ(pool->stats(LeafKeyType::kEcdsaP256).inline_fallbacks, 1u);
  EXPECT_EQ(pool->stats(LeafKeyType::kEcdsaP256).taken, 1u);
  // The empty queue woke the refill thread.
  ASSERT_TRUE(pool->waitUntilFull(kFillTimeout));
  EXPECT_EQ(pool->stats(LeafKeyType::kEcdsaP256).generated, 2u);
}

TEST(KeyPoolTest, WaitUntilFullTimesOutWhileFilling) {
  // 1000 RSA keys take far longer than 50 ms.
  auto pool = makePool({.low = 1, .high = 1}, {.low = 1, .high = 1000});
  ASSERT_NE(pool, nullptr);
  EXPECT_FALSE(pool->waitUntilFull(milliseconds(50)));
  EXPECT_LT(pool->stats(LeafKeyType::kRsa2048).size, 1000u);
}

TEST(KeyPoolTest, DestructionStopsRefillPromptly) {
  const auto start = std::chrono::steady_clock::now();
  {
    auto pool = makePool({.low = 100'000, .high = 1'000'000}, {.low = 1, .high = 1000});
    ASSERT_NE(pool, nullptr);
    std::this_thread::sleep_for(milliseconds(20));
  }
  // At most one in-flight generation is waited for (an RSA key: ~0.2 s, seconds on a loaded
  // host), not the 1000 RSA keys the queue asks for.
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(30));
}

TEST(KeyPoolTest, PrepareLeafKeyPutsThePublicKeyIntoABlankCertificate) {
  Result<LeafKey> prepared = prepareLeafKey(ossl::EvpPkeyPtr(EVP_EC_gen("P-256")));
  ASSERT_TRUE(prepared.ok()) << prepared.message();
  X509* blank = prepared->blank_cert.get();
  EXPECT_EQ(X509_get_version(blank), X509_VERSION_3);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(blank), prepared->key.get()), 1);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(blank)), 0);
  EXPECT_EQ(X509_get_ext_count(blank), 0);

  Result<LeafKey> missing = prepareLeafKey(nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), "prepare leaf key");
}

// The certificate carries exactly the key's SubjectPublicKeyInfo (prepareLeafKey encodes EC and
// RSA keys from a legacy public-only copy, other types the general way), matching the private
// key. (The client inspection tests present such certificates, signed, in real handshakes.)
TEST(KeyPoolTest, PreparedCertificateCarriesTheKeysOwnPublicKeyEncoding) {
  ossl::EvpPkeyPtr keys[] = {ossl::EvpPkeyPtr(EVP_EC_gen("P-256")),
                             ossl::EvpPkeyPtr(EVP_EC_gen("P-384")),
                             ossl::EvpPkeyPtr(EVP_RSA_gen(2048)),
                             ossl::EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"))};
  for (ossl::EvpPkeyPtr& key : keys) {
    ASSERT_NE(key, nullptr);
    SCOPED_TRACE(EVP_PKEY_get0_type_name(key.get()));
    unsigned char* expected = nullptr;
    const int expected_len = i2d_PUBKEY(key.get(), &expected);
    ASSERT_GT(expected_len, 0);
    EVP_PKEY* raw = key.get();
    Result<LeafKey> prepared = prepareLeafKey(std::move(key));
    ASSERT_TRUE(prepared.ok()) << prepared.message();
    unsigned char* got = nullptr;
    const int got_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(prepared->blank_cert.get()), &got);
    EXPECT_EQ(
        std::string(reinterpret_cast<char*>(got), static_cast<std::size_t>(got_len)),
        std::string(reinterpret_cast<char*>(expected), static_cast<std::size_t>(expected_len)));
    OPENSSL_free(got);
    OPENSSL_free(expected);
    EXPECT_EQ(X509_check_private_key(prepared->blank_cert.get(), raw), 1);
  }
}

TEST(KeyPoolTest, GenerateLeafKeyMakesTheNamedType) {
  Result<LeafKey> ec = generateLeafKey(LeafKeyType::kEcdsaP256);
  Result<LeafKey> rsa = generateLeafKey(LeafKeyType::kRsa2048);
  ASSERT_TRUE(ec.ok() && rsa.ok());
  EXPECT_EQ(curveOf(ec->key.get()), "prime256v1");
  EXPECT_EQ(EVP_PKEY_get_base_id(rsa->key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(rsa->key.get()), 2048);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(ec->blank_cert.get()), ec->key.get()), 1);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(rsa->blank_cert.get()), rsa->key.get()), 1);
}

}  // namespace
}  // namespace vtps::mint
