// The audit.log line of a change vtpsctl makes itself, without vtpsd (users, roles, groups and
// tokens; keystore certificates and CAs): the format vtpsd writes (docs/management.md, "Audit
// log"), in the config's device.log-dir, with the actor "root via vtpsctl".
#pragma once

#include <string>

#include "appliance/cli/context.h"

namespace vtps::cli {

// `error` empty: "result": "ok"; else "refused" with the error. A log that cannot be opened is
// reported on stderr as a warning; the change itself stands.
void auditOffline(const Context& ctx, const std::string& action, const std::string& object,
                  const std::string& before, const std::string& after,
                  const std::string& error = {});

}  // namespace vtps::cli
