// How vtpsctl reaches vtpsd: over the control socket (--socket, else device.control-socket), or
// with --remote URL through the REST API (--token-file, --remote-ca). Commands use these so that
// every read command and `config apply` work both ways.
#pragma once

#include "appliance/cli/context.h"
#include "appliance/mgmt/control_client.h"

namespace vtps::cli {

// The daemon's answer to one control request as it came, {"error": …} included.
Result<mgmt::Json> callDaemon(const Context& ctx, const mgmt::Json& request);
// callDaemon with {"error"} turned into an Error; the answer's diagnostics are printed on stderr
// first, one per line.
Result<mgmt::Json> askDaemon(const Context& ctx, const mgmt::Json& request);

}  // namespace vtps::cli
