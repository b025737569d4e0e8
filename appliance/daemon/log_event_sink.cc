#include "appliance/daemon/log_event_sink.h"

#include "appliance/telemetry/log_entries.h"

namespace vtps::daemon {

void LogEventSink::sessionClosed(const proxy::SessionRecord& record) {
  if (!record.logging_enabled) return;
  log_.post(telemetry::LogFile::kSsl, telemetry::sslLogEntry(record));
}

void LogEventSink::systemLog(std::string_view severity, std::string message) {
  log_.post(telemetry::LogFile::kSystem,
            telemetry::systemLogEntry(severity, "ssl-inspection", std::move(message)));
}

}  // namespace vtps::daemon
