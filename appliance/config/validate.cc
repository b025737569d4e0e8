// Validation entry points, the shared rule helpers, and the device, segment and profile rules. The
// SSL objects' rules are in validate_ssl.cc.
#include "appliance/config/validate.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "appliance/config/filters_schema.h"
#include "appliance/config/validator.h"

namespace vtps::config {
namespace detail {

std::string quote(std::string_view s) {
  // Appending instead of `"\"" + std::string(s)` sidesteps GCC 12's false -Wrestrict at -O3.
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}

std::string indexed(std::string_view list_path, std::size_t index) {
  return std::string(list_path) + "[" + std::to_string(index) + "]";
}

void Validator::error(const Marks& marks, const std::string& object_path, std::string_view field,
                      std::string message) {
  out_.push_back(Diagnostic{config_.source_path, marks.of(field),
                            object_path + "." + std::string(field), std::move(message)});
}

void Validator::itemError(const Marks& marks, const std::string& object_path,
                          std::string_view field, std::size_t index, std::string message) {
  out_.push_back(Diagnostic{config_.source_path, marks.item(field, index),
                            indexed(object_path + "." + std::string(field), index),
                            std::move(message)});
}

void Validator::name(const Marks& marks, const std::string& object_path, std::string_view value,
                     std::string_view what, std::size_t max_length) {
  if (auto message = checkName(value, what, max_length)) {
    error(marks, object_path, "name", std::move(*message));
  }
}

void Validator::description(const Marks& marks, const std::string& object_path,
                            std::string_view text) {
  if (auto message = checkDescription(text)) {
    error(marks, object_path, "description", std::move(*message));
  }
}

void Validator::distinctEntries(const Marks& marks, const std::string& object_path,
                                std::string_view field, const std::vector<std::string>& entries) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].empty()) {
      itemError(marks, object_path, field, i, "must not be empty");
    } else if (!seen.insert(entries[i]).second) {
      itemError(marks, object_path, field, i, quote(entries[i]) + " is listed twice");
    }
  }
}

std::string Validator::unknownReference(const std::string& value, std::string_view what,
                                        const std::vector<std::string>& names) {
  std::string message = "unknown " + std::string(what) + " " + quote(value);
  std::string hint = didYouMean(value, names);
  if (!hint.empty()) return message + hint;
  if (names.empty()) return message + "; no " + std::string(what) + " is defined";
  message += "; defined: ";
  constexpr std::size_t kShown = 10;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) {
    message += (i == 0 ? "" : ", ") + names[i];
  }
  return names.size() > kShown ? message + ", ..." : message;
}

namespace {

// "ADDRESS:PORT" with an IPv4 address or a bracketed IPv6 address.
bool isListenAddress(std::string_view s) {
  std::size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string host(s.substr(0, colon));
  auto port = parsePortRange(s.substr(colon + 1));
  if (!port || port->first != port->last) return false;
  unsigned char buf[16];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buf) == 1;
  }
  return parseCidr4(host).has_value() && host.find('/') == std::string::npos;
}

void checkCoreList(Validator& v, const Marks& marks, std::string_view field,
                   const std::vector<int>& cores) {
  std::set<int> seen;
  for (std::size_t i = 0; i < cores.size(); ++i) {
    if (cores[i] < 0 || cores[i] > kMaxCore) {
      v.itemError(
          marks, "device", field, i,
          std::to_string(cores[i]) + " is not a core number (0.." + std::to_string(kMaxCore) + ")");
    } else if (!seen.insert(cores[i]).second) {
      v.itemError(marks, "device", field, i,
                  "core " + std::to_string(cores[i]) + " is listed twice");
    }
  }
}

void validateCores(Validator& v, const Device& d) {
  checkCoreList(v, d.marks, "cores.proxy", d.proxy_cores);
  checkCoreList(v, d.marks, "cores.dataplane", d.dataplane_cores);
  if (d.proxy_cores.empty())
    v.error(d.marks, "device", "cores.proxy", "at least one proxy core is required");
  if (d.dataplane == Dataplane::kDpdk && d.dataplane_cores.empty()) {
    v.error(d.marks, "device", "cores.dataplane",
            "the dpdk dataplane needs at least one dataplane core");
  }
  if (d.dataplane_inspection_budget < 1 || d.dataplane_inspection_budget > 100) {
    v.error(d.marks, "device", "dataplane-inspection-budget",
            std::to_string(d.dataplane_inspection_budget) +
                " is out of range (1..100, percent of a dataplane core's cycles)");
  }
  if (d.mode == DeviceMode::kPerformance) {
    if (d.dataplane != Dataplane::kDpdk) {
      v.error(d.marks, "device", "mode",
              "performance mode needs the dpdk dataplane (dataplane: dpdk)");
    }
    for (std::size_t i = 0; i < d.dataplane_cores.size(); ++i) {
      int core = d.dataplane_cores[i];
      if (std::find(d.proxy_cores.begin(), d.proxy_cores.end(), core) != d.proxy_cores.end()) {
        v.itemError(d.marks, "device", "cores.dataplane", i,
                    "core " + std::to_string(core) +
                        " is also a proxy core; in performance mode proxy and dataplane cores "
                        "must be disjoint");
      }
    }
  }
}

