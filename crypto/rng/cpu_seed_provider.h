// An in-process OpenSSL 3 provider ("vtps-seed") whose one algorithm, VTPS-CPU-SEED, is a DRBG
// seed source: getrandom() mixed with health-tested RDSEED/RDRAND (MixedEntropySource). Installed
// as the seed source of a library context's primary DRBG, it feeds every instantiate and reseed
// of that DRBG; the public and private DRBGs below it inherit it. This header is about OpenSSL.
#pragma once

#include <openssl/types.h>

#include <cstdint>

#include "crypto/result.h"
#include "crypto/rng/mixed_entropy_source.h"

namespace vtps::rng {

inline constexpr const char* kSeedProviderName = "vtps-seed";
inline constexpr const char* kSeedSourceName = "VTPS-CPU-SEED";

// Calls into one library context's instance of the provider.
struct SeedProviderCounters {
  uint64_t contexts = 0;       // seed-source contexts created (one per primary DRBG)
  uint64_t seedRequests = 0;   // get_seed calls: primary DRBG instantiate and reseed
  uint64_t generateCalls = 0;  // direct EVP_RAND_generate calls on the seed source
};

// Registers and loads the provider in `libctx` (null: the default context), keeping OpenSSL's
// default provider available, and makes VTPS-CPU-SEED the primary DRBG's seed source. Must run
// before anything in `libctx` draws random bytes: OpenSSL builds the primary DRBG once and never
// re-parents it. Verifies the effect (the primary DRBG took its seed from the provider) and fails
// with "install seed source VTPS-CPU-SEED: the primary DRBG of this library context already
// exists; install the seed source before the first use of random numbers" otherwise.
Status installCpuSeedSource(OSSL_LIB_CTX* libctx);

// Drops the provider handle installCpuSeedSource keeps; call before freeing a library context that
// is not meant to live until exit. Its DRBGs keep their seed source until the context is freed.
void unloadCpuSeedSource(OSSL_LIB_CTX* libctx);

// Counters of the provider instance loaded in `libctx`; an error when it is not loaded there.
Result<SeedProviderCounters> seedProviderCounters(OSSL_LIB_CTX* libctx);

// The process-wide entropy source behind every instance (the hardware is process-wide too).
SeedSourceStatus cpuSeedSourceStatus();
void setSeedSourceEventHandler(EntropyEventHandler handler);

}  // namespace vtps::rng
