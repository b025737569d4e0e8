// filters.* and profiles[].filter-rules: what the loader reads, and each rule of
// validateFilters with the accepted value beside the rejected one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "appliance/config/loader.h"
#include "tests/appliance/config/config_test_util.h"

namespace vtps::config {
namespace {

using test::errorsOf;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(FiltersConfigTest, ReadsEveryKey) {
  LoadResult r = loadString(R"(filters:
  rules: /etc/vtps/rules/*.rules
  cache-dir: /var/lib/vtps/filter-cache
  trace-dir: /var/log/vtps/traces
  address-vars: {HOME_NET: "[10.10.0.0/16]", EXTERNAL_NET: "!$HOME_NET"}
  port-vars: {HTTP_PORTS: "[80,8080]"}
  limits: {max-header-bytes: 8192, max-body-bytes: 1024, max-headers: 64,
           max-pending-requests: 8, stream-window-bytes: 8192, stream-overlap-bytes: 512,
           trace-max-bytes: 65536, trace-history-bytes: 0}
  inspection-bypass:
    - {name: backup, source: 10.10.5.0/24, destination-ports: "873"}
  traffic-management:
    - {name: block-telnet, action: block, destination-ports: "23"}
    - {name: bulk, action: rate-limit, rate-limit-kbps: 100000, destination: 10.10.2.9}
  reputation: {ip-list: /r/ip.txt, dns-list: /r/dns.txt, url-list: /r/url.txt,
               block-threshold: 90, notify-threshold: 40}
  quarantine: {hosts: ["10.10.1.66"], action: redirect,
               redirect-url: "http://remediation.example/q", allowed-destinations: [10.10.2.9]}
profiles:
  - {name: default, filter-rules: /etc/vtps/rules/strict/*.rules}
)",
                            "t.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  const Filters& f = r.config->filters;
  EXPECT_EQ(f.rules, "/etc/vtps/rules/*.rules");
  EXPECT_EQ(f.cache_dir, "/var/lib/vtps/filter-cache");
  EXPECT_EQ(f.trace_dir, "/var/log/vtps/traces");
  EXPECT_EQ(f.address_vars.at("HOME_NET"), "[10.10.0.0/16]");
  EXPECT_EQ(f.address_vars.at("EXTERNAL_NET"), "!$HOME_NET");
  EXPECT_EQ(f.port_vars.at("HTTP_PORTS"), "[80,8080]");
  EXPECT_EQ(f.limits.max_header_bytes, 8192);
  EXPECT_EQ(f.limits.max_body_bytes, 1024);
  EXPECT_EQ(f.limits.max_headers, 64);
  EXPECT_EQ(f.limits.max_pending_requests, 8);
  EXPECT_EQ(f.limits.stream_window_bytes, 8192);
  EXPECT_EQ(f.limits.stream_overlap_bytes, 512);
  EXPECT_EQ(f.limits.trace_max_bytes, 65536);
  EXPECT_EQ(f.limits.trace_history_bytes, 0);
  ASSERT_EQ(f.inspection_bypass.size(), 1u);
  EXPECT_EQ(f.inspection_bypass[0].name, "backup");
  EXPECT_EQ(f.inspection_bypass[0].source, "10.10.5.0/24");
  EXPECT_EQ(f.inspection_bypass[0].source_ports, "any");
  EXPECT_EQ(f.inspection_bypass[0].destination, "any");
  EXPECT_EQ(f.inspection_bypass[0].destination_ports, "873");
  ASSERT_EQ(f.traffic_management.size(), 2u);
  EXPECT_EQ(f.traffic_management[0].action, FilterTrafficAction::kBlock);
  EXPECT_EQ(f.traffic_management[1].action, FilterTrafficAction::kRateLimit);
  EXPECT_EQ(f.traffic_management[1].rate_limit_kbps, 100000);
  EXPECT_EQ(f.traffic_management[1].destination, "10.10.2.9");
  EXPECT_EQ(f.reputation.ip_list, "/r/ip.txt");
  EXPECT_EQ(f.reputation.dns_list, "/r/dns.txt");
  EXPECT_EQ(f.reputation.url_list, "/r/url.txt");
  EXPECT_EQ(f.reputation.block_threshold, 90);
  EXPECT_EQ(f.reputation.notify_threshold, 40);
  EXPECT_THAT(f.quarantine.hosts, ElementsAre("10.10.1.66"));
  EXPECT_EQ(f.quarantine.action, QuarantineAction::kRedirect);
  EXPECT_EQ(f.quarantine.redirect_url, "http://remediation.example/q");
  EXPECT_THAT(f.quarantine.allowed_destinations, ElementsAre("10.10.2.9"));
  EXPECT_EQ(r.config->profiles[0].filter_rules, "/etc/vtps/rules/strict/*.rules");
}

TEST(FiltersConfigTest, DefaultsMatchTheFilterEngine) {
  LoadResult r = loadString("filters: {}\n", "t.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  const Filters& f = r.config->filters;
  EXPECT_EQ(f.cache_dir, "");
  EXPECT_EQ(f.trace_dir, "");
  EXPECT_EQ(f.limits.max_header_bytes, 16384);
  EXPECT_EQ(f.limits.max_body_bytes, 65536);
  EXPECT_EQ(f.limits.stream_window_bytes, 65536);
  EXPECT_EQ(f.limits.stream_overlap_bytes, 1024);
  EXPECT_EQ(f.limits.trace_max_bytes, 1 << 20);
  EXPECT_EQ(f.limits.trace_history_bytes, 64 << 10);
  EXPECT_EQ(f.reputation.block_threshold, 80);
  EXPECT_EQ(f.reputation.notify_threshold, 50);
  EXPECT_EQ(f.quarantine.action, QuarantineAction::kBlock);
}

TEST(FiltersConfigTest, UnknownKeysAndBadTypesAreReportedWhereTheyAre) {
  EXPECT_THAT(
      errorsOf(R"(filters:
  rule: /x
  address-vars: [a]
  port-vars: {P: [1]}
  traffic-management:
    - {name: t, action: drop}
)"),
      ElementsAre("t.yaml:2:3: error: filters.rule: unknown key; did you mean \"rules\"?",
                  "t.yaml:3:17: error: filters.address-vars: expected a mapping, got a list",
                  "t.yaml:4:18: error: filters.port-vars.P: expected a string, got a list",
                  "t.yaml:6:25: error: filters.traffic-management[0].action: unknown "
                  "traffic management action \"drop\"; expected one of: block, allow, "
                  "trust, rate-limit"));
}

TEST(FiltersConfigTest, PathsAreAbsoluteAndVariableNamesAreIdentifiers) {
  EXPECT_THAT(errorsOf(R"(filters:
  cache-dir: /var/cache/vtps
  trace-dir: traces
  address-vars: {HOME_NET: "10.0.0.0/8", 1NET: "10.0.0.0/8", EMPTY: ""}
  port-vars: {WEB_PORTS: "80", "A-B": "80"}
)"),
              ElementsAre("t.yaml:3:14: error: filters.trace-dir: \"traces\" is not an absolute "
                          "path",
                          "t.yaml:4:48: error: filters.address-vars.1NET: \"1NET\" is not a "
                          "variable name (letters, digits and underscore, not starting with a "
                          "digit)",
                          "t.yaml:4:69: error: filters.address-vars.EMPTY: must not be empty",
                          "t.yaml:5:39: error: filters.port-vars.A-B: \"A-B\" is not a variable "
                          "name (letters, digits and underscore, not starting with a digit)"));
}

TEST(FiltersConfigTest, LimitsHaveDeclaredRanges) {
  EXPECT_THAT(errorsOf(R"(filters:
  limits: {max-header-bytes: 1024, max-body-bytes: 0, stream-window-bytes: 100,
           stream-overlap-bytes: 200, trace-max-bytes: 2000000000}
)"),
              ElementsAre("t.yaml:2:76: error: filters.limits.stream-window-bytes: must be from "
                          "4096 to 16777216, got 100",
                          "t.yaml:3:34: error: filters.limits.stream-overlap-bytes: must be "
                          "smaller than stream-window-bytes (100), got 200",
                          "t.yaml:3:56: error: filters.limits.trace-max-bytes: must be from 4096 "
                          "to 1073741824, got 2000000000"));
}

TEST(FiltersConfigTest, TrafficFiltersNeedNamesAndRateLimitsTheirRate) {
  EXPECT_THAT(errorsOf(R"(filters:
  inspection-bypass:
    - {name: backup}
    - {name: backup}
    - {source: 10.0.0.1}
  traffic-management:
    - {name: ok, action: rate-limit, rate-limit-kbps: 1}
    - {name: slow, action: rate-limit}
    - {name: odd, action: block, rate-limit-kbps: 10}
    - {name: "a/b", action: trust}
)"),
              ElementsAre("t.yaml:4:14: error: filters.inspection-bypass[1].name: duplicate "
                          "inspection bypass rule name \"backup\" (first defined at line 3)",
                          "t.yaml:5:7: error: filters.inspection-bypass[2].name: is required",
                          "t.yaml:8:7: error: filters.traffic-management[1].rate-limit-kbps: must "
                          "be greater than 0 for action rate-limit, got 0",
                          "t.yaml:9:51: error: filters.traffic-management[2].rate-limit-kbps: "
                          "applies to action rate-limit only (this filter's action is block)",
                          "t.yaml:10:14: error: filters.traffic-management[3].name: \"a/b\" "
                          "contains \"/\"; traffic management filter names may contain only "
                          "letters, digits, underscore, hyphen and space"));
}

TEST(FiltersConfigTest, ReputationThresholdsAreFrom1To100AndNotifyIsNotAboveBlock) {
  EXPECT_THAT(errorsOf("filters:\n  reputation: {block-threshold: 100, notify-threshold: 1}\n"),
              IsEmpty());
  EXPECT_THAT(errorsOf("filters:\n  reputation: {block-threshold: 0, notify-threshold: 101}\n"),
              ElementsAre("t.yaml:2:33: error: filters.reputation.block-threshold: must be from "
                          "1 to 100, got 0",
                          "t.yaml:2:54: error: filters.reputation.notify-threshold: must be from "
                          "1 to 100, got 101",
                          "t.yaml:2:54: error: filters.reputation.notify-threshold: must not be "
                          "above block-threshold (0), got 101"));
}

TEST(FiltersConfigTest, QuarantineRedirectNeedsAnHttpUrl) {
  EXPECT_THAT(errorsOf("filters:\n  quarantine: {action: redirect, redirect-url: "
                       "\"https://fix.example/x\"}\n"),
              IsEmpty());
  EXPECT_THAT(errorsOf("filters:\n  quarantine: {action: redirect}\n"),
              ElementsAre("t.yaml:2:15: error: filters.quarantine.redirect-url: is required for "
                          "action redirect"));
  EXPECT_THAT(errorsOf(R"(filters:
  quarantine: {hosts: [10.0.0.1, 10.0.0.1, ""], redirect-url: "ftp://x"}
)"),
              ElementsAre("t.yaml:2:34: error: filters.quarantine.hosts[1]: \"10.0.0.1\" is "
                          "listed twice",
                          "t.yaml:2:44: error: filters.quarantine.hosts[2]: must not be empty",
                          "t.yaml:2:63: error: filters.quarantine.redirect-url: must be an "
                          "http:// or https:// URL without spaces, got \"ftp://x\""));
}

TEST(FiltersConfigTest, ReadsCleartextInspectionTuples) {
  LoadResult r = loadString(R"(filters:
  cleartext-inspection:
    - name: web
      destinations: [10.10.2.0/24, 10.10.3.7]
      ports: ["80", "8080-8081"]
      profile: default
      tcp-reset: true
    - {name: any-http, destinations: [0.0.0.0/0], ports: ["8000"]}
profiles:
  - {name: default}
)",
                            "t.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  const std::vector<CleartextTuple>& t = r.config->filters.cleartext_inspection;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "web");
  ASSERT_EQ(t[0].destinations.size(), 2u);
  EXPECT_EQ(t[0].destinations[0].str(), "10.10.2.0/24");
  EXPECT_EQ(t[0].destinations[1].str(), "10.10.3.7/32");
  ASSERT_EQ(t[0].ports.size(), 2u);
  EXPECT_EQ(t[0].ports[1].first, 8080);
  EXPECT_EQ(t[0].ports[1].last, 8081);
  EXPECT_EQ(t[0].profile, "default");
  EXPECT_TRUE(t[0].tcp_reset);
  EXPECT_EQ(t[1].profile, "");
  EXPECT_FALSE(t[1].tcp_reset);
  EXPECT_EQ(t[1].destinations[0].prefix, 0);
}

TEST(FiltersConfigTest, CleartextTuplesNeedNamesDestinationsPortsAndAKnownProfile) {
  EXPECT_THAT(errorsOf(R"(filters:
  cleartext-inspection:
    - {name: web, destinations: [10.0.0.1], ports: ["80"], profile: defualt}
    - {name: web, destinations: [10.0.0.2], ports: ["80"]}
    - {destinations: [], ports: []}
    - {name: bad, destinations: [10.0.0.300], ports: ["0"]}
profiles:
  - {name: default}
)"),
              ElementsAre("t.yaml:3:69: error: filters.cleartext-inspection[0].profile: unknown "
                          "profile \"defualt\"; did you mean \"default\"?",
                          "t.yaml:4:14: error: filters.cleartext-inspection[1].name: duplicate "
                          "cleartext inspection tuple name \"web\" (first defined at line 3)",
                          "t.yaml:5:7: error: filters.cleartext-inspection[2].name: is required",
                          "t.yaml:5:22: error: filters.cleartext-inspection[2].destinations: at "
                          "least one destination is required (0.0.0.0/0 for any)",
                          "t.yaml:5:33: error: filters.cleartext-inspection[2].ports: at least "
                          "one port is required",
                          "t.yaml:6:34: error: filters.cleartext-inspection[3].destinations[0]: "
                          "\"10.0.0.300\" is not an IPv4 address or CIDR (a.b.c.d or "
                          "a.b.c.d/0-32)",
                          "t.yaml:6:55: error: filters.cleartext-inspection[3].ports[0]: \"0\" is "
                          "not a port or port range (1-65535, e.g. \"443\" or \"8443-8444\")"));
}

TEST(FiltersConfigTest, CleartextTupleOverlappingAnSslTupleNamesBoth) {
  const std::string ssl = R"(ssl:
  server-proxies:
    - {name: web1, destinations: [10.10.2.2], detection-ports: ["443", "8443"], certificates: [c]}
  client-proxies:
    - {name: out, signing-certificate: ca, detection-ports: ["9443"]}
)";
  // Apart: another port on the same server, and the SSL port on another network.
  EXPECT_THAT(errorsOf(ssl + R"(filters:
  cleartext-inspection:
    - {name: plain, destinations: [10.10.2.0/24], ports: ["80", "8080-8442"]}
    - {name: other-net, destinations: [10.10.3.0/24], ports: ["443"]}
)"),
              IsEmpty());
  EXPECT_THAT(
      errorsOf(ssl + R"(filters:
  cleartext-inspection:
    - {name: plain, destinations: [10.10.0.0/16], ports: ["80", "400-500"]}
    - {name: wide, destinations: [0.0.0.0/0], ports: ["9000-9999"]}
)"),
      ElementsAre("t.yaml:8:65: error: filters.cleartext-inspection[0].ports[1]: cleartext tuple "
                  "10.10.0.0/16 port 400-500 overlaps the SSL detection tuple of server proxy "
                  "\"web1\" (ssl.server-proxies[0]): 10.10.2.2/32 port 443; a tuple is inspected "
                  "either in clear or as SSL, not both",
                  "t.yaml:9:55: error: filters.cleartext-inspection[1].ports[0]: cleartext tuple "
                  "0.0.0.0/0 port 9000-9999 overlaps the SSL detection tuple of client proxy "
                  "\"out\" (ssl.client-proxies[0]): any destination port 9443; a tuple is "
                  "inspected either in clear or as SSL, not both"));
  // One error per SSL proxy, however many of its tuples overlap.
  EXPECT_THAT(errorsOf(ssl + R"(filters:
  cleartext-inspection:
    - {name: all, destinations: [10.10.2.2, 10.10.2.0/24], ports: ["1-65535"]}
)"),
              ElementsAre(::testing::HasSubstr("server proxy \"web1\""),
                          ::testing::HasSubstr("client proxy \"out\"")));
}

TEST(FiltersConfigTest, CleartextTuplesAreForTheKernelDataplane) {
  EXPECT_THAT(errorsOf(R"(device:
  dataplane: dpdk
filters:
  cleartext-inspection:
    - {name: web, destinations: [10.0.0.1], ports: ["80"]}
)"),
              ::testing::Contains("t.yaml:5:14: error: filters.cleartext-inspection[0].name: "
                                  "cleartext inspection tuples are for the kernel dataplane; "
                                  "device.dataplane is dpdk, which filters every flow it "
                                  "forwards"));
}

}  // namespace
}  // namespace vtps::config
