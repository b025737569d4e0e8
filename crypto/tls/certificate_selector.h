// Picks which of a server proxy's certificates answers a ClientHello's SNI: exact DNS names
// first, then single-label wildcards ("*.example.com" covers "www.example.com" but neither
// "example.com" nor "a.b.example.com", as RFC 6125 says), with the subject CN standing in for
// certificates that carry no DNS SAN. When several certificates claim a name the earliest wins.
#pragma once

#include <openssl/x509.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vtps::tls {

// The DNS names a certificate answers for: its DNS SANs, or its CN when it has none. Lowercase.
std::vector<std::string> dnsNamesOf(const X509* cert);

class CertificateSelector {
 public:
  // Registers the names of certificate `index` (see dnsNamesOf).
  void add(std::size_t index, const X509* cert);
  // Registers one name ("www.example.com" or "*.example.com") for certificate `index`.
  void addName(std::size_t index, std::string_view name);

  // Index of the certificate for `server_name` (case-insensitive, a trailing dot ignored);
  // nullopt when none matches and the caller's default applies.
  std::optional<std::size_t> select(std::string_view server_name) const;

 private:
  std::unordered_map<std::string, std::size_t> exact_;
  std::unordered_map<std::string, std::size_t> wildcard_;  // keyed by the part after "*."
};

}  // namespace vtps::tls
