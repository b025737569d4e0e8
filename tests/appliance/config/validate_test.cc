// One test per validation rule: the accepted value beside the rejected one, and the exact
// "FILE:LINE:COL: error: FIELD: MESSAGE" line.
#include "appliance/config/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/appliance/config/config_test_util.h"

namespace vtps::config {
namespace {

using test::errorsOf;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ValidateTest, TrustStoreNamesAreAtMost64AllowedCharacters) {
  std::string ok64(64, 'a');
  std::string bad65(65, 'b');
  auto errors = errorsOf("ssl:\n  trust-stores:\n    - name: " + ok64 + "\n    - name: " + bad65 +
                         "\n    - name: \"Corp store_1-x\"\n    - name: \"corp:store\"\n");
  EXPECT_THAT(errors,
              ElementsAre("t.yaml:4:13: error: ssl.trust-stores[1].name: \"" + bad65 +
                              "\" is 65 characters long; trust store names are limited to 64",
                          "t.yaml:6:13: error: ssl.trust-stores[3].name: \"corp:store\" contains "
                          "\":\"; trust store names may contain only letters, digits, underscore, "
                          "hyphen and space"));
}

TEST(ValidateTest, DescriptionsAreAtMost512Characters) {
  std::string ok(512, 'd');
  std::string bad(513, 'd');
  // Characters, not bytes: 512 two-byte characters are still 512.
  std::string utf8;
  for (int i = 0; i < 512; ++i)
    utf8 += "\xc3\xa9";
  auto errors = errorsOf("ssl:\n  trust-stores:\n    - {name: a, description: " + ok +
                         "}\n    - {name: b, description: " + bad +
                         "}\n    - {name: c, description: " + utf8 + "}\n");
  EXPECT_THAT(errors, ElementsAre("t.yaml:4:30: error: ssl.trust-stores[1].description: is 513 "
                                  "characters long; descriptions are limited to 512"));
}

TEST(ValidateTest, ClientProxyNamesAreAtMost128AllowedCharacters) {
  std::string ok(128, 'c');
  std::string bad(129, 'c');
  auto proxy = [](const std::string& name) {
    return "    - {name: \"" + name + "\", signing-certificate: s, detection-ports: [\"443\"]}\n";
  };
  auto errors = errorsOf("ssl:\n  client-proxies:\n" + proxy(ok) + proxy(bad) + proxy("a b_c-D") +
                         proxy("out/1"));
  EXPECT_THAT(errors,
              ElementsAre("t.yaml:4:14: error: ssl.client-proxies[1].name: \"" + bad +
                              "\" is 129 characters long; client proxy names are limited to 128",
                          "t.yaml:6:14: error: ssl.client-proxies[3].name: \"out/1\" contains "
                          "\"/\"; client proxy names may contain only letters, digits, underscore, "
                          "hyphen and space"));
}

TEST(ValidateTest, ServerProxyNamesFollowTheSameRule) {
  EXPECT_THAT(errorsOf(R"(ssl:
  server-proxies:
    - {name: web.1, destinations: [10.0.0.1], detection-ports: ["443"], certificates: [c]}
    - {name: web-1, destinations: [10.0.0.1], detection-ports: ["443"], certificates: [c]}
)"),
              ElementsAre("t.yaml:3:14: error: ssl.server-proxies[0].name: \"web.1\" contains "
                          "\".\"; server proxy names may contain only letters, digits, "
                          "underscore, hyphen and space"));
}

TEST(ValidateTest, ObjectNamesAreRequiredAndUnique) {
  EXPECT_THAT(errorsOf(R"(ssl:
  trust-stores:
    - name: corp
    - description: nameless
    - name: corp
)"),
              ElementsAre("t.yaml:4:7: error: ssl.trust-stores[1].name: is required",
                          "t.yaml:5:13: error: ssl.trust-stores[2].name: duplicate trust store "
                          "name \"corp\" (first defined at line 3)"));
}

TEST(ValidateTest, ServerProxyMixingRsaAndEcdsaSuitesIsRejected) {
  EXPECT_THAT(errorsOf(R"(ssl:
  server-proxies:
    - name: rsa-and-ecdsa
      destinations: [10.0.0.1]
      detection-ports: ["443"]
      certificates: [c]
      protocols: [TLSv1.2, TLSv1.3]
      cipher-suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                      TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
    - name: ecdsa-only
      destinations: [10.0.0.1]
      detection-ports: ["443"]
      certificates: [c]
      protocols: [TLSv1.2, TLSv1.3]
      cipher-suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
)"),
              ElementsAre("t.yaml:8:22: error: ssl.server-proxies[0].cipher-suites: mixes RSA "
                          "suites (\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\") and ECDSA suites "
                          "(\"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\"); a server proxy uses one "
                          "or the other, matching its certificates"));
}

TEST(ValidateTest, ClientProxyWithoutRsaSuiteIsRejected) {
  EXPECT_THAT(errorsOf(R"(ssl:
  client-proxies:
    - name: ecdsa-only
      signing-certificate: s
      detection-ports: ["443"]
      protocols: [TLSv1.2, TLSv1.3]
      cipher-suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
    - name: with-rsa
      signing-certificate: s
      detection-ports: ["8443"]
      protocols: [TLSv1.2]
      cipher-suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_GCM_SHA256]
    - name: tls13-only
      signing-certificate: s
      detection-ports: ["9443"]
      protocols: [TLSv1.3]
      cipher-suites: [TLS_AES_256_GCM_SHA384]
)"),
              ElementsAre("t.yaml:7:22: error: ssl.client-proxies[0].cipher-suites: no RSA cipher "
                          "suite; client inspection needs at least one (with protocols below "
                          "TLSv1.3)"));
}

