#include "appliance/telemetry/daemon_metrics.h"

namespace vtps::telemetry {

Result<std::unique_ptr<MetricsServer>> startDaemonMetrics(const config::Device& device,
                                                          const crypto::Keystore& keystore,
                                                          const proxy::ProxyEngine& engine,
                                                          const SessionMetrics& sessions) {
  MetricsServerOptions options;
  options.listen = device.metrics_listen;
  options.min_tls = device.metrics_min_tls;
  options.basic_auth_user = device.metrics_user;
  options.basic_auth_password_sha256 = device.metrics_password_sha256;
  if (!device.metrics_certificate.empty()) {
    Result<crypto::CertificateBundle> bundle = keystore.loadCertificate(device.metrics_certificate);
    if (!bundle) {
      return makeError("metrics: certificate " + device.metrics_certificate + ": " +
                       bundle.message());
    }
    options.tls = std::move(*bundle);
  }
  MetricsSources sources;
  sources.engine_counters = [&engine] { return engine.counters(); };
  sources.worker_load = [&engine] { return engine.workerLoad(); };
  sources.sessions = &sessions;
  // The TLS contexts do not load the intel-ipsec-mb provider yet (crypto/accel): OpenSSL's own
  // AES-GCM serves every session.
  BuildIdentity identity{VTPS_VERSION, "openssl"};
  return MetricsServer::create(std::move(options), std::move(sources), std::move(identity));
}

}  // namespace vtps::telemetry
