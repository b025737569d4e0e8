// The project's own map from IANA cipher suite names (the names the TPS documents and config
// use) to OpenSSL's names. It covers every suite the TPS documents list plus the TLS 1.3 suites
// OpenSSL 3 implements. The appliance's config validation keeps its own table; this one is what
// the TLS contexts act on.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace vtps::tls {

// What certificate a suite needs. TLS 1.3 suites work with either.
enum class CipherAuth { kRsa, kEcdsa, kAny };

struct CipherName {
  std::string_view iana;     // "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
  std::string_view openssl;  // "ECDHE-RSA-AES128-GCM-SHA256"
  bool tls13;                // set with SSL_CTX_set_ciphersuites, not SSL_CTX_set_cipher_list
  CipherAuth auth;
  // 3DES suites: OpenSSL 3 builds compiled without weak-ssl-ciphers (Debian's among them) do not
  // implement them; contexts skip them there and report them as ignored.
  bool weak;
};

// Every suite the project knows, TLS 1.3 suites first.
std::span<const CipherName> cipherTable();

// Table row for an IANA name (exact, case-sensitive as IANA spells them); nullptr if unknown.
const CipherName* findCipher(std::string_view iana);

// Whether the OpenSSL library linked in can negotiate `cipher` (probed once per process).
bool cipherSupportedByLibrary(const CipherName& cipher);

std::string_view cipherAuthName(CipherAuth auth);  // "RSA", "ECDSA", "any"

}  // namespace vtps::tls
