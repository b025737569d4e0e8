#include "crypto/mint/key_pool.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace vtps::mint {

namespace {

constexpr std::size_t kMaxWatermark = 1'000'000;
// After a failed background generation (entropy or memory trouble), wait before retrying so the
// refill thread does not spin on a persistent failure.
constexpr std::chrono::milliseconds kRetryDelay{100};

Status validateWatermarks(LeafKeyType type, const KeyPoolWatermarks& marks) {
  if (marks.high == 0 || marks.high > kMaxWatermark) {
    return makeError(fmt::format("key pool: {} high watermark must be between 1 and {}, got {}",
                                 leafKeyTypeName(type), kMaxWatermark, marks.high));
  }
  if (marks.low > marks.high) {
    return makeError(fmt::format("key pool: {} low watermark {} exceeds high watermark {}",
                                 leafKeyTypeName(type), marks.low, marks.high));
  }
  return Status::success();
}

}  // namespace

Result<LeafKey> prepareLeafKey(ossl::EvpPkeyPtr key) {
  LeafKey prepared{.key = std::move(key), .blank_cert = ossl::X509Ptr(X509_new())};
  if (!prepared.key || !prepared.blank_cert ||
      X509_set_version(prepared.blank_cert.get(), X509_VERSION_3) != 1 ||
      X509_set_pubkey(prepared.blank_cert.get(), prepared.key.get()) != 1) {
    return ossl::error("prepare leaf key");
  }
  return prepared;
}

Result<LeafKey> generateLeafKey(LeafKeyType type) {
  ossl::EvpPkeyPtr key;
  switch (type) {
    case LeafKeyType::kEcdsaP256:
      key.reset(EVP_EC_gen("P-256"));
      break;
    case LeafKeyType::kRsa2048:
      key.reset(EVP_RSA_gen(2048));
      break;
  }
  if (!key) {
    return ossl::error(fmt::format("generate {} leaf key", leafKeyTypeName(type)));
  }
  return prepareLeafKey(std::move(key));
}

Result<std::unique_ptr<KeyPool>> KeyPool::create(const KeyPoolOptions& options) {
  VTPS_RETURN_IF_ERROR(validateWatermarks(LeafKeyType::kEcdsaP256, options.ecdsa_p256));
  VTPS_RETURN_IF_ERROR(validateWatermarks(LeafKeyType::kRsa2048, options.rsa_2048));
  return std::unique_ptr<KeyPool>(new KeyPool(options));
}

KeyPool::KeyPool(const KeyPoolOptions& options)
    : refill_nice_increment_(options.refill_nice_increment) {
  queue(LeafKeyType::kEcdsaP256).marks = options.ecdsa_p256;
  queue(LeafKeyType::kRsa2048).marks = options.rsa_2048;
  refill_thread_ = std::thread([this] { refillLoop(); });
}

KeyPool::~KeyPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  refill_cv_.notify_all();
  refill_thread_.join();
}

Result<LeafKey> KeyPool::take(LeafKeyType type) {
  Queue& q = queue(type);
  {
    std::lock_guard lock(mutex_);
    if (!q.keys.empty()) {
      LeafKey key = std::move(q.keys.front());
      q.keys.pop_front();
      q.taken.fetch_add(1, std::memory_order_relaxed);
      if (q.keys.size() < q.marks.low && !q.refilling) {
        q.refilling = true;
        refill_cv_.notify_one();
      }
      return key;
    }
    if (!q.refilling) {
      q.refilling = true;
      refill_cv_.notify_one();
    }
  }
  q.inline_fallbacks.fetch_add(1, std::memory_order_relaxed);
  return generateLeafKey(type);
}

KeyPoolStats KeyPool::stats(LeafKeyType type) const {
  const Queue& q = queue(type);
  KeyPoolStats s;
  s.generated = q.generated.load(std::memory_order_relaxed);
  s.taken = q.taken.load(std::memory_order_relaxed);
  s.inline_fallbacks = q.inline_fallbacks.load(std::memory_order_relaxed);
  s.generation_failures = q.generation_failures.load(std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  s.size = q.keys.size();
  return s;
}

bool KeyPool::waitUntilFull(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return full_cv_.wait_for(lock, timeout, [this] { return allFull(); });
}

bool KeyPool::allFull() const {
  return std::all_of(queues_.begin(), queues_.end(),
                     [](const Queue& q) { return q.keys.size() >= q.marks.high; });
}

// The refilling queue that is emptiest relative to its high watermark, so that a burst of RSA
// demand does not starve the ECDSA queue (or the reverse).
std::optional<LeafKeyType> KeyPool::nextTypeToRefill() const {
  std::optional<LeafKeyType> best;
  double best_fill = 2.0;
  for (std::size_t i = 0; i < queues_.size(); ++i) {
    const Queue& q = queues_[i];
    if (!q.refilling) continue;
    const double fill = static_cast<double>(q.keys.size()) / static_cast<double>(q.marks.high);
    if (fill < best_fill) {
      best_fill = fill;
      best = static_cast<LeafKeyType>(i);
    }
  }
  return best;
}

void KeyPool::refillLoop() {
  if (refill_nice_increment_ != 0) {
    // Linux applies the nice value per thread; a failure only means the thread keeps normal
    // priority, which is harmless.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    const int current = ::getpriority(PRIO_PROCESS, tid);
    (void)::setpriority(PRIO_PROCESS, tid, current + refill_nice_increment_);
  }
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const std::optional<LeafKeyType> type = nextTypeToRefill();
    if (!type) {
      refill_cv_.wait(lock);
      continue;
    }
    lock.unlock();
    Result<LeafKey> key = generateLeafKey(*type);
    lock.lock();
    Queue& q = queue(*type);
    if (!key.ok()) {
      q.generation_failures.fetch_add(1, std::memory_order_relaxed);
      refill_cv_.wait_for(lock, kRetryDelay, [this] { return stopping_; });
      continue;
    }
    q.keys.push_back(std::move(key).value());
    q.generated.fetch_add(1, std::memory_order_relaxed);
    if (q.keys.size() >= q.marks.high) {
      q.refilling = false;
      full_cv_.notify_all();
    }
  }
}

}  // namespace vtps::mint
