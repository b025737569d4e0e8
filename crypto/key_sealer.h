// Encryption at rest of the keystore's private keys: AES-256-GCM under a 32-byte master key kept
// in its own 0600 file (DIR/master.key). Sealed file layout (all integers big-endian):
//
//   offset  size  field
//   0       4     magic "VTPK"
//   4       1     format version (1)
//   5       12    GCM nonce (random per seal)
//   17      n     ciphertext of the unencrypted PKCS#8 DER key
//   17+n    16    GCM tag
//
// The additional authenticated data is the 5 header bytes followed by a purpose ("key" or
// "pending") and the certificate name, so a sealed key moved to another name or slot fails to open.
#pragma once

#include <string>
#include <string_view>

#include "crypto/result.h"

namespace vtps::crypto {

class KeySealer {
 public:
  static constexpr size_t kMasterKeyBytes = 32;

  // Reads DIR/master.key, creating it (32 random bytes, mode 0600) when absent; concurrent first
  // opens agree on one key. Refuses a master key file of the wrong size or readable by others.
  static Result<KeySealer> openOrCreate(const std::string& dir);
  // A sealer with the given key bytes (tests and tools).
  static KeySealer withKey(std::string key);

  KeySealer(KeySealer&& other) noexcept;
  KeySealer& operator=(KeySealer&& other) noexcept;
  KeySealer(const KeySealer&) = delete;
  KeySealer& operator=(const KeySealer&) = delete;
  ~KeySealer();

  Result<std::string> seal(std::string_view plaintext, std::string_view purpose,
                           std::string_view name) const;
  // `source` names the sealed file in messages.
  Result<std::string> open(std::string_view sealed, std::string_view purpose, std::string_view name,
                           std::string_view source) const;

 private:
  explicit KeySealer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace vtps::crypto
