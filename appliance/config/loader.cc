// The YAML schema: which keys exist, their types and defaults. Limits and cross-references are
// checked afterwards by validate.cc, on the typed structs.
#include "appliance/config/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <tuple>

#include "appliance/config/cipher_suites.h"
#include "appliance/config/filters_schema.h"
#include "appliance/config/validate.h"
#include "appliance/config/yaml_reader.h"

namespace vtps::config {
namespace {

using detail::MapReader;
using detail::ReadContext;

// Inputs are bounded before yaml-cpp sees them: its parser recurses once per nesting level, and a
// deeply nested document can exhaust the stack (yaml-cpp's own guard stops at 2000 levels, which
// is too deep for sanitizer builds). The config schema needs fewer than ten levels.
constexpr std::size_t kMaxFileBytes = 8u << 20;
constexpr int kMaxNesting = 100;

constexpr std::initializer_list<TlsVersion> kAllVersions = {TlsVersion::kSsl3, TlsVersion::kTls10,
                                                            TlsVersion::kTls11, TlsVersion::kTls12,
                                                            TlsVersion::kTls13};
constexpr std::initializer_list<DecryptedService> kAllServices = {
    DecryptedService::kHttp, DecryptedService::kImap, DecryptedService::kPop3,
    DecryptedService::kSmtp, DecryptedService::kOther};

// An upper bound on the nesting depth of a YAML text, without parsing it: block nesting needs
// indentation or a "- "/"? " indicator per level, and flow nesting a bracket per level. Brackets
// inside quoted strings count too, which only overestimates.
std::optional<Diagnostic> checkNesting(std::string_view text, const std::string& file) {
  int flow = 0;
  int line = 1;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view l = text.substr(pos, end - pos);
    std::size_t i = 0;
    int block = 0;
    while (i < l.size() && (l[i] == ' ' || l[i] == '\t' || l[i] == '-' || l[i] == '?')) {
      ++block;
      ++i;
    }
    if (block > kMaxNesting) {
      return Diagnostic{
          file, Mark{line, 1}, "",
          "indentation deeper than " + std::to_string(kMaxNesting) + " columns; refusing to parse"};
    }
    for (; i < l.size(); ++i) {
      if (l[i] == '[' || l[i] == '{') {
        ++flow;
      } else if ((l[i] == ']' || l[i] == '}') && flow > 0) {
        --flow;
      }
      if (block + flow > kMaxNesting) {
        return Diagnostic{file, Mark{line, static_cast<int>(i) + 1}, "",
                          "nesting deeper than " + std::to_string(kMaxNesting) +
                              " levels (indentation or brackets); refusing to parse"};
      }
    }
    pos = end + 1;
    ++line;
  }
  return std::nullopt;
}

void readSslInspection(MapReader& r, SslInspectionSettings& s) {
  r.boolean("server", s.server);
  r.boolean("client", s.client);
  r.boolean("persist-private-keys", s.persist_private_keys);
  r.integer("max-concurrent-connections", s.max_concurrent_connections);
  r.enumeration("over-threshold", "over-threshold action",
                {OverThreshold::kBypass, OverThreshold::kBlock}, s.over_threshold);
}

void readSyslogTarget(MapReader& r, SyslogTarget& s) {
  r.string("address", s.address);
  r.string("transport", s.transport);
  r.string("ca-certificate", s.ca_certificate);
  r.string("server-name", s.server_name);
  r.enumeration("min-tls", "protocol", kAllVersions, s.min_tls);
  r.string("facility", s.facility);
  r.strings("logs", s.logs);
}

void readDevice(MapReader& r, Device& d) {
  r.enumeration("dataplane", "dataplane", {Dataplane::kKernel, Dataplane::kDpdk}, d.dataplane);
  r.enumeration("mode", "mode", {DeviceMode::kStandard, DeviceMode::kPerformance}, d.mode);
  r.enumeration("dataplane-fallback", "fallback",
                {DataplaneFallback::kFailOpen, DataplaneFallback::kFailClosed},
                d.dataplane_fallback);
  r.integer("dataplane-inspection-budget", d.dataplane_inspection_budget);
  r.nested("cores", [&](MapReader& c) {
    c.integers("proxy", d.proxy_cores);
    c.integers("dataplane", d.dataplane_cores);
  });
  r.object<SslInspectionSettings>("ssl-inspection", d.ssl_inspection, readSslInspection);
  r.nested("management", [&](MapReader& m) {
    m.string("listen", d.management_listen);
    m.enumeration("min-tls", "protocol", kAllVersions, d.management_min_tls);
    m.boolean("enabled", d.management_enabled);
  });
  r.nested("metrics", [&](MapReader& m) {
    m.string("listen", d.metrics_listen);
    m.string("certificate", d.metrics_certificate);
    m.enumeration("min-tls", "protocol", kAllVersions, d.metrics_min_tls);
    m.nested("basic-auth", [&](MapReader& a) {
      a.string("user", d.metrics_user);
      a.string("password-sha256", d.metrics_password_sha256);
    });
  });
  r.string("keystore", d.keystore);
  r.string("control-socket", d.control_socket);
  r.string("log-dir", d.log_dir);
  r.string("state-dir", d.state_dir);
  r.objects<SyslogTarget>("syslog", d.syslog, readSyslogTarget);
  r.nested("crypto", [&](MapReader& c) {
    c.enumeration("seed-source", "seed source", {SeedSource::kCpu, SeedSource::kOs}, d.seed_source);
    c.enumeration("aead", "AEAD provider",
                  {AeadProvider::kAuto, AeadProvider::kIpsecMb, AeadProvider::kOpenssl},
                  d.aead_provider);
  });
  r.boolean("vlan-translation", d.vlan_translation);
  r.boolean("asymmetric-network", d.asymmetric_network);
  r.boolean("web-mode", d.web_mode);
}

void readSegment(MapReader& r, Segment& s) {
  r.string("name", s.name);
  r.strings("ports", s.ports);
  r.string("profile", s.profile);
  r.integers("vlans", s.vlans);
  r.cidrs("sources", s.sources);
  r.cidrs("destinations", s.destinations);
}

// Protocols default to the documented set; cipher suites default to the documented list,
// narrowed to what the protocols can negotiate.
template <typename Proxy>
void readProtocolsAndSuites(
    MapReader& r, Proxy& p,
    std::vector<std::string> (*default_suites)(std::span<const TlsVersion>)) {
  if (!r.enumerations("protocols", "protocol", kAllVersions, p.protocols) &&
      !p.marks.fields.contains("protocols")) {
    p.protocols = defaultProtocols();
  }
  if (!r.strings("cipher-suites", p.cipher_suites) && !p.marks.fields.contains("cipher-suites")) {
    std::vector<TlsVersion> basis = p.protocols.empty() ? defaultProtocols() : p.protocols;
    p.cipher_suites = default_suites(basis);
  }
}

void readServerProxy(MapReader& r, ServerProxy& p) {
  r.string("name", p.name);
  r.string("description", p.description);
  r.cidrs("destinations", p.destinations);
  r.ports("detection-ports", p.detection_ports);
  r.enumeration("decrypted-service", "decrypted service", kAllServices, p.decrypted_service);
  r.strings("certificates", p.certificates);
  readProtocolsAndSuites(r, p, defaultServerCipherSuites);
  r.boolean("logging", p.logging);
  r.boolean("tcp-reset", p.tcp_reset);
  r.boolean("http2-to-http1-downgrade", p.http2_to_http1_downgrade);
}

void readClientProxy(MapReader& r, ClientProxy& p) {
  r.string("name", p.name);
  r.string("description", p.description);
  r.string("signing-certificate", p.signing_certificate);
  r.enumeration("decrypted-service", "decrypted service", kAllServices, p.decrypted_service);
  r.ports("detection-ports", p.detection_ports);
  r.integer("min-key-length", p.min_key_length);
  r.boolean("logging", p.logging);
  r.boolean("tcp-reset", p.tcp_reset);
  r.boolean("block-invalid-certificates", p.block_invalid_certificates);
  r.boolean("block-expired-certificates", p.block_expired_certificates);
  r.boolean("http2-to-http1-downgrade", p.http2_to_http1_downgrade);
  readProtocolsAndSuites(r, p, defaultClientCipherSuites);
}

void readTrustStore(MapReader& r, TrustStore& t) {
  r.string("name", t.name);
  r.string("description", t.description);
  r.boolean("include-default-ca", t.include_default_ca);
  r.strings("ca-certificates", t.ca_certificates);
}

void readDecryptionPolicy(MapReader& r, DecryptionPolicy& p) {
  r.string("name", p.name);
  r.string("description", p.description);
  r.strings("categories", p.categories);
  r.strings("category-overrides", p.category_overrides);
  r.strings("domains", p.domains);
  r.strings("domain-files", p.domain_files);
}

void readDomainExclusions(MapReader& r, DomainExclusions& e) {
  r.boolean("automatic", e.automatic);
  r.strings("domains", e.domains);
  r.integer("auto-failure-threshold", e.auto_failure_threshold);
  r.integer("auto-failure-window", e.auto_failure_window_s);
  r.string("state-file", e.state_file);
}

void readServerPolicy(MapReader& r, SslServerPolicy& p) {
  r.string("name", p.name);
  r.boolean("enabled", p.enabled);
  r.boolean("locked", p.locked);
  r.string("server-proxy", p.server_proxy);
  r.cidrs("source-exceptions", p.source_exceptions);
}

void readClientPolicy(MapReader& r, SslClientPolicy& p) {
  r.string("name", p.name);
  r.boolean("enabled", p.enabled);
  r.boolean("locked", p.locked);
  r.string("client-proxy", p.client_proxy);
  r.string("decryption-policy", p.decryption_policy);
  r.string("trust-store", p.trust_store);
  r.cidrs("never-decrypt", p.never_decrypt);
  r.cidrs("always-decrypt", p.always_decrypt);
}

void readProfile(MapReader& r, Profile& p) {
  r.string("name", p.name);
  r.string("description", p.description);
  r.string("parent", p.parent);
  r.objects<SslServerPolicy>("ssl-server-policies", p.ssl_server_policies, readServerPolicy);
  r.objects<SslClientPolicy>("ssl-client-policies", p.ssl_client_policies, readClientPolicy);
  r.string("filter-rules", p.filter_rules);
}

void readConfig(ReadContext& ctx, const YAML::Node& root, Config& c) {
  Marks root_marks;
  MapReader r(ctx, root, "", root_marks);
  if (!r.valid()) return;
  r.object<Device>("device", c.device, readDevice);
  r.objects<Segment>("segments", c.segments, readSegment);
  r.nested("ssl", [&](MapReader& ssl) {
    ssl.objects<ServerProxy>("server-proxies", c.server_proxies, readServerProxy);
    ssl.objects<ClientProxy>("client-proxies", c.client_proxies, readClientProxy);
    ssl.objects<TrustStore>("trust-stores", c.trust_stores, readTrustStore);
    ssl.objects<DecryptionPolicy>("decryption-policies", c.decryption_policies,
                                  readDecryptionPolicy);
    ssl.object<DomainExclusions>("domain-exclusions", c.domain_exclusions, readDomainExclusions);
    ssl.strings("category-files", c.category_files);
  });
  r.objects<Profile>("profiles", c.profiles, readProfile);
  r.object<Filters>("filters", c.filters, detail::readFilters);
  r.finish();
}

std::string tooLarge(std::uintmax_t size) {
  return "the file is " + std::to_string(size) + " bytes; the limit is " +
         std::to_string(kMaxFileBytes);
}

// One field, or a field inside or around it, already has a load error: a validation message
// about it would only restate that error in other words.
bool coveredBy(const std::string& field, const std::vector<std::string>& failed) {
  auto under = [](const std::string& path, const std::string& prefix) {
    return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
           (path[prefix.size()] == '.' || path[prefix.size()] == '[');
  };
  return std::any_of(failed.begin(), failed.end(), [&](const std::string& f) {
    return f.empty() || f == field || under(field, f) || under(f, field);
  });
}

// Records where a document's first node is, and whether it has any content.
class DocumentProbe : public YAML::EventHandler {
 public:
  bool hasContent() const { return content_; }
  const YAML::Mark& mark() const { return mark_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m, false); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m, true); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                const std::string&) override {
    note(m, true);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    note(m, true);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    note(m, true);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& m, bool content) {
    if (!seen_) mark_ = m;
    seen_ = true;
    content_ = content_ || content;
  }
  bool seen_ = false;
  bool content_ = false;
  YAML::Mark mark_;
};

