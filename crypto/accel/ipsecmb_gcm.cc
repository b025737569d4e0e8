// GcmCipher: key and IV handling, the streaming EVP interface (TLS 1.3 uses it per record) and
// the TLS 1.2 record path (explicit nonce + one-shot seal/open in place).
#include "crypto/accel/ipsecmb_gcm.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/proverr.h>
#include <openssl/rand.h>

#include <cstring>
#include <new>

namespace vtps::accel::ipsecmb {
namespace {

// SP 800-38D: at most 2^39 - 256 bits of plaintext under one IV.
constexpr uint64_t kMaxDataLen = (uint64_t{1} << 36) - 32;

// Increments the big-endian 64-bit counter at `counter` (the TLS 1.2 explicit nonce).
void increment64(unsigned char* counter) {
  for (int i = 7; i >= 0; --i) {
    if (++counter[i] != 0) return;
  }
}

}  // namespace

GcmFunctions gcmFunctions(const IMB_MGR& m, size_t key_len) {
  if (key_len == IMB_GCM_128_KEY_LEN) {
    return {m.gcm128_pre,          m.gcm128_init,       m.gcm128_init_var_iv,
            m.gcm128_enc_update,   m.gcm128_dec_update, m.gcm128_enc_finalize,
            m.gcm128_dec_finalize, m.gcm128_enc,        m.gcm128_dec};
  }
  return {m.gcm256_pre,          m.gcm256_init,       m.gcm256_init_var_iv,
          m.gcm256_enc_update,   m.gcm256_dec_update, m.gcm256_enc_finalize,
          m.gcm256_dec_finalize, m.gcm256_enc,        m.gcm256_dec};
}

SharedCounters& sharedCounters() {
  static SharedCounters counters;
  return counters;
}

GcmCipher::GcmCipher(OSSL_LIB_CTX* libctx, size_t key_len)
    : fns_(gcmFunctions(*manager(), key_len)), libctx_(libctx), key_len_(key_len) {
  aad_.reserve(64);  // TLS uses 5 or 13 bytes: no allocation per record
}

GcmCipher::~GcmCipher() {
  OPENSSL_cleanse(&key_, sizeof(key_));
  OPENSSL_cleanse(&gcm_, sizeof(gcm_));
  SharedCounters& c = sharedCounters();
  c.contexts.fetch_add(1, std::memory_order_relaxed);
  c.bytesSealed.fetch_add(sealed_, std::memory_order_relaxed);
  c.bytesOpened.fetch_add(opened_, std::memory_order_relaxed);
  c.tlsRecords.fetch_add(tls_records_, std::memory_order_relaxed);
  c.tagFailures.fetch_add(tag_failures_, std::memory_order_relaxed);
}

GcmCipher* GcmCipher::duplicate(const GcmCipher& other) {
  GcmCipher* copy = new (std::nothrow) GcmCipher(other);
  if (copy != nullptr) copy->sealed_ = copy->opened_ = copy->tls_records_ = copy->tag_failures_ = 0;
  return copy;
}

int GcmCipher::init(const unsigned char* key, size_t keylen, const unsigned char* iv, size_t ivlen,
                    const OSSL_PARAM params[], bool enc) {
  enc_ = enc;
  if (iv != nullptr) {
    if (ivlen == 0 || ivlen > kMaxIvLen) {
      ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_IV_LENGTH);
      return 0;
    }
    iv_len_ = ivlen;
    std::memcpy(iv_, iv, ivlen);
    iv_gen_rand_ = false;
    bufferIv();
  }
  if (key != nullptr) {
    if (keylen != key_len_) {
      ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_KEY_LENGTH);
      return 0;
    }
    fns_.pre(key, &key_);
    key_set_ = true;
    tls_enc_records_ = 0;
    // An operation that was running under the old key restarts from its IV.
    if (iv_state_ == IvState::kStarted) bufferIv();
  }
  return setCtxParams(params);
}

void GcmCipher::bufferIv() {
  std::memcpy(op_iv_, iv_, iv_len_);
  iv_state_ = IvState::kBuffered;
  aad_.clear();
  data_len_ = 0;
}

