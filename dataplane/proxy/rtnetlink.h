// RtNetlink: the few rtnetlink (NETLINK_ROUTE) requests the TPROXY data path needs, on a raw
// netlink socket: IPv4 fwmark policy rules (`ip rule add [iif I] fwmark M lookup T pref P`), the
// "everything is local" route (`ip route add local 0.0.0.0/0 dev lo table T`), and for the dpdk
// exception ports a default route through an interface and its link flags. Adds and deletes
// are idempotent so that a restart after a crash converges instead of failing.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "crypto/result.h"
#include "dataplane/proxy/unique_fd.h"

namespace vtps::proxy {

// An IPv4 policy rule that sends marked packets to a routing table.
struct FwmarkRule {
  uint32_t mark = 0;
  uint32_t mask = 0xffffffff;
  uint32_t table = 0;
  uint32_t priority = 0;
  std::string iif;  // only packets from this interface ("lo": locally generated); empty: any
  bool operator==(const FwmarkRule&) const = default;
  std::string str() const;  // "fwmark 0x1/0xffffffff lookup 100 pref 100", as `ip rule` says
};

// An IPv4 route as a dump reports it (only the fields the data path uses).
struct Ipv4Route {
  uint32_t table = 0;
  uint32_t destination = 0;  // host byte order
  int prefix = 0;
  int ifindex = 0;
  bool local = false;  // RTN_LOCAL: deliver to this host
  bool operator==(const Ipv4Route&) const = default;
  std::string str() const;  // "local 0.0.0.0/0 dev 1 table 100"
};

class RtNetlink {
 public:
  // Opens a NETLINK_ROUTE socket in the caller's network namespace.
  static Result<RtNetlink> open();

  // Errors name the request and the kernel's errno text, e.g.
  // "add ip rule fwmark 0x1/0xffffffff lookup 100 pref 100: Operation not permitted".
  Status addRule(const FwmarkRule& rule);     // an identical rule already there is success
  Status deleteRule(const FwmarkRule& rule);  // an absent rule is success
  // IPv4 rules that match a fwmark and look up a table, in kernel order.
  Result<std::vector<FwmarkRule>> listFwmarkRules();

  // `local 0.0.0.0/0 dev IFINDEX table TABLE`; EEXIST / ESRCH count as success.
  Status addLocalDefaultRoute(uint32_t table, int ifindex);
  Status deleteLocalDefaultRoute(uint32_t table, int ifindex);
  Result<std::vector<Ipv4Route>> listRoutes(uint32_t table);
  // `default dev IFINDEX table TABLE` (a link route, no gateway); EEXIST / ESRCH count as
  // success.
  Status addDefaultRouteVia(uint32_t table, int ifindex);
  Status deleteDefaultRouteVia(uint32_t table, int ifindex);
  // `ip link set IFINDEX up arp off`.
  Status setLinkUpNoArp(int ifindex);

 private:
  explicit RtNetlink(UniqueFd fd) : fd_(std::move(fd)) {}
  Status transact(void* message, std::string_view what, int benign_errno, int benign_errno2);
  Result<std::vector<char>> dump(uint16_t type, std::string_view what);

  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace vtps::proxy
