#include "appliance/telemetry/daemon_metrics.h"

#include "crypto/mint/leaf_key_type.h"
#include "dataplane/proxy/runtime_snapshot.h"

namespace vtps::telemetry {

Result<std::unique_ptr<MetricsServer>> startDaemonMetrics(
    const config::Device& device, const crypto::Keystore& keystore,
    const proxy::ProxyEngine& engine, const SessionMetrics& sessions, std::string aead_provider,
    FilterCounterSource filter_counters, DataplaneSource dataplane) {
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
  sources.dataplane = std::move(dataplane);
  sources.sessions = &sessions;
  sources.filter_counters = std::move(filter_counters);
  sources.mint = [&engine]() -> std::optional<MintMetrics> {
    std::shared_ptr<const proxy::MintServices> mint = engine.mintServices();
    if (!mint) return std::nullopt;
    MintMetrics m;
    m.cache = mint->cache->stats();
    m.latency = mint->cache->mintLatency().snapshot();
    for (mint::LeafKeyType type : {mint::LeafKeyType::kEcdsaP256, mint::LeafKeyType::kRsa2048}) {
      m.pools.push_back({std::string(mint::leafKeyTypeName(type)), mint->pool->stats(type)});
    }
    return m;
  };
  // "ipsec-mb" when vtpsd loaded and preferred the provider (appliance/daemon/crypto_setup.h).
  BuildIdentity identity{VTPS_VERSION, std::move(aead_provider)};
  return MetricsServer::create(std::move(options), std::move(sources), std::move(identity));
}

}  // namespace vtps::telemetry
