// Rules for the SSL objects: server and client proxies (protocols, cipher suites), trust stores,
// decryption policies, domain exclusions; and the keystore reference check.
#include <algorithm>
#include <cctype>
#include <set>

#include "appliance/config/cipher_suites.h"
#include "appliance/config/validate.h"
#include "appliance/config/validator.h"

namespace vtps::config {
namespace detail {
namespace {

constexpr int kMinKeyLengthFloor = 512;
constexpr int kMinKeyLengthCeiling = 16384;
constexpr int kMaxFailureThreshold = 100;
constexpr int kMaxFailureWindowSeconds = 86400;

// "A and B" / "A, B and C".
std::string listOf(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

// The enabled protocols: listed once each, and contiguous (TPS enables every protocol between
// the lowest and the highest it is given).
void checkProtocols(Validator& v, const Marks& marks, const std::string& path,
                    const std::vector<TlsVersion>& protocols) {
  if (protocols.empty()) {
    v.error(marks, path, "protocols", "at least one protocol is required");
    return;
  }
  std::set<TlsVersion> enabled;
  for (std::size_t i = 0; i < protocols.size(); ++i) {
    if (!enabled.insert(protocols[i]).second) {
      v.itemError(marks, path, "protocols", i, quote(toString(protocols[i])) + " is listed twice");
    }
  }
  auto lowest = static_cast<int>(*enabled.begin());
  auto highest = static_cast<int>(*enabled.rbegin());
  for (int p = lowest + 1; p < highest; ++p) {
    if (enabled.contains(static_cast<TlsVersion>(p))) continue;
    auto below = *std::prev(enabled.lower_bound(static_cast<TlsVersion>(p)));
    auto above = *enabled.upper_bound(static_cast<TlsVersion>(p));
    v.error(marks, path, "protocols",
            std::string(toString(below)) + " and " + std::string(toString(above)) +
                " are enabled but " + std::string(toString(static_cast<TlsVersion>(p))) +
                " is not; the enabled protocols must be contiguous");
    return;
  }
}

std::string usableRange(const CipherSuite& s) {
  if (s.min_version == s.maxVersion()) {
    return std::string(toString(s.min_version)) + ", which is not";
  }
  return std::string(toString(s.min_version)) + " to " + std::string(toString(s.maxVersion())) +
         ", none of which is";
}

// The suites by IANA name: known, listed once, each usable with an enabled protocol, and every
// enabled protocol with a usable suite. Returns the known suites.
std::vector<const CipherSuite*> checkCipherSuites(Validator& v, const Marks& marks,
                                                  const std::string& path,
                                                  const std::vector<std::string>& suites,
                                                  const std::vector<TlsVersion>& protocols) {
  if (suites.empty()) {
    v.error(marks, path, "cipher-suites", "at least one cipher suite is required");
    return {};
  }
  std::vector<std::string_view> names;
  for (const CipherSuite& s : kCipherSuites)
    names.push_back(s.iana);
  std::vector<const CipherSuite*> known;
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < suites.size(); ++i) {
    const CipherSuite* suite = findCipherSuite(std::string_view(suites[i]));
    if (suite == nullptr) {
      std::string hint = didYouMean(suites[i], names);
      v.itemError(marks, path, "cipher-suites", i,
                  "unknown cipher suite " + quote(suites[i]) +
                      (hint.empty() ? "; docs/configuration.md lists the supported suites" : hint));
      continue;
    }
    if (!seen.insert(suite->iana).second) {
      v.itemError(marks, path, "cipher-suites", i, quote(suites[i]) + " is listed twice");
      continue;
    }
    known.push_back(suite);
    bool usable = std::any_of(protocols.begin(), protocols.end(),
                              [&](TlsVersion p) { return suite->usableWith(p); });
    if (!usable && !protocols.empty()) {
      v.itemError(marks, path, "cipher-suites", i,
                  quote(suites[i]) + " works only with " + usableRange(*suite) + " enabled");
    }
  }
  if (known.empty()) return known;
  std::vector<std::string> orphans;
  for (TlsVersion p : std::set<TlsVersion>(protocols.begin(), protocols.end())) {
    bool served = std::any_of(known.begin(), known.end(),
                              [&](const CipherSuite* s) { return s->usableWith(p); });
    if (!served) orphans.emplace_back(toString(p));
  }
  if (!orphans.empty()) {
    v.error(marks, path, "protocols",
            listOf(orphans) + (orphans.size() == 1 ? " is" : " are") +
                " enabled but no configured cipher suite works with " +
                (orphans.size() == 1 ? "it" : "them"));
  }
  return known;
}

const CipherSuite* firstWith(const std::vector<const CipherSuite*>& suites, Authentication a) {
  auto it = std::find_if(suites.begin(), suites.end(),
                         [&](const CipherSuite* s) { return s->authentication == a; });
  return it == suites.end() ? nullptr : *it;
}

void checkPorts(Validator& v, const Marks& marks, const std::string& path,
                const std::vector<PortRange>& ports) {
  if (ports.empty())
    v.error(marks, path, "detection-ports", "at least one detection port is required");
}

void validateServerProxy(Validator& v, const ServerProxy& p, const std::string& path) {
  v.name(p.marks, path, p.name, "server proxy", kMaxObjectNameLength);
  v.description(p.marks, path, p.description);
  if (p.destinations.empty()) {
    v.error(p.marks, path, "destinations", "at least one destination is required");
  }
  checkPorts(v, p.marks, path, p.detection_ports);
  if (p.certificates.empty()) {
    v.error(p.marks, path, "certificates", "at least one certificate is required");
  } else if (p.certificates.size() > kMaxServerCertificates) {
    v.error(p.marks, path, "certificates",
            std::to_string(p.certificates.size()) + " certificates; a server proxy takes at most " +
                std::to_string(kMaxServerCertificates));
  }
  v.distinctEntries(p.marks, path, "certificates", p.certificates);
  checkProtocols(v, p.marks, path, p.protocols);
  auto suites = checkCipherSuites(v, p.marks, path, p.cipher_suites, p.protocols);
  const CipherSuite* rsa = firstWith(suites, Authentication::kRsa);
  const CipherSuite* ecdsa = firstWith(suites, Authentication::kEcdsa);
  if (rsa != nullptr && ecdsa != nullptr) {
    v.error(p.marks, path, "cipher-suites",
            "mixes RSA suites (" + quote(rsa->iana) + ") and ECDSA suites (" + quote(ecdsa->iana) +
                "); a server proxy uses one or the other, matching its certificates");
  }
}

void validateClientProxy(Validator& v, const ClientProxy& p, const std::string& path) {
  v.name(p.marks, path, p.name, "client proxy", kMaxObjectNameLength);
  v.description(p.marks, path, p.description);
  if (p.signing_certificate.empty()) v.error(p.marks, path, "signing-certificate", "is required");
  checkPorts(v, p.marks, path, p.detection_ports);
  if (p.min_key_length != 0 &&
      (p.min_key_length < kMinKeyLengthFloor || p.min_key_length > kMinKeyLengthCeiling)) {
    v.error(p.marks, path, "min-key-length",
            std::to_string(p.min_key_length) + " is out of range (0 to turn the check off, or " +
                std::to_string(kMinKeyLengthFloor) + ".." + std::to_string(kMinKeyLengthCeiling) +
                ")");
  }
  checkProtocols(v, p.marks, path, p.protocols);
  auto suites = checkCipherSuites(v, p.marks, path, p.cipher_suites, p.protocols);
  // TLS 1.3 suites work with any certificate; below TLS 1.3 the minted leaf for a client that
  // offers only RSA suites needs an RSA suite, which the documents make mandatory.
  bool below13 = std::any_of(p.protocols.begin(), p.protocols.end(),
                             [](TlsVersion v13) { return v13 < TlsVersion::kTls13; });
  if (!suites.empty() && below13 && firstWith(suites, Authentication::kRsa) == nullptr) {
    v.error(p.marks, path, "cipher-suites",
            "no RSA cipher suite; client inspection needs at least one (with protocols below "
            "TLSv1.3)");
  }
}

// A hostname (letters, digits, hyphen, underscore; labels of 1..63; 253 in all) or "*." + one.
bool isDomainPattern(std::string_view s) {
  if (s.starts_with("*.")) s.remove_prefix(2);
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) dot = s.size();
    std::string_view label = s.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char ch : label) {
      auto c = static_cast<unsigned char>(ch);
      if (std::isalnum(c) == 0 && c != '-' && c != '_') return false;
    }
    start = dot + 1;
  }
  return true;
}

