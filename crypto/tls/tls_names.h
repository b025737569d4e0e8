// Names of TLS versions, cipher suites and alerts as the logs, counters and CLI print them.
// Versions use OpenSSL's spelling ("TLSv1.2", as the TPS CLI does), cipher suites their IANA
// names, alerts the RFC 8446 / RFC 5246 descriptions ("certificate_unknown").
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string_view>

#include "crypto/tls/tls_options.h"

namespace vtps::tls {

// "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3".
std::string_view versionName(TlsVersion v);
// Inverse of versionName; also accepts "TLSv1" for 1.0 (OpenSSL's spelling). nullopt if unknown.
std::optional<TlsVersion> parseVersionName(std::string_view name);
// OpenSSL's numeric protocol version (TLS1_2_VERSION, ...) for a TlsVersion, and back.
int opensslVersion(TlsVersion v);
std::optional<TlsVersion> fromOpensslVersion(int version);

// Negotiated version of an established connection, "TLSv1.0".."TLSv1.3"; "unknown" before the
// handshake has picked one.
std::string_view negotiatedVersionName(const SSL* ssl);
// IANA name of the negotiated cipher suite ("TLS_AES_128_GCM_SHA256"); empty before one is chosen.
std::string_view negotiatedCipherName(const SSL* ssl);
// ALPN protocol the handshake selected ("http/1.1"); empty when none was.
std::string_view negotiatedAlpn(const SSL* ssl);

// Alert description name for an alert code (0..255): "certificate_unknown" for 46;
// "unknown_alert" for codes no RFC assigns.
std::string_view alertName(int code);
// The alert a peer sent, recovered from an OpenSSL error code (OpenSSL reports a received fatal
// alert as reason SSL_AD_REASON_OFFSET + code, e.g. "sslv3 alert certificate unknown");
// nullopt when the error is not a received alert.
std::optional<int> receivedAlertOf(unsigned long openssl_error);

}  // namespace vtps::tls
