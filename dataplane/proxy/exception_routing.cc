#include "dataplane/proxy/exception_routing.h"

#include <fmt/format.h>
#include <net/if.h>

#include <fstream>
#include <sstream>

#include "dataplane/proxy/rtnetlink.h"

namespace vtps::proxy {
namespace {

const char kRpFilterAll[] = "/proc/sys/net/ipv4/conf/all/rp_filter";
const char kFwmarkAccept[] = "/proc/sys/net/ipv4/tcp_fwmark_accept";
const char kTwReuse[] = "/proc/sys/net/ipv4/tcp_tw_reuse";

std::string readSysctl(const std::string& path) {
  std::ifstream in(path);
  std::string value;
  in >> value;
  return value;
}

Status writeSysctl(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value << "\n";
  out.flush();
  if (!out) return makeError(fmt::format("write {} to {}", value, path));
  return {};
}

FwmarkRule ruleOf(const ExceptionRoute& r, uint32_t priority) {
  return FwmarkRule{r.mark, 0xffffffff, r.table, priority, "lo"};
}

}  // namespace

Result<ExceptionRouting> ExceptionRouting::install(std::vector<ExceptionRoute> routes,
                                                   uint32_t priority) {
  ExceptionRouting routing(std::move(routes), priority);
  if (Status st = routing.apply(); !st) {
    (void)routing.remove();
    return makeError("set up the dpdk exception ports: " + st.message());
  }
  return routing;
}

Status ExceptionRouting::apply() {
  auto nl = RtNetlink::open();
  if (!nl) return nl.error();
  saved_rp_filter_all_ = readSysctl(kRpFilterAll);
  saved_fwmark_accept_ = readSysctl(kFwmarkAccept);
  saved_tw_reuse_ = readSysctl(kTwReuse);
  installed_ = true;
  VTPS_RETURN_IF_ERROR(writeSysctl(kRpFilterAll, "0"));
  VTPS_RETURN_IF_ERROR(writeSysctl(kFwmarkAccept, "1"));
  // The upstream legs bind the clients' ports: a client that reuses a port whose previous
  // upstream leg is in TIME_WAIT here must still get through.
  VTPS_RETURN_IF_ERROR(writeSysctl(kTwReuse, "1"));
  for (const ExceptionRoute& r : routes_) {
    unsigned index = if_nametoindex(r.interface.c_str());
    if (index == 0) return makeError(fmt::format("interface {} does not exist", r.interface));
    ifindexes_.push_back(static_cast<int>(index));
    const std::string conf = "/proc/sys/net/ipv4/conf/" + r.interface + "/rp_filter";
    VTPS_RETURN_IF_ERROR(writeSysctl(conf, "0"));
    // Best effort: a kernel without IPv6 has no such file, and nothing needs it then.
    (void)writeSysctl("/proc/sys/net/ipv6/conf/" + r.interface + "/disable_ipv6", "1");
    VTPS_RETURN_IF_ERROR(nl->setLinkUpNoArp(static_cast<int>(index)));
    VTPS_RETURN_IF_ERROR(nl->addDefaultRouteVia(r.table, static_cast<int>(index)));
    VTPS_RETURN_IF_ERROR(nl->addRule(ruleOf(r, priority_)));
  }
  return {};
}

Status ExceptionRouting::remove() {
  if (!installed_) return {};
  auto nl = RtNetlink::open();
  if (!nl) return nl.error();
  Status result;
  auto keep = [&result](Status st) {
    if (!st && result) result = std::move(st);
  };
  for (size_t i = 0; i < routes_.size(); ++i) {
    keep(nl->deleteRule(ruleOf(routes_[i], priority_)));
    if (i < ifindexes_.size()) keep(nl->deleteDefaultRouteVia(routes_[i].table, ifindexes_[i]));
  }
  if (!saved_rp_filter_all_.empty()) keep(writeSysctl(kRpFilterAll, saved_rp_filter_all_));
  if (!saved_fwmark_accept_.empty()) keep(writeSysctl(kFwmarkAccept, saved_fwmark_accept_));
  if (!saved_tw_reuse_.empty()) keep(writeSysctl(kTwReuse, saved_tw_reuse_));
  installed_ = false;
  return result;
}

std::string ExceptionRouting::describe() const {
  std::ostringstream out;
  out << "exception ports:";
  for (const ExceptionRoute& r : routes_) {
    out << fmt::format(" {} (mark {:#x}, table {:#x})", r.interface, r.mark, r.table);
  }
  out << "; net.ipv4.tcp_fwmark_accept=1, tcp_tw_reuse=1, rp_filter off";
  return out.str();
}

}  // namespace vtps::proxy
