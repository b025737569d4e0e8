#include "appliance/mgmt/running_config_format.h"

#include <string_view>
#include <vector>

namespace vtps::mgmt {
namespace {

using namespace config;

// One object block: `KIND "NAME"`, indented statements, `exit`.
class Block {
 public:
  Block(std::string_view kind, std::string_view name) {
    text_ = std::string(kind) + " " + quoted(name) + "\n";
  }
  static std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }
  Block& line(std::string_view statement) {
    text_ += "  " + std::string(statement) + "\n";
    return *this;
  }
  Block& value(std::string_view keyword, std::string_view v) {
    return line(std::string(keyword) + " " + std::string(v));
  }
  Block& name(std::string_view keyword, std::string_view v) {
    return v.empty() ? *this : value(keyword, quoted(v));
  }
  Block& names(std::string_view keyword, const std::vector<std::string>& values) {
    for (const auto& v : values)
      name(keyword, v);
    return *this;
  }
  Block& flag(std::string_view keyword, bool on) {
    return value(keyword, on ? "enable" : "disable");
  }
  Block& cidrs(std::string_view keyword, const std::vector<Cidr4>& values) {
    for (const auto& c : values)
      value(keyword, c.str());
    return *this;
  }
  Block& ports(const std::vector<PortRange>& values) {
    for (const auto& p : values)
      value("detection-port", p.str());
    return *this;
  }
  Block& protocols(const std::vector<TlsVersion>& values) {
    for (TlsVersion v : values)
      value("protocol", toString(v));
    return *this;
  }
  Block& suites(const std::vector<std::string>& values) {
    for (const auto& s : values)
      value("cipher-suite", s);
    return *this;
  }
  std::string close() { return text_ + "  exit\n"; }

 private:
  std::string text_;
};

template <typename T, typename F>
std::string section(std::string_view title, const std::vector<T>& objects, F format) {
  std::string out = "# " + std::string(title) + "\n";
  for (const T& o : objects)
    out += format(o);
  return out;
}

// A policy block nested in its profile block.
std::string indented(const std::string& block) {
  std::string out;
  std::size_t start = 0;
  while (start < block.size()) {
    std::size_t end = block.find('\n', start);
    out += "  " + block.substr(start, end - start + 1);
    start = end + 1;
  }
  return out;
}

std::string deviceStatements(const Device& d) {
  std::string out = "# DEVICE STATEMENTS\n";
  out += "dataplane " + std::string(toString(d.dataplane)) + "\n";
  out += "mode " + std::string(toString(d.mode)) + "\n";
  out += "management " + std::string(d.management_enabled ? "enable" : "disable") + "\n";
  out += "management listen " + d.management_listen + "\n";
  out += "management min-tls " + std::string(toString(d.management_min_tls)) + "\n";
  out += "metrics listen " + d.metrics_listen + "\n";
  return out;
}

std::string sslStatements(const Config& c) {
  const SslInspectionSettings& s = c.device.ssl_inspection;
  std::string out = "# SSL INSPECTION STATEMENTS\n";
  out += std::string("server-inspection ") + (s.server ? "enable" : "disable") + "\n";
  out += std::string("client-inspection ") + (s.client ? "enable" : "disable") + "\n";
  out += "max-concurrent-connections " + std::to_string(s.max_concurrent_connections) + "\n";
  out += std::string("over-threshold ") + std::string(toString(s.over_threshold)) + "\n";
  out +=
      std::string("persist-private-keys ") + (s.persist_private_keys ? "enable" : "disable") + "\n";
  out += section("SSL SERVERS", c.server_proxies, formatServerProxy);
  out += section("SSL CLIENTS", c.client_proxies, formatClientProxy);
  out += section("SSL TRUST STORES", c.trust_stores, formatTrustStore);
  out += section("SSL DECRYPTION POLICIES", c.decryption_policies, formatDecryptionPolicy);
  out += "# SSL DOMAIN EXCLUSIONS\n";
  const DomainExclusions& e = c.domain_exclusions;
  out += std::string("domain-exclusion automatic ") + (e.automatic ? "enable" : "disable") + "\n";
  for (const auto& domain : e.domains)
    out += "domain-exclusion domain " + Block::quoted(domain) + "\n";
  out += "# SSL INSPECTION PROFILES\n";
  for (const Profile& p : c.profiles) {
    out += formatProfileHeader(p);
    for (const auto& sp : p.ssl_server_policies)
      out += indented(formatServerPolicy(sp));
    for (const auto& cp : p.ssl_client_policies)
      out += indented(formatClientPolicy(cp));
    out += "  exit\n";
  }
  return out;
}

}  // namespace

