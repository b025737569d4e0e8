#include "appliance/daemon/dataplane_service.h"

#include "appliance/telemetry/log_entries.h"
#include "dataplane/proxy/tproxy_tuples.h"

namespace vtps::daemon {
namespace {

using mgmt::Json;

Json portJson(const dpdk::PortCounters& p) {
  return Json{{"port", p.port},
              {"name", p.name},
              {"queues", p.queues},
              {"symmetric_rss", p.rss},
              {"rx_packets", p.rx_packets},
              {"tx_packets", p.tx_packets},
              {"rx_bytes", p.rx_bytes},
              {"tx_bytes", p.tx_bytes},
              {"rx_missed", p.rx_missed},
              {"rx_errors", p.rx_errors},
              {"tx_errors", p.tx_errors},
              {"rx_no_mbuf", p.rx_no_mbuf}};
}

Json pathJson(const dpdk::PathCounters& p) {
  return Json{{"segment", p.segment},       {"rx_port", p.rx_port},       {"tx_port", p.tx_port},
              {"queue", p.queue},           {"rx_packets", p.rx_packets}, {"rx_bytes", p.rx_bytes},
              {"tx_packets", p.tx_packets}, {"tx_dropped", p.tx_dropped}, {"not_ip", p.not_ip},
              {"truncated", p.truncated},   {"in_profile", p.in_profile}, {"via_ring", p.via_ring},
              {"exception", p.exception}};
}

Json inspectionJson(const dpdk::InspectionCounters& c) {
  return Json{{"flows_inspected", c.flows_inspected},
              {"flows_skipped", c.flows_skipped},
              {"flows_decided", c.flows_decided},
              {"flows_blocked", c.flows_blocked},
              {"payload_bytes", c.payload_bytes},
              {"blocked_drops", c.blocked_drops},
              {"rate_limit_drops", c.rate_limit_drops},
              {"out_of_order", c.out_of_order},
              {"beyond_window_drops", c.beyond_window_drops},
              {"resets_sent", c.resets_sent},
              {"fallback", c.fallback_active != 0},
              {"fallback_entries", c.fallback_entries},
              {"fallback_forwarded", c.fallback_forwarded},
              {"fallback_drops", c.fallback_drops},
              {"filter_cycles", c.filter_cycles}};
}

// The SSL tuples of `config` as the dataplane steers them (the same the TPROXY rules take).
std::vector<dpdk::SteerTuple> steeringOf(const config::Config& config) {
  std::vector<dpdk::SteerTuple> out;
  for (const proxy::TproxyTuple& t : proxy::tproxyTuplesOf(config, 1, 1))
    out.push_back(dpdk::SteerTuple{t.address, t.prefix, t.port_first, t.port_last});
  return out;
}

Json exceptionJson(const dpdk::ExceptionCounters& x) {
  return Json{{"flows_steered", x.flows_steered}, {"flows_bypassed", x.flows_bypassed},
              {"flows_refused", x.flows_refused}, {"to_kernel", x.to_kernel},
              {"from_kernel", x.from_kernel},     {"unmatched_drops", x.unmatched},
              {"refused_drops", x.refused_drops}};
}

}  // namespace

std::vector<std::string> DataplaneService::exceptionInterfaces(const config::Config& config) {
  std::vector<std::string> out;
  if (config.device.dataplane != config::Dataplane::kDpdk || !dpdk::hasExceptionPorts(config))
    return out;
  for (std::size_t k = 0; k < config.segments.size(); ++k)
    out.push_back(dpdk::exceptionInterfaceName(k));
  return out;
}

void DataplaneService::applyConfig(const config::Config& runnable) {
  dataplane_->setSteering(steeringOf(runnable));
}

DataplaneService::~DataplaneService() {
  // The lcores stop before the routes go: nothing is steered into an unrouted port.
  dataplane_.reset();
  if (routing_) (void)routing_->remove();
}

Result<std::unique_ptr<DataplaneService>> DataplaneService::start(
    const config::Config& config, const config::Config& runnable,
    std::shared_ptr<filter::FilterEngine> filters, telemetry::JsonLog& log,
    const proxy::EngineOptions& engine, const std::atomic<bool>* proxy_available) {
  dpdk::InspectionOptions inspection;
  inspection.engine = std::move(filters);
  // On the lcore, at most once per hold period: the post only queues.
  inspection.on_fallback = [&log](unsigned lcore, bool entered, const std::string& detail) {
    std::string what = entered ? "entered layer-2 fallback" : "left layer-2 fallback";
    log.post(telemetry::LogFile::kSystem,
             telemetry::systemLogEntry(
                 entered ? "warning" : "info", "dataplane-fallback",
                 "dpdk lcore " + std::to_string(lcore) + " " + what + ": " + detail));
  };
  auto dataplane =
      dpdk::InlineDataplane::start(config, dpdk::readHostFacts(), {}, std::move(inspection),
                                   steeringOf(runnable), proxy_available);
  if (!dataplane.ok()) {
    const std::string& m = dataplane.message();
    return Error{m.starts_with("dpdk dataplane: ") ? m : "dpdk dataplane: " + m};
  }
  std::unique_ptr<DataplaneService> service(new DataplaneService(std::move(*dataplane)));
  service->proxy_available_ = proxy_available;
  // The TAPs exist once EAL has probed them. Their kernel side is set up before the daemon
  // declares the proxy available, so no flow is steered into them before it is routed (the
  // engine's TPROXY rules already name them).
  std::vector<proxy::ExceptionRoute> routes;
  std::vector<std::string> interfaces = exceptionInterfaces(config);
  for (std::size_t k = 0; k < interfaces.size(); ++k) {
    auto offset = static_cast<uint32_t>(1 + k);
    routes.push_back({interfaces[k], engine.fwmark + offset, engine.route_table + offset});
  }
  if (!routes.empty()) {
    auto routing = proxy::ExceptionRouting::install(std::move(routes));
    if (!routing.ok()) return Error{"dpdk dataplane: " + routing.message()};
    service->routing_.emplace(std::move(*routing));
  }
  return service;
}

DataplaneService::DataplaneService(std::unique_ptr<dpdk::InlineDataplane> dataplane)
    : dataplane_(std::move(dataplane)) {}

std::vector<std::string> DataplaneService::startupReport() const {
  const dpdk::EalPlan& plan = dataplane_->plan();
  std::string args;
  for (const std::string& a : plan.args)
    args += (args.empty() ? "" : " ") + a;
  std::vector<std::string> out = {"dpdk dataplane started (" +
                                  std::string(plan.busy_poll ? "performance" : "standard") +
                                  " mode): EAL " + args};
  if (routing_) out.push_back("dpdk dataplane: " + routing_->describe());
  for (const std::string& note : plan.notes)
    out.push_back("dpdk dataplane: " + note);
  return out;
}

Json DataplaneService::showResponse() const {
  const dpdk::EalPlan& plan = dataplane_->plan();
  dpdk::ForwarderSnapshot snap = dataplane_->snapshot();
  Json out;
  out["mode"] = plan.busy_poll ? "performance" : "standard";
  out["polling"] = plan.busy_poll ? "busy" : "adaptive-sleep";
  out["filters"] = snap.inspecting;
  out["fallback_mode"] =
      snap.fallback == dpdk::FallbackMode::kFailClosed ? "fail-closed" : "fail-open";
  out["inspection_budget_percent"] = static_cast<int>(snap.inspection_budget * 100 + 0.5);
  out["hugepages"] = plan.hugepages;
  if (routing_) {
    out["exception_ports"] = Json::array();
    for (const dpdk::SegmentPlan& seg : plan.segments)
      out["exception_ports"].push_back(
          {{"segment", seg.name}, {"interface", seg.exception_interface}});
    out["proxy_available"] = proxyAvailable();
  }
  out["eal_args"] = plan.args;
  out["notes"] = plan.notes;
  out["ports"] = Json::array();
  for (const dpdk::PortCounters& p : snap.ports)
    out["ports"].push_back(portJson(p));
  out["lcores"] = Json::array();
  Json totals{{"rx_packets", 0}, {"tx_packets", 0}, {"tx_dropped", 0}, {"flows_live", 0}};
  for (std::size_t i = 0; i < snap.lcores.size(); ++i) {
    const dpdk::LcoreCounters& l = snap.lcores[i];
    Json lj{{"lcore", l.lcore},
            {"cpu", i < plan.worker_cpus.size() ? plan.worker_cpus[i] : -1},
            {"polls", l.polls},
            {"idle_polls", l.idle_polls},
            {"sleeps", l.sleeps},
            {"flows_created", l.flows_created},
            {"flows_evicted", l.flows_evicted},
            {"flows_expired", l.flows_expired},
            {"flows_live", l.flows_live},
            {"flow_capacity", l.flow_capacity},
            {"paths", Json::array()}};
    if (l.inspecting) lj["inspection"] = inspectionJson(l.inspection);
    if (l.exception_path) lj["exception"] = exceptionJson(l.exception);
    for (const dpdk::PathCounters& p : l.paths) {
      lj["paths"].push_back(pathJson(p));
      // A software-spread share is also counted on its owner's port paths.
      if (p.via_ring) continue;
      totals["rx_packets"] = totals["rx_packets"].get<uint64_t>() + p.rx_packets;
      totals["tx_packets"] = totals["tx_packets"].get<uint64_t>() + p.tx_packets;
      totals["tx_dropped"] = totals["tx_dropped"].get<uint64_t>() + p.tx_dropped;
    }
    totals["flows_live"] = totals["flows_live"].get<uint64_t>() + l.flows_live;
    for (const char* key : {"flows_blocked", "blocked_drops", "resets_sent", "fallback_drops"}) {
      uint64_t v = l.inspecting ? lj["inspection"][key].get<uint64_t>() : 0;
      totals[key] = (totals.contains(key) ? totals[key].get<uint64_t>() : 0) + v;
    }
    out["lcores"].push_back(std::move(lj));
  }
  out["totals"] = std::move(totals);
  return out;
}

telemetry::DataplaneMetrics DataplaneService::metrics() const {
  dpdk::ForwarderSnapshot snap = dataplane_->snapshot();
  telemetry::DataplaneMetrics m;
  auto nameOf = [&](uint16_t port) {
    for (const dpdk::PortCounters& p : snap.ports) {
      if (p.port == port) return p.name;
    }
    return std::to_string(port);
  };
  for (const dpdk::PortCounters& p : snap.ports) {
    m.ports.push_back({p.name, p.rx_packets, p.tx_packets, p.rx_bytes, p.tx_bytes, p.rx_missed,
                       p.rx_errors, p.tx_errors, p.rx_no_mbuf});
  }
  for (const dpdk::LcoreCounters& l : snap.lcores) {
    telemetry::DataplaneMetrics::Lcore lm;
    lm.lcore = l.lcore;
    lm.polls = l.polls;
    lm.idle_polls = l.idle_polls;
    lm.flows = l.flows_live;
    if (l.inspecting) {
      const dpdk::InspectionCounters& c = l.inspection;
      lm.filters = true;
      lm.flows_inspected = c.flows_inspected;
      lm.flows_skipped = c.flows_skipped;
      lm.flows_decided = c.flows_decided;
      lm.flows_blocked = c.flows_blocked;
      lm.blocked_drops = c.blocked_drops;
      lm.rate_limit_drops = c.rate_limit_drops;
      lm.beyond_window_drops = c.beyond_window_drops;
      lm.fallback_drops = c.fallback_drops;
      lm.resets = c.resets_sent;
      lm.fallback_active = c.fallback_active;
      lm.fallback_entries = c.fallback_entries;
    }
    if (l.exception_path) {
      const dpdk::ExceptionCounters& x = l.exception;
      lm.exception_path = true;
      lm.to_kernel = x.to_kernel;
      lm.from_kernel = x.from_kernel;
      lm.unmatched = x.unmatched;
      lm.flows_steered = x.flows_steered;
      lm.flows_bypassed = x.flows_bypassed;
      lm.flows_refused = x.flows_refused;
    }
    m.lcores.push_back(lm);
    for (const dpdk::PathCounters& p : l.paths) {
      if (p.via_ring) continue;  // not a port queue; the owner's port paths count these packets
      m.queues.push_back({nameOf(p.rx_port), p.queue, true, p.rx_packets, 0});
      m.queues.push_back({nameOf(p.tx_port), p.queue, false, p.tx_packets, p.tx_dropped});
    }
  }
  if (routing_) m.proxy_available = proxyAvailable();
  return m;
}

bool DataplaneService::proxyAvailable() const {
  return proxy_available_ == nullptr || proxy_available_->load(std::memory_order_relaxed);
}

}  // namespace vtps::daemon
