// Plain option structs shared by the server-side and upstream-side TLS context builders. They carry
// no OpenSSL types so the appliance's config layer can fill them without seeing OpenSSL; the
// builders in server_context.h and client_context.h translate them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crypto/result.h"

namespace vtps::tls {

// Ordered from oldest to newest so ranges compare with < and >.
enum class TlsVersion : std::uint8_t { kSsl3, kTls10, kTls11, kTls12, kTls13 };

// An inclusive, contiguous range of protocol versions (the TPS "enabled protocols" must be
// contiguous, so a range is the whole truth).
struct ProtocolRange {
  TlsVersion min = TlsVersion::kTls10;
  TlsVersion max = TlsVersion::kTls13;

  bool includes(TlsVersion v) const { return v >= min && v <= max; }
  // TLS 1.0 and 1.1 need OpenSSL security level 0 (they sign with SHA-1/MD5+SHA-1).
  bool includesLegacy() const { return min <= TlsVersion::kTls11; }
  bool operator==(const ProtocolRange&) const = default;
};

// Builds the range covered by a set of versions. Errors: empty set ("protocols: none enabled"),
// a gap ("protocols: TLSv1.0 and TLSv1.2 are enabled but TLSv1.1 is not; the enabled protocols
// must be contiguous").
Result<ProtocolRange> protocolRangeOf(std::span<const TlsVersion> versions);

// Options both sides of a proxy share.
struct TlsOptions {
  ProtocolRange protocols;
  // IANA cipher suite names (see cipher_names.h). Empty: OpenSSL's defaults for the security
  // level. Names this OpenSSL build cannot negotiate are ignored and reported by the context.
  std::vector<std::string> cipher_suites;
  // ALPN protocols in preference order. With the downgrade on, "h2" is removed wherever it
  // appears, so HTTP/2 is never negotiated on this side.
  std::vector<std::string> alpn = {"h2", "http/1.1"};
  bool http2_to_http1_downgrade = false;
  // Encrypt-then-MAC (RFC 7366) is off by default, as the TPS documents it; some inspected
  // servers and middleboxes mishandle it.
  bool encrypt_then_mac = false;
};

// Server side of a proxy: the side that faces the client.
struct ServerTlsOptions {
  TlsOptions tls;
  // Stateless session tickets, encrypted with a random key OpenSSL draws when the context is
  // built; the key therefore rotates whenever the context is rebuilt (every config apply).
  bool session_tickets = true;
};

// Upstream side of a proxy: the side that connects to the origin server.
struct ClientTlsOptions {
  TlsOptions tls;
  // Upstream RSA keys shorter than this make the certificate invalid; 0 disables the check.
  int min_rsa_key_bits = 0;
};

}  // namespace vtps::tls
