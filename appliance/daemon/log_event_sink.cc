#include "appliance/daemon/log_event_sink.h"

#include "appliance/telemetry/log_entries.h"

namespace vtps::daemon {

void LogEventSink::sessionClosed(const proxy::SessionRecord& record) {
  if (!record.logging_enabled) return;
  log_.post(telemetry::LogFile::kSsl, telemetry::sslLogEntry(record));
}

telemetry::Json failedLogEntry(const proxy::FailedConnectionRecord& record) {
  const proxy::SessionContext& c = record.context;
  telemetry::Json j;
  j["time"] = telemetry::rfc3339Utc(record.time_unix_ms);
  j["domain"] = c.sni;
  j["side"] = std::string(proxy::toString(record.side));
  j["alert"] = record.alert;
  if (record.alert_code >= 0) {
    j["alert_code"] = record.alert_code;
  } else {
    j["alert_code"] = nullptr;
  }
  j["verify_error"] = record.verify_error;
  j["reason"] = record.reason;
  j["auto_excluded"] = record.auto_excluded;
  j["profile"] = c.profile;
  j["policy"] = c.policy;
  j["proxy"] = c.proxy;
  j["client_address"] = c.client_address;
  j["client_port"] = c.client_port;
  j["server_address"] = c.server_address;
  j["server_port"] = c.server_port;
  return j;
}

void LogEventSink::failedConnection(const proxy::FailedConnectionRecord& record) {
  log_.post(telemetry::LogFile::kFailed, failedLogEntry(record));
}

void LogEventSink::systemLog(std::string_view severity, std::string message) {
  log_.post(telemetry::LogFile::kSystem,
            telemetry::systemLogEntry(severity, "ssl-inspection", std::move(message)));
}

}  // namespace vtps::daemon
