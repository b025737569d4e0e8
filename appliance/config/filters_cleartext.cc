// filters.cleartext-inspection[]: the plain TCP tuples the kernel dataplane's proxy inspects in
// clear. A connection must be either an SSL tuple or a cleartext tuple: the proxy decides which
// by the destination alone, so an overlap would make one of the two configurations silently lose.
#include <algorithm>
#include <string>
#include <vector>

#include "appliance/config/filters_schema.h"

namespace vtps::config::detail {
namespace {

bool cidrsOverlap(const Cidr4& a, const Cidr4& b) {
  // The shorter prefix decides: the two overlap when it covers the other's network address.
  return a.prefix <= b.prefix ? a.contains(b.address) : b.contains(a.address);
}

// One SSL detection tuple: a destination network (nullptr: any destination, client proxies)
// and a port range, with the proxy that owns it for the message.
struct SslTuple {
  const Cidr4* destination = nullptr;
  const PortRange* ports = nullptr;
  std::string owner;  // "server proxy \"web\" (ssl.server-proxies[0])"
};

std::vector<SslTuple> sslTuples(const Config& c) {
  std::vector<SslTuple> out;
  for (std::size_t i = 0; i < c.server_proxies.size(); ++i) {
    const ServerProxy& p = c.server_proxies[i];
    std::string owner =
        "server proxy " + quote(p.name) + " (" + indexed("ssl.server-proxies", i) + ")";
    for (const Cidr4& d : p.destinations) {
      for (const PortRange& r : p.detection_ports)
        out.push_back(SslTuple{&d, &r, owner});
    }
  }
  for (std::size_t i = 0; i < c.client_proxies.size(); ++i) {
    const ClientProxy& p = c.client_proxies[i];
    std::string owner =
        "client proxy " + quote(p.name) + " (" + indexed("ssl.client-proxies", i) + ")";
    for (const PortRange& r : p.detection_ports)
      out.push_back(SslTuple{nullptr, &r, owner});
  }
  return out;
}

// Reports the first overlap of `t` with each SSL proxy (one error per proxy, at the port entry).
void checkOverlaps(Validator& v, const CleartextTuple& t, const std::string& path,
                   const std::vector<SslTuple>& ssl) {
  std::vector<std::string> reported;
  for (std::size_t j = 0; j < t.ports.size(); ++j) {
    for (const Cidr4& d : t.destinations) {
      for (const SslTuple& s : ssl) {
        if (!t.ports[j].overlaps(*s.ports)) continue;
        if (s.destination != nullptr && !cidrsOverlap(d, *s.destination)) continue;
        if (std::find(reported.begin(), reported.end(), s.owner) != reported.end()) continue;
        reported.push_back(s.owner);
        std::string theirs = s.destination != nullptr ? s.destination->str() : "any destination";
        v.itemError(t.marks, path, "ports", j,
                    "cleartext tuple " + d.str() + " port " + t.ports[j].str() +
                        " overlaps the SSL detection tuple of " + s.owner + ": " + theirs +
                        " port " + s.ports->str() +
                        "; a tuple is inspected either in clear or as SSL, not both");
      }
    }
  }
}

}  // namespace

void validateCleartextTuples(Validator& v) {
  const Config& c = v.config();
  const std::vector<CleartextTuple>& tuples = c.filters.cleartext_inspection;
  if (tuples.empty()) return;
  const std::vector<SslTuple> ssl = sslTuples(c);
  for (std::size_t i = 0; i < tuples.size(); ++i) {
    const CleartextTuple& t = tuples[i];
    const std::string path = indexed("filters.cleartext-inspection", i);
    v.name(t.marks, path, t.name, "cleartext inspection tuple", kMaxObjectNameLength);
    if (t.destinations.empty()) {
      v.error(t.marks, path, "destinations",
              "at least one destination is required (0.0.0.0/0 for any)");
    }
    if (t.ports.empty()) v.error(t.marks, path, "ports", "at least one port is required");
    v.reference(t.marks, path, "profile", t.profile, c.profiles, "profile", false);
    if (c.device.dataplane == Dataplane::kDpdk) {
      v.error(t.marks, path, "name",
              "cleartext inspection tuples are for the kernel dataplane; device.dataplane is "
              "dpdk, which filters every flow it forwards");
    }
    checkOverlaps(v, t, path, ssl);
  }
  v.uniqueNames(tuples, "filters.cleartext-inspection", "cleartext inspection tuple");
}

}  // namespace vtps::config::detail
