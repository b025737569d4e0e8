// The tuples the kernel dataplane hands to the proxy: the SSL tuples (server proxy destinations
// × detection ports, client proxy detection ports to any destination) and the cleartext
// inspection tuples (filters.cleartext-inspection). Built from a config as plain TproxyTuples,
// so the rule text (tproxy_rules.h) stays independent of the config structs.
#pragma once

#include <cstdint>
#include <vector>

#include "appliance/config/config.h"
#include "dataplane/proxy/tproxy_rules.h"

namespace vtps::proxy {

// Every tuple of `config`, each sent to 127.0.0.1:`port` with `mark`: server proxies' (when SSL
// server inspection is on), cleartext inspection tuples' (always), then the detection ports of
// the client proxies a client policy uses (when SSL client inspection is on).
std::vector<TproxyTuple> tproxyTuplesOf(const config::Config& config, uint16_t port, uint32_t mark);

}  // namespace vtps::proxy
