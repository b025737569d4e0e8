// Internal to crypto/tls: the settings server and upstream contexts share (protocol range,
// security level, cipher suites from IANA names, hardening options, ALPN wire format), and the
// ex_data slots that tie callback state to the OpenSSL objects so the state lives exactly as
// long as the object that calls back into it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "crypto/ossl.h"
#include "crypto/result.h"
#include "crypto/tls/tls_options.h"

namespace vtps::tls::detail {

// Creates a TLS_method() context with everything TlsOptions says applied. `what` names the
// object in errors ("server proxy web1"). Suites this OpenSSL cannot negotiate land in `ignored`.
Result<ossl::SslCtxPtr> newContext(std::string_view what, const TlsOptions& options,
                                   std::vector<std::string>& ignored);

// The ALPN list a side offers or accepts: `alpn` without "h2" when the downgrade is on.
std::vector<std::string> effectiveAlpn(const std::vector<std::string>& alpn, bool downgrade);
// RFC 7301 wire format (length-prefixed names). Error when a name is empty or over 255 bytes.
Result<std::string> encodeAlpn(std::string_view what, const std::vector<std::string>& protocols);

// ex_data slot on SSL / SSL_CTX owning a heap T: freed with its parent, copied by SSL_dup.
template <typename T>
void freeExData(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/, long /*argl*/,
                void* /*argp*/) {  // NOLINT(google-runtime-int): OpenSSL's type
  delete static_cast<T*>(ptr);
}
template <typename T>
int dupExData(CRYPTO_EX_DATA* /*to*/, const CRYPTO_EX_DATA* /*from*/, void** from_d, int /*idx*/,
              long /*argl*/, void* /*argp*/) {  // NOLINT(google-runtime-int): OpenSSL's type
  if constexpr (std::is_copy_constructible_v<T>) {
    auto** slot = reinterpret_cast<T**>(from_d);  // the copy headed for `to`
    if (*slot != nullptr) *slot = new T(**slot);
    return 1;
  } else {
    return 0;  // contexts are never duplicated; refuse rather than share the state
  }
}
template <typename T>
int sslExIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, &dupExData<T>, &freeExData<T>);
  return index;
}
template <typename T>
int sslCtxExIndex() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, &dupExData<T>, &freeExData<T>);
  return index;
}

// Hands `state` to `ssl`'s ex_data slot for T; returns the raw pointer (owned by `ssl`).
template <typename T>
Result<T*> attach(SSL* ssl, std::unique_ptr<T> state, std::string_view what) {
  if (SSL_set_ex_data(ssl, sslExIndex<T>(), state.get()) != 1) {
    return ossl::error(std::string(what) + ": SSL_set_ex_data");
  }
  return state.release();
}
template <typename T>
Result<T*> attach(SSL_CTX* ctx, std::unique_ptr<T> state, std::string_view what) {
  if (SSL_CTX_set_ex_data(ctx, sslCtxExIndex<T>(), state.get()) != 1) {
    return ossl::error(std::string(what) + ": SSL_CTX_set_ex_data");
  }
  return state.release();
}
template <typename T>
T* stateOf(const SSL* ssl) {
  return static_cast<T*>(SSL_get_ex_data(ssl, sslExIndex<T>()));
}

}  // namespace vtps::tls::detail
