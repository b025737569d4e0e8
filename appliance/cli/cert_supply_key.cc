// `vtpsctl cert supply-key NAME --key FILE [--password-file F]`: with persist-private-keys off,
// keys live only in the running vtpsd's memory (docs/keystore.md); after a restart each is handed
// back this way, over the control socket (or --remote, through the REST API). vtpsd checks the
// key against the stored certificate and, once the running config waits for no key any more,
// applies it whole.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/cli/context.h"
#include "appliance/cli/daemon_call.h"
#include "appliance/mgmt/keystore_ops.h"
#include "crypto/file_util.h"
#include "crypto/ossl.h"

namespace vtps::cli {
namespace {

using mgmt::Json;

Status supplyKey(const Context& ctx, const std::string& name, const std::string& key_file,
                 const std::string& password_file) {
  auto key = crypto::readFile(key_file);
  if (!key.ok()) return Error{"supply key for " + name + ": " + key.message()};
  Json request{{"method", "cert-supply-key"},
               {"name", name},
               {"key_base64", mgmt::encodeBase64(*key)},
               {"key_source", key_file}};
  ossl::cleanse(*key);
  if (!password_file.empty()) {
    auto password = crypto::readPasswordFile(password_file);
    if (!password.ok()) return Error{"supply key for " + name + ": " + password.message()};
    request["password"] = *password;
    ossl::cleanse(*password);
  }
  auto answer = askDaemon(ctx, request);
  if (!answer.ok()) return answer.error();
  std::cout << "supplied the key of " << name << " to vtpsd";
  if (answer->contains("waiting_for_keys")) {
    std::string names;
    for (const std::string& n : answer->value("waiting_for_keys", std::vector<std::string>{}))
      names += (names.empty() ? "" : ", ") + n;
    if (!names.empty()) {
      std::cout << "; still waiting for keys: " << names;
    } else if (answer->value("applied", false)) {
      std::cout << "; every key is there, the full configuration is applied";
    } else {
      std::cout << "; every key is there, but the full configuration could not be applied: "
                << answer->value("apply_error", std::string());
    }
  }
  std::cout << '\n';
  return {};
}

}  // namespace

void addCertSupplyKey(CLI::App* cert, Context& ctx) {
  struct Options {
    std::string name;
    std::string key;
    std::string password_file;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = cert->add_subcommand(
      "supply-key", "hand the running vtpsd a certificate's key (persist-private-keys off)");
  cmd->add_option("name", o->name, "certificate name")->required();
  cmd->add_option("--key", o->key, "private key file (PEM or DER, maybe encrypted)")->required();
  cmd->add_option("--password-file", o->password_file,
                  "file whose first line is the encrypted key's password");
  cmd->callback([&ctx, o] {
    runCommand(ctx, [&] { return supplyKey(ctx, o->name, o->key, o->password_file); });
  });
}

}  // namespace vtps::cli
