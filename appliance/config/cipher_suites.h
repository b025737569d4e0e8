// The TLS cipher suites a proxy may be configured with: the suites the TippingPoint documents list,
// by IANA name, with the facts validation and the TLS layer need (OpenSSL name, key exchange,
// authentication, protocol range). The table is constexpr and header-only so that crypto/tls can
// reuse it without linking the config library; it names OpenSSL ciphers as strings only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"

namespace vtps::config {

enum class KeyExchange { kAny, kEcdhe, kRsa };     // kAny: TLS 1.3 (always (EC)DHE)
enum class Authentication { kAny, kRsa, kEcdsa };  // kAny: TLS 1.3 (by certificate type)

struct CipherSuite {
  std::uint16_t id;          // IANA code point
  std::string_view iana;     // "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
  std::string_view openssl;  // "ECDHE-RSA-AES128-GCM-SHA256" (TLS 1.3: same as IANA)
  KeyExchange key_exchange;
  Authentication authentication;
  TlsVersion min_version;  // oldest protocol that can negotiate it
  // TLS 1.3 suites work only with TLS 1.3; every other suite only up to TLS 1.2.
  bool tls13() const { return min_version == TlsVersion::kTls13; }
  TlsVersion maxVersion() const { return tls13() ? TlsVersion::kTls13 : TlsVersion::kTls12; }
  bool usableWith(TlsVersion v) const { return v >= min_version && v <= maxVersion(); }
};

// Every suite the documents name. The two ECDSA CBC suites are off by default (as documented);
// 3DES suites are listed but this OpenSSL build may not offer them, in which case the TLS layer
// ignores them, as the TPS ignores suites a device does not support.
inline constexpr std::array<CipherSuite, 23> kCipherSuites{{
    // TLS 1.3
    {0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256", KeyExchange::kAny,
     Authentication::kAny, TlsVersion::kTls13},
    {0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384", KeyExchange::kAny,
     Authentication::kAny, TlsVersion::kTls13},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", KeyExchange::kAny,
     Authentication::kAny, TlsVersion::kTls13},
    // ECDHE with ECDSA certificates
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
     KeyExchange::kEcdhe, Authentication::kEcdsa, TlsVersion::kTls12},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384",
     KeyExchange::kEcdhe, Authentication::kEcdsa, TlsVersion::kTls12},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
     KeyExchange::kEcdhe, Authentication::kEcdsa, TlsVersion::kTls12},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256",
     KeyExchange::kEcdhe, Authentication::kEcdsa, TlsVersion::kTls12},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384",
     KeyExchange::kEcdhe, Authentication::kEcdsa, TlsVersion::kTls12},
    // ECDHE with RSA certificates
    {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA", KeyExchange::kEcdhe,
     Authentication::kRsa, TlsVersion::kTls10},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", KeyExchange::kEcdhe,
     Authentication::kRsa, TlsVersion::kTls10},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256",
     KeyExchange::kEcdhe, Authentication::kRsa, TlsVersion::kTls12},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
     KeyExchange::kEcdhe, Authentication::kRsa, TlsVersion::kTls12},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA", KeyExchange::kEcdhe,
     Authentication::kRsa, TlsVersion::kTls10},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384",
     KeyExchange::kEcdhe, Authentication::kRsa, TlsVersion::kTls12},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
     KeyExchange::kEcdhe, Authentication::kRsa, TlsVersion::kTls12},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
     KeyExchange::kEcdhe, Authentication::kRsa, TlsVersion::kTls12},
    // RSA key exchange (no forward secrecy)
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA", KeyExchange::kRsa,
     Authentication::kRsa, TlsVersion::kSsl3},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", KeyExchange::kRsa, Authentication::kRsa,
     TlsVersion::kSsl3},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256", KeyExchange::kRsa,
     Authentication::kRsa, TlsVersion::kTls12},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA", KeyExchange::kRsa, Authentication::kRsa,
     TlsVersion::kSsl3},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256", KeyExchange::kRsa,
     Authentication::kRsa, TlsVersion::kTls12},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256", KeyExchange::kRsa,
     Authentication::kRsa, TlsVersion::kTls12},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384", KeyExchange::kRsa,
     Authentication::kRsa, TlsVersion::kTls12},
}};

// The suite with this IANA name (exact, case-sensitive), or null.
constexpr const CipherSuite* findCipherSuite(std::string_view iana) {
  for (const CipherSuite& s : kCipherSuites) {
    if (s.iana == iana) return &s;
  }
  return nullptr;
}

// The suite with this IANA code point, or null.
constexpr const CipherSuite* findCipherSuite(std::uint16_t id) {
  for (const CipherSuite& s : kCipherSuites) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::string_view toString(Authentication a);

// The documented default protocols: TLS 1.0 to TLS 1.3 (SSLv3 off).
std::vector<TlsVersion> defaultProtocols();

// Default suites, restricted to those usable with `protocols`. A server proxy gets the RSA suites
// (the TOS default, since a server proxy must not mix RSA and ECDSA); a client proxy gets RSA and
// ECDSA suites together, without the two ECDSA CBC suites.
std::vector<std::string> defaultServerCipherSuites(std::span<const TlsVersion> protocols);
std::vector<std::string> defaultClientCipherSuites(std::span<const TlsVersion> protocols);

}  // namespace vtps::config
