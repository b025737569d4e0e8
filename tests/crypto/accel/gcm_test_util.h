// AES-GCM helpers for the provider tests: one library context with vtps-ipsecmb loaded next to
// OpenSSL's default provider, and seal/open through the EVP interface of either.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/accel/ipsecmb_provider.h"
#include "crypto/ossl.h"

namespace vtps::accel::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes unhex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

inline std::string hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t v : b) {
    s += digits[v >> 4];
    s += digits[v & 15];
  }
  return s;
}

// A fresh library context with the provider loaded (not preferred): each side is fetched
// explicitly by property.
class GcmProviders {
 public:
  GcmProviders() : libctx_(OSSL_LIB_CTX_new()) {
    Status st = loadIpsecMbProvider(libctx_.get());
    EXPECT_TRUE(st.ok()) << st.message();
  }
  ~GcmProviders() { unloadIpsecMbProvider(libctx_.get()); }
  GcmProviders(const GcmProviders&) = delete;
  GcmProviders& operator=(const GcmProviders&) = delete;
  OSSL_LIB_CTX* libctx() const { return libctx_.get(); }
  ossl::EvpCipherPtr fetch(const char* name, bool ipsecmb) const {
    return ossl::EvpCipherPtr(EVP_CIPHER_fetch(
        libctx_.get(), name, ipsecmb ? "provider=vtps-ipsecmb" : "provider=default"));
  }

 private:
  ossl::OsslLibCtxPtr libctx_;
};

struct Sealed {
  Bytes ciphertext;
  Bytes tag;
};

inline bool setIvLen(EVP_CIPHER_CTX* ctx, size_t ivlen) {
  return ivlen == 12 ||
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(ivlen), nullptr) == 1;
}

// One-shot seal; nullopt when any EVP call fails.
inline std::optional<Sealed> seal(const EVP_CIPHER* cipher, const Bytes& key, const Bytes& iv,
                                  const Bytes& aad, const Bytes& plaintext, size_t tag_len = 16) {
  ossl::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Sealed s;
  s.ciphertext.resize(plaintext.size());
  s.tag.resize(tag_len);
  int len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      !setIvLen(ctx.get(), iv.size()) ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) != 1) {
    return std::nullopt;
  }
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return std::nullopt;
  }
  if (EVP_EncryptUpdate(ctx.get(), s.ciphertext.data(), &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      static_cast<size_t>(len) != plaintext.size()) {
    return std::nullopt;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) != 1 || len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag_len),
                          s.tag.data()) != 1) {
    return std::nullopt;
  }
  return s;
}

// One-shot open; nullopt when the tag does not verify (or any EVP call fails).
inline std::optional<Bytes> open(const EVP_CIPHER* cipher, const Bytes& key, const Bytes& iv,
                                 const Bytes& aad, const Bytes& ciphertext, const Bytes& tag) {
  ossl::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(ciphertext.size());
  int len = 0;
  Bytes tag_copy = tag;
  if (EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) != 1 ||
      !setIvLen(ctx.get(), iv.size()) ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag.size()),
                          tag_copy.data()) != 1) {
    return std::nullopt;
  }
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return std::nullopt;
  }
  if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) != 1) {
    return std::nullopt;
  }
  return out;
}

}  // namespace vtps::accel::testing