void checkDomains(Validator& v, const Marks& marks, const std::string& path, std::string_view field,
                  const std::vector<std::string>& domains) {
  if (domains.size() > kMaxDomainEntries) {
    v.error(marks, path, field,
            std::to_string(domains.size()) + " entries; the limit is " +
                std::to_string(kMaxDomainEntries));
  }
  for (std::size_t i = 0; i < domains.size(); ++i) {
    if (!isDomainPattern(domains[i])) {
      v.itemError(marks, path, field, i,
                  quote(domains[i]) + " is not a hostname or \"*.suffix\" wildcard");
    }
  }
}

}  // namespace

void validateServerProxies(Validator& v) {
  const auto& proxies = v.config().server_proxies;
  for (std::size_t i = 0; i < proxies.size(); ++i) {
    validateServerProxy(v, proxies[i], indexed("ssl.server-proxies", i));
  }
  v.uniqueNames(proxies, "ssl.server-proxies", "server proxy");
}

void validateClientProxies(Validator& v) {
  const auto& proxies = v.config().client_proxies;
  for (std::size_t i = 0; i < proxies.size(); ++i) {
    validateClientProxy(v, proxies[i], indexed("ssl.client-proxies", i));
  }
  v.uniqueNames(proxies, "ssl.client-proxies", "client proxy");
}

