// RFC 5424 syslog forwarding of the JSON logs (device.syslog): each entry the logging thread
// writes to a file is also offered here, formatted as one RFC 5424 message whose MSG is the JSON
// line, and sent over TCP or TLS (RFC 5425 octet-counting framing) by a thread per collector.
// TLS needs at least TLS 1.2 (configurable upwards) and verifies the collector's certificate
// against a keystore CA and the collector's name. Offering never blocks: each collector has a
// bounded queue, and what does not fit, or is queued while the collector is unreachable beyond
// the queue, is dropped and counted. Connections are retried with a capped backoff.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/telemetry/json_log.h"
#include "crypto/result.h"

namespace vtps::telemetry {

enum class SyslogTransport { kTcp, kTls };

struct SyslogCollector {
  std::string host;  // name or IPv4 address
  uint16_t port = 6514;
  SyslogTransport transport = SyslogTransport::kTls;
  std::string ca_pem;       // tls: PEM certificates that verify the collector
  std::string server_name;  // tls: the name the certificate must carry (default: host)
  int min_tls_version = 0;  // tls: OpenSSL's TLS1_2_VERSION etc.; 0 means TLS 1.2
  int facility = 16;        // local0
  std::vector<LogFile> logs;
  size_t queue_capacity = 4096;  // messages
};

struct SyslogStats {
  std::string collector;  // "host:port"
  bool connected = false;
  uint64_t sent = 0;
  uint64_t dropped = 0;
  uint64_t connect_failures = 0;
  std::string last_error;
};

// One RFC 5424 message: <PRI>1 TIMESTAMP HOST vtpsd PROCID MSGID - MSG, with MSGID the log's
// name ("ssl", "block", ...) and the severity taken from the entry's "severity" field (system
// and audit logs) or fixed per log (block: warning, alert: notice, failed: warning, else info).
std::string formatSyslogMessage(int facility, LogFile file, const Json& entry,
                                std::string_view json_line, std::string_view hostname, int pid);

class SyslogForwarder {
 public:
  // Starts one sender thread per collector. Nothing is connected yet: connection failures are
  // counted and logged, never fatal, so a collector that is down does not stop vtpsd.
  static Result<std::unique_ptr<SyslogForwarder>> start(std::vector<SyslogCollector> collectors,
                                                        std::string hostname);
  ~SyslogForwarder();
  SyslogForwarder(const SyslogForwarder&) = delete;
  SyslogForwarder& operator=(const SyslogForwarder&) = delete;

  // Called on the logging thread for every entry written; queues it for the collectors that
  // take this log.
  void offer(LogFile file, const Json& entry, std::string_view json_line);
  // Waits up to `timeout_ms` until every queued message was sent or dropped.
  bool drain(int timeout_ms);
  std::vector<SyslogStats> stats() const;

  class Sender;

 private:
  SyslogForwarder() = default;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::string hostname_;
  int pid_ = 0;
};

}  // namespace vtps::telemetry