// Parses the text; on a syntax error, diagnostics gets the error and the result is null.
// yaml-cpp 0.7 has a parser state that never consumes a stray token (a ',' where a node should
// start): the document reads as null and every further HandleNextDocument() succeeds again without
// progress, which is also why YAML::LoadAll can loop forever (upstream pull request 1319). So the
// first document is loaded with YAML::Load, and a second parse looks at no more than three
// documents: a third one means the parser is stuck (or the text is several documents), and a
// second one with content means several documents.
std::optional<YAML::Node> parseYaml(std::string_view yaml, const std::string& file,
                                    std::vector<Diagnostic>& diagnostics) {
  try {
    std::string text(yaml);
    YAML::Node root = YAML::Load(text);
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentProbe probes[3];
    int documents = 0;
    while (documents < 3 && parser.HandleNextDocument(probes[documents]))
      ++documents;
    if (documents == 3) {
      diagnostics.push_back(Diagnostic{file, detail::toMark(probes[2].mark()), "",
                                       "YAML syntax error: unexpected content"});
      return std::nullopt;
    }
    if (documents == 2 && probes[1].hasContent()) {
      diagnostics.push_back(Diagnostic{file, detail::toMark(probes[1].mark()), "",
                                       "the file holds more than one YAML document; a config is "
                                       "a single document"});
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    diagnostics.push_back(
        Diagnostic{file, detail::toMark(e.mark), "", "YAML syntax error: " + e.msg});
  } catch (const std::exception& e) {
    diagnostics.push_back(Diagnostic{file, {}, "", std::string("cannot parse YAML: ") + e.what()});
  }
  return std::nullopt;
}

}  // namespace

