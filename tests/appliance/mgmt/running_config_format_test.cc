#include "appliance/mgmt/running_config_format.h"

#include <gtest/gtest.h>

#include "appliance/config/loader.h"

namespace vtps::mgmt {
namespace {

constexpr const char* kConfig = R"(device:
  ssl-inspection: {server: true, client: false}
ssl:
  server-proxies:
    - name: web1
      destinations: [10.0.54.39/32, 10.0.54.38/32]
      detection-ports: ["443"]
      decrypted-service: http
      certificates: [server]
      protocols: [TLSv1.2, TLSv1.3]
      cipher-suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
      logging: true
      tcp-reset: true
      http2-to-http1-downgrade: true
  trust-stores:
    - {name: corp, include-default-ca: false, ca-certificates: [internal-root]}
profiles:
  - name: default
    ssl-server-policies:
      - {name: web1-in, server-proxy: web1, locked: true}
)";

std::shared_ptr<config::Config> load(const std::string& yaml) {
  auto loaded = config::loadString(yaml, "t.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.report();
  return loaded.config;
}

TEST(RunningConfigFormatTest, PrintsServerProxyInTheDeviceStatementLayout) {
  auto c = load(kConfig);
  ASSERT_TRUE(c);
  EXPECT_EQ(formatServerProxy(c->server_proxies.at(0)),
            "server \"web1\"\n"
            "  ip address 10.0.54.39/32\n"
            "  ip address 10.0.54.38/32\n"
            "  detection-port 443\n"
            "  decrypted-service http\n"
            "  protocol TLSv1.2\n"
            "  protocol TLSv1.3\n"
            "  cipher-suite TLS_AES_128_GCM_SHA256\n"
            "  cipher-suite TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
            "  certificate \"server\"\n"
            "  logging enable\n"
            "  tcp-reset enable\n"
            "  http2-to-http1-downgrade enable\n"
            "  exit\n");
}

TEST(RunningConfigFormatTest, SslInspectionSectionStartsWithTheGlobalStatements) {
  auto c = load(kConfig);
  ASSERT_TRUE(c);
  std::string out = formatRunningConfig(*c, DisplaySection::kSslInspection);
  EXPECT_EQ(out.rfind("# SSL INSPECTION STATEMENTS\nserver-inspection enable\n"
                      "client-inspection disable\n",
                      0),
            0u)
      << out;
  EXPECT_NE(out.find("# SSL SERVERS\nserver \"web1\"\n"), std::string::npos) << out;
  EXPECT_NE(out.find("trust-store \"corp\"\n  include-default-ca disable\n"
                     "  ca-certificate \"internal-root\"\n  exit\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("profile \"default\"\n  server-policy \"web1-in\"\n    state enable\n"
                     "    lock enable\n    server-proxy \"web1\"\n    exit\n  exit\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("# DEVICE STATEMENTS"), std::string::npos);
}

TEST(RunningConfigFormatTest, FullDisplayAddsDeviceStatementsFirst) {
  auto c = load(kConfig);
  ASSERT_TRUE(c);
  std::string out = formatRunningConfig(*c, DisplaySection::kAll);
  EXPECT_EQ(out.rfind("# DEVICE STATEMENTS\ndataplane kernel\nmode standard\n", 0), 0u) << out;
  EXPECT_NE(out.find("management min-tls TLSv1.2\n"), std::string::npos);
  EXPECT_NE(out.find("# SSL INSPECTION STATEMENTS\n"), std::string::npos);
}

TEST(RunningConfigFormatTest, QuotesNamesWithQuotesAndBackslashes) {
  config::TrustStore t;
  t.name = "a\"b\\c";
  t.include_default_ca = true;
  EXPECT_EQ(formatTrustStore(t),
            "trust-store \"a\\\"b\\\\c\"\n  include-default-ca enable\n  exit\n");
}

}  // namespace
}  // namespace vtps::mgmt