TEST(ValidateTest, ProtocolSetMustBeContiguousAndNonEmpty) {
  EXPECT_THAT(errorsOf(R"(ssl:
  server-proxies:
    - {name: a, destinations: [10.0.0.1], detection-ports: ["1"], certificates: [c],
       protocols: [SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3]}
    - {name: b, destinations: [10.0.0.1], detection-ports: ["2"], certificates: [c],
       protocols: [TLSv1.3, TLSv1.1]}
    - {name: c, destinations: [10.0.0.1], detection-ports: ["3"], certificates: [c],
       protocols: []}
    - {name: d, destinations: [10.0.0.1], detection-ports: ["4"], certificates: [c],
       protocols: [TLSv1.2, TLSv1.2]}
    - {name: e, destinations: [10.0.0.1], detection-ports: ["5"], certificates: [c],
       protocols: [TLSv13]}
)"),
              ElementsAre("t.yaml:6:19: error: ssl.server-proxies[1].protocols: TLSv1.1 and "
                          "TLSv1.3 are enabled but TLSv1.2 is not; the enabled protocols must be "
                          "contiguous",
                          "t.yaml:8:19: error: ssl.server-proxies[2].protocols: at least one "
                          "protocol is required",
                          "t.yaml:10:29: error: ssl.server-proxies[3].protocols[1]: \"TLSv1.2\" is "
                          "listed twice",
                          "t.yaml:12:20: error: ssl.server-proxies[4].protocols[0]: unknown "
                          "protocol \"TLSv13\"; did you mean \"TLSv1.3\"?"));
}

TEST(ValidateTest, CipherSuitesAreKnownIanaNamesListedOnce) {
  EXPECT_THAT(errorsOf(R"(ssl:
  client-proxies:
    - name: o
      signing-certificate: s
      detection-ports: ["443"]
      protocols: [TLSv1.0, TLSv1.1, TLSv1.2]
      cipher-suites:
        - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265
        - ECDHE-RSA-AES128-GCM-SHA256
        - TLS_RSA_WITH_AES_128_CBC_SHA
        - TLS_RSA_WITH_AES_128_CBC_SHA
)"),
              ElementsAre("t.yaml:8:11: error: ssl.client-proxies[0].cipher-suites[0]: unknown "
                          "cipher suite \"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265\"; did you mean "
                          "\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"?",
                          "t.yaml:9:11: error: ssl.client-proxies[0].cipher-suites[1]: unknown "
                          "cipher suite \"ECDHE-RSA-AES128-GCM-SHA256\"; docs/configuration.md "
                          "lists the supported suites",
                          "t.yaml:11:11: error: ssl.client-proxies[0].cipher-suites[3]: "
                          "\"TLS_RSA_WITH_AES_128_CBC_SHA\" is listed twice"));
}

