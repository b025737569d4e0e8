// The EAL command line and lcore layout built from the config, checked against the host. Pure:
// nothing here touches DPDK, so every rule is unit-tested without an EAL.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"
#include "dataplane/dpdk/host_facts.h"

namespace vtps::dpdk {

// A segment port as written in the config: a PCI address ("0000:00:04.0" or "00:04.0") or a
// virtual device ("net_af_packet0,iface=veth1", "net_pcap0,rx_pcap=in.pcap", "net_null0").
struct PortSpec {
  enum class Kind { kPci, kVdev };
  Kind kind = Kind::kPci;
  std::string device;  // what EAL is given (-a for PCI, --vdev for vdevs)
  std::string name;    // the ethdev name to look the port up by after EAL init
};

// Errors say what the text is not, e.g. "\"eth0\" is neither a PCI address (DDDD:BB:DD.F) nor a
// DPDK virtual device (net_<driver><n>[,key=value...])".
Result<PortSpec> parsePortSpec(std::string_view text);

struct SegmentPlan {
  std::string name;
  PortSpec ports[2];
  // The segment's exception port (exception_steering.h): a net_tap vdev whose kernel interface
  // is `exception_interface`; absent (empty interface) when SSL inspection is off for both
  // server and client at start.
  PortSpec exception;
  std::string exception_interface;
  std::vector<int> vlans;  // from the config: which traffic the segment's profile covers
  std::vector<config::Cidr4> sources;
  std::vector<config::Cidr4> destinations;
};

struct EalPlan {
  std::vector<std::string> args;  // EAL arguments, program name first
  std::vector<int> worker_cpus;   // worker lcore i+1 runs pinned on worker_cpus[i]
  std::vector<int> main_cpus;     // the control thread that calls rte_eal_init stays on these
  bool busy_poll = false;         // performance mode; standard mode sleeps adaptively
  bool hugepages = false;         // false: --no-huge (standard mode only)
  std::vector<SegmentPlan> segments;
  std::vector<std::string> notes;  // for the system log: cores not isolated, host summary
};

struct EalOptions {
  std::size_t memory_mb = 512;  // EAL memory (-m); hugepage-backed when hugepages are used
};

// The kernel interface of segment `index`'s exception port: "vtps-ex<index>".
std::string exceptionInterfaceName(std::size_t index);
// Whether the segments of `config` get exception ports: SSL inspection (server or client) is on.
bool hasExceptionPorts(const config::Config& config);

// Builds the plan for device.dataplane: dpdk. Refuses (with every reason in one message, one
// per line) when: there are no segments; a port is neither PCI nor vdev; a dataplane core is not
// online; no online core is left for the control thread; in performance mode a dataplane core is
// also a proxy core or the free hugepages hold less than `memory_mb`.
Result<EalPlan> buildEalPlan(const config::Config& config, const HostFacts& host,
                             const EalOptions& options = {});

}  // namespace vtps::dpdk
