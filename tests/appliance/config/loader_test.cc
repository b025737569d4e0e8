#include "appliance/config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "appliance/config/cipher_suites.h"
#include "tests/appliance/config/config_test_util.h"

namespace vtps::config {
namespace {

using test::errorsOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LoaderTest, LoadsEveryKeyOfFullYaml) {
  std::string path = std::string(VTPS_CONFIG_TESTDATA) + "/full.yaml";
  LoadResult r = loadFileDiagnostics(path);
  ASSERT_TRUE(r.ok()) << r.report();
  const Config& c = *r.config;
  EXPECT_EQ(c.source_path, path);

  const Device& d = c.device;
  EXPECT_EQ(d.dataplane, Dataplane::kDpdk);
  EXPECT_EQ(d.mode, DeviceMode::kPerformance);
  EXPECT_THAT(d.proxy_cores, ElementsAre(1, 2));
  EXPECT_THAT(d.dataplane_cores, ElementsAre(3, 4));
  EXPECT_TRUE(d.ssl_inspection.server);
  EXPECT_TRUE(d.ssl_inspection.client);
  EXPECT_FALSE(d.ssl_inspection.persist_private_keys);
  EXPECT_EQ(d.ssl_inspection.max_concurrent_connections, 50000);
  EXPECT_EQ(d.ssl_inspection.over_threshold, OverThreshold::kBlock);
  EXPECT_EQ(d.management_listen, "127.0.0.1:9443");
  EXPECT_EQ(d.management_min_tls, TlsVersion::kTls13);
  EXPECT_EQ(d.metrics_listen, "[::1]:9101");
  EXPECT_EQ(d.keystore, "/srv/vtps/keystore");
  EXPECT_EQ(d.control_socket, "/srv/vtps/vtpsd.sock");
  EXPECT_EQ(d.log_dir, "/srv/vtps/log");
  EXPECT_EQ(d.marks.of("cores.proxy").line, 6);
  EXPECT_EQ(d.marks.item("cores.dataplane", 1).column, 20);

  ASSERT_EQ(c.segments.size(), 1u);
  EXPECT_EQ(c.segments[0].name, "seg1");
  EXPECT_THAT(c.segments[0].ports, ElementsAre("0000:00:04.0", "0000:00:05.0"));
  EXPECT_EQ(c.segments[0].profile, "default");

  ASSERT_EQ(c.server_proxies.size(), 2u);
  const ServerProxy& web = c.server_proxies[0];
  EXPECT_EQ(web.name, "web1");
  EXPECT_EQ(web.description, "Public web servers");
  ASSERT_EQ(web.destinations.size(), 2u);
  EXPECT_EQ(web.destinations[0].str(), "10.10.2.2/32");
  EXPECT_EQ(web.destinations[1].str(), "10.10.3.0/24");
  ASSERT_EQ(web.detection_ports.size(), 2u);
  EXPECT_EQ(web.detection_ports[0].str(), "443");
  EXPECT_EQ(web.detection_ports[1].str(), "8443-8444");
  EXPECT_EQ(web.decrypted_service, DecryptedService::kHttp);
  EXPECT_THAT(web.certificates, ElementsAre("web1", "web1-alt"));
  EXPECT_THAT(web.protocols, ElementsAre(TlsVersion::kTls12, TlsVersion::kTls13));
  EXPECT_THAT(web.cipher_suites,
              ElementsAre("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
  EXPECT_TRUE(web.logging);
  EXPECT_TRUE(web.tcp_reset);
  EXPECT_FALSE(web.http2_to_http1_downgrade);
  EXPECT_EQ(c.server_proxies[1].decrypted_service, DecryptedService::kPop3);
  EXPECT_EQ(c.server_proxies[1].destinations[0].str(), "10.10.2.3/32");

  ASSERT_EQ(c.client_proxies.size(), 2u);
  const ClientProxy& out = c.client_proxies[0];
  EXPECT_EQ(out.name, "outbound");
  EXPECT_EQ(out.description, "Staff browsing");
  EXPECT_EQ(out.signing_certificate, "corp-signing");
  EXPECT_EQ(out.min_key_length, 2048);
  EXPECT_TRUE(out.logging);
  EXPECT_TRUE(out.tcp_reset);
  EXPECT_TRUE(out.block_invalid_certificates);
  EXPECT_TRUE(out.block_expired_certificates);
  EXPECT_FALSE(out.http2_to_http1_downgrade);
  EXPECT_THAT(out.protocols, ElementsAre(TlsVersion::kTls12, TlsVersion::kTls13));
  EXPECT_EQ(out.cipher_suites.size(), 3u);
  EXPECT_EQ(c.client_proxies[1].decrypted_service, DecryptedService::kSmtp);

  ASSERT_EQ(c.trust_stores.size(), 2u);
  EXPECT_EQ(c.trust_stores[0].description, "Mozilla bundle plus the internal root");
  EXPECT_TRUE(c.trust_stores[0].include_default_ca);
  EXPECT_THAT(c.trust_stores[0].ca_certificates, ElementsAre("internal-root", "partner root"));
  EXPECT_EQ(c.trust_stores[1].name, "internal only");
  EXPECT_FALSE(c.trust_stores[1].include_default_ca);

  ASSERT_EQ(c.decryption_policies.size(), 1u);
  const DecryptionPolicy& dp = c.decryption_policies[0];
  EXPECT_EQ(dp.description, "Banking and health stay encrypted");
  EXPECT_THAT(dp.categories, ElementsAre("financial", "health"));
  EXPECT_THAT(dp.category_overrides, ElementsAre("bank.example.com"));
  EXPECT_THAT(dp.domains, ElementsAre("*.company.com", "update.example.org"));

  EXPECT_FALSE(c.domain_exclusions.automatic);
  EXPECT_THAT(c.domain_exclusions.domains, ElementsAre("pinned.example.net"));
  EXPECT_EQ(c.domain_exclusions.auto_failure_threshold, 5);
  EXPECT_EQ(c.domain_exclusions.auto_failure_window_s, 600);

  ASSERT_EQ(c.profiles.size(), 2u);
  const Profile& p = c.profiles[0];
  EXPECT_EQ(p.description, "Campus");
  ASSERT_EQ(p.ssl_server_policies.size(), 1u);
  EXPECT_TRUE(p.ssl_server_policies[0].enabled);
  EXPECT_TRUE(p.ssl_server_policies[0].locked);
  EXPECT_EQ(p.ssl_server_policies[0].server_proxy, "web1");
  EXPECT_EQ(p.ssl_server_policies[0].source_exceptions[0].str(), "192.0.2.0/24");
  const SslClientPolicy& cp = p.ssl_client_policies.at(0);
  EXPECT_FALSE(cp.enabled);
  EXPECT_TRUE(cp.locked);
  EXPECT_EQ(cp.client_proxy, "outbound");
  EXPECT_EQ(cp.decryption_policy, "privacy");
  EXPECT_EQ(cp.trust_store, "corp");
  EXPECT_EQ(cp.never_decrypt[0].str(), "10.1.0.0/16");
  EXPECT_EQ(cp.always_decrypt[0].str(), "10.2.0.5/32");
  EXPECT_EQ(c.profiles[1].parent, "default");
  EXPECT_EQ(c.profiles[1].ssl_client_policies.at(0).trust_store, "internal only");
  EXPECT_EQ(c.filters.rules, "/etc/vtps/rules/*.rules");

  EXPECT_THAT(c.referencedCertificates(), ElementsAre("web1", "web1-alt", "mail", "corp-signing"));
  EXPECT_THAT(c.referencedCas(), ElementsAre("internal-root", "partner root"));
  EXPECT_THAT(c.policiesUsingTrustStore("corp"), ElementsAre("default/out"));
  EXPECT_THAT(c.policiesUsingTrustStore("internal only"), ElementsAre("lab/mail-out"));
  EXPECT_TRUE(c.policiesUsingTrustStore("nope").empty());
}

TEST(LoaderTest, ShippedDefaultConfigLoadsWithDocumentedDefaults) {
  auto loaded = loadFile(std::string(VTPS_DIST_DIR) + "/vtps.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  const Config& c = *loaded.value();
  Config defaults;
  EXPECT_EQ(c.device.dataplane, Dataplane::kKernel);
  EXPECT_EQ(c.device.mode, defaults.device.mode);
  EXPECT_EQ(c.device.proxy_cores, defaults.device.proxy_cores);
  EXPECT_EQ(c.device.keystore, defaults.device.keystore);
  EXPECT_EQ(c.device.management_listen, defaults.device.management_listen);
  EXPECT_EQ(c.device.management_min_tls, TlsVersion::kTls12);
  EXPECT_EQ(c.device.ssl_inspection.max_concurrent_connections, 10000);
  EXPECT_TRUE(c.server_proxies.empty());
  EXPECT_TRUE(c.client_proxies.empty());
  EXPECT_TRUE(c.profiles.empty());
  EXPECT_EQ(c.domain_exclusions.auto_failure_threshold, 3);
}

TEST(LoaderTest, EmptyDocumentIsTheDefaultConfig) {
  LoadResult r = loadString("", "empty.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config->device.control_socket, "/run/vtps/vtpsd.sock");
  EXPECT_TRUE(loadString("# only a comment\n", "c.yaml").ok());
}

TEST(LoaderTest, OmittedProtocolsAndSuitesGetTheDocumentedDefaults) {
  LoadResult r = loadString(R"(ssl:
  server-proxies:
    - {name: s, destinations: [10.0.0.1], detection-ports: ["443"], certificates: [c]}
    - {name: t, destinations: [10.0.0.1], detection-ports: ["444"], certificates: [c],
       protocols: [TLSv1.3]}
  client-proxies:
    - {name: o, signing-certificate: ca, detection-ports: ["443"]}
)",
                            "d.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  const ServerProxy& s = r.config->server_proxies[0];
  EXPECT_EQ(s.protocols, defaultProtocols());
  EXPECT_EQ(s.cipher_suites, defaultServerCipherSuites(defaultProtocols()));
  EXPECT_THAT(r.config->server_proxies[1].cipher_suites,
              ElementsAre("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                          "TLS_CHACHA20_POLY1305_SHA256"));
  EXPECT_EQ(r.config->client_proxies[0].cipher_suites,
            defaultClientCipherSuites(defaultProtocols()));
}

TEST(LoaderTest, UnknownKeySuggestsTheClosestKnownKey) {
  EXPECT_THAT(errorsOf(R"(device:
  dataplan: kernel
ssl:
  trust-stores:
    - name: corp
      include-defualt-ca: false
)"),
              ElementsAre("t.yaml:2:3: error: device.dataplan: unknown key; did you mean "
                          "\"dataplane\"?",
                          "t.yaml:6:7: error: ssl.trust-stores[0].include-defualt-ca: unknown key; "
                          "did you mean \"include-default-ca\"?"));
}

TEST(LoaderTest, UnknownKeyWithoutCloseMatchListsTheKnownKeys) {
  EXPECT_THAT(errorsOf("filters: {rules: x, colour: red}\nwhatever: 1\n"),
              ElementsAre("t.yaml:1:21: error: filters.colour: unknown key; expected one of: "
                          "rules, cache-dir, trace-dir, address-vars, port-vars, limits, "
                          "inspection-bypass, traffic-management, reputation, quarantine, "
                          "cleartext-inspection",
                          "t.yaml:2:1: error: whatever: unknown key; expected one of: device, "
                          "segments, ssl, profiles, filters"));
}

TEST(LoaderTest, TypeErrorsNameTheExpectedAndTheActualType) {
  EXPECT_THAT(
      errorsOf(R"(device:
  cores: {proxy: 1}
  ssl-inspection: {server: yes, max-concurrent-connections: many}
  keystore: [a, b]
segments: {name: x}
)"),
      ElementsAre("t.yaml:2:18: error: device.cores.proxy: expected a list, got \"1\"",
                  "t.yaml:3:28: error: device.ssl-inspection.server: expected true or false, got "
                  "\"yes\"",
                  "t.yaml:3:61: error: device.ssl-inspection.max-concurrent-connections: expected "
                  "an integer, got \"many\"",
                  "t.yaml:4:13: error: device.keystore: expected a string, got a list",
                  "t.yaml:5:11: error: segments: expected a list, got a mapping"));
}

TEST(LoaderTest, EnumValuesAreCheckedWithSuggestions) {
  EXPECT_THAT(
      errorsOf(R"(device:
  dataplane: dpkd
  mode: fast
  ssl-inspection: {over-threshold: blok}
)"),
      ElementsAre(
          "t.yaml:2:14: error: device.dataplane: unknown dataplane \"dpkd\"; did you mean "
          "\"dpdk\"?",
          "t.yaml:3:9: error: device.mode: unknown mode \"fast\"; expected one of: "
          "standard, performance",
          "t.yaml:4:36: error: device.ssl-inspection.over-threshold: unknown over-threshold "
          "action \"blok\"; did you mean \"block\"?"));
}

TEST(LoaderTest, CryptoChoicesAreReadAndChecked) {
  auto loaded =
      config::loadString("device:\n  crypto: {seed-source: os, aead: ipsec-mb}\n", "t.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.report();
  EXPECT_EQ(loaded.config->device.seed_source, config::SeedSource::kOs);
  EXPECT_EQ(loaded.config->device.aead_provider, config::AeadProvider::kIpsecMb);
  auto defaults = config::loadString("device: {}\n", "t.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.report();
  EXPECT_EQ(defaults.config->device.seed_source, config::SeedSource::kCpu);
  EXPECT_EQ(defaults.config->device.aead_provider, config::AeadProvider::kAuto);
  EXPECT_THAT(errorsOf("device:\n  crypto: {seed-source: rdrand, aead: ipsecmb}\n"),
              ElementsAre("t.yaml:2:25: error: device.crypto.seed-source: unknown seed source "
                          "\"rdrand\"; expected one of: cpu, os",
                          "t.yaml:2:39: error: device.crypto.aead: unknown AEAD provider "
                          "\"ipsecmb\"; did you mean \"ipsec-mb\"?"));
}

TEST(LoaderTest, DuplicateKeysAreErrors) {
  EXPECT_THAT(errorsOf("filters:\n  rules: a\n  rules: b\n"),
              ElementsAre("t.yaml:3:3: error: filters.rules: duplicate key (first at line 2)"));
}

TEST(LoaderTest, SyntaxErrorIsReportedAtItsPosition) {
  EXPECT_THAT(errorsOf("device:\n  mode: [standard\n"),
              ElementsAre(HasSubstr("t.yaml:3:1: error: YAML syntax error: ")));
  EXPECT_THAT(errorsOf("- a\n- b\n"),
              ElementsAre("t.yaml:1:1: error: expected a mapping, got a list"));
}

TEST(LoaderTest, SeveralDocumentsAreRefused) {
  EXPECT_THAT(errorsOf("filters: {}\n---\nfilters: {}\n"),
              ElementsAre("t.yaml:3:1: error: the file holds more than one YAML document; a "
                          "config is a single document"));
  // A trailing document marker with nothing after it is not a second document.
  EXPECT_THAT(errorsOf("filters: {}\n---\n"), testing::IsEmpty());
}

TEST(LoaderTest, StrayTokensYamlCppWouldSkipAreSyntaxErrors) {
  // yaml-cpp 0.7 reads these as an empty document (or drops the tail) instead of failing, and
  // its LoadAll loops forever on them (upstream pull request 1319).
  EXPECT_THAT(errorsOf("  ,ores:\n"),
              ElementsAre("t.yaml:1:3: error: YAML syntax error: unexpected content"));
  EXPECT_THAT(errorsOf("filters: {}\n---\n,x\n"),
              ElementsAre("t.yaml:3:1: error: YAML syntax error: unexpected content"));
  EXPECT_THAT(errorsOf("- a\n,\n"),
              ElementsAre("t.yaml:2:1: error: YAML syntax error: unexpected content"));
}

TEST(LoaderTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep = "filters: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
  EXPECT_THAT(errorsOf(deep),
              ElementsAre("t.yaml:1:110: error: nesting deeper than 100 levels (indentation or "
                          "brackets); refusing to parse"));
  std::string dashes;
  for (int i = 0; i < 200; ++i)
    dashes += "- ";
  EXPECT_THAT(errorsOf(dashes + "x\n"),
              ElementsAre("t.yaml:1:1: error: indentation deeper than 100 columns; refusing to "
                          "parse"));
}

TEST(LoaderTest, AliasExpansionIsBounded) {
  // 40 KB of text naming a 2000-entry domain list 2000 times: 4 million nodes if walked naively.
  std::string yaml = "ssl:\n  decryption-policies:\n    - &p {name: p, domains: &d [";
  for (int i = 0; i < 2000; ++i)
    yaml += (i == 0 ? "a" : ", a");
  yaml += "]}\n";
  for (int i = 0; i < 2000; ++i)
    yaml += "    - *p\n";
  auto errors = errorsOf(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr(": error: the document expands to more than 1000000 nodes "
                                   "(aliases count once per use); refusing to read further"));
}

TEST(LoaderTest, ErrorFloodIsCutShort) {
  std::string yaml = "device:\n  cores:\n    proxy: [";
  for (int i = 0; i < 5000; ++i)
    yaml += (i == 0 ? "x" : ", x");
  yaml += "]\n";
  auto errors = errorsOf(yaml);
  ASSERT_EQ(errors.size(), 1001u);
  EXPECT_EQ(errors[1000], "t.yaml:3:3013: error: more than 1000 errors; stopping here");
}

TEST(LoaderTest, FileErrorsAreDiagnostics) {
  LoadResult missing = loadFileDiagnostics("/nonexistent/vtps.yaml");
  EXPECT_EQ(missing.report(),
            "/nonexistent/vtps.yaml: error: cannot read: No such file or directory");
  auto dir = std::filesystem::temp_directory_path();
  EXPECT_EQ(loadFileDiagnostics(dir.string()).report(),
            dir.string() + ": error: cannot read: it is a directory");
  auto failed = loadFile("/nonexistent/vtps.yaml");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.message(),
            "/nonexistent/vtps.yaml: error: cannot read: No such file or directory");
}

TEST(LoaderTest, OversizedFileIsRefused) {
  std::string big(8u << 20, '#');
  big += "\n";
  EXPECT_THAT(errorsOf(big),
              ElementsAre("t.yaml: error: the file is 8388609 bytes; the limit is 8388608"));
}

TEST(LoaderTest, ReportsEveryErrorAtOnceInFileOrder) {
  auto errors = errorsOf(R"(ssl:
  trust-stores:
    - name: "bad/name"
      bogus: 1
  server-proxies:
    - name: web1
      destinations: [10.0.0.300]
      detection-ports: ["0"]
      certificates: [w]
      protocols: [TLSv1.0, TLSv1.2]
)");
  EXPECT_THAT(errors,
              ElementsAre("t.yaml:3:13: error: ssl.trust-stores[0].name: \"bad/name\" contains "
                          "\"/\"; trust store names may contain only letters, digits, underscore, "
                          "hyphen and space",
                          "t.yaml:4:7: error: ssl.trust-stores[0].bogus: unknown key; expected one "
                          "of: name, description, include-default-ca, ca-certificates",
                          "t.yaml:7:22: error: ssl.server-proxies[0].destinations[0]: "
                          "\"10.0.0.300\" is not an IPv4 address or CIDR (a.b.c.d or a.b.c.d/0-32)",
                          "t.yaml:8:25: error: ssl.server-proxies[0].detection-ports[0]: \"0\" is "
                          "not a port or port range (1-65535, e.g. \"443\" or \"8443-8444\")",
                          "t.yaml:10:18: error: ssl.server-proxies[0].protocols: TLSv1.0 and "
                          "TLSv1.2 are enabled but TLSv1.1 is not; the enabled protocols must be "
                          "contiguous"));
}

TEST(LoaderTest, ReadsSegmentTrafficMap) {
  LoadResult r = loadString(R"(segments:
  - {name: s1, ports: [a, b], vlans: [0, 100], sources: [10.1.0.0/16],
     destinations: [10.2.0.1]}
  - {name: s2, ports: [c, d]}
)",
                            "t.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  ASSERT_EQ(r.config->segments.size(), 2u);
  const Segment& s1 = r.config->segments[0];
  EXPECT_THAT(s1.vlans, ElementsAre(0, 100));
  ASSERT_EQ(s1.sources.size(), 1u);
  EXPECT_EQ(s1.sources[0].str(), "10.1.0.0/16");
  ASSERT_EQ(s1.destinations.size(), 1u);
  EXPECT_EQ(s1.destinations[0].str(), "10.2.0.1/32");
  const Segment& s2 = r.config->segments[1];
  EXPECT_TRUE(s2.vlans.empty());
  EXPECT_TRUE(s2.sources.empty());
  EXPECT_THAT(errorsOf("segments:\n  - {name: s, ports: [a, b], sources: [10.1.0.0/33]}\n"),
              ElementsAre("t.yaml:2:40: error: segments[0].sources[0]: \"10.1.0.0/33\" is not an "
                          "IPv4 address or CIDR (a.b.c.d or a.b.c.d/0-32)"));
}

}  // namespace
}  // namespace vtps::config
