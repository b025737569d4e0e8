// TproxyRules without the kernel: the nft script it generates and the validation that runs
// before anything is installed. The kernel side is in tproxy_rules_root_test.cc.
#include "dataplane/proxy/tproxy_rules.h"

#include <gtest/gtest.h>

#include "dataplane/proxy/rtnetlink.h"

namespace vtps::proxy {
namespace {

constexpr uint32_t kNet10_99 = 10u << 24 | 99u << 16;

// An interrupted transaction (EINTR) is run again; any other refusal is reported at once. The
// first text is the one a CI run's reload on SIGHUP got (2026-12-07).
TEST(TproxyRulesTest, OnlyAnInterruptedTransactionIsRunAgain) {
  EXPECT_TRUE(
      TproxyRules::interrupted("netlink: Error: Could not process rule: Interrupted system call"));
  EXPECT_FALSE(TproxyRules::interrupted(
      "netlink: Error: Could not process rule: No such file or directory"));
  EXPECT_FALSE(TproxyRules::interrupted("Error: syntax error, unexpected newline"));
  EXPECT_FALSE(TproxyRules::interrupted(""));
}

TEST(TproxyRulesTest, ScriptReplacesTheTableInOneTransaction) {
  std::vector<TproxyTuple> tuples{
      {kNet10_99 | 7, 24, 443, 443, 8443, 1, {}},  // host bits are dropped
      {0, 0, 8443, 8444, 9443, 2, {}},             // any destination
  };
  EXPECT_EQ(TproxyRules::script(TproxySettings{}, tuples),
            "add table inet vtps\n"
            "delete table inet vtps\n"
            "add table inet vtps {\n"
            "  chain prerouting {\n"
            "    type filter hook prerouting priority mangle; policy accept;\n"
            "    meta l4proto tcp socket transparent 1 meta mark set 0x1 accept\n"
            "    ip daddr 10.99.0.0/24 tcp dport 443 fib daddr type != local "
            "tproxy ip to 127.0.0.1:8443 meta mark set 0x1 accept\n"
            "    meta nfproto ipv4 tcp dport 8443-8444 fib daddr type != local "
            "tproxy ip to 127.0.0.1:9443 meta mark set 0x2 accept\n"
            "  }\n"
            "}\n");
}

TEST(TproxyRulesTest, ScriptWithoutTuplesKeepsTheEstablishedFlowRule) {
  TproxySettings settings;
  settings.table = "vtps_test";
  settings.established_mark = 0x100;
  std::string script = TproxyRules::script(settings, {});
  EXPECT_NE(script.find("add table inet vtps_test {\n"), std::string::npos);
  EXPECT_NE(script.find("socket transparent 1 meta mark set 0x100 accept\n  }\n}\n"),
            std::string::npos);
  EXPECT_EQ(script.find("tproxy"), std::string::npos);
}

TEST(TproxyRulesTest, TupleWithAnInterfaceMatchesOnlyWhatArrivesThere) {
  std::vector<TproxyTuple> tuples{{kNet10_99, 24, 443, 443, 8443, 0x7671, "vtps-ex0"}};
  EXPECT_NE(TproxyRules::script(TproxySettings{}, tuples)
                .find("    iifname \"vtps-ex0\" ip daddr 10.99.0.0/24 tcp dport 443 fib daddr type "
                      "!= local tproxy ip to 127.0.0.1:8443 meta mark set 0x7671 accept\n"),
            std::string::npos)
      << TproxyRules::script(TproxySettings{}, tuples);
  tuples[0].iif = "bad\"name";
  EXPECT_EQ(TproxyRules::validate(TproxySettings{}, tuples).message(),
            "tuple 1: interface name 'bad\"name' is invalid");
}

TEST(TproxyRulesTest, ValidateAcceptsGoodTuplesAndNamesTheBadOne) {
  TproxySettings settings;
  TproxyTuple good{kNet10_99, 16, 443, 443, 8443, 1, {}};
  EXPECT_TRUE(TproxyRules::validate(settings, {good, {0, 0, 1, 65535, 1, 7, {}}}).ok());

  auto message = [&](TproxyTuple bad) {
    Status st = TproxyRules::validate(settings, {good, bad});
    return st.ok() ? std::string("ok") : st.message();
  };
  EXPECT_EQ(message({0, 33, 443, 443, 8443, 1, {}}), "tuple 2: prefix /33 is outside 0..32");
  EXPECT_EQ(message({0, -1, 443, 443, 8443, 1, {}}), "tuple 2: prefix /-1 is outside 0..32");
  EXPECT_EQ(message({0, 0, 500, 400, 8443, 1, {}}), "tuple 2: port range 500-400 is empty");
  EXPECT_EQ(message({0, 0, 0, 400, 8443, 1, {}}), "tuple 2: port range 0-400 is empty");
  EXPECT_EQ(message({0, 0, 443, 443, 0, 1, {}}), "tuple 2: listener port is 0");
  EXPECT_EQ(message({0, 0, 443, 443, 8443, 0, {}}), "tuple 2: mark must not be 0");
}

TEST(TproxyRulesTest, ValidateRejectsBadSettings) {
  auto message = [](TproxySettings s) {
    Status st = TproxyRules::validate(s, {});
    return st.ok() ? std::string("ok") : st.message();
  };
  TproxySettings s;
  EXPECT_EQ(message(s), "ok");
  s.table = "vtps; flush ruleset";
  EXPECT_EQ(message(s),
            "table name 'vtps; flush ruleset' is invalid (letters, digits, '_', starting with a "
            "letter, <= 32)");
  s.table = "1vtps";
  EXPECT_NE(message(s), "ok");
  s.table = std::string(33, 'v');
  EXPECT_NE(message(s), "ok");
  s = TproxySettings{};
  s.route_table = 254;
  EXPECT_EQ(message(s), "route_table 254 is reserved");
  s.route_table = 1000;
  EXPECT_EQ(message(s), "ok");
  s = TproxySettings{};
  s.established_mark = 0;
  EXPECT_EQ(message(s), "established_mark must not be 0");
}

TEST(TproxyRulesTest, InstallRefusesInvalidTuplesBeforeTouchingTheKernel) {
  auto rules = TproxyRules::install(TproxySettings{}, {{0, 0, 500, 400, 8443, 1, {}}});
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.message(),
            "install TPROXY rules (table inet vtps): tuple 1: port range 500-400 is empty");
}

TEST(RtNetlinkTest, FormatsRulesAndRoutesLikeIproute2) {
  EXPECT_EQ((FwmarkRule{1, 0xffffffff, 100, 100, {}}.str()),
            "fwmark 0x1/0xffffffff lookup 100 pref 100");
  EXPECT_EQ((Ipv4Route{100, 0, 0, 1, true}.str()), "local 0.0.0.0/0 dev 1 table 100");
  EXPECT_EQ((Ipv4Route{254, kNet10_99 | 0x100, 24, 3, false}.str()),
            "10.99.1.0/24 dev 3 table 254");
}

}  // namespace
}  // namespace vtps::proxy
