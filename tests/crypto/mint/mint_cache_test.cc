#include "crypto/mint/mint_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/crypto/mint/test_pki.h"

namespace vtps::mint {
namespace {

using testpki::CertSpec;
using testpki::KeyKind;
using testpki::sharedCa;

std::shared_ptr<const SigningCa> signingCa(const std::string& name, const testpki::TestCa& ca) {
  Result<std::shared_ptr<const SigningCa>> created =
      SigningCa::create(name, ca.cert.get(), ca.key.get());
  EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.message());
  return created.ok() ? *created : nullptr;
}

ossl::X509Ptr upstreamCert(const std::string& host, bool duplicate_san = false) {
  const testpki::TestCa& issuer = sharedCa(KeyKind::kEcP384);
  ossl::EvpPkeyPtr key = testpki::newKey(KeyKind::kEcP256);
  CertSpec spec;
  spec.subject = {{"CN", host}};
  spec.dns = {host};
  spec.duplicate_san = duplicate_san;
  return testpki::issueCert(spec, key.get(), issuer.cert.get(), issuer.key.get());
}

class MintCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    KeyPoolOptions options;
    options.ecdsa_p256 = {.low = 8, .high = 32};
    options.rsa_2048 = {.low = 0, .high = 1};
    Result<std::unique_ptr<KeyPool>> pool = KeyPool::create(options);
    ASSERT_TRUE(pool.ok()) << pool.message();
    pool_ = std::move(pool).value();
    ASSERT_TRUE(pool_->waitUntilFull(std::chrono::seconds(120)));
    minter_ = std::make_unique<LeafMinter>(*pool_);
  }

  std::unique_ptr<MintCache> makeCache(std::size_t capacity, std::size_t shards) {
    Result<std::unique_ptr<MintCache>> cache =
        MintCache::create(*minter_, {.capacity = capacity, .shards = shards});
    EXPECT_TRUE(cache.ok()) << (cache.ok() ? "" : cache.message());
    return cache.ok() ? std::move(cache).value() : nullptr;
  }

  std::shared_ptr<const MintedLeaf> get(MintCache& cache, X509* upstream, std::string_view sni,
                                        LeafKeyType type, const SigningCa& ca) {
    Result<std::shared_ptr<const MintedLeaf>> leaf = cache.getOrMint(upstream, sni, type, ca);
    EXPECT_TRUE(leaf.ok()) << (leaf.ok() ? "" : leaf.message());
    return leaf.ok() ? *leaf : nullptr;
  }

  std::unique_ptr<KeyPool> pool_;
  std::unique_ptr<LeafMinter> minter_;
  std::shared_ptr<const SigningCa> ca_ = signingCa("corp-signing", sharedCa(KeyKind::kEcP256));
  std::shared_ptr<const SigningCa> other_ca_ = signingCa("other", sharedCa(KeyKind::kRsa2048));
  ossl::X509Ptr upstream_ = upstreamCert("www.example.com");
};

TEST_F(MintCacheTest, CreateRejectsShardCountOutOfRange) {
  Result<std::unique_ptr<MintCache>> none =
      MintCache::create(*minter_, {.capacity = 8, .shards = 0});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.message(), "mint cache: shards must be between 1 and 1024, got 0");
  Result<std::unique_ptr<MintCache>> many =
      MintCache::create(*minter_, {.capacity = 5000, .shards = 1025});
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.message(), "mint cache: shards must be between 1 and 1024, got 1025");
}

TEST_F(MintCacheTest, CreateRejectsCapacityOutOfRange) {
  Result<std::unique_ptr<MintCache>> small =
      MintCache::create(*minter_, {.capacity = 2, .shards = 4});
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.message(),
            "mint cache: capacity must be between 4 (the shard count) and 10000000, got 2");
  Result<std::unique_ptr<MintCache>> huge =
      MintCache::create(*minter_, {.capacity = 10'000'001, .shards = 4});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.message(),
            "mint cache: capacity must be between 4 (the shard count) and 10000000, got 10000001");
  EXPECT_TRUE(MintCache::create(*minter_, {.capacity = 4, .shards = 4}).ok());
}