bool GcmCipher::generateRandomIv() {
  if (iv_len_ < kDefaultIvLen) return false;
  if (RAND_bytes_ex(libctx_, iv_, iv_len_, 0) <= 0) return false;
  iv_gen_rand_ = true;
  bufferIv();
  return true;
}

// The library takes the whole AAD when the operation starts, hence the buffering in update().
bool GcmCipher::start() {
  const uint8_t* aad = aad_.empty() ? op_iv_ : aad_.data();  // a valid pointer even when empty
  if (iv_len_ == kDefaultIvLen) {
    fns_.init(&key_, &gcm_, op_iv_, aad, aad_.size());
  } else {
    fns_.initVarIv(&key_, &gcm_, op_iv_, iv_len_, aad, aad_.size());
  }
  aad_.clear();
  data_len_ = 0;
  iv_state_ = IvState::kStarted;
  return true;
}

bool GcmCipher::finish() {
  if (enc_) {
    fns_.encFinalize(&key_, &gcm_, tag_, kTagLen);
    tag_len_ = kTagLen;
    return true;
  }
  unsigned char computed[kTagLen];
  fns_.decFinalize(&key_, &gcm_, computed, kTagLen);
  bool ok = CRYPTO_memcmp(computed, tag_, tag_len_) == 0;
  OPENSSL_cleanse(computed, sizeof(computed));
  if (!ok) ++tag_failures_;
  return ok;
}

int GcmCipher::process(unsigned char* out, size_t* outl, const unsigned char* in, size_t inl) {
  if (tls_aad_len_ != kUnset) return tlsCipher(out, outl, in, inl);
  *outl = 0;
  if (!key_set_ || iv_state_ == IvState::kFinished) return 0;
  if (iv_state_ == IvState::kNotSet && (!enc_ || !generateRandomIv())) return 0;

  if (in == nullptr) {  // final
    if (!enc_ && tag_len_ == kUnset) {
      ERR_raise(ERR_LIB_PROV, PROV_R_TAG_NOT_SET);
      return 0;
    }
    if (iv_state_ != IvState::kStarted) start();
    bool ok = finish();
    iv_state_ = IvState::kFinished;  // never reuse an IV
    return ok ? 1 : 0;
  }
  if (out == nullptr) {  // AAD: must come before any data
    if (iv_state_ == IvState::kStarted) return 0;
    aad_.insert(aad_.end(), in, in + inl);
  } else {
    if (iv_state_ != IvState::kStarted) start();
    if (inl > kMaxDataLen - data_len_) return 0;
    if (inl != 0) {
      if (enc_) {
        fns_.encUpdate(&key_, &gcm_, out, in, inl);
        sealed_ += inl;
      } else {
        fns_.decUpdate(&key_, &gcm_, out, in, inl);
        opened_ += inl;
      }
    }
    data_len_ += inl;
  }
  *outl = inl;
  return 1;
}

int GcmCipher::update(unsigned char* out, size_t* outl, size_t outsize, const unsigned char* in,
                      size_t inl) {
  if (inl == 0) {
    *outl = 0;
    return 1;
  }
  if (outsize < inl) {
    ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
    return 0;
  }
  if (process(out, outl, in, inl) != 1) {
    ERR_raise(ERR_LIB_PROV, PROV_R_CIPHER_OPERATION_FAILED);
    return 0;
  }
  return 1;
}

// A failed tag check is reported by the return value alone, as OpenSSL's own GCM does.
int GcmCipher::final(size_t* outl) {
  int rv = process(nullptr, outl, nullptr, 0);
  *outl = 0;
  return rv;
}

int GcmCipher::cipher(unsigned char* out, size_t* outl, size_t outsize, const unsigned char* in,
                      size_t inl) {
  if (outsize < inl) {
    ERR_raise(ERR_LIB_PROV, PROV_R_OUTPUT_BUFFER_TOO_SMALL);
    return 0;
  }
  if (process(out, outl, in, inl) != 1) return 0;
  *outl = inl;
  return 1;
}

// TLS 1.2 explicit nonce: the operation uses the current IV, the record carries its last
// `len` bytes, and the counter moves on for the next record.
bool GcmCipher::ivGen(unsigned char* out, size_t len) {
  if (!iv_gen_ || !key_set_) return false;
  bufferIv();
  if (len == 0 || len > iv_len_) len = iv_len_;
  std::memcpy(out, iv_ + iv_len_ - len, len);
  increment64(iv_ + iv_len_ - kTlsExplicitIvLen);
  return true;
}

