#include "appliance/config/cipher_suites.h"

#include <algorithm>

namespace vtps::config {
namespace {

bool usableWithAny(const CipherSuite& suite, std::span<const TlsVersion> protocols) {
  return std::any_of(protocols.begin(), protocols.end(),
                     [&](TlsVersion v) { return suite.usableWith(v); });
}

// The two ECDSA CBC suites are the documented exception to "all ECDSA suites on by default".
bool isEcdsaCbc(const CipherSuite& suite) {
  return suite.authentication == Authentication::kEcdsa &&
         suite.iana.find("_CBC_") != suite.iana.npos;
}

// RSA-keyed GCM suites are not in the TOS default list (they come from another vendor's guide).
bool isRsaKeyedGcm(const CipherSuite& suite) {
  return suite.key_exchange == KeyExchange::kRsa && suite.iana.find("_GCM_") != suite.iana.npos;
}

}  // namespace

std::string_view toString(Authentication a) {
  switch (a) {
    case Authentication::kAny:
      return "any";
    case Authentication::kRsa:
      return "RSA";
    case Authentication::kEcdsa:
      return "ECDSA";
  }
  return "?";
}

std::vector<TlsVersion> defaultProtocols() {
  return {TlsVersion::kTls10, TlsVersion::kTls11, TlsVersion::kTls12, TlsVersion::kTls13};
}

std::vector<std::string> defaultServerCipherSuites(std::span<const TlsVersion> protocols) {
  std::vector<std::string> out;
  for (const CipherSuite& s : kCipherSuites) {
    if (s.authentication == Authentication::kEcdsa || isRsaKeyedGcm(s)) continue;
    if (usableWithAny(s, protocols)) out.emplace_back(s.iana);
  }
  return out;
}

std::vector<std::string> defaultClientCipherSuites(std::span<const TlsVersion> protocols) {
  std::vector<std::string> out;
  for (const CipherSuite& s : kCipherSuites) {
    if (isEcdsaCbc(s) || isRsaKeyedGcm(s)) continue;
    if (usableWithAny(s, protocols)) out.emplace_back(s.iana);
  }
  return out;
}

}  // namespace vtps::config
