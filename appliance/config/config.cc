#include "appliance/config/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace vtps::config {
namespace {

// One table per enum keeps toString and parse in step.
template <typename E, std::size_t N>
using NameTable = std::array<std::pair<E, std::string_view>, N>;

constexpr NameTable<TlsVersion, 5> kTlsVersionNames{{{TlsVersion::kSsl3, "SSLv3"},
                                                     {TlsVersion::kTls10, "TLSv1.0"},
                                                     {TlsVersion::kTls11, "TLSv1.1"},
                                                     {TlsVersion::kTls12, "TLSv1.2"},
                                                     {TlsVersion::kTls13, "TLSv1.3"}}};
constexpr NameTable<DecryptedService, 5> kServiceNames{{{DecryptedService::kHttp, "http"},
                                                        {DecryptedService::kImap, "imap"},
                                                        {DecryptedService::kPop3, "pop3"},
                                                        {DecryptedService::kSmtp, "smtp"},
                                                        {DecryptedService::kOther, "other"}}};
constexpr NameTable<Dataplane, 2> kDataplaneNames{
    {{Dataplane::kKernel, "kernel"}, {Dataplane::kDpdk, "dpdk"}}};
constexpr NameTable<DeviceMode, 2> kModeNames{
    {{DeviceMode::kStandard, "standard"}, {DeviceMode::kPerformance, "performance"}}};
constexpr NameTable<OverThreshold, 2> kOverThresholdNames{
    {{OverThreshold::kBypass, "bypass"}, {OverThreshold::kBlock, "block"}}};
constexpr NameTable<SeedSource, 2> kSeedSourceNames{
    {{SeedSource::kCpu, "cpu"}, {SeedSource::kOs, "os"}}};
constexpr NameTable<AeadProvider, 3> kAeadProviderNames{{{AeadProvider::kAuto, "auto"},
                                                         {AeadProvider::kIpsecMb, "ipsec-mb"},
                                                         {AeadProvider::kOpenssl, "openssl"}}};

template <typename E, std::size_t N>
std::string_view nameOf(const NameTable<E, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> valueOf(const NameTable<E, N>& table, std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// A decimal number with no sign, no leading '+', and nothing after it.
std::optional<unsigned> parseUnsigned(std::string_view s, unsigned max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || ptr != s.data() + s.size() || value > max) return std::nullopt;
  return value;
}

std::optional<uint32_t> parseIpv4(std::string_view s) {
  uint32_t address = 0;
  for (int octet = 0; octet < 4; ++octet) {
    std::size_t dot = octet < 3 ? s.find('.') : s.size();
    if (dot == std::string_view::npos) return std::nullopt;
    std::string_view part = s.substr(0, dot);
    // Leading zeros are refused: inet_aton would read "010" as octal.
    if (part.size() > 1 && part[0] == '0') return std::nullopt;
    auto v = parseUnsigned(part, 255);
    if (!v) return std::nullopt;
    address = (address << 8) | *v;
    s = octet < 3 ? s.substr(dot + 1) : std::string_view{};
  }
  return address;
}

void appendUnique(std::vector<std::string>& out, const std::string& name) {
  if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
}

}  // namespace

std::string Cidr4::str() const {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((address >> shift) & 0xff);
    if (shift != 0) out += '.';
  }
  return out + "/" + std::to_string(prefix);
}

std::string PortRange::str() const {
  if (first == last) return std::to_string(first);
  return std::to_string(first) + "-" + std::to_string(last);
}

std::optional<Cidr4> parseCidr4(std::string_view s) {
  Cidr4 cidr;
  std::size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    auto prefix = parseUnsigned(s.substr(slash + 1), 32);
    if (!prefix) return std::nullopt;
    cidr.prefix = static_cast<int>(*prefix);
    s = s.substr(0, slash);
  }
  auto address = parseIpv4(s);
  if (!address) return std::nullopt;
  cidr.address = *address;
  return cidr;
}

std::optional<PortRange> parsePortRange(std::string_view s) {
  std::size_t dash = s.find('-');
  auto first = parseUnsigned(s.substr(0, dash), 65535);
  if (!first || *first == 0) return std::nullopt;
  unsigned last = *first;
  if (dash != std::string_view::npos) {
    auto l = parseUnsigned(s.substr(dash + 1), 65535);
    if (!l || *l < *first) return std::nullopt;
    last = *l;
  }
  return PortRange{static_cast<uint16_t>(*first), static_cast<uint16_t>(last)};
}

std::string_view toString(TlsVersion v) {
  return nameOf(kTlsVersionNames, v);
}
std::string_view toString(DecryptedService s) {
  return nameOf(kServiceNames, s);
}
std::string_view toString(Dataplane d) {
  return nameOf(kDataplaneNames, d);
}
std::string_view toString(DeviceMode m) {
  return nameOf(kModeNames, m);
}
std::string_view toString(DataplaneFallback f) {
  return f == DataplaneFallback::kFailClosed ? "fail-closed" : "fail-open";
}
std::string_view toString(OverThreshold o) {
  return nameOf(kOverThresholdNames, o);
}
std::string_view toString(SeedSource s) {
  return nameOf(kSeedSourceNames, s);
}
std::string_view toString(AeadProvider a) {
  return nameOf(kAeadProviderNames, a);
}

std::optional<TlsVersion> parseTlsVersion(std::string_view s) {
  return valueOf(kTlsVersionNames, s);
}
std::optional<DecryptedService> parseDecryptedService(std::string_view s) {
  return valueOf(kServiceNames, s);
}
std::optional<Dataplane> parseDataplane(std::string_view s) {
  return valueOf(kDataplaneNames, s);
}
std::optional<DeviceMode> parseDeviceMode(std::string_view s) {
  return valueOf(kModeNames, s);
}
std::optional<OverThreshold> parseOverThreshold(std::string_view s) {
  return valueOf(kOverThresholdNames, s);
}

std::vector<std::string> Config::referencedCertificates() const {
  std::vector<std::string> out;
  for (const ServerProxy& p : server_proxies) {
    for (const std::string& c : p.certificates)
      appendUnique(out, c);
  }
  for (const ClientProxy& p : client_proxies)
    appendUnique(out, p.signing_certificate);
  if (!device.metrics_certificate.empty()) appendUnique(out, device.metrics_certificate);
  return out;
}

std::vector<std::string> Config::referencedCas() const {
  std::vector<std::string> out;
  for (const TrustStore& t : trust_stores) {
    for (const std::string& c : t.ca_certificates)
      appendUnique(out, c);
  }
  for (const SyslogTarget& s : device.syslog) {
    if (!s.ca_certificate.empty()) appendUnique(out, s.ca_certificate);
  }
  return out;
}

std::vector<std::string> Config::policiesUsingTrustStore(std::string_view name) const {
  std::vector<std::string> out;
  for (const Profile& profile : profiles) {
    for (const SslClientPolicy& policy : profile.ssl_client_policies) {
      if (policy.trust_store == name) out.push_back(profile.name + "/" + policy.name);
    }
  }
  return out;
}

}  // namespace vtps::config
