// Cache of minted leaves, so that repeat visits to a site cost a lookup instead of a signature.
// Keyed by everything that changes the leaf: the upstream certificate (SHA-256 fingerprint), the
// SNI, the leaf key type and the signing CA (SHA-256 fingerprint; a replaced CA misses). Sharded
// LRU: each shard has its own mutex, list and map, so concurrent workers rarely contend, and the
// signature itself is made outside any lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/mint/latency_histogram.h"
#include "crypto/mint/leaf_key_type.h"
#include "crypto/mint/leaf_minter.h"
#include "crypto/mint/signing_ca.h"
#include "crypto/ossl.h"
#include "crypto/result.h"

namespace vtps::mint {

struct MintCacheKey {
  Sha256Fingerprint upstream{};
  std::string sni;
  LeafKeyType key_type = LeafKeyType::kEcdsaP256;
  Sha256Fingerprint ca{};

  bool operator==(const MintCacheKey&) const = default;
};

// Errors: "mint cache: fingerprint upstream certificate: <OpenSSL cause>".
Result<MintCacheKey> mintCacheKeyFor(X509* upstream, std::string_view sni, LeafKeyType key_type,
                                     const SigningCa& ca);

struct MintCacheOptions {
  std::size_t capacity = 10'000;  // leaves kept in total (~3 KB each with an ECDSA key)
  std::size_t shards = 16;
};

struct MintCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;  // each miss is one mint attempt
  std::uint64_t evictions = 0;
  std::uint64_t mint_failures = 0;
  std::size_t entries = 0;
};

class MintCache {
 public:
  // Validates 1 <= shards <= 1024 and shards <= capacity <= 10'000'000. Errors:
  //   "mint cache: shards must be between 1 and 1024, got 0"
  //   "mint cache: capacity must be between 4 (the shard count) and 10000000, got 2"
  // `minter` must outlive the cache.
  static Result<std::unique_ptr<MintCache>> create(const LeafMinter& minter,
                                                   const MintCacheOptions& options);

  MintCache(const MintCache&) = delete;
  MintCache& operator=(const MintCache&) = delete;
  ~MintCache() = default;

  // The cached leaf for (upstream, sni, key_type, ca), or a freshly minted one that is then cached
  // (evicting the shard's least recently used leaf when full). Thread-safe. Two threads missing
  // the same key at once both mint; the first to insert wins and both get its leaf. Errors from
  // mintCacheKeyFor() and LeafMinter::mintLeafFor(); failures are not cached.
  Result<std::shared_ptr<const MintedLeaf>> getOrMint(X509* upstream, std::string_view sni,
                                                      LeafKeyType key_type, const SigningCa& ca);

  // Drops every leaf (e.g. after a CA is deleted, to free its leaves before LRU would).
  void clear();

  MintCacheStats stats() const;
  // Latency of the mints made on misses (key taken from the pool + build + sign).
  const LatencyHistogram& mintLatency() const { return mint_latency_; }

 private:
  struct KeyHash {
    std::size_t operator()(const MintCacheKey& key) const;
  };
  using Entry = std::pair<MintCacheKey, std::shared_ptr<const MintedLeaf>>;
  struct alignas(64) Shard {
    std::mutex mutex;
    std::size_t capacity = 0;
    std::list<Entry> lru;  // most recently used first
    std::unordered_map<MintCacheKey, std::list<Entry>::iterator, KeyHash> index;
  };

  MintCache(const LeafMinter& minter, const MintCacheOptions& options);
  Shard& shardFor(const MintCacheKey& key);
  std::shared_ptr<const MintedLeaf> insert(Shard& shard, MintCacheKey key,
                                           std::shared_ptr<const MintedLeaf> leaf);

  const LeafMinter& minter_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  std::atomic<std::uint64_t> evictions_{0};
  std::atomic<std::uint64_t> mint_failures_{0};
  LatencyHistogram mint_latency_;
};

}  // namespace vtps::mint
