#include "appliance/telemetry/log_entries.h"

#include <cmath>

namespace vtps::telemetry {

std::string_view decisionText(proxy::Decision decision) {
  switch (decision) {
    case proxy::Decision::kDecrypted:
      return "Decrypted";
    case proxy::Decision::kDecryptedNotInspected:
      return "Decrypted but not inspected";
    case proxy::Decision::kNotDecrypted:
      return "Not decrypted";
    case proxy::Decision::kBypassed:
      return "Bypassed";
    case proxy::Decision::kBlocked:
      return "Blocked";
  }
  return "Unknown";
}

Json sslLogEntry(const proxy::SessionRecord& record) {
  const auto& c = record.context;
  Json j;
  j["time"] = rfc3339Utc(record.start_unix_ms);
  j["profile"] = c.profile;
  j["policy"] = c.policy;
  j["proxy"] = c.proxy;
  j["service"] = std::string(config::toString(c.service));
  j["client_address"] = c.client_address;
  j["client_port"] = c.client_port;
  j["server_address"] = c.server_address;
  j["server_port"] = c.server_port;
  j["sni"] = c.sni;
  j["client_version"] = record.client_version;
  j["client_cipher"] = record.client_cipher;
  j["server_version"] = record.server_version;
  j["server_cipher"] = record.server_cipher;
  j["server_resumed"] = record.server_resumed;
  j["decision"] = std::string(decisionText(record.decision));
  j["reason"] = record.reason;
  j["bytes_client_to_server"] = record.bytes_client_to_server;
  j["bytes_server_to_client"] = record.bytes_server_to_client;
  // Milliseconds are what an operator can act on; more digits are noise in a log.
  j["duration_s"] = std::round(record.duration_s * 1000.0) / 1000.0;
  return j;
}

Json systemLogEntry(std::string_view severity, std::string_view event, std::string message) {
  Json j;
  j["time"] = rfc3339Utc(nowUnixMs());
  j["severity"] = std::string(severity);
  j["event"] = std::string(event);
  j["message"] = std::move(message);
  return j;
}

}  // namespace vtps::telemetry
