// Helpers shared by the keystore's .cc files (keystore.cc, keystore_import.cc, keystore_ca.cc).
// Not a public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keystore.h"

namespace vtps::crypto::keystore_detail {

// Relative paths of one name's files (see docs/keystore.md).
inline std::string certFile(const std::string& name) {
  return "certs/" + name + ".pem";
}
inline std::string keyFile(const std::string& name) {
  return "keys/" + name + ".key";
}
inline std::string metaFile(const std::string& name) {
  return "meta/" + name + ".json";
}
inline std::string csrFile(const std::string& name) {
  return "csr/" + name + ".csr";
}
inline std::string pendingKeyFile(const std::string& name) {
  return "csr/" + name + ".key";
}
inline std::string caFile(const std::string& name) {
  return "cas/" + name + ".pem";
}

// AAD purposes of sealed keys (key_sealer.h).
inline constexpr std::string_view kKeyPurpose = "key";
inline constexpr std::string_view kPendingPurpose = "pending";

inline constexpr mode_t kPublicFileMode = 0644;
inline constexpr mode_t kSecretFileMode = 0600;

// meta/NAME.json.
struct Meta {
  std::string kind;  // "signing" | "server" | "pending-csr"
  bool exportable = false;
  bool signing_request = false;  // pending-csr: --signing was given
  int64_t created = 0;
  std::string status;  // certificate status text, "Awaiting Certificate" for pending requests
};
inline constexpr std::string_view kPendingKind = "pending-csr";
inline constexpr std::string_view kPendingStatus = "Awaiting Certificate";

std::string metaToJson(const std::string& name, const Meta& meta);
Result<Meta> metaFromJson(std::string_view json, std::string_view source);

// Exclusive advisory lock on DIR/.lock for the duration of one mutating call, so that two
// vtpsctl processes (or vtpsctl and vtpsd) never interleave their changes.
class StoreLock {
 public:
  static Result<StoreLock> acquire(const std::string& dir);
  StoreLock(StoreLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StoreLock& operator=(StoreLock&&) = delete;
  StoreLock(const StoreLock&) = delete;
  ~StoreLock();

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

// One certificate an import or replace resolved from its input.
struct Resolved {
  Certificate leaf;
  std::vector<Certificate> chain;
  std::optional<PrivateKey> key;  // empty: the caller finds it (pending request, current key)
  std::string alias;              // PKCS#12 friendlyName
};

// Decodes an import's input. PKCS#12: every certificate that has its key (keyed_only) or every
// certificate; PEM/DER: one leaf (the certificate matching the key when there is one) with the
// chain built from the other certificates of the file.
Result<std::vector<Resolved>> resolveInput(const CertificateInput& input, bool keyed_only,
                                           std::string_view operation);
// Every certificate of the input, keys ignored (CA import).
Result<std::vector<Certificate>> allCertificates(const CertificateInput& input,
                                                 std::string_view operation);

// PEM of the leaf followed by its chain.
std::string chainPem(const Certificate& leaf, const std::vector<Certificate>& chain);

// Only RSA and EC keys serve TLS on the appliance.
Status checkKeyType(const PrivateKey& key, std::string_view operation);

int64_t now();

}  // namespace vtps::crypto::keystore_detail
