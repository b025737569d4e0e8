#include "crypto/tls/cipher_names.h"

#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "crypto/ossl.h"

namespace vtps::tls {
namespace {

using enum CipherAuth;

constexpr std::array<CipherName, 27> kCiphers{{
    // TLS 1.3 (RFC 8446), all five OpenSSL 3 implements.
    {"TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", true, kAny, false},
    {"TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", true, kAny, false},
    {"TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", true, kAny, false},
    {"TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_SHA256", true, kAny, false},
    {"TLS_AES_128_CCM_8_SHA256", "TLS_AES_128_CCM_8_SHA256", true, kAny, false},
    // ECDHE key exchange, RSA signatures.
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", false, kRsa, false},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", false, kRsa, false},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", false, kRsa,
     false},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", false, kRsa, false},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA", false, kRsa, false},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256", false, kRsa, false},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384", false, kRsa, false},
    {"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA", false, kRsa, true},
    // ECDHE key exchange, ECDSA signatures (secp224r1, secp384r1, prime256v1 certificates).
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", false, kEcdsa,
     false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", false, kEcdsa,
     false},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", false,
     kEcdsa, false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", false, kEcdsa, false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA", false, kEcdsa, false},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256", false, kEcdsa, false},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384", false, kEcdsa, false},
    // RSA key exchange (no forward secrecy; the TPS default set keeps them for old clients).
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256", false, kRsa, false},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384", false, kRsa, false},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", false, kRsa, false},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA", false, kRsa, false},
    {"TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256", false, kRsa, false},
    {"TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256", false, kRsa, false},
    {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA", false, kRsa, true},
}};

bool probe(const CipherName& cipher) {
  ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return false;
  const std::string name(cipher.openssl);
  const int ok = cipher.tls13 ? SSL_CTX_set_ciphersuites(ctx.get(), name.c_str())
                              : SSL_CTX_set_cipher_list(ctx.get(), name.c_str());
  ossl::drainErrors();  // a refused name leaves "no cipher match" queued; it is the answer here
  return ok == 1;
}

}  // namespace

std::span<const CipherName> cipherTable() {
  return kCiphers;
}

const CipherName* findCipher(std::string_view iana) {
  for (const auto& c : kCiphers) {
    if (c.iana == iana) return &c;
  }
  return nullptr;
}

bool cipherSupportedByLibrary(const CipherName& cipher) {
  static std::once_flag once;
  static std::vector<bool> supported;
  std::call_once(once, [] {
    supported.reserve(kCiphers.size());
    for (const auto& c : kCiphers)
      supported.push_back(probe(c));
  });
  const std::less<> before;
  const CipherName* const first = kCiphers.data();
  if (before(&cipher, first) || !before(&cipher, first + kCiphers.size())) {
    return probe(cipher);  // a row the caller built, not one of ours
  }
  return supported[static_cast<std::size_t>(&cipher - first)];
}

std::string_view cipherAuthName(CipherAuth auth) {
  switch (auth) {
    case kRsa:
      return "RSA";
    case kEcdsa:
      return "ECDSA";
    case kAny:
      return "any";
  }
  return "any";
}

}  // namespace vtps::tls
