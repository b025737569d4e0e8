// The entries of ssl.log and system.log, as JSON objects (the schema is docs/logs.md).
#pragma once

#include <string>
#include <string_view>

#include "appliance/telemetry/json_log.h"
#include "dataplane/proxy/proxy_engine.h"

namespace vtps::telemetry {

// The SSL inspection log's spelling of a decision: "Decrypted", "Decrypted but not inspected",
// "Not decrypted", "Bypassed", "Blocked".
std::string_view decisionText(proxy::Decision decision);

// One ssl.log line for a closed session.
Json sslLogEntry(const proxy::SessionRecord& record);

// One system.log line. `severity`: info | warning | error | critical; `event` names what
// happened (start, stop, reload, reload-failed, apply, apply-failed, proxy, ...).
Json systemLogEntry(std::string_view severity, std::string_view event, std::string message);

}  // namespace vtps::telemetry
