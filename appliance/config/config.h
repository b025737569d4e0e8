// The typed configuration: one YAML file (/etc/vtps/vtps.yaml) loaded into these structs by
// loader.h and checked by validate.h. Instances are immutable once published: the control thread
// hands workers a std::shared_ptr<const Config> snapshot and a session keeps the one it began with.
//
// Names follow the TippingPoint objects (server proxy, client proxy, trust store, decryption
// policy, profile, SSL server/client policy). Certificates and keys live in the keystore and are
// referenced here by name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vtps::config {

// Where a value came from in the YAML file (1-based; 0 when the value was defaulted).
struct Mark {
  int line = 0;
  int column = 0;
};

// Field marks of one YAML mapping: the mapping's own mark and each key's value mark, so that a
// cross-reference error can point at the exact field ("profiles[0].ssl-client-policies[1]
// .trust-store"). Keys of nested mappings folded into one struct are dotted ("cores.proxy").
// Sequence values also record each item's mark, so an error can point at one list entry.
struct Marks {
  Mark self;
  std::map<std::string, Mark, std::less<>> fields;
  std::map<std::string, std::vector<Mark>, std::less<>> items;
  Mark of(std::string_view field) const {
    auto it = fields.find(field);
    return it == fields.end() ? self : it->second;
  }
  Mark item(std::string_view field, std::size_t index) const {
    auto it = items.find(field);
    if (it == items.end() || index >= it->second.size()) return of(field);
    return it->second[index];
  }
};

struct Cidr4 {
  uint32_t address = 0;  // host byte order
  int prefix = 32;
  bool contains(uint32_t host_order_address) const {
    uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (host_order_address & mask) == (address & mask);
  }
  std::string str() const;
};

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  bool overlaps(const PortRange& o) const { return first <= o.last && o.first <= last; }
  bool contains(uint16_t port) const { return port >= first && port <= last; }
  std::string str() const;
};

enum class Dataplane { kKernel, kDpdk };
enum class DeviceMode { kStandard, kPerformance };
// device.dataplane-fallback: what a dpdk segment does while its filters cannot keep up.
enum class DataplaneFallback { kFailOpen, kFailClosed };
enum class OverThreshold { kBypass, kBlock };
// device.crypto.seed-source: what seeds OpenSSL's primary DRBG. cpu: RDSEED (RDRAND as fallback)
// mixed with the OS source, health-tested; os: OpenSSL's default (getrandom).
enum class SeedSource { kCpu, kOs };
// device.crypto.aead: who serves AES-GCM for TLS records. auto: intel-ipsec-mb where the
// benchmark showed it faster on this CPU's code path (VAES + AVX-512), OpenSSL elsewhere.
enum class AeadProvider { kAuto, kIpsecMb, kOpenssl };
enum class DecryptedService { kHttp, kImap, kPop3, kSmtp, kOther };
enum class TlsVersion { kSsl3, kTls10, kTls11, kTls12, kTls13 };

struct SslInspectionSettings {
  bool server = true;
  bool client = true;
  bool persist_private_keys = true;
  int max_concurrent_connections = 10000;
  OverThreshold over_threshold = OverThreshold::kBypass;
  Marks marks;
};

// device.syslog: one RFC 5424 collector the JSON logs are also sent to (read at start).
struct SyslogTarget {
  std::string address;            // "HOST:PORT"
  std::string transport = "tls";  // tls | tcp
  std::string ca_certificate;     // tls: keystore CA that verifies the collector
  std::string server_name;        // tls: name in the collector's certificate (default: HOST)
  TlsVersion min_tls = TlsVersion::kTls12;  // TLSv1.2 or TLSv1.3
  std::string facility = "local0";          // local0..local7, daemon, user, auth, authpriv
  std::vector<std::string> logs{"ssl", "failed", "block", "alert", "system", "audit"};
  Marks marks;
};

