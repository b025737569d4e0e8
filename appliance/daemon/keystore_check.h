// The daemon's view of the keystore: opening it as the config says, and checking, before a
// config is used, that every certificate and CA it names can be served.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/config/loader.h"
#include "crypto/keystore.h"
#include "crypto/result.h"

namespace vtps::daemon {

// device.keystore, with keys kept in memory only when persist-private-keys is off.
Result<std::unique_ptr<crypto::Keystore>> openKeystore(const config::Device& device);

// One diagnostic (at the referencing field's line and column) for each server proxy certificate
// or client proxy signing certificate that is missing or has no private key, and each trust
// store CA that is missing. Empty when the keystore can serve the config. With
// `keys_may_come_later` (persist-private-keys off) a certificate that is there without its key
// is no problem: vtpsd waits for the key (KeyWait below).
std::vector<config::Diagnostic> checkKeystoreReferences(const config::Config& config,
                                                        const crypto::Keystore& keystore,
                                                        bool keys_may_come_later = false);

// persist-private-keys off: after a restart the keystore holds the certificates but not their
// keys until an operator supplies them (docs/keystore.md, "Persist private keys off"). What of
// `config` can run meanwhile: the config without the server proxies, client proxies and SSL
// policies that need a missing key. With every key present (or keys persisted on disk, where a
// missing key cannot be supplied) `missing_keys` is empty and `runnable` is `config` itself.
struct KeyWait {
  std::vector<std::string> missing_keys;  // certificate names, sorted, each once
  std::vector<std::string> left_out;      // "server proxy NAME" / "client proxy NAME"
  std::shared_ptr<const config::Config> runnable;

  bool waiting() const { return !missing_keys.empty(); }
  // "waiting for keys: a, b (left out until then: server proxy x)"
  std::string describe() const;
};
KeyWait planKeyWait(std::shared_ptr<const config::Config> config, const crypto::Keystore& keystore);

}  // namespace vtps::daemon
