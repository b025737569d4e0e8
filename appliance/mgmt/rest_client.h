// The client side of the REST API for `vtpsctl --remote URL --token-file F`: sends a control
// method's request to the matching REST route and returns the JSON answer, {"error": …}
// included, so that commands treat local and remote answers alike.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "crypto/result.h"

namespace vtps::mgmt {

struct RemoteOptions {
  std::string url;      // "https://HOST:PORT"
  std::string token;    // API token (vtpsctl token create)
  std::string ca_file;  // trust this CA (or self-signed certificate); empty: the system's CAs
};

// Methods with a route: status, sessions, counters, apply, config-export, config-history,
// config-version, rollback, cert-list, ca-list, and the keystore changes cert-new-signing,
// cert-csr-new, cert-csr-export, cert-import, cert-replace, cert-export, cert-delete,
// cert-refresh, cert-supply-key. Others are refused without a request. Transport
// and TLS failures are Errors naming the URL; HTTP refusals come back as {"error": …}.
Result<nlohmann::ordered_json> callRemote(const RemoteOptions& remote,
                                          const nlohmann::ordered_json& request);

}  // namespace vtps::mgmt
