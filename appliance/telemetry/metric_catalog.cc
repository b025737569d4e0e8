#include "appliance/telemetry/metric_catalog.h"

namespace vtps::telemetry {
namespace {

using K = MetricKind;
namespace m = metric;

constexpr MetricInfo kCatalog[] = {
    // Session records: one per closed session, tallied on the worker that closed it.
    {m::kConnections, K::kCounter, "proxy,policy,decision",
     "SSL sessions closed, by server proxy, SSL policy and the decision taken"},
    {m::kSessionBytes, K::kCounter, "proxy,decision,direction",
     "Payload bytes of closed SSL sessions, by proxy, decision and direction"},
    {m::kHandshakes, K::kCounter, "side,version,cipher,result",
     "TLS handshakes of the proxy's two legs, by leg, version, cipher suite and result"},
    {m::kHandshakeDuration, K::kHistogram, "side",
     "Duration of the completed TLS handshakes of each leg"},
    {m::kAlerts, K::kCounter, "side,direction,alert",
     "TLS alerts sent or received on the proxy's two legs, by leg, direction and description"},
    // Proxy engine counters, read from every worker at scrape time.
    {m::kAccepted, K::kCounter, "",
     "TCP connections on SSL tuples accepted from the transparent listener (new SSL connections)"},
    {m::kSessionsActive, K::kGauge, "", "SSL sessions open now, any decision"},
    {m::kDecisions, K::kCounter, "decision", "SSL session decisions, counted when taken"},
    {m::kBytes, K::kCounter, "direction",
     "Payload bytes relayed on SSL tuples, every decision (SSL traffic seen)"},
    {m::kDropped, K::kCounter, "reason",
     "Connections on SSL tuples dropped before a decision (no TLS, malformed or late hello)"},
    {m::kCleartextSessions, K::kCounter, "decision",
     "Sessions on cleartext inspection tuples, by outcome, counted when taken"},
    {m::kCleartextActive, K::kGauge, "", "Sessions on cleartext inspection tuples open now"},
    {m::kCleartextBytes, K::kCounter, "direction",
     "Payload bytes relayed on cleartext inspection tuples"},
    {m::kNpStats, K::kCounter, "group,stat",
     "Every proxy troubleshooting counter of `vtpsctl debug np stats show`, by group and name"},
    {m::kNpStatsCurrent, K::kGauge, "group,stat",
     "The proxy troubleshooting counters that are current counts, by group and name"},
    {m::kWorkerBusy, K::kCounter, "worker,core",
     "Time each proxy worker spent handling events; its rate is the worker's busy ratio"},
    {m::kWorkers, K::kGauge, "", "Proxy workers running"},
    // Leaf minting (client inspection).
    {m::kMintHits, K::kCounter, "", "Minted-leaf cache hits"},
    {m::kMintMisses, K::kCounter, "", "Minted-leaf cache misses (each one a mint attempt)"},
    {m::kMintEvictions, K::kCounter, "", "Minted leaves evicted from the cache (LRU)"},
    {m::kMintFailures, K::kCounter, "", "Leaf mints that failed"},
    {m::kMintEntries, K::kGauge, "", "Minted leaves in the cache now"},
    {m::kMintDuration, K::kHistogram, "",
     "Duration of leaf mints made on cache misses (key from the pool, build, sign)"},
    {m::kKeyPoolKeys, K::kGauge, "key_type", "Pre-generated leaf keys waiting in the pool"},
    {m::kKeyPoolFallbacks, K::kCounter, "key_type",
     "Leaf keys generated inline because the pool was empty"},
    // Filters.
    {m::kFilterActions, K::kCounter, "action",
     "Filter actions taken on decrypted traffic (block, permit_notify, trace)"},
    {m::kFilterEvents, K::kCounter, "event", "Filter pipeline counters by stage and outcome"},
    // DPDK dataplane: ports and queues are the configured ones, lcores the dataplane cores.
    {m::kDpPortPackets, K::kCounter, "port,direction", "Packets received and sent per DPDK port"},
    {m::kDpPortBytes, K::kCounter, "port,direction", "Bytes received and sent per DPDK port"},
    {m::kDpPortDrops, K::kCounter, "port,reason",
     "Packets a DPDK port lost (rx_missed, rx_errors, tx_errors, rx_no_mbuf)"},
    {m::kDpQueuePackets, K::kCounter, "port,queue,direction",
     "Packets forwarded per port queue: received on it (rx) or sent on it (tx)"},
    {m::kDpQueueDrops, K::kCounter, "port,queue,reason",
     "Packets dropped on a port queue (tx_full: the transmit queue was full)"},
    {m::kDpLcorePolls, K::kCounter, "lcore,result",
     "Polling rounds of each dataplane lcore over its queues (busy: received packets, idle)"},
    {m::kDpFlows, K::kGauge, "lcore", "Flows in each dataplane lcore's flow table now"},
    {m::kDpFilterFlows, K::kCounter, "lcore,verdict",
     "Cleartext TCP flows the filters saw on each lcore (inspected, skipped, blocked)"},
    {m::kDpFilterDrops, K::kCounter, "lcore,reason",
     "Packets the filters dropped on each lcore (blocked, rate_limit, beyond_window, fallback)"},
    {m::kDpResets, K::kCounter, "lcore", "TCP resets sent for blocked flows"},
    {m::kDpFallback, K::kGauge, "lcore", "1 while the lcore is in layer-2 fallback"},
    {m::kDpFallbackEntries, K::kCounter, "lcore", "Times the lcore entered layer-2 fallback"},
    {m::kDpExceptionPackets, K::kCounter, "lcore,direction",
     "Packets of SSL-tuple flows through the exception port: to_kernel, from_kernel, or "
     "unmatched (from the kernel, no steered flow: dropped)"},
    {m::kDpExceptionFlows, K::kCounter, "lcore,result",
     "New SSL-tuple flows: steered to the proxy, or bypassed / refused while it was unavailable"},
    {m::kDpProxyAvailable, K::kGauge, "",
     "1 while the proxy takes new flows from the exception ports, 0 in proxy fallback"},
    // Control plane and identity.
    {m::kConfigGeneration, K::kGauge, "",
     "Generation of the running configuration (1 at start, +1 per applied reload)"},
    {m::kConfigReloads, K::kCounter, "result", "Configuration reloads and applies, by result"},
    {m::kConfigLoadedAt, K::kGauge, "",
     "Unix time the running configuration was loaded or last applied"},
    {m::kReady, K::kGauge, "", "1 when the configuration is loaded and every worker runs"},
    {m::kStartTime, K::kGauge, "", "Unix time vtpsd started"},
    {m::kBuildInfo, K::kGauge, "version", "vtpsd build; the value is always 1"},
    {m::kCpuFeature, K::kGauge, "feature",
     "CPU features TLS performance and seeding depend on: 1 present, 0 absent"},
    {m::kAeadProvider, K::kGauge, "provider",
     "Which AES-GCM implementation the TLS contexts use; the value is always 1"},
};

}  // namespace

std::span<const MetricInfo> metricCatalog() {
  return kCatalog;
}

const MetricInfo* findMetric(std::string_view name) {
  for (const MetricInfo& info : kCatalog) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string_view toString(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace vtps::telemetry
