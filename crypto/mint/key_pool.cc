#include "crypto/mint/key_pool.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
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

// A public-only copy of an EC or RSA `key` in OpenSSL's legacy form (EC_KEY, RSA), or null for
// other types or on failure. OpenSSL 3.0's X509_set_pubkey runs a provider key through its
// encoder and then its decoder framework (about 200 µs for a P-256 key on the development VM,
// nearly seven times the key's generation), while a legacy key is encoded directly (about 25 µs
// with this copy). The SubjectPublicKeyInfo is the same bytes either way (key_pool_test). The
// legacy EC_KEY and RSA calls are deprecated in OpenSSL 3.0; nothing else in vtps uses them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
ossl::EvpPkeyPtr legacyPublicCopy(const EVP_PKEY* key) {
  ossl::EvpPkeyPtr copy(EVP_PKEY_new());
  if (!copy) return nullptr;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
      char group[80];
      unsigned char point[160];  // an uncompressed point of P-521 takes 133 bytes
      std::size_t group_len = 0;
      std::size_t point_len = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &group_len) != 1 ||
          EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                          sizeof point, &point_len) != 1) {
        return nullptr;
      }
      const int nid = OBJ_sn2nid(group);
      EC_KEY* ec = nid == NID_undef ? nullptr : EC_KEY_new_by_curve_name(nid);
      if (ec == nullptr || EC_KEY_oct2key(ec, point, point_len, nullptr) != 1 ||
          EVP_PKEY_assign_EC_KEY(copy.get(), ec) != 1) {
        EC_KEY_free(ec);
        return nullptr;
      }
      return copy;
    }
    case EVP_PKEY_RSA: {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      RSA* rsa = RSA_new();
      if (rsa == nullptr || EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
          EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
          RSA_set0_key(rsa, n, e, nullptr) != 1) {
        BN_free(n);
        BN_free(e);
        RSA_free(rsa);
        return nullptr;
      }
      if (EVP_PKEY_assign_RSA(copy.get(), rsa) != 1) {
        RSA_free(rsa);
        return nullptr;
      }
      return copy;
    }
    default:
      return nullptr;
  }
}
#pragma GCC diagnostic pop

}  // namespace

Result<LeafKey> prepareLeafKey(ossl::EvpPkeyPtr key) {
  LeafKey prepared{.key = std::move(key), .blank_cert = ossl::X509Ptr(X509_new())};
  if (!prepared.key || !prepared.blank_cert ||
      X509_set_version(prepared.blank_cert.get(), X509_VERSION_3) != 1) {
    return ossl::error("prepare leaf key");
  }
  // EC and RSA keys go in through their legacy public-only copy, other types the general way (a
  // copy that fails does too, and leaves no error behind).
  ERR_set_mark();
  ossl::EvpPkeyPtr public_copy = legacyPublicCopy(prepared.key.get());
  ERR_pop_to_mark();
  if (X509_set_pubkey(prepared.blank_cert.get(),
                      public_copy ? public_copy.get() : prepared.key.get()) != 1) {
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
