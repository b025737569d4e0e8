// GcmCipher's OSSL_PARAM interface: what EVP_CIPHER_CTX_ctrl() and libssl read and write
// (IV length, tag, TLS1 AAD and its pad, the TLS 1.2 fixed IV and explicit-nonce handling).
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include "crypto/accel/ipsecmb_gcm.h"

namespace vtps::accel::ipsecmb {

int GcmCipher::getIv(OSSL_PARAM* p) {
  // Asking for the IV before any was set makes one, as for an encryption that starts now.
  if (iv_state_ == IvState::kNotSet) {
    if (tls_aad_len_ != kUnset || !enc_ || !generateRandomIv()) return 0;
  }
  if (p->data != nullptr && iv_len_ > p->data_size) {
    ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_IV_LENGTH);
    return 0;
  }
  if (!OSSL_PARAM_set_octet_ptr(p, iv_, iv_len_) && !OSSL_PARAM_set_octet_string(p, iv_, iv_len_)) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
    return 0;
  }
  return 1;
}

int GcmCipher::getTag(OSSL_PARAM* p) const {
  if (!enc_ || tag_len_ == kUnset) {
    ERR_raise(ERR_LIB_PROV, PROV_R_TAG_NOT_SET);
    return 0;
  }
  size_t sz = p->data == nullptr ? tag_len_ : p->data_size;
  if (sz == 0 || sz > kTagLen) {
    ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_TAG);
    return 0;
  }
  if (!OSSL_PARAM_set_octet_string(p, tag_, sz)) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
    return 0;
  }
  return 1;
}

int GcmCipher::getCtxParams(OSSL_PARAM params[]) {
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, iv_len_)) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
    return 0;
  }
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, key_len_)) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
    return 0;
  }
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAGLEN);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, tag_len_ != kUnset ? tag_len_ : kTagLen)) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
    return 0;
  }
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IV);
  if (p != nullptr && !getIv(p)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_UPDATED_IV);
  if (p != nullptr && !getIv(p)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD);
  if (p != nullptr && !OSSL_PARAM_set_size_t(p, tls_aad_pad_)) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_SET_PARAMETER);
    return 0;
  }
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAG);
  if (p != nullptr && !getTag(p)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN);
  if (p != nullptr && (p->data == nullptr || p->data_type != OSSL_PARAM_OCTET_STRING ||
                       !ivGen(static_cast<unsigned char*>(p->data), p->data_size))) {
    return 0;
  }
  return 1;
}

int GcmCipher::setTag(const OSSL_PARAM* p) {
  if (enc_) {
    ERR_raise(ERR_LIB_PROV, PROV_R_TAG_NOT_NEEDED);
    return 0;
  }
  void* vp = tag_;
  size_t sz = 0;
  if (!OSSL_PARAM_get_octet_string(p, &vp, kTagLen, &sz)) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
    return 0;
  }
  if (sz == 0) {
    ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_TAG);
    return 0;
  }
  tag_len_ = sz;
  return 1;
}

int GcmCipher::setIvLen(const OSSL_PARAM* p) {
  size_t sz = 0;
  if (!OSSL_PARAM_get_size_t(p, &sz)) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
    return 0;
  }
  if (sz == 0 || sz > kMaxIvLen) {
    ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_IV_LENGTH);
    return 0;
  }
  if (sz != iv_len_) {
    // An IV that was set or generated for the old length is no longer usable.
    if (iv_state_ != IvState::kNotSet) iv_state_ = IvState::kFinished;
    iv_len_ = sz;
  }
  return 1;
}

int GcmCipher::setCtxParams(const OSSL_PARAM params[]) {
  if (params == nullptr) return 1;
  const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TAG);
  if (p != nullptr && !setTag(p)) return 0;
  p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_IVLEN);
  if (p != nullptr && !setIvLen(p)) return 0;
  p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD);
  if (p != nullptr) {
    if (p->data_type != OSSL_PARAM_OCTET_STRING) {
      ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
      return 0;
    }
    size_t pad = tlsInit(static_cast<const unsigned char*>(p->data), p->data_size);
    if (pad == 0) {
      ERR_raise(ERR_LIB_PROV, PROV_R_INVALID_AAD);
      return 0;
    }
    tls_aad_pad_ = pad;
  }
  p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED);
  if (p != nullptr && (p->data_type != OSSL_PARAM_OCTET_STRING ||
                       !tlsSetFixedIv(static_cast<const unsigned char*>(p->data), p->data_size))) {
    ERR_raise(ERR_LIB_PROV, PROV_R_FAILED_TO_GET_PARAMETER);
    return 0;
  }
  p = OSSL_PARAM_locate_const(params, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV);
  if (p != nullptr && (p->data == nullptr || p->data_type != OSSL_PARAM_OCTET_STRING ||
                       !ivInv(static_cast<const unsigned char*>(p->data), p->data_size))) {
    return 0;
  }
  return 1;
}

}  // namespace vtps::accel::ipsecmb
