#include "crypto/mint/mint_cache.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <utility>

namespace vtps::mint {

namespace {

constexpr std::size_t kMaxShards = 1024;
constexpr std::size_t kMaxCapacity = 10'000'000;

std::uint64_t first64(const Sha256Fingerprint& fp) {
  std::uint64_t v = 0;
  std::memcpy(&v, fp.data(), sizeof(v));
  return v;
}

}  // namespace

Result<MintCacheKey> mintCacheKeyFor(X509* upstream, std::string_view sni, LeafKeyType key_type,
                                     const SigningCa& ca) {
  MintCacheKey key;
  unsigned int len = 0;
  if (upstream == nullptr || X509_digest(upstream, EVP_sha256(), key.upstream.data(), &len) != 1 ||
      len != key.upstream.size()) {
    return ossl::error("mint cache: fingerprint upstream certificate");
  }
  key.sni = sni;
  key.key_type = key_type;
  key.ca = ca.fingerprint();
  return key;
}

// The fingerprints are already uniform, so a few of their bytes mixed with the SNI's hash
// suffice.
std::size_t MintCache::KeyHash::operator()(const MintCacheKey& key) const {
  std::uint64_t h = first64(key.upstream);
  h ^= first64(key.ca) * 0x9E3779B97F4A7C15ULL;
  h ^= std::hash<std::string>{}(key.sni) + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
  h ^= static_cast<std::uint64_t>(key.key_type) + 1;
  return static_cast<std::size_t>(h);
}

Result<std::unique_ptr<MintCache>> MintCache::create(const LeafMinter& minter,
                                                     const MintCacheOptions& options) {
  if (options.shards == 0 || options.shards > kMaxShards) {
    return makeError(fmt::format("mint cache: shards must be between 1 and {}, got {}", kMaxShards,
                                 options.shards));
  }
  if (options.capacity < options.shards || options.capacity > kMaxCapacity) {
    return makeError(
        fmt::format("mint cache: capacity must be between {} (the shard count) and {}, got {}",
                    options.shards, kMaxCapacity, options.capacity));
  }
  return std::unique_ptr<MintCache>(new MintCache(minter, options));
}

MintCache::MintCache(const LeafMinter& minter, const MintCacheOptions& options) : minter_(minter) {
  shards_.reserve(options.shards);
  for (std::size_t i = 0; i < options.shards; ++i) {
    auto shard = std::make_unique<Shard>();
    // Spread the remainder so the shard capacities add up to exactly `capacity`.
    shard->capacity =
        options.capacity / options.shards + (i < options.capacity % options.shards ? 1 : 0);
    shards_.push_back(std::move(shard));
  }
}

// The map inside a shard buckets by the same hash; take the shard from the high bits so that
// keys of one shard still spread over all of its map's buckets.
MintCache::Shard& MintCache::shardFor(const MintCacheKey& key) {
  const std::uint64_t h = KeyHash{}(key)*0x9E3779B97F4A7C15ULL;
  return *shards_[(h >> 32) % shards_.size()];
}

Result<std::shared_ptr<const MintedLeaf>> MintCache::getOrMint(X509* upstream, std::string_view sni,
                                                               LeafKeyType key_type,
                                                               const SigningCa& ca) {
  Result<MintCacheKey> key = mintCacheKeyFor(upstream, sni, key_type, ca);
  if (!key.ok()) return key.error();
  Shard& shard = shardFor(*key);
  {
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.index.find(*key); it != shard.index.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second->second;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  const auto start = std::chrono::steady_clock::now();
  Result<MintedLeaf> minted = minter_.mintLeafFor(upstream, sni, key_type, ca);
  mint_latency_.record(std::chrono::steady_clock::now() - start);
  if (!minted.ok()) {
    mint_failures_.fetch_add(1, std::memory_order_relaxed);
    return minted.error();
  }
  auto leaf = std::make_shared<const MintedLeaf>(std::move(minted).value());
  return insert(shard, std::move(key).value(), std::move(leaf));
}

std::shared_ptr<const MintedLeaf> MintCache::insert(Shard& shard, MintCacheKey key,
                                                    std::shared_ptr<const MintedLeaf> leaf) {
  std::shared_ptr<const MintedLeaf> evicted;  // freed after the lock is released
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(key); it != shard.index.end()) {
    // Another thread minted the same leaf meanwhile; keep one so all sessions share it.
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return it->second->second;
  }
  shard.lru.emplace_front(std::move(key), leaf);
  shard.index.emplace(shard.lru.front().first, shard.lru.begin());
  if (shard.lru.size() > shard.capacity) {
    evicted = std::move(shard.lru.back().second);
    shard.index.erase(shard.lru.back().first);
    shard.lru.pop_back();
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  return leaf;
}

void MintCache::clear() {
  for (auto& shard : shards_) {
    std::list<Entry> dropped;  // freed after the lock is released
    std::lock_guard lock(shard->mutex);
    shard->index.clear();
    dropped.swap(shard->lru);
  }
}

MintCacheStats MintCache::stats() const {
  MintCacheStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  s.mint_failures = mint_failures_.load(std::memory_order_relaxed);
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    s.entries += shard->lru.size();
  }
  return s;
}

}  // namespace vtps::mint
