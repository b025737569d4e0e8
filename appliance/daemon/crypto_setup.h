// Process-wide crypto choices vtpsd makes once, at start, before anything draws random numbers:
// the seed source of OpenSSL's primary DRBG (device.crypto.seed-source) and who serves AES-GCM for
// the TLS record layers (device.crypto.aead). Both are properties of OpenSSL's default library
// context, which every TLS context of the proxy uses, so they cannot change while vtpsd runs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/accel/cpu_features.h"
#include "crypto/result.h"

namespace vtps::daemon {

struct CryptoState {
  accel::CpuFeatures cpu;
  config::SeedSource seed_source = config::SeedSource::kOs;  // what was installed
  config::AeadProvider aead_requested = config::AeadProvider::kAuto;
  std::string aead_in_use = "openssl";  // "openssl" or "ipsec-mb"
  std::string aead_reason;              // why that one, for operators
  std::string ipsecmb_version;          // empty when the library could not start
  std::string ipsecmb_arch;             // "avx512", "avx2", ...
  bool ipsecmb_vaes = false;
  std::vector<std::string> warnings;  // performance mode: missing RDRAND / AES-NI
};

// Installs the seed source and, when chosen, loads and prefers the intel-ipsec-mb provider in the
// default library context. Must run before the first use of random numbers in the process.
// Errors: "crypto: seed-source cpu: <cause>", "crypto: aead ipsec-mb: <cause>" (the operator asked
// for ipsec-mb explicitly and it cannot serve).
Result<CryptoState> setupProcessCrypto(const config::Device& device);

// For `vtpsctl show crypto` (control method "crypto"): the state above plus the live counters of
// the seed source and the provider.
nlohmann::ordered_json describeCrypto(const CryptoState& state);
// The same as text, the way vtpsctl prints it.
std::string formatCrypto(const nlohmann::ordered_json& described);

}  // namespace vtps::daemon
