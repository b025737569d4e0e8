// Validation of a loaded config: the limits the documents give, and the references between
// objects. loadString() runs validate() itself; callers that build a Config another way (a
// candidate edited in memory) run it directly. Nothing here reads the keystore: certificate and
// CA references are checked by checkKeystoreReferences() against whatever keystore the caller has.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "appliance/config/loader.h"

namespace vtps::config {

// Declared limits (docs/configuration.md lists them with their sources).
inline constexpr std::size_t kMaxTrustStoreNameLength = 64;
inline constexpr std::size_t kMaxObjectNameLength = 128;  // proxies, policies, profiles, ...
inline constexpr std::size_t kMaxDescriptionLength = 512;
inline constexpr std::size_t kMaxDomainEntries = 4096;
inline constexpr std::size_t kMaxServerCertificates = 1000;
inline constexpr int kMaxConcurrentConnections = 1'000'000;
inline constexpr int kMaxCore = 1023;  // CPU_SETSIZE - 1
inline constexpr int kMaxProfileDepth = 16;

// Every rule violation in `config`, each pointing at the field's position in config.source_path.
std::vector<Diagnostic> validate(const Config& config);

// Certificate and CA references that the keystore does not hold. `has_cert` answers for
// certificates with keys (server proxy certificates, client proxy signing certificates),
// `has_ca` for CA certificates (trust stores).
std::vector<Diagnostic> checkKeystoreReferences(
    const Config& config, const std::function<bool(std::string_view)>& has_cert,
    const std::function<bool(std::string_view)>& has_ca);

// Single-value rules, shared with commands that edit the config, so that they can refuse a bad
// value with the same words before touching the file. Each returns the message, or nothing when
// the value is acceptable. `what` names the object kind ("trust store").
std::optional<std::string> checkName(std::string_view name, std::string_view what,
                                     std::size_t max_length);
std::optional<std::string> checkDescription(std::string_view description);

}  // namespace vtps::config
