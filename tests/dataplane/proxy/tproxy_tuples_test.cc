// tproxyTuplesOf: which tuples a config diverts to the proxy, the cleartext inspection tuples
// among them, and the nft rules they become.
#include "dataplane/proxy/tproxy_tuples.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "appliance/config/loader.h"

namespace vtps::proxy {
namespace {

using ::testing::ElementsAre;

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

config::Config load(const std::string& yaml) {
  config::LoadResult r = config::loadString(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.report();
  return r.ok() ? *r.config : config::Config{};
}

const std::string kConfig = R"(ssl:
  server-proxies:
    - {name: web1, destinations: [10.10.2.2], detection-ports: ["443"], certificates: [c]}
profiles:
  - name: default
    ssl-server-policies: [{name: web1-in, server-proxy: web1}]
filters:
  cleartext-inspection:
    - {name: web, destinations: [10.10.2.0/24, 10.10.3.7], ports: ["80", "8080-8081"]}
    - {name: any-8000, destinations: [0.0.0.0/0], ports: ["8000"]}
)";

TEST(TproxyTuplesTest, CleartextTuplesFollowTheServerProxiesTuples) {
  config::Config c = load(kConfig);
  EXPECT_THAT(tproxyTuplesOf(c, 15443, 0x7670),
              ElementsAre(TproxyTuple{ip(10, 10, 2, 2), 32, 443, 443, 15443, 0x7670, {}},
                          TproxyTuple{ip(10, 10, 2, 0), 24, 80, 80, 15443, 0x7670, {}},
                          TproxyTuple{ip(10, 10, 2, 0), 24, 8080, 8081, 15443, 0x7670, {}},
                          TproxyTuple{ip(10, 10, 3, 7), 32, 80, 80, 15443, 0x7670, {}},
                          TproxyTuple{ip(10, 10, 3, 7), 32, 8080, 8081, 15443, 0x7670, {}},
                          TproxyTuple{0, 0, 8000, 8000, 15443, 0x7670, {}}));
}

TEST(TproxyTuplesTest, CleartextTuplesStayWhenSslInspectionIsOff) {
  config::Config c = load("device:\n  ssl-inspection: {server: false, client: false}\n" + kConfig);
  std::vector<TproxyTuple> tuples = tproxyTuplesOf(c, 15443, 1);
  ASSERT_EQ(tuples.size(), 5u);
  EXPECT_EQ(tuples.front(), (TproxyTuple{ip(10, 10, 2, 0), 24, 80, 80, 15443, 1, {}}));
}

TEST(TproxyTuplesTest, CleartextTuplesBecomeTproxyRules) {
  config::Config c = load(kConfig);
  const std::string script = TproxyRules::script(TproxySettings{}, tproxyTuplesOf(c, 15443, 2));
  EXPECT_NE(script.find("    ip daddr 10.10.2.0/24 tcp dport 8080-8081 fib daddr type != local "
                        "tproxy ip to 127.0.0.1:15443 meta mark set 0x2 accept\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("    meta nfproto ipv4 tcp dport 8000 fib daddr type != local "
                        "tproxy ip to 127.0.0.1:15443 meta mark set 0x2 accept\n"),
            std::string::npos)
      << script;
}

TEST(TproxyTuplesTest, NoCleartextTuplesWithoutTheSection) {
  config::Config c = load("filters: {}\n");
  EXPECT_TRUE(tproxyTuplesOf(c, 15443, 1).empty());
}

}  // namespace
}  // namespace vtps::proxy
