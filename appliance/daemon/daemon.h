// vtpsd's control thread: owns the running config, the keystore, the logs, the proxy engine and
// the control socket, and runs the loop that serves the control socket and the signals
// (signalfd): SIGHUP reloads the config file, SIGTERM/SIGINT drain and stop.
//
// A new config (SIGHUP, control "reload" or "apply") is validated first — schema, keystore
// references — and then handed to the engine, which builds it completely before switching; on
// any failure the running config stays and system.log says why.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/config/loader.h"
#include "appliance/daemon/crypto_setup.h"
#include "appliance/mgmt/control_server.h"
#include "crypto/result.h"

namespace vtps::daemon {

struct DaemonOptions {
  std::string config_path;
  std::string pid_file;        // empty: no pid file
  double drain_grace_s = 5.0;  // how long SIGTERM lets live sessions finish
  // What setupProcessCrypto() chose before the daemon was created (vtpsd's main does it first,
  // before anything draws random numbers); unset in tests that build a Daemon directly.
  std::optional<CryptoState> crypto;
};

// Blocks SIGHUP, SIGTERM and SIGINT in the calling thread and ignores SIGPIPE. Call it before
// any thread starts: threads inherit the mask, so only the control loop's signalfd sees them.
Status blockControlSignals();

// The outcome of validating and applying a config.
struct ApplyOutcome {
  bool applied = false;
  std::string error;                            // why not, when !applied
  std::vector<config::Diagnostic> diagnostics;  // every schema/reference problem found
  std::vector<std::string> warnings;            // applied, but something needs a restart
};

class Daemon {
 public:
  // Opens the keystore (device.keystore) and checks that it holds every certificate the config
  // names, opens the logs (device.log-dir), starts the proxy engine and creates the control
  // socket. `config` is already loaded and validated. Errors name the step that failed. Keys
  // missing with persist-private-keys off do not stop the start: the engine runs without the
  // proxies that need them until they are supplied (keystore_check.h, KeyWait).
  static Result<std::unique_ptr<Daemon>> create(DaemonOptions options,
                                                std::shared_ptr<const config::Config> config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Tells systemd it is ready, serves until SIGTERM or SIGINT, drains, and returns the
  // process's exit code (0 after a clean drain).
  int run();

  // One control request (control_methods.cc); never throws past the ControlServer.
  mgmt::Json handleRequest(const mgmt::Json& request);

  class Parts;

 private:
  explicit Daemon(DaemonOptions options);

  Status start(std::shared_ptr<const config::Config> config);
  Status openControlLoop(const std::string& socket_path);
  // Validates (keystore references included) and applies; logs the outcome to system.log.
  ApplyOutcome applyLoaded(config::LoadResult loaded, const std::string& source,
                           const std::string& event);
  ApplyOutcome reloadFromFile();
  std::vector<std::string> restartOnlyChanges(const config::Config& next) const;
  void handleSignals();
  // dpdk with exception ports: judges the proxy workers' heartbeats, sets proxy_available and
  // logs each change with what `fallback` (the mode the lcores started with) does meanwhile.
  void checkProxyWatchdog(config::DataplaneFallback fallback);
  void logCryptoChoices();
  void systemLog(std::string_view severity, std::string_view event, std::string message);
  // "waiting for keys: …; … supply each with vtpsctl cert supply-key …" (persist-private-keys off).
  std::string keyWaitMessage() const;

  mgmt::Json statusResponse() const;
  mgmt::Json countersResponse(const mgmt::Json& request) const;
  mgmt::Json sessionsResponse() const;
  mgmt::Json clearSessionsResponse(const mgmt::Json& request);
  mgmt::Json proxyStallResponse(const mgmt::Json& request);
  mgmt::Json cryptoResponse() const;
  mgmt::Json traceResponse(const mgmt::Json& request);
  mgmt::Json applyResponse(const mgmt::Json& request);
  static mgmt::Json outcomeResponse(const ApplyOutcome& outcome, const std::string& source);

  // Management (mgmt_methods.cc): the config lifecycle (text, history, rollback), keystore
  // methods for the REST API, the audit log and the REST server itself.
  ApplyOutcome applyText(const std::string& yaml, const std::string& source,
                         const std::string& event, const std::string& actor);
  // The answer to a management method, or null when `method` is not one.
  mgmt::Json managementResponse(const std::string& method, const mgmt::Json& request);
  mgmt::Json keystoreResponse(const std::string& method, const mgmt::Json& request);
  mgmt::Json importResponse(const std::string& method, const std::string& name,
                            const mgmt::Json& request);
  mgmt::Json exportResponse(const std::string& name, const mgmt::Json& request);
  // The running config applied again (after keys were supplied or a used certificate replaced).
  ApplyOutcome reapplyRunning(const std::string& event, const std::string& actor);
  // cert-supply-key: hands vtpsd a key (persist-private-keys off) and, once the running config
  // waits for no key any more, applies it whole (mgmt_methods.cc).
  mgmt::Json supplyKeyResponse(const mgmt::Json& request);
  Status startManagement(const config::Config& config);
  void audit(const std::string& actor, const std::string& action, const std::string& object,
             const std::string& before, const std::string& after, const std::string& error);

  DaemonOptions options_;
  std::unique_ptr<Parts> parts_;
  std::shared_ptr<const config::Config> config_;
  std::string config_source_;
  int64_t config_loaded_ms_ = 0;
  int64_t started_ms_ = 0;
  uint64_t reloads_ok_ = 0;
  uint64_t reloads_failed_ = 0;
  bool stop_requested_ = false;
  bool pid_file_written_ = false;
};

}  // namespace vtps::daemon