TEST(ValidateTest, CipherSuitesAndProtocolsMustFitEachOther) {
  EXPECT_THAT(errorsOf(R"(ssl:
  server-proxies:
    - name: a
      destinations: [10.0.0.1]
      detection-ports: ["443"]
      certificates: [c]
      protocols: [TLSv1.0, TLSv1.1, TLSv1.2]
      cipher-suites: [TLS_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_GCM_SHA256]
)"),
              ElementsAre("t.yaml:7:18: error: ssl.server-proxies[0].protocols: TLSv1.0 and "
                          "TLSv1.1 are enabled but no configured cipher suite works with them",
                          "t.yaml:8:23: error: ssl.server-proxies[0].cipher-suites[0]: "
                          "\"TLS_AES_128_GCM_SHA256\" works only with TLSv1.3, which is not "
                          "enabled"));
}

TEST(ValidateTest, DetectionPortsArePortsOrRangesIn1To65535) {
  EXPECT_THAT(
      errorsOf(R"(ssl:
  client-proxies:
    - name: o
      signing-certificate: s
      detection-ports: ["443", "8443-8444", 1, "65535", "0", "65536", "444-443", "x", "1-2-3"]
    - {name: p, signing-certificate: s, detection-ports: []}
)"),
      ElementsAre("t.yaml:5:57: error: ssl.client-proxies[0].detection-ports[4]: \"0\" is not a "
                  "port or port range (1-65535, e.g. \"443\" or \"8443-8444\")",
                  "t.yaml:5:62: error: ssl.client-proxies[0].detection-ports[5]: \"65536\" is not "
                  "a port or port range (1-65535, e.g. \"443\" or \"8443-8444\")",
                  "t.yaml:5:71: error: ssl.client-proxies[0].detection-ports[6]: \"444-443\" is "
                  "not a port or port range (1-65535, e.g. \"443\" or \"8443-8444\")",
                  "t.yaml:5:82: error: ssl.client-proxies[0].detection-ports[7]: \"x\" is not a "
                  "port or port range (1-65535, e.g. \"443\" or \"8443-8444\")",
                  "t.yaml:5:87: error: ssl.client-proxies[0].detection-ports[8]: \"1-2-3\" is not "
                  "a port or port range (1-65535, e.g. \"443\" or \"8443-8444\")",
                  "t.yaml:6:58: error: ssl.client-proxies[1].detection-ports: at least one "
                  "detection port is required"));
}

TEST(ValidateTest, AddressesAreIpv4OrCidr) {
  EXPECT_THAT(
      errorsOf(R"(ssl:
  server-proxies:
    - name: s
      destinations: [10.0.0.0/8, 0.0.0.0/0, 192.0.2.1, 10.0.0.0/33, "::1", 1.2.3, 01.2.3.4]
      detection-ports: ["443"]
      certificates: [c]
)"),
      ElementsAre("t.yaml:4:56: error: ssl.server-proxies[0].destinations[3]: \"10.0.0.0/33\" is "
                  "not an IPv4 address or CIDR (a.b.c.d or a.b.c.d/0-32)",
                  "t.yaml:4:69: error: ssl.server-proxies[0].destinations[4]: \"::1\" is not an "
                  "IPv4 address or CIDR (a.b.c.d or a.b.c.d/0-32)",
                  "t.yaml:4:76: error: ssl.server-proxies[0].destinations[5]: \"1.2.3\" is not "
                  "an IPv4 address or CIDR (a.b.c.d or a.b.c.d/0-32)",
                  "t.yaml:4:83: error: ssl.server-proxies[0].destinations[6]: \"01.2.3.4\" is "
                  "not an IPv4 address or CIDR (a.b.c.d or a.b.c.d/0-32)"));
}

TEST(ValidateTest, ServerProxyNeedsDestinationsPortsAndCertificates) {
  EXPECT_THAT(errorsOf(R"(ssl:
  server-proxies:
    - name: s
      certificates: [a, b, a]
)"),
              ElementsAre("t.yaml:3:7: error: ssl.server-proxies[0].destinations: at least one "
                          "destination is required",
                          "t.yaml:3:7: error: ssl.server-proxies[0].detection-ports: at least one "
                          "detection port is required",
                          "t.yaml:4:28: error: ssl.server-proxies[0].certificates[2]: \"a\" is "
                          "listed twice"));
}