std::string Diagnostic::str() const {
  std::string out = file;
  if (mark.line > 0) out += ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
  out += ": error: ";
  if (!field.empty()) out += field + ": ";
  return out + message;
}

std::string LoadResult::report() const {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (!out.empty()) out += '\n';
    out += d.str();
  }
  return out;
}

LoadResult loadString(std::string_view yaml, const std::string& file) {
  LoadResult result;
  if (yaml.size() > kMaxFileBytes) {
    result.diagnostics.push_back(Diagnostic{file, {}, "", tooLarge(yaml.size())});
    return result;
  }
  if (auto deep = checkNesting(yaml, file)) {
    result.diagnostics.push_back(std::move(*deep));
    return result;
  }
  std::optional<YAML::Node> root = parseYaml(yaml, file, result.diagnostics);
  if (!root) return result;

  auto config = std::make_shared<Config>();
  config->source_path = file;
  ReadContext ctx(file, result.diagnostics);
  try {
    readConfig(ctx, *root, *config);
  } catch (const std::exception& e) {
    // yaml-cpp documents no throws for reads of a parsed tree; this is a last line of defence.
    result.diagnostics.push_back(Diagnostic{file, {}, "", std::string("cannot read: ") + e.what()});
    return result;
  }
  if (ctx.exhausted()) return result;

  std::vector<std::string> failed;
  for (const Diagnostic& d : result.diagnostics)
    failed.push_back(d.field);
  for (Diagnostic& d : validate(*config)) {
    if (!coveredBy(d.field, failed)) result.diagnostics.push_back(std::move(d));
  }
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.mark.line, a.mark.column) <
                            std::tie(b.mark.line, b.mark.column);
                   });
  if (result.diagnostics.size() > static_cast<std::size_t>(ReadContext::kMaxErrors)) {
    result.diagnostics.resize(ReadContext::kMaxErrors);
    result.diagnostics.push_back(Diagnostic{
        file,
        {},
        "",
        "more than " + std::to_string(ReadContext::kMaxErrors) + " errors; stopping here"});
  }
  if (result.diagnostics.empty()) result.config = std::move(config);
  return result;
}

LoadResult loadFileDiagnostics(const std::string& path) {
  LoadResult result;
  auto fail = [&](const std::string& why) {
    result.diagnostics.push_back(Diagnostic{path, {}, "", "cannot read: " + why});
    return result;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    ::close(fd);
    return fail(S_ISDIR(st.st_mode) ? "it is a directory" : std::strerror(err));
  }
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxFileBytes) {
    ::close(fd);
    result.diagnostics.push_back(Diagnostic{path, {}, "", tooLarge(st.st_size)});
    return result;
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return fail(std::strerror(err));
    }
    if (n == 0 || text.size() > kMaxFileBytes) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return loadString(text, path);
}

Result<std::shared_ptr<Config>> loadFile(const std::string& path) {
  LoadResult result = loadFileDiagnostics(path);
  if (!result.ok()) return Error{result.report()};
  return std::move(result.config);
}

}  // namespace vtps::config
