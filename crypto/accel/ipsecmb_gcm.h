// Private to crypto/accel: one AES-GCM cipher context of the vtps-ipsecmb provider, built on
// intel-ipsec-mb's direct GCM API (init / update / finalize, and one-shot for TLS 1.2 records).
// The state machine follows OpenSSL's own GCM provider so that the EVP layer and libssl, which
// were written against it, see the same behaviour.
#pragma once

// Without this the header #defines pre-0.53 names such as SHA1 that collide with OpenSSL's.
#ifndef NO_COMPAT_IMB_API_053
#define NO_COMPAT_IMB_API_053
#endif
#include <intel-ipsec-mb.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vtps::accel::ipsecmb {

inline constexpr size_t kDefaultIvLen = 12;
inline constexpr size_t kMaxIvLen = 128;  // what OpenSSL's GCM accepts
inline constexpr size_t kTagLen = 16;
inline constexpr size_t kTlsAadLen = 13;        // EVP_AEAD_TLS1_AAD_LEN
inline constexpr size_t kTlsFixedIvLen = 4;     // EVP_GCM_TLS_FIXED_IV_LEN
inline constexpr size_t kTlsExplicitIvLen = 8;  // EVP_GCM_TLS_EXPLICIT_IV_LEN
inline constexpr size_t kUnset = static_cast<size_t>(-1);

// The process-wide manager: a table of function pointers for the best code path on this CPU.
// Read-only after initialisation, so every thread may call through it. Null when unavailable.
IMB_MGR* manager();

// intel-ipsec-mb's GCM entry points for one key size.
struct GcmFunctions {
  aes_gcm_pre_t pre;
  aes_gcm_init_t init;  // 12-byte IV
  aes_gcm_init_var_iv_t initVarIv;
  aes_gcm_enc_dec_update_t encUpdate;
  aes_gcm_enc_dec_update_t decUpdate;
  aes_gcm_enc_dec_finalize_t encFinalize;
  aes_gcm_enc_dec_finalize_t decFinalize;
  aes_gcm_enc_dec_t enc;  // one-shot, 12-byte IV
  aes_gcm_enc_dec_t dec;
};
GcmFunctions gcmFunctions(const IMB_MGR& mgr, size_t key_len);

// Totals that GcmCipher folds into when it is destroyed.
struct SharedCounters {
  std::atomic<uint64_t> contexts{0};
  std::atomic<uint64_t> bytesSealed{0};
  std::atomic<uint64_t> bytesOpened{0};
  std::atomic<uint64_t> tlsRecords{0};
  std::atomic<uint64_t> tagFailures{0};
};
SharedCounters& sharedCounters();

// The library declares gcm_key_data 64-byte aligned only when the application defines LINUX;
// the alignment is requested here so that the AVX-512 code gets it either way.
class alignas(64) GcmCipher {
 public:
  GcmCipher(OSSL_LIB_CTX* libctx, size_t key_len);
  GcmCipher& operator=(const GcmCipher&) = delete;
  ~GcmCipher();

  // OSSL_FUNC_cipher_dupctx: a copy of the whole state whose counters start at zero.
  static GcmCipher* duplicate(const GcmCipher& other);

  // OSSL_FUNC_cipher_{encrypt,decrypt}_init.
  int init(const unsigned char* key, size_t keylen, const unsigned char* iv, size_t ivlen,
           const OSSL_PARAM params[], bool enc);
  // OSSL_FUNC_cipher_update: AAD when `out` is null, data otherwise.
  int update(unsigned char* out, size_t* outl, size_t outsize, const unsigned char* in, size_t inl);
  // OSSL_FUNC_cipher_final: computes (encrypt) or verifies (decrypt) the tag.
  int final(size_t* outl);
  // OSSL_FUNC_cipher_cipher (EVP_Cipher): a whole TLS 1.2 record after TLS1 AAD was set,
  // otherwise update/final semantics with `in` null meaning final.
  int cipher(unsigned char* out, size_t* outl, size_t outsize, const unsigned char* in, size_t inl);

  int getCtxParams(OSSL_PARAM params[]);
  int setCtxParams(const OSSL_PARAM params[]);

  size_t keyLen() const { return key_len_; }

 private:
  enum class IvState { kNotSet, kBuffered, kStarted, kFinished };

  GcmCipher(const GcmCipher&) = default;

  int process(unsigned char* out, size_t* outl, const unsigned char* in, size_t inl);
  void bufferIv();
  bool start();
  bool finish();
  bool generateRandomIv();
  bool ivGen(unsigned char* out, size_t len);
  bool ivInv(const unsigned char* in, size_t len);
  size_t tlsInit(const unsigned char* aad, size_t len);
  bool tlsSetFixedIv(const unsigned char* iv, size_t len);
  int tlsCipher(unsigned char* out, size_t* outl, const unsigned char* in, size_t len);

  int setTag(const OSSL_PARAM* p);
  int setIvLen(const OSSL_PARAM* p);
  int getIv(OSSL_PARAM* p);
  int getTag(OSSL_PARAM* p) const;

  gcm_key_data key_{};
  gcm_context_data gcm_{};
  GcmFunctions fns_;
  OSSL_LIB_CTX* libctx_;
  size_t key_len_;
  bool enc_ = true;
  bool key_set_ = false;

  IvState iv_state_ = IvState::kNotSet;
  size_t iv_len_ = kDefaultIvLen;
  unsigned char iv_[kMaxIvLen] = {};     // the context's IV (TLS 1.2: fixed part + counter)
  unsigned char op_iv_[kMaxIvLen] = {};  // the IV the pending or running operation uses
  bool iv_gen_ = false;                  // TLS 1.2: fixed part set, explicit part is a counter
  bool iv_gen_rand_ = false;             // the IV (or its explicit part) came from the DRBG

  std::vector<unsigned char> aad_;  // buffered until the first data (the API takes AAD at init)
  uint64_t data_len_ = 0;           // bytes processed under the current IV

  unsigned char tag_[kTagLen] = {};
  size_t tag_len_ = kUnset;

  unsigned char tls_aad_[kTlsAadLen] = {};
  size_t tls_aad_len_ = kUnset;
  size_t tls_aad_pad_ = 0;
  uint64_t tls_enc_records_ = 0;

  // Folded into sharedCounters() by the destructor.
  uint64_t sealed_ = 0;
  uint64_t opened_ = 0;
  uint64_t tls_records_ = 0;
  uint64_t tag_failures_ = 0;
};

// The provider context: the library context the provider was loaded into (the provider is
// built in, so the core's library context is the application's).
struct ProviderContext {
  OSSL_LIB_CTX* libctx = nullptr;
};

// The OSSL_DISPATCH tables of the two ciphers.
const OSSL_DISPATCH* aes128GcmFunctions();
const OSSL_DISPATCH* aes256GcmFunctions();

}  // namespace vtps::accel::ipsecmb
