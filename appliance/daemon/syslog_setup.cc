#include "appliance/daemon/syslog_setup.h"

#include <openssl/ssl.h>
#include <unistd.h>

#include <array>
#include <utility>

namespace vtps::daemon {
namespace {

int facilityCode(const std::string& name) {
  static const std::array<std::pair<const char*, int>, 12> kCodes{{{"user", 1},
                                                                   {"daemon", 3},
                                                                   {"auth", 4},
                                                                   {"authpriv", 10},
                                                                   {"local0", 16},
                                                                   {"local1", 17},
                                                                   {"local2", 18},
                                                                   {"local3", 19},
                                                                   {"local4", 20},
                                                                   {"local5", 21},
                                                                   {"local6", 22},
                                                                   {"local7", 23}}};
  for (const auto& [n, code] : kCodes) {
    if (name == n) return code;
  }
  return 16;  // validation allows only the names above
}

telemetry::LogFile logFile(const std::string& name) {
  using telemetry::LogFile;
  if (name == "ssl") return LogFile::kSsl;
  if (name == "failed") return LogFile::kFailed;
  if (name == "block") return LogFile::kBlock;
  if (name == "alert") return LogFile::kAlert;
  if (name == "audit") return LogFile::kAudit;
  return LogFile::kSystem;
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "-";
  return buf;
}

}  // namespace

Result<std::unique_ptr<telemetry::SyslogForwarder>> startSyslog(const config::Device& device,
                                                                const crypto::Keystore& keystore) {
  if (device.syslog.empty()) return std::unique_ptr<telemetry::SyslogForwarder>();
  std::vector<telemetry::SyslogCollector> collectors;
  for (const config::SyslogTarget& t : device.syslog) {
    telemetry::SyslogCollector c;
    auto colon = t.address.rfind(':');
    c.host = t.address.substr(0, colon);
    if (c.host.size() > 2 && c.host.front() == '[' && c.host.back() == ']')
      c.host = c.host.substr(1, c.host.size() - 2);
    c.port = static_cast<uint16_t>(std::stoi(t.address.substr(colon + 1)));
    c.transport =
        t.transport == "tcp" ? telemetry::SyslogTransport::kTcp : telemetry::SyslogTransport::kTls;
    c.server_name = t.server_name;
    c.min_tls_version = t.min_tls == config::TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    c.facility = facilityCode(t.facility);
    for (const std::string& log : t.logs)
      c.logs.push_back(logFile(log));
    if (c.transport == telemetry::SyslogTransport::kTls) {
      Result<std::vector<crypto::Certificate>> cas = keystore.caCertificates(t.ca_certificate);
      if (!cas.ok()) {
        return makeError("syslog " + t.address + ": ca-certificate " + t.ca_certificate + ": " +
                         cas.message());
      }
      for (const crypto::Certificate& ca : *cas)
        c.ca_pem += ca.toPem();
    }
    collectors.push_back(std::move(c));
  }
  return telemetry::SyslogForwarder::start(std::move(collectors), hostName());
}

}  // namespace vtps::daemon
