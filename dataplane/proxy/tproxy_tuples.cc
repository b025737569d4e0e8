#include "dataplane/proxy/tproxy_tuples.h"

namespace vtps::proxy {

std::vector<TproxyTuple> tproxyTuplesOf(const config::Config& config, uint16_t port,
                                        uint32_t mark) {
  std::vector<TproxyTuple> tuples;
  if (config.device.ssl_inspection.server) {
    for (const config::ServerProxy& proxy : config.server_proxies) {
      for (const config::Cidr4& destination : proxy.destinations) {
        for (const config::PortRange& ports : proxy.detection_ports) {
          tuples.push_back(TproxyTuple{
              destination.address, destination.prefix, ports.first, ports.last, port, mark, {}});
        }
      }
    }
  }
  // Cleartext inspection tuples, whatever the SSL settings (validation keeps them apart from the
  // SSL tuples; the session tells them apart by destination).
  for (const config::CleartextTuple& t : config.filters.cleartext_inspection) {
    for (const config::Cidr4& destination : t.destinations) {
      for (const config::PortRange& ports : t.ports) {
        tuples.push_back(TproxyTuple{
            destination.address, destination.prefix, ports.first, ports.last, port, mark, {}});
      }
    }
  }
  if (!config.device.ssl_inspection.client) return tuples;
  // Client proxies take their detection ports to any destination; only proxies that a client
  // policy uses divert traffic.
  for (const config::ClientProxy& proxy : config.client_proxies) {
    bool used = false;
    for (const config::Profile& profile : config.profiles) {
      for (const config::SslClientPolicy& policy : profile.ssl_client_policies)
        used = used || policy.client_proxy == proxy.name;
    }
    if (!used) continue;
    for (const config::PortRange& ports : proxy.detection_ports) {
      tuples.push_back(TproxyTuple{0, 0, ports.first, ports.last, port, mark, {}});
    }
  }
  return tuples;
}

}  // namespace vtps::proxy
