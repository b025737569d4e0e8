// MetricsServer: vtpsd's HTTP(S) endpoint on device.metrics.listen.
//
//   GET /metrics  the Prometheus text exposition (format 0.0.4) of MetricsCollector
//   GET /healthz  200 "ok" while the process serves requests (liveness)
//   GET /readyz   200 "ready" when the configuration is loaded and every proxy worker runs,
//                 503 "not ready: <why>" otherwise (readiness)
//
// Why not prometheus::Exposer: prometheus-cpp 1.0's Exposer keeps its CivetServer private and
// serves only metric collections on the URIs it is given, so it cannot answer /readyz with 503,
// and CivetWeb's TLS loads an unversioned libssl.so at run time. The server is cpp-httplib
// (Debian's build, linked against OpenSSL 3) and the body is rendered by prometheus-cpp's
// TextSerializer from the collector, the same way the Exposer renders it.
//
// Options: TLS (the certificate, chain and key, minimum version TLS 1.2 unless raised) and HTTP
// basic authentication for /metrics. The health endpoints stay open: orchestrators probe them
// without credentials, and they reveal nothing but up/ready.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "appliance/config/config.h"
#include "appliance/telemetry/metrics_collector.h"
#include "crypto/keystore.h"
#include "crypto/result.h"

namespace vtps::telemetry {

struct MetricsServerOptions {
  std::string listen = "127.0.0.1:0";  // "HOST:PORT" (IPv4, or [IPv6]); port 0 picks a free one
  std::optional<crypto::CertificateBundle> tls;             // set: HTTPS only
  config::TlsVersion min_tls = config::TlsVersion::kTls12;  // TLS 1.2 or 1.3 only
  // Both set: /metrics requires HTTP basic authentication with this user and a password whose
  // SHA-256 (lowercase hex) is `basic_auth_password_sha256`.
  std::string basic_auth_user;
  std::string basic_auth_password_sha256;
  int threads = 2;  // request threads
};

class MetricsServer {
 public:
  // Binds `options.listen` and starts serving. Errors:
  //   "metrics: listen address \"x\": expected HOST:PORT"
  //   "metrics: min-tls must be TLSv1.2 or TLSv1.3, got TLSv1.0"
  //   "metrics: basic auth needs both a user and a password SHA-256 (64 hex digits)"
  //   "metrics: TLS setup failed: <OpenSSL cause>"
  //   "metrics: cannot listen on 127.0.0.1:9100: <cause>"
  static Result<std::unique_ptr<MetricsServer>> create(MetricsServerOptions options,
                                                       MetricsSources sources,
                                                       BuildIdentity identity);
  ~MetricsServer();  // stops serving and joins the server thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const;
  MetricsCollector& collector();
  // What GET /metrics returns.
  std::string render() const;

  class Impl;

 private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Lowercase hex SHA-256 of `text` (for basic_auth_password_sha256 and its tests).
std::string sha256Hex(std::string_view text);

}  // namespace vtps::telemetry
