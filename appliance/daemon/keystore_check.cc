#include "appliance/daemon/keystore_check.h"

#include <string>

namespace vtps::daemon {
namespace {

config::Diagnostic at(const config::Config& cfg, const config::Marks& marks, const char* key,
                      std::string field, std::string message) {
  return config::Diagnostic{cfg.source_path, marks.of(key), std::move(field), std::move(message)};
}

// Empty when `name` is a certificate with a key this process holds; else what is wrong.
std::string certificateProblem(const crypto::Keystore& keystore, const std::string& name) {
  auto record = keystore.certificate(name);
  const std::string& dir = keystore.options().dir;
  if (!record.ok()) {
    return "certificate '" + name + "' is not in the keystore " + dir +
           " (vtpsctl cert list shows what is there)";
  }
  if (record->status == crypto::CertificateStatus::kKeyMissing) {
    return "certificate '" + name + "' has no private key in " + dir +
           " (persist-private-keys is off and the key was not supplied; see docs/keystore.md)";
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<crypto::Keystore>> openKeystore(const config::Device& device) {
  crypto::KeystoreOptions options;
  options.dir = device.keystore;
  options.persistence = device.ssl_inspection.persist_private_keys
                            ? crypto::KeyPersistence::kDisk
                            : crypto::KeyPersistence::kMemory;
  return crypto::Keystore::open(options);
}

std::vector<config::Diagnostic> checkKeystoreReferences(const config::Config& config,
                                                        const crypto::Keystore& keystore) {
  std::vector<config::Diagnostic> out;
  for (size_t i = 0; i < config.server_proxies.size(); ++i) {
    const auto& proxy = config.server_proxies[i];
    for (const auto& name : proxy.certificates) {
      std::string problem = certificateProblem(keystore, name);
      if (problem.empty()) continue;
      out.push_back(at(config, proxy.marks, "certificates",
                       "ssl.server-proxies[" + std::to_string(i) + "].certificates", problem));
    }
  }
  for (size_t i = 0; i < config.client_proxies.size(); ++i) {
    const auto& proxy = config.client_proxies[i];
    if (proxy.signing_certificate.empty()) continue;
    std::string problem = certificateProblem(keystore, proxy.signing_certificate);
    if (problem.empty()) continue;
    out.push_back(at(config, proxy.marks, "signing-certificate",
                     "ssl.client-proxies[" + std::to_string(i) + "].signing-certificate", problem));
  }
  for (size_t i = 0; i < config.trust_stores.size(); ++i) {
    const auto& store = config.trust_stores[i];
    for (const auto& name : store.ca_certificates) {
      if (keystore.caCertificates(name).ok()) continue;
      out.push_back(at(config, store.marks, "ca-certificates",
                       "ssl.trust-stores[" + std::to_string(i) + "].ca-certificates",
                       "CA '" + name + "' is not in the keystore " + keystore.options().dir +
                           " (vtpsctl ca list shows what is there)"));
    }
  }
  return out;
}

}  // namespace vtps::daemon
