// The daemon's view of the keystore: opening it as the config says, and checking, before a
// config is used, that every certificate and CA it names can be served.
#pragma once

#include <memory>
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
// store CA that is missing. Empty when the keystore can serve the config.
std::vector<config::Diagnostic> checkKeystoreReferences(const config::Config& config,
                                                        const crypto::Keystore& keystore);

}  // namespace vtps::daemon
