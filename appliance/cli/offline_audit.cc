#include "appliance/cli/offline_audit.h"

#include <iostream>

#include "appliance/telemetry/json_log.h"

namespace vtps::cli {

void auditOffline(const Context& ctx, const std::string& action, const std::string& object,
                  const std::string& before, const std::string& after, const std::string& error) {
  auto cfg = ctx.loadConfig();
  if (!cfg.ok()) return;
  auto log = telemetry::JsonLog::open((*cfg)->device.log_dir, {});
  if (!log.ok()) {
    std::cerr << "vtpsctl: warning: audit log not written: " << log.message() << '\n';
    return;
  }
  telemetry::Json entry{{"time", telemetry::rfc3339Utc(telemetry::nowUnixMs())},
                        {"actor", "root via vtpsctl"},
                        {"action", action},
                        {"object", object},
                        {"sha256_before", before},
                        {"sha256_after", after},
                        {"result", error.empty() ? "ok" : "refused"}};
  if (!error.empty()) entry["error"] = error;
  (*log)->post(telemetry::LogFile::kAudit, std::move(entry));
}

}  // namespace vtps::cli
