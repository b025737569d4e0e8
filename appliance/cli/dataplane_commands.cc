// `vtpsctl show dataplane [--json]`: the dpdk dataplane of a running vtpsd (control method
// "dataplane"): mode, ports with their hardware counters, and per lcore the flow table and the
// counters of each segment direction (rx port queue -> tx port queue) and exception port, the
// filters on cleartext flows (verdicts, resets, reassembly, layer-2 fallback) and the exception
// path (SSL-tuple flows steered to the proxy) per lcore.
#include <iostream>
#include <memory>
#include <string>

#include "appliance/cli/context.h"
#include "appliance/cli/daemon_call.h"

namespace vtps::cli {
namespace {

using mgmt::Json;

std::string padded(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

void printPorts(const Json& ports) {
  std::cout << "Ports\n  " << padded("PORT", 6) << padded("NAME", 24) << padded("QUEUES", 8)
            << padded("RX", 14) << padded("TX", 14) << padded("MISSED", 10) << "ERRORS\n";
  for (const Json& p : ports) {
    uint64_t errors = p.at("rx_errors").get<uint64_t>() + p.at("tx_errors").get<uint64_t>();
    std::cout << "  " << padded(p.at("port").dump(), 6)
              << padded(p.at("name").get<std::string>(), 24) << padded(p.at("queues").dump(), 8)
              << padded(p.at("rx_packets").dump(), 14) << padded(p.at("tx_packets").dump(), 14)
              << padded(p.at("rx_missed").dump(), 10) << errors << "\n";
  }
}

void printLcores(const Json& lcores) {
  for (const Json& l : lcores) {
    std::cout << "Lcore " << l.at("lcore").dump() << " (cpu " << l.at("cpu").dump() << "): polls "
              << l.at("polls").dump() << ", idle " << l.at("idle_polls").dump() << ", sleeps "
              << l.at("sleeps").dump() << "; flows " << l.at("flows_live").dump() << "/"
              << l.at("flow_capacity").dump() << ", created " << l.at("flows_created").dump()
              << ", evicted " << l.at("flows_evicted").dump() << "\n";
    if (l.contains("inspection")) {
      const Json& i = l.at("inspection");
      std::cout << "  Filters: " << (i.at("fallback").get<bool>() ? "IN FALLBACK" : "inspecting")
                << "; flows inspected " << i.at("flows_inspected").dump() << ", skipped "
                << i.at("flows_skipped").dump() << ", decided at open "
                << i.at("flows_decided").dump() << ", blocked " << i.at("flows_blocked").dump()
                << "; drops: blocked " << i.at("blocked_drops").dump() << ", rate-limit "
                << i.at("rate_limit_drops").dump() << ", beyond-window "
                << i.at("beyond_window_drops").dump() << ", fallback "
                << i.at("fallback_drops").dump() << "; resets " << i.at("resets_sent").dump()
                << "; out-of-order " << i.at("out_of_order").dump() << "; fallbacks "
                << i.at("fallback_entries").dump() << "\n";
    }
    if (l.contains("exception")) {
      const Json& x = l.at("exception");
      std::cout << "  Exception path: flows steered " << x.at("flows_steered").dump()
                << ", bypassed " << x.at("flows_bypassed").dump() << ", refused "
                << x.at("flows_refused").dump() << "; packets to the kernel "
                << x.at("to_kernel").dump() << ", from it " << x.at("from_kernel").dump()
                << ", unmatched " << x.at("unmatched_drops").dump() << "\n";
    }
    std::cout << "  " << padded("SEGMENT", 16) << padded("PATH", 14) << padded("RX", 14)
              << padded("TX", 14) << padded("DROPPED", 10) << padded("NOT-IP", 10)
              << "IN-PROFILE\n";
    for (const Json& p : l.at("paths")) {
      // The exception port's path sends each frame by the port towards its destination.
      std::string path = p.value("via_ring", false) ? std::string("ring")
                         : p.value("exception", false)
                             ? p.at("rx_port").dump() + " (tap)->seg"
                             : p.at("rx_port").dump() + "->" + p.at("tx_port").dump() + " q" +
                                   p.at("queue").dump();
      std::cout << "  " << padded(p.at("segment").get<std::string>(), 16) << padded(path, 14)
                << padded(p.at("rx_packets").dump(), 14) << padded(p.at("tx_packets").dump(), 14)
                << padded(p.at("tx_dropped").dump(), 10) << padded(p.at("not_ip").dump(), 10)
                << p.at("in_profile").dump() << "\n";
    }
  }
}

Status showDataplane(const Context& ctx, bool json) {
  auto r = askDaemon(ctx, Json{{"method", "dataplane"}});
  if (!r.ok()) return r.error();
  if (json) {
    std::cout << r->dump(2) << '\n';
    return {};
  }
  std::cout << "Dataplane: dpdk, " << r->at("mode").get<std::string>() << " mode ("
            << r->at("polling").get<std::string>() << " polling, "
            << (r->at("hugepages").get<bool>() ? "hugepages" : "no hugepages") << ")\n";
  if (r->value("filters", false)) {
    std::cout << "Filters on cleartext TCP flows; fallback "
              << r->at("fallback_mode").get<std::string>() << " beyond "
              << r->at("inspection_budget_percent").dump() << "% of an lcore's cycles\n";
  }
  if (r->contains("exception_ports")) {
    std::cout << "SSL inspection through exception ports:";
    for (const Json& e : r->at("exception_ports"))
      std::cout << " " << e.at("segment").get<std::string>() << " "
                << e.at("interface").get<std::string>();
    std::cout << "; proxy "
              << (r->value("proxy_available", true) ? "available" : "UNAVAILABLE (fallback)")
              << "\n";
  }
  printPorts(r->at("ports"));
  printLcores(r->at("lcores"));
  return {};
}

}  // namespace

void addDataplaneCommands(CLI::App& app, Context& ctx) {
  CLI::App* show = app.get_subcommand("show");
  auto json = std::make_shared<bool>(false);
  auto* dataplane = show->add_subcommand(
      "dataplane", "dpdk dataplane: ports, lcores, flows and per-queue counters");
  dataplane->add_flag("--json", *json, "print the daemon's JSON answer");
  dataplane->callback([&ctx, json] { runCommand(ctx, [&] { return showDataplane(ctx, *json); }); });
}

}  // namespace vtps::cli
