// vtpsctl: the operator's command line. Offline commands work against a keystore directory and
// config file; commands for a running vtpsd go over its UNIX control socket.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "appliance/cli/context.h"

int main(int argc, char** argv) {
  vtps::cli::Context ctx;
  CLI::App app{"vtpsctl: configure and inspect a vtps appliance", "vtpsctl"};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default(false);
  app.add_option("--config", ctx.config_path, "config file (default /etc/vtps/vtps.yaml)");
  app.add_option("--socket", ctx.socket_path, "vtpsd control socket (default from the config)");
  app.add_option("--store", ctx.store_dir, "keystore directory (default from the config)");
  app.add_option("--remote", ctx.remote_url,
                 "a remote appliance's REST API (https://HOST:PORT) instead of the local socket");
  app.add_option("--token-file", ctx.token_file, "file holding the API token for --remote");
  app.add_option("--remote-ca", ctx.remote_ca, "certificate to trust for --remote");

  vtps::cli::addCertCommands(app, ctx);
  vtps::cli::addConfigCommands(app, ctx);
  vtps::cli::addTrustStoreCommands(app, ctx);
  vtps::cli::addDaemonCommands(app, ctx);  // after addConfigCommands: adds `config apply`
  vtps::cli::addExclusionCommands(app, ctx);
  vtps::cli::addDeployCommands(app, ctx);
  vtps::cli::addManagementCommands(app, ctx);  // after addDaemonCommands: extends `config`
  vtps::cli::addFilterCommands(app, ctx);      // after addDaemonCommands: adds `show filters`
  vtps::cli::addDataplaneCommands(app, ctx);   // after addDaemonCommands: adds `show dataplane`
  vtps::cli::addLogCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return vtps::cli::kExitUsage;
  }
  return ctx.exit_code;
}