TEST_F(MintCacheTest, HitsForTheSameKey) {
  auto cache = makeCache(64, 4);
  ASSERT_NE(cache, nullptr);
  auto first = get(*cache, upstream_.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  auto second = get(*cache, upstream_.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first, second);
  const MintCacheStats s = cache->stats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(cache->mintLatency().snapshot().count, 1u);  // only the miss minted
  EXPECT_EQ(pool_->stats(LeafKeyType::kEcdsaP256).taken, 1u);
}

TEST_F(MintCacheTest, MissesForAnotherSniKeyTypeCaOrUpstream) {
  auto cache = makeCache(64, 4);
  ASSERT_NE(cache, nullptr);
  ossl::X509Ptr other_upstream = upstreamCert("www.example.com");  // same names, new cert
  auto base = get(*cache, upstream_.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  auto other_sni = get(*cache, upstream_.get(), "example.com", LeafKeyType::kEcdsaP256, *ca_);
  auto other_type = get(*cache, upstream_.get(), "www.example.com", LeafKeyType::kRsa2048, *ca_);
  auto other_ca =
      get(*cache, upstream_.get(), "www.example.com", LeafKeyType::kEcdsaP256, *other_ca_);
  auto other_up =
      get(*cache, other_upstream.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  const std::vector<std::shared_ptr<const MintedLeaf>> leaves = {base, other_sni, other_type,
                                                                 other_ca, other_up};
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    ASSERT_NE(leaves[i], nullptr);
    for (std::size_t j = i + 1; j < leaves.size(); ++j)
      EXPECT_NE(leaves[i], leaves[j]);
  }
  EXPECT_EQ(X509_check_issued(other_ca_->cert(), other_ca->cert.get()), X509_V_OK);
  EXPECT_EQ(EVP_PKEY_get_base_id(other_type->key.get()), EVP_PKEY_RSA);
  const MintCacheStats s = cache->stats();
  EXPECT_EQ(s.misses, 5u);
  EXPECT_EQ(s.hits, 0u);
  EXPECT_EQ(s.entries, 5u);
}

TEST_F(MintCacheTest, EvictsTheLeastRecentlyUsedLeaf) {
  auto cache = makeCache(2, 1);
  ASSERT_NE(cache, nullptr);
  auto a = get(*cache, upstream_.get(), "a.example.com", LeafKeyType::kEcdsaP256, *ca_);
  auto b = get(*cache, upstream_.get(), "b.example.com", LeafKeyType::kEcdsaP256, *ca_);
  EXPECT_EQ(get(*cache, upstream_.get(), "a.example.com", LeafKeyType::kEcdsaP256, *ca_), a);
  auto c =
      get(*cache, upstream_.get(), "c.example.com", LeafKeyType::kEcdsaP256, *ca_);  // evicts b
  EXPECT_EQ(cache->stats().evictions, 1u);
  EXPECT_EQ(cache->stats().entries, 2u);

  EXPECT_EQ(get(*cache, upstream_.get(), "a.example.com", LeafKeyType::kEcdsaP256, *ca_), a);
  EXPECT_EQ(get(*cache, upstream_.get(), "c.example.com", LeafKeyType::kEcdsaP256, *ca_), c);
  auto b_again = get(*cache, upstream_.get(), "b.example.com", LeafKeyType::kEcdsaP256, *ca_);
  EXPECT_NE(b_again, b);  // re-minted, evicting a (c was used after a)
  const MintCacheStats s = cache->stats();
  EXPECT_EQ(s.hits, 3u);
  EXPECT_EQ(s.misses, 4u);
  EXPECT_EQ(s.evictions, 2u);
  EXPECT_NE(get(*cache, upstream_.get(), "a.example.com", LeafKeyType::kEcdsaP256, *ca_), a);
}

TEST_F(MintCacheTest, KeepsCapacitySplitAcrossShards) {
  auto cache = makeCache(10, 4);  // shards of 3, 3, 2, 2
  ASSERT_NE(cache, nullptr);
  for (int i = 0; i < 40; ++i) {
    const std::string sni = "host" + std::to_string(i) + ".example.com";
    ASSERT_NE(get(*cache, upstream_.get(), sni, LeafKeyType::kEcdsaP256, *ca_), nullptr);
  }
  const MintCacheStats s = cache->stats();
  EXPECT_LE(s.entries, 10u);
  EXPECT_EQ(s.entries + s.evictions, 40u);
  EXPECT_EQ(s.misses, 40u);
}

TEST_F(MintCacheTest, ClearDropsEveryLeaf) {
  auto cache = makeCache(64, 4);
  ASSERT_NE(cache, nullptr);
  auto before = get(*cache, upstream_.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  cache->clear();
  EXPECT_EQ(cache->stats().entries, 0u);
  auto after = get(*cache, upstream_.get(), "www.example.com", LeafKeyType::kEcdsaP256, *ca_);
  EXPECT_NE(before, after);
  EXPECT_EQ(cache->stats().misses, 2u);
}

TEST_F(MintCacheTest, CountsAndDoesNotCacheMintFailures) {
  auto cache = makeCache(64, 4);
  ASSERT_NE(cache, nullptr);
  ossl::X509Ptr malformed = upstreamCert("bad.example.com", /*duplicate_san=*/true);
  for (int i = 0; i < 2; ++i) {
    Result<std::shared_ptr<const MintedLeaf>> leaf =
        cache->getOrMint(malformed.get(), "bad.example.com", LeafKeyType::kEcdsaP256, *ca_);
    ASSERT_FALSE(leaf.ok());
    EXPECT_EQ(leaf.message(),
              "mint leaf for bad.example.com under corp-signing: upstream certificate has two "
              "subjectAltName extensions");
  }
  const MintCacheStats s = cache->stats();
  EXPECT_EQ(s.mint_failures, 2u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.entries, 0u);

  Result<std::shared_ptr<const MintedLeaf>> no_upstream =
      cache->getOrMint(nullptr, "x.example.com", LeafKeyType::kEcdsaP256, *ca_);
  ASSERT_FALSE(no_upstream.ok());
  EXPECT_EQ(no_upstream.message(), "mint cache: fingerprint upstream certificate");
}

TEST_F(MintCacheTest, StaysConsistentUnderConcurrentUse) {
  auto cache = makeCache(16, 4);
  ASSERT_NE(cache, nullptr);
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        const std::string sni = "h" + std::to_string((i * 7 + t) % 24) + ".example.com";
        auto leaf = cache->getOrMint(upstream_.get(), sni, LeafKeyType::kEcdsaP256, *ca_);
        if (!leaf.ok() || *leaf == nullptr) failures.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures.load(), 0);
  const MintCacheStats s = cache->stats();
  EXPECT_EQ(s.hits + s.misses, static_cast<std::uint64_t>(kThreads * kCallsPerThread));
  EXPECT_LE(s.entries, 16u);
  EXPECT_GT(s.hits, 0u);
  EXPECT_EQ(cache->mintLatency().snapshot().count, s.misses);
}

TEST_F(MintCacheTest, KeyCarriesFingerprintsSniAndType) {
  Result<MintCacheKey> key =
      mintCacheKeyFor(upstream_.get(), "www.example.com", LeafKeyType::kRsa2048, *ca_);
  ASSERT_TRUE(key.ok()) << key.message();
  Sha256Fingerprint upstream_fp{};
  unsigned int len = 0;
  ASSERT_EQ(X509_digest(upstream_.get(), EVP_sha256(), upstream_fp.data(), &len), 1);
  EXPECT_EQ(key->upstream, upstream_fp);
  EXPECT_EQ(key->ca, ca_->fingerprint());
  EXPECT_EQ(key->sni, "www.example.com");
  EXPECT_EQ(key->key_type, LeafKeyType::kRsa2048);
}

}  // namespace
}  // namespace vtps::mint
