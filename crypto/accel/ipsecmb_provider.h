// An in-process OpenSSL 3 provider ("vtps-ipsecmb") serving AES-128-GCM and AES-256-GCM from
// intel-ipsec-mb, whose VAES/VPCLMULQDQ code paths Debian's OpenSSL 3.0 lacks. It implements the
// parameters both TLS record layers use (TLS 1.2: TLS1 AAD, fixed IV, explicit-nonce generation;
// TLS 1.3: per-record IV, AAD by update, tag get/set), so SSL_CTXs of a library context that
// prefers it run their record protection through it. CHACHA20-POLY1305 is not offered: see
// docs/crypto-acceleration.md. This header is about OpenSSL (it takes an OSSL_LIB_CTX).
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <string>

#include "crypto/result.h"

namespace vtps::accel {

inline constexpr const char* kIpsecMbProviderName = "vtps-ipsecmb";
// Property query that makes fetches prefer the provider and fall back to any other.
inline constexpr const char* kIpsecMbPreferQuery = "?provider=vtps-ipsecmb";

// What intel-ipsec-mb chose on this CPU.
struct IpsecMbInfo {
  std::string libraryVersion;  // "1.3.0"
  std::string arch;            // "avx512", "avx2", "avx", "sse" or "no-aesni"
  bool vaes = false;           // the wide VAES/VPCLMULQDQ GCM code is in use
  // Whether TLS contexts should prefer the provider on this CPU. True only on the code path the
  // benchmark measured faster than, or tied with, OpenSSL at every record size (VAES, AVX-512:
  // 0.99-1.2x at 64 B, 1.5-2.2x at 1,400 B, 2.3-3.5x at 16 KiB; docs/performance.md). Elsewhere
  // OpenSSL's own AES-NI code stays in charge until measured.
  bool preferredByDefault = false;
};

// Initialises the library's process-wide manager on first use (init_mb_mgr_auto). Errors when the
// manager cannot be allocated or the library's self-test failed.
Result<IpsecMbInfo> ipsecMbInfo();

// Registers and loads the provider in `libctx` (null: the default context), keeping OpenSSL's
// default provider available for everything else. Loading alone changes nothing: fetches pick the
// provider only when asked (property "provider=vtps-ipsecmb") or after preferIpsecMbProvider().
// Idempotent per library context.
Status loadIpsecMbProvider(OSSL_LIB_CTX* libctx);

// Drops the provider handle loadIpsecMbProvider keeps; call before freeing a library context that
// is not meant to live until exit (otherwise the provider's few hundred bytes are never freed).
void unloadIpsecMbProvider(OSSL_LIB_CTX* libctx);

// Sets `libctx`'s default property query to "?provider=vtps-ipsecmb" (replacing any previous one),
// so that SSL_CTXs created afterwards in it fetch AES-GCM from the provider. Call after
// loadIpsecMbProvider; SSL_CTXs fetch their ciphers when created.
Status preferIpsecMbProvider(OSSL_LIB_CTX* libctx);

// Process-wide totals, folded in when a cipher context is freed (never per record).
struct IpsecMbCounters {
  uint64_t contexts = 0;     // cipher contexts freed
  uint64_t bytesSealed = 0;  // plaintext bytes encrypted
  uint64_t bytesOpened = 0;  // ciphertext bytes decrypted
  uint64_t tlsRecords = 0;   // TLS 1.2 records (TLS1 AAD path), both directions
  uint64_t tagFailures = 0;  // decryptions whose tag did not verify
};
IpsecMbCounters ipsecMbCounters();

}  // namespace vtps::accel