struct Device {
  Dataplane dataplane = Dataplane::kKernel;
  DeviceMode mode = DeviceMode::kStandard;
  std::vector<int> proxy_cores{0};
  std::vector<int> dataplane_cores;
  // dpdk: fail-open bridges without inspection, fail-closed drops, while a dataplane lcore's
  // filters use more than dataplane_inspection_budget percent of its cycles (docs/dpdk.md).
  DataplaneFallback dataplane_fallback = DataplaneFallback::kFailOpen;
  int dataplane_inspection_budget = 80;
  SslInspectionSettings ssl_inspection;
  std::string management_listen = "0.0.0.0:8443";
  TlsVersion management_min_tls = TlsVersion::kTls12;
  bool management_enabled = true;  // management.enabled: the REST API (docs/management.md)
  std::string metrics_listen = "0.0.0.0:9100";
  // metrics: {certificate, min-tls, basic-auth: {user, password-sha256}}, read at start.
  std::string metrics_certificate;  // keystore certificate served over HTTPS; empty: plain HTTP
  TlsVersion metrics_min_tls = TlsVersion::kTls12;
  std::string metrics_user;             // basic auth for /metrics; empty: none
  std::string metrics_password_sha256;  // SHA-256 of the password, 64 lowercase hex digits
  std::string keystore = "/var/lib/vtps/keystore";
  std::string control_socket = "/run/vtps/vtpsd.sock";
  std::string log_dir = "/var/log/vtps";
  // Users, config history, management certificate; empty: the keystore's parent directory.
  std::string state_dir;
  SeedSource seed_source = SeedSource::kCpu;         // read at start only
  AeadProvider aead_provider = AeadProvider::kAuto;  // read at start only
  std::vector<SyslogTarget> syslog;
  // Device features SSL inspection cannot run with (validation rejects the combination).
  bool vlan_translation = false;
  bool asymmetric_network = false;
  bool web_mode = false;
  Marks marks;
};

struct Segment {
  std::string name;
  std::vector<std::string> ports;
  std::string profile;
  // dpdk: which traffic the profile applies to; empty lists match everything. vlans: 802.1Q ids
  // (0 is untagged traffic); sources/destinations: the flow's initiator and responder.
  std::vector<int> vlans;
  std::vector<Cidr4> sources;
  std::vector<Cidr4> destinations;
  Marks marks;
};

struct ServerProxy {
  std::string name;
  std::string description;
  std::vector<Cidr4> destinations;
  std::vector<PortRange> detection_ports;
  DecryptedService decrypted_service = DecryptedService::kHttp;
  std::vector<std::string> certificates;   // keystore names; the first is the default
  std::vector<TlsVersion> protocols;       // contiguous set
  std::vector<std::string> cipher_suites;  // IANA names
  bool logging = false;
  bool tcp_reset = false;
  bool http2_to_http1_downgrade = true;
  Marks marks;
};

struct ClientProxy {
  std::string name;
  std::string description;
  std::string signing_certificate;
  DecryptedService decrypted_service = DecryptedService::kHttp;
  std::vector<PortRange> detection_ports;
  int min_key_length = 0;  // 0: not enforced
  bool logging = false;
  bool tcp_reset = false;
  bool block_invalid_certificates = false;
  bool block_expired_certificates = false;
  bool http2_to_http1_downgrade = true;
  std::vector<TlsVersion> protocols;
  std::vector<std::string> cipher_suites;
  Marks marks;
};

struct TrustStore {
  std::string name;
  std::string description;
  bool include_default_ca = true;
  std::vector<std::string> ca_certificates;  // keystore CA names
  Marks marks;
};

struct DecryptionPolicy {
  std::string name;
  std::string description;
  std::vector<std::string> categories;
  std::vector<std::string> category_overrides;
  std::vector<std::string> domains;  // exact or "*.suffix"
  // Files of more domains, one pattern per line ('#' comments), e.g. the shipped Default Client
  // Decryption Policy (/etc/vtps/default-decryption-policy.txt); read when the config is applied.
  std::vector<std::string> domain_files;
  Marks marks;
};

struct DomainExclusions {
  bool automatic = true;
  std::vector<std::string> domains;
  int auto_failure_threshold = 3;   // failures of one domain ...
  int auto_failure_window_s = 300;  // ... within this many seconds exclude it
  // Where the exclusions added at run time (automatic ones, `vtpsctl exclusions add`) persist;
  // empty: domain-exclusions.json in device.keystore.
  std::string state_file;
  Marks marks;
};

struct SslServerPolicy {
  std::string name;
  bool enabled = true;
  bool locked = false;
  std::string server_proxy;
  std::vector<Cidr4> source_exceptions;
  Marks marks;
};

struct SslClientPolicy {
  std::string name;
  bool enabled = true;
  bool locked = false;
  std::string client_proxy;
  std::string decryption_policy;  // empty: none
  std::string trust_store;
  std::vector<Cidr4> never_decrypt;
  std::vector<Cidr4> always_decrypt;
  Marks marks;
};

struct Profile {
  std::string name;
  std::string description;
  std::string parent;  // empty: a root profile
  std::vector<SslServerPolicy> ssl_server_policies;
  std::vector<SslClientPolicy> ssl_client_policies;
  std::string filter_rules;  // glob of rule files for this profile; empty: filters.rules
  Marks marks;
};

// filters.* (docs/filters.md). Address and port fields use the rule notation ("any",
// "10.0.0.0/8", "[80,443,!8080]", "$HOME_NET"); the filter engine's parser checks their syntax
// when the config is validated for applying (dataplane/filter/filter_config.h).
struct FilterTuple {
  std::string name;
  std::string source = "any";
  std::string source_ports = "any";
  std::string destination = "any";
  std::string destination_ports = "any";
  Marks marks;
};

