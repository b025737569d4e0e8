// The proxy engine: pinned workers, each an edge-triggered epoll loop with its own SO_REUSEPORT +
// IP_TRANSPARENT listener, that take the SSL tuples the kernel (nftables TPROXY) hands them,
// decide per session (decrypt / not decrypt / block / bypass), and relay. The cleartext
// inspection tuples (filters.cleartext-inspection) come the same way and are relayed in clear
// through the inspector. The control thread (vtpsd) owns the engine: it publishes immutable
// snapshots, reads counters and live sessions, and receives one record per closed SSL session
// through the EventSink.
//
// Threading: every public method is called from the control thread. Workers share nothing
// mutable with each other; the control thread talks to a worker through its command queue
// (eventfd-woken), never through locks on the per-connection path.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"

namespace vtps::crypto {
class Keystore;
}

namespace vtps::proxy {

class ExclusionStore;
struct MintServices;

// What the engine decided for a session (the SSL inspection log's "decision").
enum class Decision {
  kDecrypted,              // decrypted and handed to the inspector
  kDecryptedNotInspected,  // decrypted, but the service cannot be inspected (Other, HTTP/2)
  kNotDecrypted,           // spliced byte for byte (source exception, policy disabled, ...)
  kBypassed,               // over the concurrency threshold, spliced
  kBlocked,                // closed with an alert (and TCP reset when configured)
};
std::string_view toString(Decision d);

enum class Direction { kClientToServer, kServerToClient };

// The inspector's answer for a chunk of cleartext.
enum class Verdict { kPass, kBlock, kTrace };

// What an inspector knows about the session it inspects.
struct SessionContext {
  std::string profile;
  std::string policy;
  std::string proxy;
  config::DecryptedService service = config::DecryptedService::kOther;
  std::string client_address;  // "a.b.c.d"
  uint16_t client_port = 0;
  std::string server_address;
  uint16_t server_port = 0;
  std::string sni;
  // A plain TCP session of a cleartext inspection tuple (filters.cleartext-inspection): not TLS,
  // relayed in clear. `proxy` is then the tuple's name, `profile` its profile (may be empty).
  bool cleartext = false;
};

// Receives each direction's cleartext, in order, before it is re-encrypted. Called on the worker
// thread that owns the session; must not block.
class Inspector {
 public:
  virtual ~Inspector() = default;
  virtual Verdict inspect(Direction direction, std::span<const uint8_t> cleartext) = 0;
  // A reason for the block/trace verdict, logged with the session (e.g. "filter 1234").
  virtual std::string reason() const { return {}; }
  // The verdict before any cleartext: kBlock when the session was refused when it opened (a
  // 5-tuple filter), so the proxy closes it before relaying a byte.
  virtual Verdict openVerdict() const { return Verdict::kPass; }
  // After a kPass: how long to stop reading the session (a rate limit); zero to go on.
  virtual std::chrono::nanoseconds throttleDelay() const { return {}; }
  // After a kBlock: bytes to send the client before closing (an HTTP redirect), and whether
  // the deciding filter asks for TCP resets on both legs (else the proxy's tcp-reset decides).
  virtual std::string_view clientResponse() const { return {}; }
  virtual bool resetRequested() const { return false; }
};

// Creates one inspector per decrypted session, and per session of a cleartext inspection tuple
// (SessionContext::cleartext). Thread-safe: called from every worker.
class InspectorFactory {
 public:
  virtual ~InspectorFactory() = default;
  virtual std::unique_ptr<Inspector> create(const SessionContext& session) = 0;
  // The name of the inspection bypass rule that covers the session (empty: none). A bypassed
  // session is not decrypted at all: the proxy splices it.
  virtual std::string bypassRule(const SessionContext& session) const {
    (void)session;
    return {};
  }
};

// One SSL inspection log entry, produced when a session closes.
struct SessionRecord {
  int64_t start_unix_ms = 0;
  double duration_s = 0;
  SessionContext context;
  Decision decision = Decision::kNotDecrypted;
  std::string reason;  // why this decision ("source exception", "policy disabled", ...)
  std::string client_version, client_cipher;  // negotiated with the client (IANA names)
  std::string server_version, server_cipher;  // negotiated with the server
  bool server_resumed = false;  // the server leg resumed a kept session (no certificate sent)
  uint64_t bytes_client_to_server = 0;
  uint64_t bytes_server_to_client = 0;
  bool logging_enabled = false;  // the proxy's "logging" option
  // Telemetry: how long each TLS handshake took (seconds; < 0 when that leg completed none).
  double server_handshake_s = -1;
  double client_handshake_s = -1;
  // Telemetry: the first kMaxAlerts TLS alerts sent or received on either leg.
  struct Alert {
    bool client_leg = false;  // the leg to the client (else the leg to the server)
    bool sent = false;        // sent by the proxy (else received from the peer)
    uint8_t code = 0;         // AlertDescription (RFC 8446 6.2)
  };
  static constexpr size_t kMaxAlerts = 4;
  std::array<Alert, kMaxAlerts> alerts{};
  uint8_t alert_count = 0;
};

enum class FailedSide { kClient, kServer };
std::string_view toString(FailedSide side);  // "client", "server"

// One failed connection log entry: an SSL client policy session whose TLS handshake failed (or
// was refused for its server certificate) and that carried a domain (SNI). Failures of
// sessions without SNI are in the SSL log only, as the TPS keeps "IP only" failures out of its
// failed domain list.
struct FailedConnectionRecord {
  int64_t time_unix_ms = 0;
  SessionContext context;
  FailedSide side = FailedSide::kServer;  // the leg that failed
  std::string alert;                      // fatal alert the peer sent ("certificate_unknown")
  int alert_code = -1;                    // its code (46); -1 when no alert was received
  std::string verify_error;    // server certificate finding ("certificate has expired"), or empty
  std::string reason;          // as in the SSL log record of the same session
  bool auto_excluded = false;  // this failure added the domain to the automatic exclusions
};

// Where the engine reports what operators read: session records (SSL log), failed connections
// (failed connection log), system log lines. Called from worker threads; implementations hand
// off to the control thread (no blocking I/O).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void sessionClosed(const SessionRecord& record) = 0;
  virtual void failedConnection(const FailedConnectionRecord& record) = 0;
  virtual void systemLog(std::string_view severity, std::string message) = 0;
};

