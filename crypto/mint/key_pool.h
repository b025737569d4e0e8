// Pre-generated leaf keys, so that minting a leaf on a proxy worker costs a signature and not a
// key generation (an RSA-2048 key takes over 100 ms of CPU). One queue per key type; a
// background thread refills a queue once it falls below its low watermark, up to its high
// watermark. This interface hands out EVP_PKEY handles because it is about OpenSSL keys.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "crypto/mint/leaf_key_type.h"
#include "crypto/ossl.h"
#include "crypto/result.h"

namespace vtps::mint {

// A leaf key and a blank certificate that already carries its public key. OpenSSL 3.0 puts a
// provider key into a certificate (X509_set_pubkey) by running it through its encoder and then
// its decoder framework, which costs several times an ECDSA P-256 signature; doing it where the
// key is generated takes it off the mint path, and doing it with a legacy public-only copy of
// the key (EC and RSA keys) makes it about eight times cheaper.
struct LeafKey {
  ossl::EvpPkeyPtr key;
  ossl::X509Ptr blank_cert;  // version 3 and the public key, nothing else
};

// Wraps `key` with its blank certificate. Errors: "prepare leaf key: <OpenSSL cause>".
Result<LeafKey> prepareLeafKey(ossl::EvpPkeyPtr key);

// Generates and prepares one fresh key of `type` (what the pool does in the background, and what
// a pool-less minter does per certificate). Errors name the key type and OpenSSL's cause.
Result<LeafKey> generateLeafKey(LeafKeyType type);

struct KeyPoolWatermarks {
  std::size_t low = 0;   // refill starts when the queue holds fewer keys than this
  std::size_t high = 0;  // refill stops when the queue holds this many
};

struct KeyPoolOptions {
  // Measured on the development VM (docs/performance.md): an ECDSA P-256 key takes ~0.2 ms to
  // generate and prepare and is the common case; an RSA-2048 key takes ~150 ms of CPU, so fewer
  // are kept and the low watermark leaves room for bursts while the refill catches up.
  KeyPoolWatermarks ecdsa_p256{.low = 64, .high = 256};
  KeyPoolWatermarks rsa_2048{.low = 16, .high = 64};
  // Added to the refill thread's nice value so that proxy workers win the CPU when both want it.
  int refill_nice_increment = 10;
};

// Counters of one queue. Monotonic except `size`.
struct KeyPoolStats {
  std::uint64_t generated = 0;            // keys made by the refill thread
  std::uint64_t taken = 0;                // keys handed out from the queue
  std::uint64_t inline_fallbacks = 0;     // take() found the queue empty and generated inline
  std::uint64_t generation_failures = 0;  // refill-thread generations that failed
  std::size_t size = 0;                   // keys in the queue now
};

class KeyPool {
 public:
  // Validates the watermarks (0 < high <= 1'000'000, low <= high) and starts the refill thread,
  // which begins filling every queue to its high watermark at once. Errors:
  //   "key pool: ecdsa-p256 high watermark must be between 1 and 1000000, got 0"
  //   "key pool: rsa-2048 low watermark 9 exceeds high watermark 8"
  static Result<std::unique_ptr<KeyPool>> create(const KeyPoolOptions& options);

  KeyPool(const KeyPool&) = delete;
  KeyPool& operator=(const KeyPool&) = delete;
  ~KeyPool();  // stops and joins the refill thread (waits for at most one generation)

  // A key of `type` nobody else holds. Takes a pre-generated key when there is one (never waits
  // for a generation then); when the queue is empty it generates one inline and counts an inline
  // fallback. Thread-safe. Errors only from an inline generation (see generateLeafKey).
  Result<LeafKey> take(LeafKeyType type);

  KeyPoolStats stats(LeafKeyType type) const;

  // Blocks until every queue has reached its high watermark or `timeout` passed; true if full.
  // For start-up (warm the pool before taking traffic) and for tests and benchmarks.
  bool waitUntilFull(std::chrono::milliseconds timeout);

 private:
  struct Queue {
    KeyPoolWatermarks marks;
    std::deque<LeafKey> keys;
    bool refilling = true;  // between falling below `low` and reaching `high`
    std::atomic<std::uint64_t> generated{0};
    std::atomic<std::uint64_t> taken{0};
    std::atomic<std::uint64_t> inline_fallbacks{0};
    std::atomic<std::uint64_t> generation_failures{0};
  };

  explicit KeyPool(const KeyPoolOptions& options);
  Queue& queue(LeafKeyType type) { return queues_[static_cast<std::size_t>(type)]; }
  const Queue& queue(LeafKeyType type) const { return queues_[static_cast<std::size_t>(type)]; }
  std::optional<LeafKeyType> nextTypeToRefill() const;  // requires mutex_
  bool allFull() const;                                 // requires mutex_
  void refillLoop();

  const int refill_nice_increment_;
  mutable std::mutex mutex_;
  std::condition_variable refill_cv_;  // refill thread waits here for work or stop
  std::condition_variable full_cv_;    // waitUntilFull() waits here
  std::array<Queue, kLeafKeyTypeCount> queues_;
  bool stopping_ = false;
  std::thread refill_thread_;  // last: started after every other member exists
};

}  // namespace vtps::mint
