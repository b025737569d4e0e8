#include "dataplane/filter/address_group.h"

#include <gtest/gtest.h>

namespace vtps::filter {
namespace {

uint32_t ip(const char* s) {
  return *parseIpv4(s);
}

TEST(AddressGroupTest, ParsesCidrsRangesListsAndNegation) {
  RuleVariables vars = RuleVariables::defaults();
  auto g = parseAddressGroup("[10.0.0.0/8, !10.1.0.0/16, 192.0.2.10-192.0.2.20]", vars);
  ASSERT_TRUE(g.ok()) << g.message();
  EXPECT_TRUE(g->contains(ip("10.2.3.4")));
  EXPECT_FALSE(g->contains(ip("10.1.3.4")));
  EXPECT_TRUE(g->contains(ip("192.0.2.15")));
  EXPECT_FALSE(g->contains(ip("192.0.2.21")));

  auto only_negative = parseAddressGroup("[!10.0.0.0/8]", vars);
  ASSERT_TRUE(only_negative.ok());
  EXPECT_TRUE(only_negative->contains(ip("8.8.8.8")));
  EXPECT_FALSE(only_negative->contains(ip("10.0.0.1")));

  auto nested = parseAddressGroup("[10.0.0.0/8, ![10.1.0.0/16, !10.1.2.0/24]]", vars);
  ASSERT_TRUE(nested.ok());
  EXPECT_TRUE(nested->contains(ip("10.1.2.7")));  // excluded from the exclusion
  EXPECT_FALSE(nested->contains(ip("10.1.3.7")));

  auto host_bits = parseAddressGroup("10.9.9.9/24", vars);  // masked, as Suricata does
  ASSERT_TRUE(host_bits.ok());
  EXPECT_TRUE(host_bits->contains(ip("10.9.9.1")));
  EXPECT_TRUE(parseAddressGroup("any", vars)->isAll());
  EXPECT_TRUE(parseAddressGroup("0.0.0.0/0", vars)->isAll());
}

TEST(AddressGroupTest, ExpandsVariablesRecursively) {
  RuleVariables vars = RuleVariables::defaults();
  auto home = parseAddressGroup("$HOME_NET", vars);
  auto external = parseAddressGroup("$EXTERNAL_NET", vars);
  ASSERT_TRUE(home.ok() && external.ok());
  EXPECT_TRUE(home->contains(ip("172.16.5.5")));
  EXPECT_FALSE(external->contains(ip("172.16.5.5")));
  EXPECT_TRUE(external->contains(ip("203.0.113.1")));
  vars.addresses["HOME_NET"] = "[10.10.0.0/16]";
  EXPECT_TRUE(parseAddressGroup("$HTTP_SERVERS", vars)->contains(ip("10.10.2.2")));
  auto file_ports = parsePortGroup("$FILE_DATA_PORTS", vars);
  ASSERT_TRUE(file_ports.ok());
  EXPECT_TRUE(file_ports->contains(80));
  EXPECT_TRUE(file_ports->contains(143));
  EXPECT_FALSE(file_ports->contains(443));
}

TEST(AddressGroupTest, ParsesPortGroups) {
  RuleVariables vars;
  auto p = parsePortGroup("[80, 8000:8080, !8008, 1024:]", vars);
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_TRUE(p->contains(80));
  EXPECT_TRUE(p->contains(8050));
  EXPECT_FALSE(p->contains(8008));  // a negation removes from the whole list, as in Suricata
  EXPECT_TRUE(p->contains(9000));
  EXPECT_FALSE(p->contains(443));
  auto low = parsePortGroup(":1023", vars);
  ASSERT_TRUE(low.ok());
  EXPECT_TRUE(low->contains(0));
  EXPECT_FALSE(low->contains(1024));
  auto not_web = parsePortGroup("![80,443]", vars);
  ASSERT_TRUE(not_web.ok());
  EXPECT_FALSE(not_web->contains(443));
  EXPECT_TRUE(not_web->contains(22));
}

TEST(AddressGroupTest, RejectsBadGroupsWithExactMessages) {
  RuleVariables vars;
  vars.addresses["LOOP"] = "$LOOP";
  const std::pair<const char*, const char*> addresses[] = {
      {"10.0.0.256", R"(bad address "10.0.0.256")"},
      {"10.0.0", R"(bad address "10.0.0")"},
      {"10.0.0.0/33", R"(bad prefix length in "10.0.0.0/33")"},
      {"10.0.0.9-10.0.0.1", R"(address range "10.0.0.9-10.0.0.1" is reversed)"},
      {"fe80::1", R"(IPv6 address "fe80::1" is not supported (IPv4 only))"},
      {"$NOPE", "undefined address variable $NOPE"},
      {"$LOOP", "address variable $LOOP is defined recursively"},
      {"[10.0.0.1", R"(unbalanced brackets in address group "[10.0.0.1")"},
      {"[10.0.0.1,]", R"(missing address in group "[10.0.0.1,]")"},
      {"", "empty address group"},
      {"[any, !any]", R"(address group "[any, !any]" matches nothing)"},
      {"10.0.0.1 10.0.0.2", R"(unexpected "10.0.0.2" in address group "10.0.0.1 10.0.0.2")"},
  };
  for (const auto& [text, message] : addresses) {
    auto g = parseAddressGroup(text, vars);
    ASSERT_FALSE(g.ok()) << text;
    EXPECT_EQ(g.message(), message) << text;
  }
  const std::pair<const char*, const char*> ports[] = {
      {"65536", R"(bad port "65536")"},         {"http", R"(bad port "http")"},
      {":", R"(bad port range ":")"},           {"90:80", R"(port range "90:80" is reversed)"},
      {"$WEB", "undefined port variable $WEB"},
  };
  for (const auto& [text, message] : ports) {
    auto g = parsePortGroup(text, vars);
    ASSERT_FALSE(g.ok()) << text;
    EXPECT_EQ(g.message(), message) << text;
  }
}

TEST(AddressGroupTest, IntervalSetMergesAndComplements) {
  PortSet s;
  s.add(10, 20);
  s.add(21, 30);  // adjacent: merged
  s.add(5, 12);
  ASSERT_EQ(s.ranges().size(), 1u);
  EXPECT_EQ(s.ranges()[0], (std::pair<uint16_t, uint16_t>{5, 30}));
  PortSet c = s.complement();
  ASSERT_EQ(c.ranges().size(), 2u);
  EXPECT_EQ(c.ranges()[0], (std::pair<uint16_t, uint16_t>{0, 4}));
  EXPECT_EQ(c.ranges()[1], (std::pair<uint16_t, uint16_t>{31, 65535}));
  EXPECT_TRUE(c.complement() == s);
  EXPECT_EQ(formatIpv4(ip("192.0.2.1")), "192.0.2.1");
  EXPECT_FALSE(parseIpv4("1.2.3.4.5"));
  EXPECT_FALSE(parseIpv4("1..3.4"));
}

}  // namespace
}  // namespace vtps::filter