// Counter groups shown by `vtpsctl debug np stats show NAME`, summed over workers.
struct CounterGroup {
  std::string name;  // npSslInspStats | npSslInspProtocolStats | npTcpProxyStats
  std::vector<std::pair<std::string, uint64_t>> values;
};

// Load of one worker, for telemetry's busy ratio, and its liveness, for the proxy watchdog
// (appliance/daemon/proxy_watchdog.h).
struct WorkerLoad {
  int worker = 0;
  int core = 0;
  uint64_t busy_ns = 0;  // time spent handling events (not waiting in epoll_wait) since start
  // Steady-clock ms of the worker loop's last turn; the loop turns at least once a second, idle
  // or not, so an old heartbeat means a stuck worker.
  int64_t heartbeat_ms = 0;
  bool running = true;  // false once the worker thread has left its loop
};

// A live session, for `vtpsctl show tse ssl-inspection`.
struct LiveSession {
  SessionContext context;
  Decision decision = Decision::kNotDecrypted;
  std::string client_version, client_cipher;
  int64_t start_unix_ms = 0;
  uint64_t bytes_client_to_server = 0;
  uint64_t bytes_server_to_client = 0;
  int worker = 0;
};

struct EngineOptions {
  uint16_t listen_port = 0;  // TPROXY target, 127.0.0.1:listen_port (0: pick one)
  // Install nftables TPROXY + policy routing (tests may disable). The rules live in the network
  // namespace of the thread that calls create(); apply() and drainAndStop() must run there too.
  bool install_rules = true;
  uint32_t fwmark = 0x7670;  // policy-routing mark for TPROXY-ed traffic
  uint32_t route_table = 0x7670;
  std::string rules_table = "vtps";  // nftables table (family inet) holding the TPROXY rules
  uint32_t rule_priority = 100;      // preference of the fwmark ip rule
  int hello_timeout_ms = 10000;      // a complete ClientHello must arrive within this
  int handshake_timeout_ms = 30000;  // upstream connect + both TLS handshakes within this
  int command_timeout_ms = 2000;     // liveSessions()/clearSessions() wait this long per worker
  // SSL client inspection: the leaf key pool and the minted-leaf cache (created when a config
  // first has client policies; defaults as crypto/mint documents them), and how often the
  // domain exclusions state file is synced (new entries are written at once).
  struct Mint {
    size_t cache_capacity = 10'000;
    size_t cache_shards = 16;
    size_t ecdsa_keys_low = 64, ecdsa_keys_high = 256;
    size_t rsa_keys_low = 16, rsa_keys_high = 64;
  } mint;
  int exclusions_sync_ms = 2000;
  // The dpdk dataplane's exception ports (kernel interfaces, one per segment, in order). When
  // set, the TPROXY rules take the SSL tuples only as they arrive on these interfaces, each
  // with its own mark (fwmark + 1 + index, which accepted sockets inherit through
  // net.ipv4.tcp_fwmark_accept), and the upstream leg keeps the client's port and that mark
  // (transparent_listener.h, UpstreamBinding). Empty: the kernel dataplane.
  std::vector<std::string> exception_interfaces;
};

