// ExceptionRouting: the kernel side of the dpdk dataplane's exception ports. The dataplane sends
// the packets of SSL-tuple flows into one net_tap interface per segment (vtps-ex<k>); the
// TPROXY rules (tproxy_rules.h, with `iifname`) hand them to the proxy with mark M_k, which
// the accepted sockets keep (net.ipv4.tcp_fwmark_accept) and the upstream legs copy
// (UpstreamBinding). This installs what sends those sockets' packets back out through the same
// interface, whatever the main table says (management routes):
//   ip rule add iif lo fwmark M_k lookup T_k pref P      (locally generated only)
//   ip route add default dev vtps-ex<k> table T_k
// and the interface settings the path needs: up with ARP off (the dataplane writes the MAC
// addresses of the flow on everything that leaves), rp_filter off (the clients' and servers'
// addresses are not routed through it), IPv6 off (nothing of it is forwarded). The marked
// packets that arrive from the interface still match the TPROXY rule `fwmark M_k lookup
// <local>` at the TPROXY priority, which comes after P.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/result.h"

namespace vtps::proxy {

struct ExceptionRoute {
  std::string interface;
  uint32_t mark = 0;   // M_k: what the TPROXY rule sets on this interface's SSL tuples
  uint32_t table = 0;  // T_k
};

class ExceptionRouting {
 public:
  // Errors name the interface and the step; what was installed before the failure is removed.
  static Result<ExceptionRouting> install(std::vector<ExceptionRoute> routes,
                                          uint32_t priority = 99);
  ExceptionRouting(ExceptionRouting&&) = default;
  ExceptionRouting& operator=(ExceptionRouting&&) = default;

  // Deletes the rules and routes and restores the namespace-wide sysctls it changed
  // (net.ipv4.conf.all.rp_filter, net.ipv4.tcp_fwmark_accept, net.ipv4.tcp_tw_reuse: the
  // upstream legs bind the clients' ports, and a client may reuse one whose previous upstream
  // leg is still in TIME_WAIT here). Idempotent; interfaces that are
  // gone already (closed with the dataplane) are not an error.
  Status remove();

  // For the system log: what was set, one line.
  std::string describe() const;

 private:
  ExceptionRouting(std::vector<ExceptionRoute> routes, uint32_t priority)
      : routes_(std::move(routes)), priority_(priority) {}
  Status apply();

  std::vector<ExceptionRoute> routes_;
  uint32_t priority_ = 99;
  std::vector<int> ifindexes_;
  std::string saved_rp_filter_all_;
  std::string saved_fwmark_accept_;
  std::string saved_tw_reuse_;
  bool installed_ = false;
};

}  // namespace vtps::proxy