TEST(ValidateTest, ClientProxySigningCertificateAndKeyLength) {
  EXPECT_THAT(errorsOf(R"(ssl:
  client-proxies:
    - {name: a, detection-ports: ["443"]}
    - {name: b, signing-certificate: s, detection-ports: ["444"], min-key-length: 100}
    - {name: c, signing-certificate: s, detection-ports: ["445"], min-key-length: 2048}
    - {name: d, signing-certificate: s, detection-ports: ["446"], min-key-length: 0}
)"),
              ElementsAre("t.yaml:3:7: error: ssl.client-proxies[0].signing-certificate: is "
                          "required",
                          "t.yaml:4:83: error: ssl.client-proxies[1].min-key-length: 100 is out of "
                          "range (0 to turn the check off, or 512..16384)"));
}

TEST(ValidateTest, DecryptionPolicyDomainsAreAtMost4096HostnamesOrWildcards) {
  std::string ok = "[";
  for (int i = 0; i < 4096; ++i)
    ok += (i == 0 ? "" : ",") + std::string("h") + std::to_string(i) + ".example";
  ok += "]";
  std::string too_many = ok.substr(0, ok.size() - 1) + ",one.more]";
  auto errors = errorsOf("ssl:\n  decryption-policies:\n    - {name: ok, domains: " + ok +
                         "}\n    - {name: big, domains: " + too_many + "}\n" +
                         R"(    - name: syntax
      domains: ["*.company.com", "a-b_c.example", "foo..com", "*.", "a*.b", "-x.com", "x.com."]
      category-overrides: [bank.example.com, "bad host"]
      categories: [financial, ""]
)");
  EXPECT_THAT(
      errors,
      ElementsAre("t.yaml:4:28: error: ssl.decryption-policies[1].domains: 4097 entries; the limit "
                  "is 4096",
                  "t.yaml:6:51: error: ssl.decryption-policies[2].domains[2]: \"foo..com\" is not "
                  "a hostname or \"*.suffix\" wildcard",
                  "t.yaml:6:63: error: ssl.decryption-policies[2].domains[3]: \"*.\" is not a "
                  "hostname or \"*.suffix\" wildcard",
                  "t.yaml:6:69: error: ssl.decryption-policies[2].domains[4]: \"a*.b\" is not a "
                  "hostname or \"*.suffix\" wildcard",
                  "t.yaml:6:77: error: ssl.decryption-policies[2].domains[5]: \"-x.com\" is not a "
                  "hostname or \"*.suffix\" wildcard",
                  "t.yaml:6:87: error: ssl.decryption-policies[2].domains[6]: \"x.com.\" is not a "
                  "hostname or \"*.suffix\" wildcard",
                  "t.yaml:7:46: error: ssl.decryption-policies[2].category-overrides[1]: \"bad "
                  "host\" is not a hostname or \"*.suffix\" wildcard",
                  "t.yaml:8:31: error: ssl.decryption-policies[2].categories[1]: must not be "
                  "empty"));
}

TEST(ValidateTest, SslInspectionConflictsWithVlanTranslationAsymmetricAndWebMode) {
  EXPECT_THAT(
      errorsOf(R"(device:
  vlan-translation: true
  asymmetric-network: true
  web-mode: true
)"),
      ElementsAre("t.yaml:2:21: error: device.vlan-translation: SSL inspection cannot run "
                  "with VLAN translation; turn this off or disable "
                  "device.ssl-inspection.server and .client",
                  "t.yaml:3:23: error: device.asymmetric-network: SSL inspection cannot run "
                  "with asymmetric network mode; turn this off or disable "
                  "device.ssl-inspection.server and .client",
                  "t.yaml:4:13: error: device.web-mode: SSL inspection cannot run with web "
                  "mode; turn this off or disable device.ssl-inspection.server and "
                  ".client"));
  EXPECT_THAT(errorsOf(R"(device:
  ssl-inspection: {server: false, client: false}
  vlan-translation: true
  asymmetric-network: true
  web-mode: true
)"),
              IsEmpty());
}