void validateSslInspection(Validator& v, const Device& d) {
  const SslInspectionSettings& s = d.ssl_inspection;
  if (s.max_concurrent_connections < 1 ||
      s.max_concurrent_connections > kMaxConcurrentConnections) {
    v.error(s.marks, "device.ssl-inspection", "max-concurrent-connections",
            std::to_string(s.max_concurrent_connections) + " is out of range (1.." +
                std::to_string(kMaxConcurrentConnections) + ")");
  }
  if (!s.server && !s.client) return;
  // The documents list device features SSL inspection cannot run with.
  const std::pair<bool, std::pair<std::string_view, std::string_view>> conflicts[] = {
      {d.vlan_translation, {"vlan-translation", "VLAN translation"}},
      {d.asymmetric_network, {"asymmetric-network", "asymmetric network mode"}},
      {d.web_mode, {"web-mode", "web mode"}},
  };
  for (const auto& [on, names] : conflicts) {
    if (!on) continue;
    v.error(d.marks, "device", names.first,
            "SSL inspection cannot run with " + std::string(names.second) +
                "; turn this off or disable device.ssl-inspection.server and .client");
  }
}

// "HOST:PORT" with a port 1..65535 and a non-empty host without spaces.
bool isHostPort(const std::string& s) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  if (s.find_first_of(" \t") != std::string::npos) return false;
  int port = 0;
  for (char ch : s.substr(colon + 1)) {
    if (ch < '0' || ch > '9' || (port = port * 10 + (ch - '0')) > 65535) return false;
  }
  return port > 0;
}

void validateSyslog(Validator& v, const Device& d) {
  static const std::set<std::string, std::less<>> kFacilities{
      "local0", "local1", "local2", "local3", "local4", "local5",
      "local6", "local7", "daemon", "user",   "auth",   "authpriv"};
  static const std::set<std::string, std::less<>> kLogs{"ssl",   "failed", "block",
                                                        "alert", "system", "audit"};
  for (std::size_t i = 0; i < d.syslog.size(); ++i) {
    const SyslogTarget& s = d.syslog[i];
    std::string path = indexed("device.syslog", i);
    if (!isHostPort(s.address))
      v.error(s.marks, path, "address", quote(s.address) + " is not HOST:PORT");
    if (s.transport != "tls" && s.transport != "tcp") {
      v.error(s.marks, path, "transport",
              "unknown transport " + quote(s.transport) + "; expected one of: tls, tcp");
    }
    if (s.transport == "tls" && s.ca_certificate.empty()) {
      v.error(s.marks, path, "ca-certificate",
              "is required with transport tls (the keystore CA that verifies the collector)");
    }
    if (s.min_tls != TlsVersion::kTls12 && s.min_tls != TlsVersion::kTls13)
      v.error(s.marks, path, "min-tls", "must be TLSv1.2 or TLSv1.3");
    if (!kFacilities.contains(s.facility)) {
      v.error(s.marks, path, "facility",
              "unknown facility " + quote(s.facility) +
                  "; expected local0..local7, daemon, user, auth or authpriv");
    }
    for (std::size_t l = 0; l < s.logs.size(); ++l) {
      if (!kLogs.contains(s.logs[l])) {
        v.itemError(s.marks, path, "logs", l,
                    "unknown log " + quote(s.logs[l]) +
                        "; expected ssl, failed, block, alert, system or audit");
      }
    }
  }
}

