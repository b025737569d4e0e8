#include "crypto/rng/cpu_seed_provider.h"

#include <fmt/format.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/proverr.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/randerr.h>

#include <atomic>
#include <mutex>
#include <string>

#include "crypto/accel/builtin_provider.h"
#include "crypto/accel/cpu_features.h"
#include "crypto/ossl.h"

namespace vtps::rng {
namespace {

constexpr const char* kSeedProperties = "provider=vtps-seed";
// The primary DRBG (CTR-DRBG, AES-256) needs a parent of at least its own strength.
constexpr unsigned kStrengthBits = 256;
constexpr size_t kMaxRequest = 1 << 16;

MixedEntropySource& entropySource() {
  static MixedEntropySource source([] {
    accel::CpuFeatures f = accel::detectCpuFeatures();
    return std::unique_ptr<NoiseSource>(CpuNoiseSource::create(f.rdseed, f.rdrand));
  }());
  return source;
}

// One per library context that loaded the provider.
struct SeedProviderContext {
  std::atomic<uint64_t> contexts{0};
  std::atomic<uint64_t> seedRequests{0};
  std::atomic<uint64_t> generateCalls{0};
};

// One per EVP_RAND_CTX. The lock serialises OpenSSL's calls on this context; the entropy source
// has its own lock because every context shares it.
struct SeedRandContext {
  SeedProviderContext* provider = nullptr;
  int state = EVP_RAND_STATE_UNINITIALISED;
  std::mutex mu;
};

SeedRandContext* asCtx(void* vctx) {
  return static_cast<SeedRandContext*>(vctx);
}

bool fillSeed(unsigned char* out, size_t len) {
  Status s = entropySource().fill(std::span(out, len));
  if (!s.ok())
    ERR_raise_data(ERR_LIB_PROV, PROV_R_ERROR_RETRIEVING_ENTROPY, "%s", s.message().c_str());
  return s.ok();
}

void* seedNewCtx(void* provctx, void* parent, const OSSL_DISPATCH* /*parent_calls*/) {
  if (parent != nullptr) {
    ERR_raise(ERR_LIB_PROV, PROV_R_SEED_SOURCES_MUST_NOT_HAVE_A_PARENT);
    return nullptr;
  }
  auto* ctx = new (std::nothrow) SeedRandContext;
  if (ctx == nullptr) return nullptr;
  ctx->provider = static_cast<SeedProviderContext*>(provctx);
  ctx->provider->contexts.fetch_add(1, std::memory_order_relaxed);
  return ctx;
}

void seedFreeCtx(void* vctx) {
  delete asCtx(vctx);
}

int seedInstantiate(void* vctx, unsigned int strength, int /*prediction_resistance*/,
                    const unsigned char* /*pstr*/, size_t /*pstr_len*/,
                    const OSSL_PARAM /*params*/[]) {
  if (strength > kStrengthBits) {
    ERR_raise(ERR_LIB_PROV, PROV_R_ENTROPY_SOURCE_STRENGTH_TOO_WEAK);
    return 0;
  }
  asCtx(vctx)->state = EVP_RAND_STATE_READY;
  return 1;
}

int seedUninstantiate(void* vctx) {
  asCtx(vctx)->state = EVP_RAND_STATE_UNINITIALISED;
  return 1;
}

int seedGenerate(void* vctx, unsigned char* out, size_t outlen, unsigned int strength,
                 int /*prediction_resistance*/, const unsigned char* /*adin*/,
                 size_t /*adin_len*/) {
  SeedRandContext* ctx = asCtx(vctx);
  if (ctx->state != EVP_RAND_STATE_READY) {
    ERR_raise(ERR_LIB_PROV, PROV_R_NOT_INSTANTIATED);
    return 0;
  }
  if (strength > kStrengthBits) {
    ERR_raise(ERR_LIB_PROV, PROV_R_ENTROPY_SOURCE_STRENGTH_TOO_WEAK);
    return 0;
  }
  ctx->provider->generateCalls.fetch_add(1, std::memory_order_relaxed);
  return fillSeed(out, outlen) ? 1 : 0;
}

int seedReseed(void* /*vctx*/, int /*prediction_resistance*/, const unsigned char* /*ent*/,
               size_t /*ent_len*/, const unsigned char* /*adin*/, size_t /*adin_len*/) {
  return 1;  // nothing to reseed: every request reads the sources afresh
}

// Called by the child DRBG: `entropy` bits, between min_len and max_len bytes. The buffer is
// returned through clear_seed, which wipes it.
size_t seedGetSeed(void* vctx, unsigned char** pout, int entropy, size_t min_len, size_t max_len,
                   int /*prediction_resistance*/, const unsigned char* /*adin*/,
                   size_t /*adin_len*/) {
  SeedRandContext* ctx = asCtx(vctx);
  size_t len = entropy > 0 ? (static_cast<size_t>(entropy) + 7) / 8 : 0;
  len = std::max(len, min_len);
  if (len == 0 || len > max_len) {
    ERR_raise(ERR_LIB_PROV, PROV_R_ENTROPY_SOURCE_STRENGTH_TOO_WEAK);
    return 0;
  }
  auto* p = static_cast<unsigned char*>(OPENSSL_secure_malloc(len));
  if (p == nullptr) return 0;
  if (!fillSeed(p, len)) {
    OPENSSL_secure_clear_free(p, len);
    return 0;
  }
  ctx->provider->seedRequests.fetch_add(1, std::memory_order_relaxed);
  *pout = p;
  return len;
}

void seedClearSeed(void* /*vctx*/, unsigned char* out, size_t outlen) {
  OPENSSL_secure_clear_free(out, outlen);
}

int seedEnableLocking(void* /*vctx*/) {
  return 1;
}

int seedLock(void* vctx) {
  asCtx(vctx)->mu.lock();
  return 1;
}

void seedUnlock(void* vctx) {
  asCtx(vctx)->mu.unlock();
}

int seedGetCtxParams(void* vctx, OSSL_PARAM params[]) {
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
  if (p != nullptr && !OSSL_PARAM_set_int(p, asCtx(vctx)->state)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
  if (p != nullptr && !OSSL_PARAM_set_uint(p, kStrengthBits)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, kMaxRequest)) return 0;
  return 1;
}

const OSSL_PARAM* seedGettableCtxParams(void* /*vctx*/, void* /*provctx*/) {
  static const OSSL_PARAM kParams[] = {
      OSSL_PARAM_int(OSSL_RAND_PARAM_STATE, nullptr),
      OSSL_PARAM_uint(OSSL_RAND_PARAM_STRENGTH, nullptr),
      OSSL_PARAM_size_t(OSSL_RAND_PARAM_MAX_REQUEST, nullptr),
      OSSL_PARAM_END,
  };
  return kParams;
}

template <typename Fn>
OSSL_DISPATCH fn(int id, Fn* f) {
  return {id, reinterpret_cast<void (*)()>(f)};
}

const OSSL_DISPATCH kSeedFunctions[] = {
    fn(OSSL_FUNC_RAND_NEWCTX, seedNewCtx),
    fn(OSSL_FUNC_RAND_FREECTX, seedFreeCtx),
    fn(OSSL_FUNC_RAND_INSTANTIATE, seedInstantiate),
    fn(OSSL_FUNC_RAND_UNINSTANTIATE, seedUninstantiate),
    fn(OSSL_FUNC_RAND_GENERATE, seedGenerate),
    fn(OSSL_FUNC_RAND_RESEED, seedReseed),
    fn(OSSL_FUNC_RAND_ENABLE_LOCKING, seedEnableLocking),
    fn(OSSL_FUNC_RAND_LOCK, seedLock),
    fn(OSSL_FUNC_RAND_UNLOCK, seedUnlock),
    fn(OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, seedGettableCtxParams),
    fn(OSSL_FUNC_RAND_GET_CTX_PARAMS, seedGetCtxParams),
    fn(OSSL_FUNC_RAND_GET_SEED, seedGetSeed),
    fn(OSSL_FUNC_RAND_CLEAR_SEED, seedClearSeed),
    {0, nullptr},
};

const OSSL_ALGORITHM kRands[] = {
    {kSeedSourceName, kSeedProperties, kSeedFunctions,
     "getrandom mixed with health-tested RDSEED/RDRAND"},
    {nullptr, nullptr, nullptr, nullptr},
};

const OSSL_ALGORITHM* providerQuery(void* /*provctx*/, int operation_id, int* no_cache) {
  *no_cache = 0;
  return operation_id == OSSL_OP_RAND ? kRands : nullptr;
}

const OSSL_PARAM* providerGettableParams(void* /*provctx*/) {
  static const OSSL_PARAM kParams[] = {
      OSSL_PARAM_utf8_ptr(OSSL_PROV_PARAM_NAME, nullptr, 0),
      OSSL_PARAM_int(OSSL_PROV_PARAM_STATUS, nullptr),
      OSSL_PARAM_END,
  };
  return kParams;
}

int providerGetParams(void* /*provctx*/, OSSL_PARAM params[]) {
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
  if (p != nullptr && !OSSL_PARAM_set_utf8_ptr(p, "vtps CPU seed source")) return 0;
  p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
  if (p != nullptr && !OSSL_PARAM_set_int(p, 1)) return 0;
  return 1;
}

void providerTeardown(void* provctx) {
  delete static_cast<SeedProviderContext*>(provctx);
}

const OSSL_DISPATCH kProviderFunctions[] = {
    fn(OSSL_FUNC_PROVIDER_TEARDOWN, providerTeardown),
    fn(OSSL_FUNC_PROVIDER_QUERY_OPERATION, providerQuery),
    fn(OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, providerGettableParams),
    fn(OSSL_FUNC_PROVIDER_GET_PARAMS, providerGetParams),
    {0, nullptr},
};

int seedProviderInit(const OSSL_CORE_HANDLE* /*handle*/, const OSSL_DISPATCH* /*in*/,
                     const OSSL_DISPATCH** out, void** provctx) {
  auto* ctx = new (std::nothrow) SeedProviderContext;
  if (ctx == nullptr) return 0;
  *provctx = ctx;
  *out = kProviderFunctions;
  return 1;
}

}  // namespace

Result<SeedProviderCounters> seedProviderCounters(OSSL_LIB_CTX* libctx) {
  ERR_set_mark();
  ossl::EvpRandPtr rand(EVP_RAND_fetch(libctx, kSeedSourceName, kSeedProperties));
  ERR_pop_to_mark();
  if (!rand) {
    return makeError(fmt::format("read counters of provider {}: not loaded in this library context",
                                 kSeedProviderName));
  }
  const auto* ctx = static_cast<const SeedProviderContext*>(
      OSSL_PROVIDER_get0_provider_ctx(EVP_RAND_get0_provider(rand.get())));
  SeedProviderCounters c;
  c.contexts = ctx->contexts.load(std::memory_order_relaxed);
  c.seedRequests = ctx->seedRequests.load(std::memory_order_relaxed);
  c.generateCalls = ctx->generateCalls.load(std::memory_order_relaxed);
  return c;
}

Status installCpuSeedSource(OSSL_LIB_CTX* libctx) {
  const std::string op = fmt::format("install seed source {}", kSeedSourceName);
  Status loaded = accel::loadBuiltinProvider(libctx, kSeedProviderName, seedProviderInit);
  if (!loaded.ok()) return Error{op + ": " + loaded.message()};
  const std::string too_late = op +
                               ": the primary DRBG of this library context already exists; "
                               "install the seed source before the first use of random numbers";
  if (RAND_set_seed_source_type(libctx, kSeedSourceName, kSeedProperties) != 1) {
    // Newer 3.0 releases refuse outright once the primary DRBG exists; older ones accept the
    // setting and ignore it, which the check below catches.
    if (ERR_GET_REASON(ERR_peek_last_error()) == RAND_R_ALREADY_INSTANTIATED) {
      ERR_clear_error();
      return makeError(too_late);
    }
    return ossl::error(op, "RAND_set_seed_source_type");
  }
  Result<SeedProviderCounters> before = seedProviderCounters(libctx);
  if (!before.ok()) return Error{op + ": " + before.message()};
  if (RAND_get0_primary(libctx) == nullptr) return ossl::error(op, "create the primary DRBG");
  Result<SeedProviderCounters> after = seedProviderCounters(libctx);
  if (!after.ok()) return Error{op + ": " + after.message()};
  if (after->contexts == before->contexts) return makeError(too_late);
  if (after->seedRequests == before->seedRequests) {
    return makeError(op + ": the primary DRBG did not take its seed from the provider");
  }
  return Status::success();
}

void unloadCpuSeedSource(OSSL_LIB_CTX* libctx) {
  accel::unloadBuiltinProvider(libctx, kSeedProviderName);
}

SeedSourceStatus cpuSeedSourceStatus() {
  return entropySource().status();
}

void setSeedSourceEventHandler(EntropyEventHandler handler) {
  entropySource().setEventHandler(std::move(handler));
}

}  // namespace vtps::rng
