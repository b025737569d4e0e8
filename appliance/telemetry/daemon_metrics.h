// The metrics server as vtpsd runs it: options from device.metrics (listen address, keystore
// certificate for HTTPS, minimum TLS version, basic auth) and sources from the running proxy
// engine and its session tallies. Read at start; a changed device.metrics needs a restart.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/telemetry/metrics.h"
#include "appliance/telemetry/session_metrics.h"
#include "crypto/keystore.h"
#include "crypto/result.h"
#include "dataplane/proxy/proxy_engine.h"

namespace vtps::telemetry {

// The filter engine's counters (FilterEngine::counters()); empty: no filter engine.
using FilterCounterSource = std::function<std::vector<std::pair<std::string, uint64_t>>()>;
// The DPDK dataplane's counters; empty: kernel dataplane.
using DataplaneSource = std::function<std::optional<DataplaneMetrics>()>;

// Loads device.metrics.certificate from `keystore` when set, and starts the server with the
// engine's counters and worker load and `sessions` as sources. `engine` and `sessions` must
// outlive the server. Errors: "metrics: certificate NAME: <keystore cause>" and those of
// MetricsServer::create.
Result<std::unique_ptr<MetricsServer>> startDaemonMetrics(const config::Device& device,
                                                          const crypto::Keystore& keystore,
                                                          const proxy::ProxyEngine& engine,
                                                          const SessionMetrics& sessions,
                                                          std::string aead_provider = "openssl",
                                                          FilterCounterSource filter_counters = {},
                                                          DataplaneSource dataplane = {});

}  // namespace vtps::telemetry