class ProxyEngine {
 public:
  virtual ~ProxyEngine() = default;

  // Builds the runtime (TLS contexts from the keystore), opens the listeners, installs the
  // TPROXY rules and starts one pinned worker per device.cores.proxy entry.
  static Result<std::unique_ptr<ProxyEngine>> create(const EngineOptions& options,
                                                     std::shared_ptr<const config::Config> config,
                                                     crypto::Keystore& keystore, EventSink& sink,
                                                     std::shared_ptr<InspectorFactory> inspectors);

  // Validates and builds the new runtime first; on success workers swap to it (new sessions use
  // it, live sessions keep theirs) and the TPROXY rules are replaced in one transaction. On
  // failure nothing changes.
  virtual Status apply(std::shared_ptr<const config::Config> config) = 0;
  virtual uint16_t listenPort() const = 0;
  virtual std::vector<CounterGroup> counters() const = 0;
  // Per-worker busy time. Reads only atomics (as counters() does), so the metrics server may
  // call both from its own thread while the engine lives.
  virtual std::vector<WorkerLoad> workerLoad() const { return {}; }
  // Makes every worker thread sleep `duration` at its next loop turn, without waiting for it
  // (`debug np proxy-stall`, a diagnostic for the watchdog's fallback); returns how many.
  virtual size_t stallWorkers(std::chrono::milliseconds duration) {
    (void)duration;
    return 0;
  }
  virtual std::vector<LiveSession> liveSessions() const = 0;
  // Closes every live SSL session (`debug np ssl-clear`); returns how many. Sessions of cleartext
  // inspection tuples are not SSL sessions: they stay open, as they stay out of liveSessions().
  virtual size_t clearSessions() = 0;
  // The SSL client domain exclusions, for listing and editing from the control thread; null
  // until a config with SSL client policies has been applied.
  virtual std::shared_ptr<ExclusionStore> exclusionStore() const = 0;
  // The leaf key pool, minter and cache of SSL client inspection; null until a config with SSL
  // client policies has been applied. Safe from any thread (the metrics server reads it).
  virtual std::shared_ptr<const MintServices> mintServices() const { return nullptr; }
  // Stops accepting, lets live sessions finish for up to `grace_s`, then closes them, removes
  // the rules and joins the workers.
  virtual void drainAndStop(double grace_s) = 0;
};

}  // namespace vtps::proxy
