#include "crypto/accel/builtin_provider.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/provider.h>

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "crypto/ossl.h"

namespace vtps::accel {
namespace {

struct Handles {
  std::mutex mu;
  std::map<std::pair<OSSL_LIB_CTX*, std::string>, OSSL_PROVIDER*> loaded;
};

Handles& handles() {
  static Handles* h = new Handles;  // never destroyed: providers may be used until exit
  return *h;
}

}  // namespace

Status loadBuiltinProvider(OSSL_LIB_CTX* libctx, const char* name, OSSL_provider_init_fn* init) {
  Handles& h = handles();
  std::lock_guard lock(h.mu);
  if (OSSL_PROVIDER_available(libctx, name) == 1) return Status::success();
  const std::string op = fmt::format("load provider {}", name);
  // After an unload the name is still registered in this context; registering again then fails
  // harmlessly and the load below finds the existing entry.
  ERR_set_mark();
  const bool registered = OSSL_PROVIDER_add_builtin(libctx, name, init) == 1;
  ERR_pop_to_mark();
  // retain_fallbacks = 1: loading a provider explicitly must not switch off the default one.
  OSSL_PROVIDER* prov = OSSL_PROVIDER_try_load(libctx, name, 1);
  if (prov == nullptr) {
    return ossl::error(op, registered ? "OSSL_PROVIDER_try_load" : "OSSL_PROVIDER_add_builtin");
  }
  h.loaded[{libctx, name}] = prov;
  return Status::success();
}

void unloadBuiltinProvider(OSSL_LIB_CTX* libctx, const char* name) {
  Handles& h = handles();
  std::lock_guard lock(h.mu);
  auto it = h.loaded.find({libctx, name});
  if (it == h.loaded.end()) return;
  OSSL_PROVIDER_unload(it->second);
  h.loaded.erase(it);
}

}  // namespace vtps::accel