TEST(ValidateTest, MaxConcurrentConnectionsIs1To1000000) {
  EXPECT_THAT(errorsOf("device:\n  ssl-inspection: {max-concurrent-connections: 1}\n"), IsEmpty());
  EXPECT_THAT(errorsOf("device:\n  ssl-inspection: {max-concurrent-connections: 1000000}\n"),
              IsEmpty());
  EXPECT_THAT(errorsOf("device:\n  ssl-inspection: {max-concurrent-connections: 0}\n"),
              ElementsAre("t.yaml:2:48: error: device.ssl-inspection.max-concurrent-connections: 0 "
                          "is out of range (1..1000000)"));
  EXPECT_THAT(errorsOf("device:\n  ssl-inspection: {max-concurrent-connections: 1000001}\n"),
              ElementsAre("t.yaml:2:48: error: device.ssl-inspection.max-concurrent-connections: "
                          "1000001 is out of range (1..1000000)"));
}

TEST(ValidateTest, CoresAreNonNegativeDistinctAndDisjointInPerformanceMode) {
  EXPECT_THAT(errorsOf(R"(device:
  cores: {proxy: [0, -1, 0, 1024], dataplane: [1, 1]}
)"),
              ElementsAre("t.yaml:2:22: error: device.cores.proxy[1]: -1 is not a core number "
                          "(0..1023)",
                          "t.yaml:2:26: error: device.cores.proxy[2]: core 0 is listed twice",
                          "t.yaml:2:29: error: device.cores.proxy[3]: 1024 is not a core number "
                          "(0..1023)",
                          "t.yaml:2:51: error: device.cores.dataplane[1]: core 1 is listed "
                          "twice"));
  EXPECT_THAT(errorsOf(R"(device:
  dataplane: dpdk
  mode: performance
  cores: {proxy: [0, 1], dataplane: [2, 1]}
)"),
              ElementsAre("t.yaml:4:41: error: device.cores.dataplane[1]: core 1 is also a proxy "
                          "core; in performance mode proxy and dataplane cores must be disjoint"));
  // Standard mode may share cores.
  EXPECT_THAT(errorsOf("device:\n  dataplane: dpdk\n  cores: {proxy: [0, 1], dataplane: [1]}\n"),
              IsEmpty());
}

TEST(ValidateTest, PerformanceModeNeedsDpdkAndDpdkNeedsCores) {
  EXPECT_THAT(errorsOf("device:\n  mode: performance\n  cores: {proxy: []}\n"),
              ElementsAre("t.yaml:2:9: error: device.mode: performance mode needs the dpdk "
                          "dataplane (dataplane: dpdk)",
                          "t.yaml:3:18: error: device.cores.proxy: at least one proxy core is "
                          "required"));
  EXPECT_THAT(errorsOf("device:\n  dataplane: dpdk\n"),
              ElementsAre("t.yaml:2:3: error: device.cores.dataplane: the dpdk dataplane needs at "
                          "least one dataplane core"));
}

TEST(ValidateTest, DataplaneFallbackAndInspectionBudget) {
  EXPECT_THAT(errorsOf("device:\n  dataplane-fallback: fail-closed\n"
                       "  dataplane-inspection-budget: 100\n"),
              IsEmpty());
  EXPECT_THAT(errorsOf("device:\n  dataplane-inspection-budget: 0\n"),
              ElementsAre("t.yaml:2:32: error: device.dataplane-inspection-budget: 0 is out of "
                          "range (1..100, percent of a dataplane core's cycles)"));
  EXPECT_THAT(errorsOf("device:\n  dataplane-fallback: bridge\n"), ::testing::SizeIs(1));
}

TEST(ValidateTest, DeviceAddressesPathsAndManagementTls) {
  EXPECT_THAT(errorsOf(R"(device:
  management: {listen: "0.0.0.0", min-tls: SSLv3}
  metrics: {listen: "[::]:9100"}
  keystore: relative/dir
  log-dir: ""
)"),
              ElementsAre("t.yaml:2:24: error: device.management.listen: \"0.0.0.0\" is not "
                          "ADDRESS:PORT (IPv4 address or [IPv6] address, port 1..65535)",
                          "t.yaml:2:44: error: device.management.min-tls: SSLv3 is not allowed on "
                          "the management port; use TLSv1.0 or later",
                          "t.yaml:4:13: error: device.keystore: \"relative/dir\" is not an "
                          "absolute path",
                          "t.yaml:5:12: error: device.log-dir: is required"));
}

