#include "crypto/tls/tls_names.h"

#include <openssl/err.h>
#include <openssl/tls1.h>

#include <array>
#include <utility>

namespace vtps::tls {
namespace {

struct VersionRow {
  TlsVersion version;
  int openssl;
  std::string_view name;
};

constexpr std::array<VersionRow, 5> kVersions{{
    {TlsVersion::kSsl3, SSL3_VERSION, "SSLv3"},
    {TlsVersion::kTls10, TLS1_VERSION, "TLSv1.0"},
    {TlsVersion::kTls11, TLS1_1_VERSION, "TLSv1.1"},
    {TlsVersion::kTls12, TLS1_2_VERSION, "TLSv1.2"},
    {TlsVersion::kTls13, TLS1_3_VERSION, "TLSv1.3"},
}};

constexpr std::array<std::pair<int, std::string_view>, 34> kAlerts{{
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {21, "decryption_failed"},
    {22, "record_overflow"},
    {30, "decompression_failure"},
    {40, "handshake_failure"},
    {41, "no_certificate"},
    {42, "bad_certificate"},
    {43, "unsupported_certificate"},
    {44, "certificate_revoked"},
    {45, "certificate_expired"},
    {46, "certificate_unknown"},
    {47, "illegal_parameter"},
    {48, "unknown_ca"},
    {49, "access_denied"},
    {50, "decode_error"},
    {51, "decrypt_error"},
    {60, "export_restriction"},
    {70, "protocol_version"},
    {71, "insufficient_security"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {90, "user_canceled"},
    {100, "no_renegotiation"},
    {109, "missing_extension"},
    {110, "unsupported_extension"},
    {111, "certificate_unobtainable"},
    {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"},
    {114, "bad_certificate_hash_value"},
    {115, "unknown_psk_identity"},
    {116, "certificate_required"},
    {120, "no_application_protocol"},
}};

}  // namespace

std::string_view versionName(TlsVersion v) {
  for (const auto& row : kVersions) {
    if (row.version == v) return row.name;
  }
  return "unknown";
}

std::optional<TlsVersion> parseVersionName(std::string_view name) {
  if (name == "TLSv1") return TlsVersion::kTls10;
  for (const auto& row : kVersions) {
    if (row.name == name) return row.version;
  }
  return std::nullopt;
}

int opensslVersion(TlsVersion v) {
  for (const auto& row : kVersions) {
    if (row.version == v) return row.openssl;
  }
  return 0;
}

std::optional<TlsVersion> fromOpensslVersion(int version) {
  for (const auto& row : kVersions) {
    if (row.openssl == version) return row.version;
  }
  return std::nullopt;
}

std::string_view negotiatedVersionName(const SSL* ssl) {
  // Before a ServerHello settles the version, SSL_version() reports TLS_ANY_VERSION: "unknown".
  if (ssl == nullptr) return "unknown";
  auto v = fromOpensslVersion(SSL_version(ssl));
  return v ? versionName(*v) : "unknown";
}

std::string_view negotiatedCipherName(const SSL* ssl) {
  const SSL_CIPHER* cipher = ssl != nullptr ? SSL_get_current_cipher(ssl) : nullptr;
  const char* name = cipher != nullptr ? SSL_CIPHER_standard_name(cipher) : nullptr;
  return name != nullptr ? std::string_view(name) : std::string_view();
}

std::string_view negotiatedAlpn(const SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  if (ssl != nullptr) SSL_get0_alpn_selected(ssl, &data, &len);
  return data != nullptr ? std::string_view(reinterpret_cast<const char*>(data), len)
                         : std::string_view();
}

std::string_view alertName(int code) {
  for (const auto& [value, name] : kAlerts) {
    if (value == code) return name;
  }
  return "unknown_alert";
}

std::optional<int> receivedAlertOf(unsigned long openssl_error) {
  if (ERR_GET_LIB(openssl_error) != ERR_LIB_SSL) return std::nullopt;
  const int reason = ERR_GET_REASON(openssl_error);
  if (reason < SSL_AD_REASON_OFFSET || reason > SSL_AD_REASON_OFFSET + 255) return std::nullopt;
  return reason - SSL_AD_REASON_OFFSET;
}

}  // namespace vtps::tls
