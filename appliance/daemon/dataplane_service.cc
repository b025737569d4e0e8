#include "appliance/daemon/dataplane_service.h"

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
              {"truncated", p.truncated},   {"in_profile", p.in_profile}};
}

}  // namespace

Result<std::unique_ptr<DataplaneService>> DataplaneService::start(const config::Config& config) {
  auto dataplane = dpdk::InlineDataplane::start(config, dpdk::readHostFacts());
  if (!dataplane.ok()) {
    const std::string& m = dataplane.message();
    return Error{m.starts_with("dpdk dataplane: ") ? m : "dpdk dataplane: " + m};
  }
  return std::unique_ptr<DataplaneService>(new DataplaneService(std::move(*dataplane)));
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
  out["hugepages"] = plan.hugepages;
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
    for (const dpdk::PathCounters& p : l.paths) {
      lj["paths"].push_back(pathJson(p));
      totals["rx_packets"] = totals["rx_packets"].get<uint64_t>() + p.rx_packets;
      totals["tx_packets"] = totals["tx_packets"].get<uint64_t>() + p.tx_packets;
      totals["tx_dropped"] = totals["tx_dropped"].get<uint64_t>() + p.tx_dropped;
    }
    totals["flows_live"] = totals["flows_live"].get<uint64_t>() + l.flows_live;
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
    m.lcores.push_back({l.lcore, l.polls, l.idle_polls, l.flows_live});
    for (const dpdk::PathCounters& p : l.paths) {
      m.queues.push_back({nameOf(p.rx_port), p.queue, true, p.rx_packets, 0});
      m.queues.push_back({nameOf(p.tx_port), p.queue, false, p.tx_packets, p.tx_dropped});
    }
  }
  return m;
}

}  // namespace vtps::daemon