enum class FilterTrafficAction { kBlock, kAllow, kTrust, kRateLimit };
enum class QuarantineAction { kBlock, kRedirect };

struct TrafficManagementFilter : FilterTuple {
  FilterTrafficAction action = FilterTrafficAction::kAllow;
  int rate_limit_kbps = 0;  // action rate-limit only
};

struct FilterLimits {
  int max_header_bytes = 16384;
  int max_body_bytes = 65536;
  int max_headers = 256;
  int max_pending_requests = 256;
  int stream_window_bytes = 65536;
  int stream_overlap_bytes = 1024;
  int trace_max_bytes = 1 << 20;
  int trace_history_bytes = 64 << 10;
};

struct ReputationLists {
  std::string ip_list, dns_list, url_list;  // empty: no list of that kind
  int block_threshold = 80;
  int notify_threshold = 50;
  Marks marks;
};

struct QuarantineSettings {
  std::vector<std::string> hosts;
  QuarantineAction action = QuarantineAction::kBlock;
  std::string redirect_url;
  std::vector<std::string> allowed_destinations;
  Marks marks;
};

// filters.cleartext-inspection[]: plain TCP tuples that the kernel dataplane's proxy takes
// (nftables TPROXY, like the SSL tuples) and runs through the filters in clear. A tuple must not
// overlap an SSL detection tuple (validation names both).
struct CleartextTuple {
  std::string name;
  std::vector<Cidr4> destinations;
  std::vector<PortRange> ports;
  std::string profile;     // whose filter-rules apply; empty: filters.rules
  bool tcp_reset = false;  // a block closes both legs with a TCP reset
  Marks marks;
};

struct Filters {
  std::string rules;      // glob of rule files
  std::string cache_dir;  // serialized Hyperscan databases; empty: no cache
  std::string trace_dir;  // packet traces; empty: <device.log-dir>/traces
  std::map<std::string, std::string> address_vars;
  std::map<std::string, std::string> port_vars;
  FilterLimits limits;  // marks under "limits." in `marks`
  std::vector<FilterTuple> inspection_bypass;
  std::vector<TrafficManagementFilter> traffic_management;  // first match wins
  ReputationLists reputation;
  QuarantineSettings quarantine;
  std::vector<CleartextTuple> cleartext_inspection;  // first match wins
  Marks marks;
};

struct Config {
  std::string source_path;  // file it was loaded from, for messages
  Device device;
  std::vector<Segment> segments;
  std::vector<ServerProxy> server_proxies;
  std::vector<ClientProxy> client_proxies;
  std::vector<TrustStore> trust_stores;
  std::vector<DecryptionPolicy> decryption_policies;
  DomainExclusions domain_exclusions;
  // ssl.category-files: "DOMAIN CATEGORY" list files that give decryption policy categories
  // their domains (format in dataplane/proxy/category_list.h and docs/client-inspection.md).
  std::vector<std::string> category_files;
  std::vector<Profile> profiles;
  Filters filters;

  // Every keystore certificate name the config references (server proxy certificates and client
  // proxy signing certificates), and every CA name (trust stores); used to refuse deletes.
  std::vector<std::string> referencedCertificates() const;
  std::vector<std::string> referencedCas() const;
  // The policies (as "profile/policy") that reference a trust store.
  std::vector<std::string> policiesUsingTrustStore(std::string_view name) const;
};

// Names as written in the YAML file ("TLSv1.2", "http", "kernel", "bypass", ...).
std::string_view toString(TlsVersion v);
std::string_view toString(DecryptedService s);
std::string_view toString(Dataplane d);
std::string_view toString(DeviceMode m);
std::string_view toString(DataplaneFallback f);
std::string_view toString(OverThreshold o);
std::string_view toString(FilterTrafficAction a);  // "block", "allow", "trust", "rate-limit"
std::string_view toString(QuarantineAction a);     // "block", "redirect"
std::string_view toString(SeedSource s);
std::string_view toString(AeadProvider a);
std::optional<TlsVersion> parseTlsVersion(std::string_view s);
std::optional<DecryptedService> parseDecryptedService(std::string_view s);
std::optional<Dataplane> parseDataplane(std::string_view s);
std::optional<DeviceMode> parseDeviceMode(std::string_view s);
std::optional<OverThreshold> parseOverThreshold(std::string_view s);

// "10.0.0.0/8" or "10.0.0.1" (a /32). Only dotted-quad IPv4; host bits may be set.
std::optional<Cidr4> parseCidr4(std::string_view s);
// "443" or "8443-8444": ports 1..65535, first <= last.
std::optional<PortRange> parsePortRange(std::string_view s);

}  // namespace vtps::config
