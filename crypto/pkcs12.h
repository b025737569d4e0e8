// PKCS#12 files: what `cert import --format pkcs12` and `ca import --format pkcs12` read, and what
// `cert export --format pkcs12` writes. Every certificate of a file keeps its friendlyName alias
// (the keystore names it base name + alias) and is paired with its private key when the file
// holds it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "crypto/result.h"
#include "crypto/x509.h"

namespace vtps::crypto {

// Files whose MAC asks for more PBKDF iterations than this are refused before any work is done:
// a hostile file could otherwise pin a CPU for hours. Common tools use 2048 to 600000.
inline constexpr long kMaxPkcs12MacIterations = 10'000'000;

struct Pkcs12Certificate {
  Certificate certificate;
  std::string alias;              // friendlyName of the certificate (or of its key), may be empty
  std::optional<PrivateKey> key;  // the matching private key, when the file holds it
};

struct Pkcs12Contents {
  std::vector<Pkcs12Certificate> certificates;  // in file order
  // The other certificates of the file that lead from `leaf` towards a root (see buildChain).
  std::vector<Certificate> chainFor(const Certificate& leaf) const;
};

// Verifies the MAC with `password` (an empty password also tries the absent password, as
// OpenSSL's tools do) and decodes every certificate and key bag. Errors: not PKCS#12, no MAC,
// MAC iterations above the limit, wrong password, no certificate.
Result<Pkcs12Contents> parsePkcs12(std::string_view der, std::string_view password,
                                   std::string_view source);

// A PKCS#12 file (AES-256-CBC, PBKDF2, HMAC-SHA256 MAC) with `leaf` under `alias`, its chain and,
// when given, its key.
Result<std::string> buildPkcs12(const Certificate& leaf, const std::vector<Certificate>& chain,
                                const PrivateKey* key, std::string_view alias,
                                std::string_view password);

}  // namespace vtps::crypto