void validateTrustStores(Validator& v) {
  const auto& stores = v.config().trust_stores;
  for (std::size_t i = 0; i < stores.size(); ++i) {
    const TrustStore& t = stores[i];
    std::string path = indexed("ssl.trust-stores", i);
    v.name(t.marks, path, t.name, "trust store", kMaxTrustStoreNameLength);
    v.description(t.marks, path, t.description);
    v.distinctEntries(t.marks, path, "ca-certificates", t.ca_certificates);
  }
  v.uniqueNames(stores, "ssl.trust-stores", "trust store");
}

void validateDecryptionPolicies(Validator& v) {
  const auto& policies = v.config().decryption_policies;
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const DecryptionPolicy& p = policies[i];
    std::string path = indexed("ssl.decryption-policies", i);
    v.name(p.marks, path, p.name, "decryption policy", kMaxObjectNameLength);
    v.description(p.marks, path, p.description);
    v.distinctEntries(p.marks, path, "categories", p.categories);
    checkDomains(v, p.marks, path, "category-overrides", p.category_overrides);
    checkDomains(v, p.marks, path, "domains", p.domains);
  }
  v.uniqueNames(policies, "ssl.decryption-policies", "decryption policy");
}

void validateDomainExclusions(Validator& v) {
  const DomainExclusions& e = v.config().domain_exclusions;
  const std::string path = "ssl.domain-exclusions";
  checkDomains(v, e.marks, path, "domains", e.domains);
  if (e.auto_failure_threshold < 1 || e.auto_failure_threshold > kMaxFailureThreshold) {
    v.error(e.marks, path, "auto-failure-threshold",
            std::to_string(e.auto_failure_threshold) + " is out of range (1.." +
                std::to_string(kMaxFailureThreshold) + ")");
  }
  if (e.auto_failure_window_s < 1 || e.auto_failure_window_s > kMaxFailureWindowSeconds) {
    v.error(e.marks, path, "auto-failure-window",
            std::to_string(e.auto_failure_window_s) + " is out of range (1.." +
                std::to_string(kMaxFailureWindowSeconds) + " seconds)");
  }
}

}  // namespace detail

std::vector<Diagnostic> checkKeystoreReferences(
    const Config& config, const std::function<bool(std::string_view)>& has_cert,
    const std::function<bool(std::string_view)>& has_ca) {
  detail::Validator v(config);
  const std::string missing = " is not in the keystore";
  for (std::size_t i = 0; i < config.server_proxies.size(); ++i) {
    const ServerProxy& p = config.server_proxies[i];
    for (std::size_t c = 0; c < p.certificates.size(); ++c) {
      if (p.certificates[c].empty() || has_cert(p.certificates[c])) continue;
      v.itemError(p.marks, detail::indexed("ssl.server-proxies", i), "certificates", c,
                  "certificate " + detail::quote(p.certificates[c]) + missing);
    }
  }
  for (std::size_t i = 0; i < config.client_proxies.size(); ++i) {
    const ClientProxy& p = config.client_proxies[i];
    if (p.signing_certificate.empty() || has_cert(p.signing_certificate)) continue;
    v.error(p.marks, detail::indexed("ssl.client-proxies", i), "signing-certificate",
            "certificate " + detail::quote(p.signing_certificate) + missing);
  }
  for (std::size_t i = 0; i < config.trust_stores.size(); ++i) {
    const TrustStore& t = config.trust_stores[i];
    for (std::size_t c = 0; c < t.ca_certificates.size(); ++c) {
      if (t.ca_certificates[c].empty() || has_ca(t.ca_certificates[c])) continue;
      v.itemError(t.marks, detail::indexed("ssl.trust-stores", i), "ca-certificates", c,
                  "CA certificate " + detail::quote(t.ca_certificates[c]) + missing);
    }
  }
  return v.take();
}

}  // namespace vtps::config