TEST(ValidateTest, DomainExclusionLimits) {
  EXPECT_THAT(errorsOf(R"(ssl:
  domain-exclusions:
    domains: ["*.ok.example", "not ok"]
    auto-failure-threshold: 0
    auto-failure-window: 86401
)"),
              ElementsAre("t.yaml:3:31: error: ssl.domain-exclusions.domains[1]: \"not ok\" is not "
                          "a hostname or \"*.suffix\" wildcard",
                          "t.yaml:4:29: error: ssl.domain-exclusions.auto-failure-threshold: 0 is "
                          "out of range (1..100)",
                          "t.yaml:5:26: error: ssl.domain-exclusions.auto-failure-window: 86401 is "
                          "out of range (1..86400 seconds)"));
}

TEST(ValidateTest, SegmentsHaveTwoDistinctPortsAndAKnownProfile) {
  EXPECT_THAT(errorsOf(R"(segments:
  - {name: seg1, ports: [a, b], profile: default}
  - {name: seg2, ports: [c], profile: defualt}
  - {name: seg3, ports: [b, d]}
profiles:
  - name: default
)"),
              ElementsAre("t.yaml:3:25: error: segments[1].ports: a segment has exactly two ports, "
                          "got 1",
                          "t.yaml:3:39: error: segments[1].profile: unknown profile \"defualt\"; "
                          "did you mean \"default\"?",
                          "t.yaml:4:26: error: segments[2].ports[0]: port \"b\" is already in "
                          "segment \"seg1\""));
}

TEST(ValidateTest, SegmentVlansAreIdsListedOnce) {
  EXPECT_THAT(errorsOf(R"(segments:
  - {name: seg1, ports: [a, b], vlans: [0, 4094, 4095, 0, -1]}
)"),
              ElementsAre("t.yaml:2:50: error: segments[0].vlans[2]: 4095 is not a VLAN id (0 "
                          "untagged, 1..4094)",
                          "t.yaml:2:56: error: segments[0].vlans[3]: VLAN 0 is listed twice",
                          "t.yaml:2:59: error: segments[0].vlans[4]: -1 is not a VLAN id (0 "
                          "untagged, 1..4094)"));
}

TEST(ValidateTest, KeystoreReferencesAreCheckedSeparately) {
  LoadResult r = loadString(R"(ssl:
  server-proxies:
    - {name: s, destinations: [10.0.0.1], detection-ports: ["443"], certificates: [have, lost]}
  client-proxies:
    - {name: o, signing-certificate: gone, detection-ports: ["443"]}
  trust-stores:
    - {name: t, ca-certificates: [root, missing-root]}
)",
                            "k.yaml");
  ASSERT_TRUE(r.ok()) << r.report();  // loading never looks at the keystore
  auto has_cert = [](std::string_view n) { return n == "have"; };
  auto has_ca = [](std::string_view n) { return n == "root"; };
  std::vector<std::string> errors;
  for (const Diagnostic& d : checkKeystoreReferences(*r.config, has_cert, has_ca)) {
    errors.push_back(d.str());
  }
  EXPECT_THAT(errors,
              ElementsAre("k.yaml:3:90: error: ssl.server-proxies[0].certificates[1]: certificate "
                          "\"lost\" is not in the keystore",
                          "k.yaml:5:38: error: ssl.client-proxies[0].signing-certificate: "
                          "certificate \"gone\" is not in the keystore",
                          "k.yaml:7:41: error: ssl.trust-stores[0].ca-certificates[1]: CA "
                          "certificate \"missing-root\" is not in the keystore"));
  auto all = [](std::string_view) { return true; };
  EXPECT_THAT(checkKeystoreReferences(*r.config, all, all), IsEmpty());
}

TEST(ValidateTest, SingleValueRulesAreSharedWithTheCli) {
  EXPECT_EQ(checkName("corp", "trust store", kMaxTrustStoreNameLength), std::nullopt);
  EXPECT_EQ(checkName("", "trust store", kMaxTrustStoreNameLength), "is required");
  EXPECT_EQ(checkName("a\tb", "trust store", kMaxTrustStoreNameLength),
            "\"a\tb\" contains \"\\x09\"; trust store names may contain only letters, digits, "
            "underscore, hyphen and space");
  EXPECT_EQ(checkDescription(std::string(512, 'x')), std::nullopt);
  EXPECT_EQ(checkDescription(std::string(600, 'x')),
            "is 600 characters long; descriptions are limited to 512");
}

}  // namespace
}  // namespace vtps::config
