// MetricsServer over real sockets on 127.0.0.1 (port 0): /metrics, /healthz, /readyz, basic
// authentication, TLS, and the option errors.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include "appliance/telemetry/metrics.h"
#include "crypto/keys.h"
#include "crypto/x509.h"
#include "metrics_test_util.h"

namespace vtps::telemetry {
namespace {

using testing::fakeSources;

std::unique_ptr<MetricsServer> startServer(MetricsServerOptions options = {}, size_t workers = 2) {
  auto server = MetricsServer::create(std::move(options), fakeSources(nullptr, workers),
                                      {"9.9.9", "openssl"});
  EXPECT_TRUE(server.ok()) << server.message();
  return server.ok() ? std::move(*server) : nullptr;
}

std::string errorOf(MetricsServerOptions options) {
  auto server = MetricsServer::create(std::move(options), {}, {"9.9.9", "openssl"});
  return server.ok() ? "created" : server.message();
}

crypto::CertificateBundle selfSigned() {
  auto key = crypto::PrivateKey::generate(crypto::KeySpec::parse("ec:prime256v1").value());
  EXPECT_TRUE(key.ok()) << key.message();
  crypto::SubjectFields subject;
  subject.cn = "vtps metrics test";
  auto cert = crypto::createSelfSignedCa(subject, *key, crypto::Validity::days(1));
  EXPECT_TRUE(cert.ok()) << cert.message();
  return crypto::CertificateBundle{*cert, {}, *key};
}

TEST(MetricsServerTest, ServesTheExpositionOnMetrics) {
  auto server = startServer();
  ASSERT_NE(server, nullptr);
  ASSERT_NE(server->port(), 0);
  httplib::Client client("127.0.0.1", server->port());
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response->body.find("\nvtps_build_info{version=\"9.9.9\"} 1\n"), std::string::npos);
  EXPECT_NE(response->body.find("\nvtps_workers 2\n"), std::string::npos);
  EXPECT_EQ(client.Get("/nothing-here")->status, 404);
}

TEST(MetricsServerTest, HealthzAnswersWhileReadyzWaitsForConfigAndWorkers) {
  auto server = startServer({}, 1);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");

  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, "not ready: configuration not loaded\n");

  server->collector().configApplied(2);
  ready = client.Get("/readyz");
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, "not ready: 1 of 2 proxy workers running\n");

  server->collector().configApplied(1);
  ready = client.Get("/readyz");
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, "ready\n");

  server->collector().setStopping();
  ready = client.Get("/readyz");
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, "not ready: stopping\n");
}

TEST(MetricsServerTest, BasicAuthProtectsMetricsButNotTheProbes) {
  MetricsServerOptions options;
  options.basic_auth_user = "prom";
  options.basic_auth_password_sha256 = sha256Hex("s3cret");
  auto server = startServer(options);
  ASSERT_NE(server, nullptr);
  httplib::Client client("127.0.0.1", server->port());
  auto anonymous = client.Get("/metrics");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate"), "Basic realm=\"vtps metrics\"");

  client.set_basic_auth("prom", "wrong");
  EXPECT_EQ(client.Get("/metrics")->status, 401);
  client.set_basic_auth("other", "s3cret");
  EXPECT_EQ(client.Get("/metrics")->status, 401);
  client.set_basic_auth("prom", "s3cret");
  EXPECT_EQ(client.Get("/metrics")->status, 200);

  httplib::Client probe("127.0.0.1", server->port());
  EXPECT_EQ(probe.Get("/healthz")->status, 200);
}

TEST(MetricsServerTest, ServesHttpsWithTheGivenCertificateOnly) {
  MetricsServerOptions options;
  options.tls = selfSigned();
  auto server = startServer(options);
  ASSERT_NE(server, nullptr);

  httplib::SSLClient tls("127.0.0.1", server->port());
  tls.enable_server_certificate_verification(false);
  auto response = tls.Get("/metrics");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("vtps_build_info"), std::string::npos);

  httplib::Client plain("127.0.0.1", server->port());
  plain.set_read_timeout(2, 0);
  auto cleartext = plain.Get("/metrics");
  EXPECT_FALSE(cleartext && cleartext->status == 200);
}

TEST(MetricsServerTest, RefusesClientsBelowTheMinimumTlsVersion) {
  MetricsServerOptions options;
  options.tls = selfSigned();
  options.min_tls = config::TlsVersion::kTls13;
  auto server = startServer(options);
  ASSERT_NE(server, nullptr);

  httplib::SSLClient tls12("127.0.0.1", server->port());
  tls12.enable_server_certificate_verification(false);
  SSL_CTX_set_max_proto_version(tls12.ssl_context(), TLS1_2_VERSION);
  EXPECT_FALSE(tls12.Get("/healthz"));

  httplib::SSLClient tls13("127.0.0.1", server->port());
  tls13.enable_server_certificate_verification(false);
  auto response = tls13.Get("/healthz");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
}

TEST(MetricsServerTest, RejectsBadOptionsWithExactMessages) {
  MetricsServerOptions bad_listen;
  bad_listen.listen = "localhost";
  EXPECT_EQ(errorOf(bad_listen), "metrics: listen address \"localhost\": expected HOST:PORT");
  bad_listen.listen = "127.0.0.1:99999";
  EXPECT_EQ(errorOf(bad_listen), "metrics: listen address \"127.0.0.1:99999\": expected HOST:PORT");

  MetricsServerOptions old_tls;
  old_tls.min_tls = config::TlsVersion::kTls10;
  EXPECT_EQ(errorOf(old_tls), "metrics: min-tls must be TLSv1.2 or TLSv1.3, got TLSv1.0");

  MetricsServerOptions half_auth;
  half_auth.basic_auth_user = "prom";
  EXPECT_EQ(errorOf(half_auth),
            "metrics: basic auth needs both a user and a password SHA-256 (64 hex digits)");
  half_auth.basic_auth_password_sha256 = "not-hex";
  EXPECT_EQ(errorOf(half_auth),
            "metrics: basic auth needs both a user and a password SHA-256 (64 hex digits)");

  auto first = startServer();
  ASSERT_NE(first, nullptr);
  MetricsServerOptions taken;
  taken.listen = "127.0.0.1:" + std::to_string(first->port());
  EXPECT_EQ(errorOf(taken),
            "metrics: cannot listen on " + taken.listen + ": Address already in use");

  MetricsServerOptions valid;  // the defaults: loopback, any free port
  EXPECT_EQ(errorOf(valid), "created");
}

TEST(MetricsServerTest, Sha256HexMatchesTheKnownDigest) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace vtps::telemetry
