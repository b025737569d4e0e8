// The C entry points OpenSSL calls for the provider's two ciphers, forwarding to GcmCipher, and
// the algorithm-level parameters (mode, lengths, the AEAD and custom-IV flags libssl checks).
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include <new>

#include "crypto/accel/ipsecmb_gcm.h"

namespace vtps::accel::ipsecmb {
namespace {

GcmCipher* asCipher(void* vctx) {
  return static_cast<GcmCipher*>(vctx);
}

template <size_t KeyLen>
void* gcmNewCtx(void* provctx) {
  return new (std::nothrow) GcmCipher(static_cast<ProviderContext*>(provctx)->libctx, KeyLen);
}

void* gcmDupCtx(void* vctx) {
  return GcmCipher::duplicate(*asCipher(vctx));
}

void gcmFreeCtx(void* vctx) {
  delete asCipher(vctx);
}

int gcmEncryptInit(void* vctx, const unsigned char* key, size_t keylen, const unsigned char* iv,
                   size_t ivlen, const OSSL_PARAM params[]) {
  return asCipher(vctx)->init(key, keylen, iv, ivlen, params, true);
}

int gcmDecryptInit(void* vctx, const unsigned char* key, size_t keylen, const unsigned char* iv,
                   size_t ivlen, const OSSL_PARAM params[]) {
  return asCipher(vctx)->init(key, keylen, iv, ivlen, params, false);
}

int gcmUpdate(void* vctx, unsigned char* out, size_t* outl, size_t outsize, const unsigned char* in,
              size_t inl) {
  return asCipher(vctx)->update(out, outl, outsize, in, inl);
}

int gcmFinal(void* vctx, unsigned char* /*out*/, size_t* outl, size_t /*outsize*/) {
  return asCipher(vctx)->final(outl);
}

int gcmCipher(void* vctx, unsigned char* out, size_t* outl, size_t outsize, const unsigned char* in,
              size_t inl) {
  return asCipher(vctx)->cipher(out, outl, outsize, in, inl);
}

int gcmGetCtxParams(void* vctx, OSSL_PARAM params[]) {
  return asCipher(vctx)->getCtxParams(params);
}

int gcmSetCtxParams(void* vctx, const OSSL_PARAM params[]) {
  return asCipher(vctx)->setCtxParams(params);
}

template <size_t KeyLen>
int gcmGetParams(OSSL_PARAM params[]) {
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE);
  if (p != nullptr && !OSSL_PARAM_set_uint(p, EVP_CIPH_GCM_MODE)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, KeyLen)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, kDefaultIvLen)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_BLOCK_SIZE);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, 1)) return 0;
  // libssl takes the TLS 1.2 AEAD path only for ciphers flagged AEAD; custom-IV tells EVP not
  // to manage the IV itself.
  for (const char* flag : {OSSL_CIPHER_PARAM_AEAD, OSSL_CIPHER_PARAM_CUSTOM_IV}) {
    p = OSSL_PARAM_locate(params, flag);
    if (p != nullptr && !OSSL_PARAM_set_int(p, 1)) return 0;
  }
  for (const char* flag :
       {OSSL_CIPHER_PARAM_CTS, OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, OSSL_CIPHER_PARAM_HAS_RAND_KEY}) {
    p = OSSL_PARAM_locate(params, flag);
    if (p != nullptr && !OSSL_PARAM_set_int(p, 0)) return 0;
  }
  return 1;
}

const OSSL_PARAM* gcmGettableParams(void* /*provctx*/) {
  static const OSSL_PARAM kParams[] = {
      OSSL_PARAM_uint(OSSL_CIPHER_PARAM_MODE, nullptr),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, nullptr),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, nullptr),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_BLOCK_SIZE, nullptr),
      OSSL_PARAM_int(OSSL_CIPHER_PARAM_AEAD, nullptr),
      OSSL_PARAM_int(OSSL_CIPHER_PARAM_CUSTOM_IV, nullptr),
      OSSL_PARAM_int(OSSL_CIPHER_PARAM_CTS, nullptr),
      OSSL_PARAM_int(OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, nullptr),
      OSSL_PARAM_int(OSSL_CIPHER_PARAM_HAS_RAND_KEY, nullptr),
      OSSL_PARAM_END,
  };
  return kParams;
}

const OSSL_PARAM* gcmGettableCtxParams(void* /*cctx*/, void* /*provctx*/) {
  static const OSSL_PARAM kParams[] = {
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, nullptr),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, nullptr),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, nullptr),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_IV, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_UPDATED_IV, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, nullptr, 0),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, nullptr),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, nullptr, 0),
      OSSL_PARAM_END,
  };
  return kParams;
}

const OSSL_PARAM* gcmSettableCtxParams(void* /*cctx*/, void* /*provctx*/) {
  static const OSSL_PARAM kParams[] = {
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, nullptr),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, nullptr, 0),
      OSSL_PARAM_END,
  };
  return kParams;
}

template <typename Fn>
OSSL_DISPATCH fn(int id, Fn* f) {
  return {id, reinterpret_cast<void (*)()>(f)};
}

template <size_t KeyLen>
const OSSL_DISPATCH kGcmFunctions[] = {
    fn(OSSL_FUNC_CIPHER_NEWCTX, gcmNewCtx<KeyLen>),
    fn(OSSL_FUNC_CIPHER_DUPCTX, gcmDupCtx),
    fn(OSSL_FUNC_CIPHER_FREECTX, gcmFreeCtx),
    fn(OSSL_FUNC_CIPHER_ENCRYPT_INIT, gcmEncryptInit),
    fn(OSSL_FUNC_CIPHER_DECRYPT_INIT, gcmDecryptInit),
    fn(OSSL_FUNC_CIPHER_UPDATE, gcmUpdate),
    fn(OSSL_FUNC_CIPHER_FINAL, gcmFinal),
    fn(OSSL_FUNC_CIPHER_CIPHER, gcmCipher),
    fn(OSSL_FUNC_CIPHER_GET_PARAMS, gcmGetParams<KeyLen>),
    fn(OSSL_FUNC_CIPHER_GETTABLE_PARAMS, gcmGettableParams),
    fn(OSSL_FUNC_CIPHER_GET_CTX_PARAMS, gcmGetCtxParams),
    fn(OSSL_FUNC_CIPHER_SET_CTX_PARAMS, gcmSetCtxParams),
    fn(OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS, gcmGettableCtxParams),
    fn(OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS, gcmSettableCtxParams),
    {0, nullptr},
};

}  // namespace

const OSSL_DISPATCH* aes128GcmFunctions() {
  return kGcmFunctions<IMB_GCM_128_KEY_LEN>;
}
const OSSL_DISPATCH* aes256GcmFunctions() {
  return kGcmFunctions<IMB_GCM_256_KEY_LEN>;
}

}  // namespace vtps::accel::ipsecmb
