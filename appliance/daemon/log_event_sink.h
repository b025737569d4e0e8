// The engine's EventSink in vtpsd: session records become ssl.log lines (when the proxy's
// logging option is on), failed client policy handshakes with a domain failed.log lines (always,
// as the TPS captures every failed domain), and engine messages system.log lines. All only queue
// into the JsonLog (never block a worker); the logging thread writes.
#pragma once

#include <string>
#include <string_view>

#include "appliance/telemetry/json_log.h"
#include "dataplane/proxy/proxy_engine.h"

namespace vtps::daemon {

// One failed.log line (schema in docs/client-inspection.md).
telemetry::Json failedLogEntry(const proxy::FailedConnectionRecord& record);

class LogEventSink : public proxy::EventSink {
 public:
  explicit LogEventSink(telemetry::JsonLog& log) : log_(log) {}
  void sessionClosed(const proxy::SessionRecord& record) override;
  void failedConnection(const proxy::FailedConnectionRecord& record) override;
  void systemLog(std::string_view severity, std::string message) override;

 private:
  telemetry::JsonLog& log_;
};

}  // namespace vtps::daemon