void validateDevice(Validator& v) {
  const Device& d = v.config().device;
  validateCores(v, d);
  validateSyslog(v, d);
  validateSslInspection(v, d);
  const std::pair<std::string_view, const std::string*> listeners[] = {
      {"management.listen", &d.management_listen}, {"metrics.listen", &d.metrics_listen}};
  for (const auto& [field, value] : listeners) {
    if (!isListenAddress(*value)) {
      v.error(
          d.marks, "device", field,
          quote(*value) + " is not ADDRESS:PORT (IPv4 address or [IPv6] address, port 1..65535)");
    }
  }
  if (d.metrics_min_tls != TlsVersion::kTls12 && d.metrics_min_tls != TlsVersion::kTls13) {
    v.error(d.marks, "device", "metrics.min-tls",
            "must be TLSv1.2 or TLSv1.3 (the metrics endpoint offers nothing older)");
  }
  if (d.metrics_user.empty() != d.metrics_password_sha256.empty()) {
    v.error(d.marks, "device", "metrics.basic-auth",
            "needs both user and password-sha256, or neither");
  } else if (!d.metrics_password_sha256.empty() && (d.metrics_password_sha256.size() != 64 ||
                                                    d.metrics_password_sha256.find_first_not_of(
                                                        "0123456789abcdef") != std::string::npos)) {
    v.error(d.marks, "device", "metrics.basic-auth.password-sha256",
            "must be 64 lowercase hex digits (the SHA-256 of the password)");
  }
  if (d.management_min_tls == TlsVersion::kSsl3) {
    v.error(d.marks, "device", "management.min-tls",
            "SSLv3 is not allowed on the management port; use TLSv1.0 or later");
  }
  const std::pair<std::string_view, const std::string*> paths[] = {
      {"keystore", &d.keystore}, {"control-socket", &d.control_socket}, {"log-dir", &d.log_dir}};
  for (const auto& [field, value] : paths) {
    if (value->empty()) {
      v.error(d.marks, "device", field, "is required");
    } else if (value->front() != '/') {
      v.error(d.marks, "device", field, quote(*value) + " is not an absolute path");
    }
  }
  if (!d.state_dir.empty() && d.state_dir.front() != '/') {
    v.error(d.marks, "device", "state-dir", quote(d.state_dir) + " is not an absolute path");
  }
}

void validateSegments(Validator& v) {
  const Config& c = v.config();
  std::map<std::string, std::string, std::less<>> port_owner;
  for (std::size_t i = 0; i < c.segments.size(); ++i) {
    const Segment& s = c.segments[i];
    std::string path = indexed("segments", i);
    v.name(s.marks, path, s.name, "segment", kMaxObjectNameLength);
    if (s.ports.size() != 2) {
      v.error(s.marks, path, "ports",
              "a segment has exactly two ports, got " + std::to_string(s.ports.size()));
    }
    v.distinctEntries(s.marks, path, "ports", s.ports);
    for (std::size_t p = 0; p < s.ports.size(); ++p) {
      auto [it, inserted] = port_owner.emplace(s.ports[p], s.name);
      if (!inserted && it->second != s.name) {
        v.itemError(s.marks, path, "ports", p,
                    "port " + quote(s.ports[p]) + " is already in segment " + quote(it->second));
      }
    }
    v.reference(s.marks, path, "profile", s.profile, c.profiles, "profile", false);
    std::set<int> vlans;
    for (std::size_t k = 0; k < s.vlans.size(); ++k) {
      if (s.vlans[k] < 0 || s.vlans[k] > 4094) {
        v.itemError(s.marks, path, "vlans", k,
                    std::to_string(s.vlans[k]) + " is not a VLAN id (0 untagged, 1..4094)");
      } else if (!vlans.insert(s.vlans[k]).second) {
        v.itemError(s.marks, path, "vlans", k,
                    "VLAN " + std::to_string(s.vlans[k]) + " is listed twice");
      }
    }
  }
  v.uniqueNames(c.segments, "segments", "segment");
}

}  // namespace
}  // namespace detail

std::optional<std::string> checkName(std::string_view name, std::string_view what,
                                     std::size_t max_length) {
  if (name.empty()) return "is required";
  if (name.size() > max_length) {
    return detail::quote(name) + " is " + std::to_string(name.size()) + " characters long; " +
           std::string(what) + " names are limited to " + std::to_string(max_length);
  }
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '_' || c == '-' || c == ' ') continue;
    std::string shown = c >= 0x20 && c < 0x7f ? std::string(1, ch) : "\\x" + [c] {
      const char* hex = "0123456789abcdef";
      return std::string{hex[c >> 4], hex[c & 15]};
    }();
    return detail::quote(name) + " contains " + detail::quote(shown) + "; " + std::string(what) +
           " names may contain only letters, digits, underscore, hyphen and space";
  }
  return std::nullopt;
}

std::optional<std::string> checkDescription(std::string_view description) {
  // Characters, not bytes: count every byte that does not continue a UTF-8 sequence.
  std::size_t chars = std::count_if(description.begin(), description.end(), [](char ch) {
    return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  });
  if (chars <= kMaxDescriptionLength) return std::nullopt;
  return "is " + std::to_string(chars) + " characters long; descriptions are limited to " +
         std::to_string(kMaxDescriptionLength);
}

std::vector<Diagnostic> validate(const Config& config) {
  detail::Validator v(config);
  detail::validateDevice(v);
  detail::validateSegments(v);
  detail::validateServerProxies(v);
  detail::validateClientProxies(v);
  detail::validateTrustStores(v);
  detail::validateDecryptionPolicies(v);
  detail::validateDomainExclusions(v);
  detail::validateProfiles(v);
  detail::validateFilters(v);
  return v.take();
}

}  // namespace vtps::config
