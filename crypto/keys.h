// Private keys: the key types the appliance creates (KeySpec), generation, and loading of keys
// operators bring (PEM or DER, PKCS#8 or traditional, optionally password-encrypted).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/result.h"

namespace vtps::crypto {

enum class KeyAlgorithm { kRsa, kEc };

// The --key choices of `cert new-signing` and `cert csr new`.
inline constexpr std::string_view kKeySpecChoices =
    "rsa:2048|rsa:3072|rsa:4096|ec:prime256v1|ec:secp384r1|ec:secp224r1";

struct KeySpec {
  KeyAlgorithm algorithm = KeyAlgorithm::kRsa;
  int rsa_bits = 2048;  // kRsa only
  std::string curve;    // kEc only: OpenSSL short name, e.g. "prime256v1"

  // Parses one of kKeySpecChoices. RSA below 2048 bits is refused with the reason.
  static Result<KeySpec> parse(std::string_view text);
  std::string str() const;  // "rsa:2048", "ec:prime256v1"
};

// What a key is, for listings: "RSA 2048", "EC 256 (prime256v1)".
struct KeyDescription {
  std::string algorithm;  // "RSA", "EC", "ED25519", ...
  int bits = 0;
  std::string curve;  // EC only
  std::string str() const;
};

class PrivateKey {
 public:
  struct Impl;  // OpenSSL handle; defined in crypto/ossl_interop.h

  static Result<PrivateKey> generate(const KeySpec& spec);

  // Decodes a private key from PEM (PKCS#8, encrypted PKCS#8 or traditional, also when other PEM
  // blocks such as certificates surround it) or DER (PKCS#8, encrypted PKCS#8, traditional).
  // `source` names the input in messages (usually the file path). Errors: not a key, encrypted
  // but no password given, wrong password.
  static Result<PrivateKey> parse(std::string_view bytes,
                                  const std::optional<std::string>& password,
                                  std::string_view source);

  KeyDescription describe() const;
  // Unencrypted PKCS#8 DER. A secret: the caller wipes it (ossl::cleanse) when done.
  Result<std::string> pkcs8Der() const;
  // PKCS#8 PEM encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) under `password`.
  Result<std::string> encryptedPkcs8Pem(std::string_view password) const;
  // SubjectPublicKeyInfo DER of the public half.
  std::string publicKeyDer() const;

  const Impl& impl() const { return *impl_; }
  static PrivateKey fromImpl(std::shared_ptr<const Impl> impl) {
    return PrivateKey(std::move(impl));
  }

 private:
  explicit PrivateKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace vtps::crypto
