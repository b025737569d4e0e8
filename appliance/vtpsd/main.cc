// vtpsd: the appliance daemon. `vtpsd --config FILE` runs in the foreground (systemd Type=notify
// or simple); SIGHUP reloads FILE, SIGTERM drains live sessions and exits 0. A config that does
// not validate is refused with every diagnostic on stderr and exit code 1.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "appliance/config/loader.h"
#include "appliance/daemon/daemon.h"

namespace {

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask (daemon.h).
  if (auto st = vtps::daemon::blockControlSignals(); !st.ok()) {
    std::cerr << "vtpsd: " << st.message() << '\n';
    return kExitRefused;
  }

  vtps::daemon::DaemonOptions options;
  bool foreground = false;
  CLI::App app{"vtpsd: vtps inline TLS inspection daemon", "vtpsd"};
  app.set_version_flag("--version", "vtpsd " VTPS_VERSION);
  app.add_option("--config", options.config_path, "config file (YAML)")->required();
  app.add_flag("--foreground", foreground,
               "run in the foreground (the only mode: systemd and scripts supervise vtpsd)");
  app.add_option("--pid-file", options.pid_file, "write the daemon's PID to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  // SIGHUP re-reads this path; make it independent of the working directory.
  std::error_code ec;
  auto absolute = std::filesystem::absolute(options.config_path, ec);
  if (!ec) options.config_path = absolute.lexically_normal().string();

  auto loaded = vtps::config::loadFileDiagnostics(options.config_path);
  if (!loaded.ok()) {
    std::cerr << loaded.report() << '\n';
    std::cerr << "vtpsd: config " << options.config_path << " refused ("
              << loaded.diagnostics.size()
              << (loaded.diagnostics.size() == 1 ? " error" : " errors") << ")\n";
    return kExitRefused;
  }

  // Before anything draws random numbers: the DRBG's seed source is fixed at its first use.
  auto crypto = vtps::daemon::setupProcessCrypto(loaded.config->device);
  if (!crypto.ok()) {
    std::cerr << "vtpsd: " << crypto.message() << '\n';
    return kExitRefused;
  }
  options.crypto = std::move(*crypto);

  auto daemon = vtps::daemon::Daemon::create(options, std::move(loaded.config));
  if (!daemon.ok()) {
    std::cerr << "vtpsd: " << daemon.message() << '\n';
    return kExitRefused;
  }
  std::cerr << "vtpsd: running (config " << options.config_path << ")\n";
  return daemon.value()->run();
}
