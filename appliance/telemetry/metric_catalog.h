// Every Prometheus family vtpsd exposes, in one table: the collector builds its families from it,
// and the tests check the exposition, the Grafana dashboard and docs/metrics.md against it.
//
// Naming (DESIGN.md, Telemetry): `vtps_` prefix, counters end in `_total`, base units (seconds,
// bytes), labels bounded by the config or by a fixed set (never per IP address or per domain).
#pragma once

#include <span>
#include <string_view>

namespace vtps::telemetry {

enum class MetricKind { kCounter, kGauge, kHistogram };

struct MetricInfo {
  std::string_view name;  // family name as exposed ("vtps_ssl_connections_total")
  MetricKind kind;
  std::string_view labels;  // comma-separated label names, "" for none
  std::string_view help;    // one line, also the HELP text
};

namespace metric {
// Session records (counted when a session closes).
inline constexpr std::string_view kConnections = "vtps_ssl_connections_total";
inline constexpr std::string_view kSessionBytes = "vtps_ssl_session_bytes_total";
inline constexpr std::string_view kHandshakes = "vtps_ssl_handshakes_total";
inline constexpr std::string_view kHandshakeDuration = "vtps_ssl_handshake_duration_seconds";
inline constexpr std::string_view kAlerts = "vtps_tls_alerts_total";
// Proxy engine counters (live).
inline constexpr std::string_view kAccepted = "vtps_ssl_connections_accepted_total";
inline constexpr std::string_view kSessionsActive = "vtps_ssl_sessions_active";
inline constexpr std::string_view kDecisions = "vtps_ssl_decisions_total";
inline constexpr std::string_view kBytes = "vtps_ssl_bytes_total";
inline constexpr std::string_view kDropped = "vtps_ssl_dropped_total";
inline constexpr std::string_view kCleartextSessions = "vtps_cleartext_sessions_total";
inline constexpr std::string_view kCleartextActive = "vtps_cleartext_sessions_active";
inline constexpr std::string_view kCleartextBytes = "vtps_cleartext_bytes_total";
inline constexpr std::string_view kNpStats = "vtps_np_stats_total";
inline constexpr std::string_view kNpStatsCurrent = "vtps_np_stats_current";
inline constexpr std::string_view kWorkerBusy = "vtps_worker_busy_seconds_total";
inline constexpr std::string_view kWorkers = "vtps_workers";
// Leaf minting.
inline constexpr std::string_view kMintHits = "vtps_mint_cache_hits_total";
inline constexpr std::string_view kMintMisses = "vtps_mint_cache_misses_total";
inline constexpr std::string_view kMintEvictions = "vtps_mint_cache_evictions_total";
inline constexpr std::string_view kMintFailures = "vtps_mint_failures_total";
inline constexpr std::string_view kMintEntries = "vtps_mint_cache_entries";
inline constexpr std::string_view kMintDuration = "vtps_mint_duration_seconds";
inline constexpr std::string_view kKeyPoolKeys = "vtps_mint_key_pool_keys";
inline constexpr std::string_view kKeyPoolFallbacks = "vtps_mint_key_pool_inline_fallbacks_total";
// Filters.
inline constexpr std::string_view kFilterActions = "vtps_filter_actions_total";
inline constexpr std::string_view kFilterEvents = "vtps_filter_events_total";
// DPDK dataplane (device.dataplane: dpdk).
inline constexpr std::string_view kDpPortPackets = "vtps_dataplane_port_packets_total";
inline constexpr std::string_view kDpPortBytes = "vtps_dataplane_port_bytes_total";
inline constexpr std::string_view kDpPortDrops = "vtps_dataplane_port_drops_total";
inline constexpr std::string_view kDpQueuePackets = "vtps_dataplane_queue_packets_total";
inline constexpr std::string_view kDpQueueDrops = "vtps_dataplane_queue_drops_total";
inline constexpr std::string_view kDpLcorePolls = "vtps_dataplane_lcore_polls_total";
inline constexpr std::string_view kDpFlows = "vtps_dataplane_flows";
inline constexpr std::string_view kDpFilterFlows = "vtps_dataplane_filter_flows_total";
inline constexpr std::string_view kDpFilterDrops = "vtps_dataplane_filter_drops_total";
inline constexpr std::string_view kDpResets = "vtps_dataplane_tcp_resets_total";
inline constexpr std::string_view kDpFallback = "vtps_dataplane_fallback";
inline constexpr std::string_view kDpFallbackEntries = "vtps_dataplane_fallback_entries_total";
inline constexpr std::string_view kDpExceptionPackets = "vtps_dataplane_exception_packets_total";
inline constexpr std::string_view kDpExceptionFlows = "vtps_dataplane_exception_flows_total";
inline constexpr std::string_view kDpProxyAvailable = "vtps_dataplane_proxy_available";
// Control plane and identity.
inline constexpr std::string_view kConfigGeneration = "vtps_config_generation";
inline constexpr std::string_view kConfigReloads = "vtps_config_reloads_total";
inline constexpr std::string_view kConfigLoadedAt = "vtps_config_last_success_timestamp_seconds";
inline constexpr std::string_view kReady = "vtps_ready";
inline constexpr std::string_view kStartTime = "vtps_start_time_seconds";
inline constexpr std::string_view kBuildInfo = "vtps_build_info";
inline constexpr std::string_view kCpuFeature = "vtps_cpu_feature";
inline constexpr std::string_view kAeadProvider = "vtps_crypto_aead_provider_info";
}  // namespace metric

// Every family, in exposition order.
std::span<const MetricInfo> metricCatalog();
// The entry for `name`, or nullptr.
const MetricInfo* findMetric(std::string_view name);
std::string_view toString(MetricKind kind);  // "counter", "gauge", "histogram"

}  // namespace vtps::telemetry
