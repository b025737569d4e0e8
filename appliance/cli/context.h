// What every vtpsctl command group shares: the global options and how to resolve the keystore
// and config from them. Command groups live in their own files and register themselves with
// add*Commands(); main.cc only wires them together.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"

namespace vtps::cli {

// Exit codes of the invocation contract (DESIGN.md): 0 success, 1 refused, 2 usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;

inline constexpr const char* kDefaultConfigPath = "/etc/vtps/vtps.yaml";

struct Context {
  std::string config_path;  // --config; empty: the default path, if it exists
  std::string socket_path;  // --socket
  std::string store_dir;    // --store; overrides device.keystore
  std::string remote_url;   // --remote: a remote appliance's REST API instead of the socket
  std::string token_file;   // --token-file: the API token for --remote
  std::string remote_ca;    // --remote-ca: certificate to trust for --remote
  // Set by the selected subcommand's callback; main() returns it.
  int exit_code = kExitOk;

  // The config file in force: --config, else /etc/vtps/vtps.yaml when it exists, else empty.
  std::string configPath() const;
  // Loads and validates the config in force; an absent default config yields a default Config
  // (so offline keystore commands work on a fresh machine).
  Result<std::shared_ptr<const config::Config>> loadConfig() const;
  // Keystore directory: --store, else device.keystore of the config in force, else the default.
  Result<std::string> storeDir() const;
  // Whether private keys may be written to disk (device.ssl-inspection.persist-private-keys).
  Result<bool> persistPrivateKeys() const;

  // Prints "vtpsctl: MESSAGE" on stderr and records exit code 1.
  void refuse(const std::string& message);
};

// Runs `body` and turns a failed Status into a refusal (message on stderr, exit 1).
void runCommand(Context& ctx, const std::function<Status()>& body);

void addCertCommands(CLI::App& app, Context& ctx);        // cert …, ca …   (cert_commands.cc)
void addConfigCommands(CLI::App& app, Context& ctx);      // config …        (config_commands.cc)
void addTrustStoreCommands(CLI::App& app, Context& ctx);  // truststore … (truststore_commands.cc)
void addDaemonCommands(CLI::App& app, Context& ctx);      // status, show, debug, config apply
void addExclusionCommands(CLI::App& app, Context& ctx);  // exclusions …    (exclusion_commands.cc)
void addDeployCommands(CLI::App& app, Context& ctx);     // deploy …        (deploy_commands.cc)
// config export|history|rollback, display conf running, user|role|group|token … (mgmt_commands.cc)
void addManagementCommands(CLI::App& app, Context& ctx);
void addFilterCommands(CLI::App& app, Context& ctx);     // show filters [top] (filter_commands.cc)
void addDataplaneCommands(CLI::App& app, Context& ctx);  // show dataplane (dataplane_commands.cc)
void addLogCommands(CLI::App& app, Context& ctx);        // logs LOG …      (log_commands.cc)
// cert supply-key, under `cert`: a key handed to the running vtpsd (cert_supply_key.cc)
void addCertSupplyKey(CLI::App* cert, Context& ctx);

// Prints rows as left-aligned columns, each padded to its widest cell, two spaces apart.
void printTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace vtps::cli