bool GcmCipher::ivInv(const unsigned char* in, size_t len) {
  if (!iv_gen_ || !key_set_ || enc_ || len > iv_len_) return false;
  std::memcpy(iv_ + iv_len_ - len, in, len);
  bufferIv();
  return true;
}

// Stores the 13-byte TLS 1.2 AAD with its length field corrected to the plaintext length, and
// returns how many bytes the record grows by (the tag), as the record layer expects.
size_t GcmCipher::tlsInit(const unsigned char* aad, size_t len) {
  if (len != kTlsAadLen) return 0;
  std::memcpy(tls_aad_, aad, len);
  size_t record_len = static_cast<size_t>(tls_aad_[len - 2]) << 8 | tls_aad_[len - 1];
  size_t overhead = kTlsExplicitIvLen + (enc_ ? 0 : kTagLen);
  if (record_len < overhead) return 0;
  record_len -= overhead;
  tls_aad_[len - 2] = static_cast<unsigned char>(record_len >> 8);
  tls_aad_[len - 1] = static_cast<unsigned char>(record_len & 0xff);
  tls_aad_len_ = len;
  return kTagLen;
}

bool GcmCipher::tlsSetFixedIv(const unsigned char* iv, size_t len) {
  if (len == kUnset) {  // the whole IV, e.g. restored from a saved session state
    std::memcpy(iv_, iv, iv_len_);
    iv_gen_ = true;
    bufferIv();
    return true;
  }
  // Fixed field at least 4 bytes, invocation field at least 8 (SP 800-38D 8.2.1).
  if (len < kTlsFixedIvLen || len > iv_len_ || iv_len_ - len < kTlsExplicitIvLen) return false;
  std::memcpy(iv_, iv, len);
  if (enc_) {
    if (RAND_bytes_ex(libctx_, iv_ + len, iv_len_ - len, 0) <= 0) return false;
    iv_gen_rand_ = true;
  }
  iv_gen_ = true;
  bufferIv();
  return true;
}

// One TLS 1.2 record in place: explicit nonce (8) | payload | tag (16).
int GcmCipher::tlsCipher(unsigned char* out, size_t* outl, const unsigned char* in, size_t len) {
  int rv = 0;
  size_t result_len = 0;
  if (!key_set_ || out != in || len < kTlsExplicitIvLen + kTagLen || iv_len_ != kDefaultIvLen) {
    goto done;
  }
  // One party must stop after 2^64 - 1 records under a key (SP 800-38D, FIPS IG A.5).
  if (enc_ && ++tls_enc_records_ == 0) {
    ERR_raise(ERR_LIB_PROV, PROV_R_TOO_MANY_RECORDS);
    goto done;
  }
  if (enc_ ? !ivGen(out, kTlsExplicitIvLen) : !ivInv(out, kTlsExplicitIvLen)) goto done;
  {
    unsigned char* payload = out + kTlsExplicitIvLen;
    const size_t payload_len = len - kTlsExplicitIvLen - kTagLen;
    if (enc_) {
      fns_.enc(&key_, &gcm_, payload, payload, payload_len, op_iv_, tls_aad_, tls_aad_len_,
               payload + payload_len, kTagLen);
      sealed_ += payload_len;
      result_len = len;
    } else {
      unsigned char computed[kTagLen];
      fns_.dec(&key_, &gcm_, payload, payload, payload_len, op_iv_, tls_aad_, tls_aad_len_,
               computed, kTagLen);
      if (CRYPTO_memcmp(computed, payload + payload_len, kTagLen) != 0) {
        OPENSSL_cleanse(payload, payload_len);
        ++tag_failures_;
        goto done;
      }
      opened_ += payload_len;
      result_len = payload_len;
    }
    ++tls_records_;
    rv = 1;
  }
done:
  iv_state_ = IvState::kFinished;
  tls_aad_len_ = kUnset;
  *outl = result_len;
  return rv;
}

}  // namespace vtps::accel::ipsecmb
