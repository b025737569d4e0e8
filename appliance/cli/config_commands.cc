// `vtpsctl config validate FILE`: every problem in a config file at once, as
// FILE:LINE:COL: error: FIELD: MESSAGE on stderr (exit 1), or "FILE: OK" on stdout (exit 0).
// Certificate and CA references are checked against the keystore too, when there is one to check
// against. (`config apply` is added by daemon_commands.cc; it needs a running vtpsd.)
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <string>

#include "appliance/cli/context.h"
#include "appliance/config/loader.h"
#include "appliance/config/validate.h"
#include "crypto/keystore.h"
#include "dataplane/filter/filter_config.h"

namespace vtps::cli {
namespace {

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A keystore name resolves to a file only when it is a valid name: this keeps "../x" from
// naming files outside the keystore.
bool storeHas(const std::string& dir, std::string_view subdir, std::string_view name, bool ca) {
  Status valid = ca ? crypto::validateCaName(name) : crypto::validateCertificateName(name);
  if (!valid.ok()) return false;
  std::string file = dir + "/" + std::string(subdir) + "/" + std::string(name) + ".pem";
  return ::access(file.c_str(), F_OK) == 0;
}

void validateFile(Context& ctx, const std::string& file, bool skip_keystore) {
  config::LoadResult result = config::loadFileDiagnostics(file);
  // Address and port groups of filters.* need the rule parser (the filter engine's).
  if (result.ok()) result.diagnostics = filter::checkFilterGroups(*result.config);
  if (!result.ok()) {
    std::cerr << result.report() << '\n';
    ctx.exit_code = kExitRefused;
    return;
  }
  std::string store = ctx.store_dir.empty() ? result.config->device.keystore : ctx.store_dir;
  if (!skip_keystore && isDirectory(store)) {
    auto missing = config::checkKeystoreReferences(
        *result.config,
        [&](std::string_view name) { return storeHas(store, "certs", name, false); },
        [&](std::string_view name) { return storeHas(store, "cas", name, true); });
    if (!missing.empty()) {
      for (const config::Diagnostic& d : missing)
        std::cerr << d.str() << '\n';
      ctx.exit_code = kExitRefused;
      return;
    }
  } else if (!skip_keystore) {
    std::cerr << "vtpsctl: note: keystore " << store
              << " does not exist; certificate references were not checked\n";
  }
  std::cout << file << ": OK\n";
}

}  // namespace

void addConfigCommands(CLI::App& app, Context& ctx) {
  auto* config = app.add_subcommand("config", "validate, apply and export configuration");
  config->require_subcommand(1);

  auto* validate = config->add_subcommand(
      "validate",
      "check FILE: every error as FILE:LINE:COL: error: FIELD: MESSAGE (exit 1), else "
      "\"FILE: OK\"; certificate references are checked against the keystore (--store, else "
      "the file's device.keystore) when it exists");
  auto file = std::make_shared<std::string>();
  auto skip_keystore = std::make_shared<bool>(false);
  validate->add_option("FILE", *file, "config file")->required();
  validate->add_flag("--no-keystore", *skip_keystore,
                     "do not check certificate and CA references against the keystore");
  validate->callback([&ctx, file, skip_keystore] { validateFile(ctx, *file, *skip_keystore); });
}

}  // namespace vtps::cli
