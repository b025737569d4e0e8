// Private to crypto/accel and crypto/rng: loading a built-in (in-process) OpenSSL provider into a
// library context, keeping its handle. OSSL_PROVIDER_try_load returns a reference that freeing the
// library context does not drop, so the handle is kept here (reachable, never leaked) and released
// by unloadBuiltinProvider before a short-lived library context is freed.
#pragma once

#include <openssl/core.h>
#include <openssl/types.h>

#include "crypto/result.h"

namespace vtps::accel {

// Registers `init` under `name` in `libctx` (null: the default context) and loads it, keeping
// OpenSSL's fallback (default) provider available. Success without change when a provider of that
// name is already available there. Errors name the provider and OpenSSL's cause.
Status loadBuiltinProvider(OSSL_LIB_CTX* libctx, const char* name, OSSL_provider_init_fn* init);

// Releases the handle loadBuiltinProvider kept for (libctx, name); no-op when there is none.
// Algorithms already fetched (and DRBGs already built) keep working until the context is freed.
void unloadBuiltinProvider(OSSL_LIB_CTX* libctx, const char* name);

}  // namespace vtps::accel
