// device.metrics in the config file: the keys the metrics server reads (listen, certificate,
// min-tls, basic-auth) and the rejections, with the exact diagnostics.
#include <gtest/gtest.h>

#include "appliance/config/loader.h"
#include "appliance/telemetry/metrics.h"

namespace vtps::config {
namespace {

std::vector<std::string> errorsOf(std::string_view yaml) {
  std::vector<std::string> out;
  for (const Diagnostic& d : loadString(yaml, "t.yaml").diagnostics)
    out.push_back(d.str());
  return out;
}

TEST(MetricsConfigTest, ReadsEveryMetricsKey) {
  const std::string hash = telemetry::sha256Hex("s3cret");
  LoadResult r = loadString(
      "device:\n"
      "  metrics:\n"
      "    listen: \"127.0.0.1:9200\"\n"
      "    certificate: metrics-cert\n"
      "    min-tls: TLSv1.3\n"
      "    basic-auth: {user: prom, password-sha256: \"" +
          hash + "\"}\n",
      "t.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  const Device& d = r.config->device;
  EXPECT_EQ(d.metrics_listen, "127.0.0.1:9200");
  EXPECT_EQ(d.metrics_certificate, "metrics-cert");
  EXPECT_EQ(d.metrics_min_tls, TlsVersion::kTls13);
  EXPECT_EQ(d.metrics_user, "prom");
  EXPECT_EQ(d.metrics_password_sha256, hash);
  // A certificate the metrics endpoint serves must not be deleted from the keystore.
  EXPECT_EQ(r.config->referencedCertificates(), std::vector<std::string>{"metrics-cert"});
}

TEST(MetricsConfigTest, DefaultsToPlainHttpWithoutAuth) {
  LoadResult r = loadString("device: {}\n", "t.yaml");
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.config->device.metrics_listen, "0.0.0.0:9100");
  EXPECT_EQ(r.config->device.metrics_certificate, "");
  EXPECT_EQ(r.config->device.metrics_min_tls, TlsVersion::kTls12);
  EXPECT_EQ(r.config->device.metrics_user, "");
}

TEST(MetricsConfigTest, RejectsOldTlsAndIncompleteOrMalformedAuth) {
  EXPECT_EQ(errorsOf("device:\n  metrics: {min-tls: TLSv1.1}\n"),
            std::vector<std::string>{
                "t.yaml:2:22: error: device.metrics.min-tls: must be TLSv1.2 or TLSv1.3 (the "
                "metrics endpoint offers nothing older)"});
  EXPECT_EQ(errorsOf("device:\n  metrics:\n    basic-auth: {user: prom}\n"),
            std::vector<std::string>{"t.yaml:3:17: error: device.metrics.basic-auth: needs both "
                                     "user and password-sha256, or neither"});
  EXPECT_EQ(
      errorsOf("device:\n  metrics:\n    basic-auth: {user: prom, password-sha256: ABC}\n"),
      std::vector<std::string>{"t.yaml:3:47: error: device.metrics.basic-auth.password-sha256: "
                               "must be 64 lowercase hex digits (the SHA-256 of the password)"});
}

}  // namespace
}  // namespace vtps::config