std::string formatServerProxy(const ServerProxy& p) {
  Block b("server", p.name);
  b.name("description", p.description).cidrs("ip address", p.destinations).ports(p.detection_ports);
  b.value("decrypted-service", toString(p.decrypted_service));
  b.protocols(p.protocols).suites(p.cipher_suites).names("certificate", p.certificates);
  b.flag("logging", p.logging).flag("tcp-reset", p.tcp_reset);
  return b.flag("http2-to-http1-downgrade", p.http2_to_http1_downgrade).close();
}

std::string formatClientProxy(const ClientProxy& p) {
  Block b("client", p.name);
  b.name("description", p.description).name("signing-certificate", p.signing_certificate);
  b.ports(p.detection_ports).value("decrypted-service", toString(p.decrypted_service));
  b.protocols(p.protocols).suites(p.cipher_suites);
  if (p.min_key_length != 0) b.value("min-key-length", std::to_string(p.min_key_length));
  b.flag("block-invalid-certificates", p.block_invalid_certificates);
  b.flag("block-expired-certificates", p.block_expired_certificates);
  b.flag("logging", p.logging).flag("tcp-reset", p.tcp_reset);
  return b.flag("http2-to-http1-downgrade", p.http2_to_http1_downgrade).close();
}

std::string formatTrustStore(const TrustStore& t) {
  Block b("trust-store", t.name);
  b.name("description", t.description).flag("include-default-ca", t.include_default_ca);
  return b.names("ca-certificate", t.ca_certificates).close();
}

std::string formatDecryptionPolicy(const DecryptionPolicy& p) {
  Block b("decryption-policy", p.name);
  b.name("description", p.description).names("category", p.categories);
  b.names("category-override", p.category_overrides).names("domain", p.domains);
  return b.names("domain-file", p.domain_files).close();
}

std::string formatServerPolicy(const SslServerPolicy& p) {
  Block b("server-policy", p.name);
  b.flag("state", p.enabled).flag("lock", p.locked).name("server-proxy", p.server_proxy);
  return b.cidrs("source-exception", p.source_exceptions).close();
}

std::string formatClientPolicy(const SslClientPolicy& p) {
  Block b("client-policy", p.name);
  b.flag("state", p.enabled).flag("lock", p.locked).name("client-proxy", p.client_proxy);
  b.name("decryption-policy", p.decryption_policy).name("trust-store", p.trust_store);
  b.cidrs("never-decrypt", p.never_decrypt).cidrs("always-decrypt", p.always_decrypt);
  return b.close();
}

std::string formatProfileHeader(const Profile& p) {
  std::string out = "profile " + Block::quoted(p.name) + "\n";
  if (!p.description.empty()) out += "  description " + Block::quoted(p.description) + "\n";
  if (!p.parent.empty()) out += "  parent " + Block::quoted(p.parent) + "\n";
  return out;
}

std::string formatRunningConfig(const Config& config, DisplaySection which) {
  if (which == DisplaySection::kSslInspection) return sslStatements(config);
  return deviceStatements(config.device) + sslStatements(config);
}

}  // namespace vtps::mgmt
