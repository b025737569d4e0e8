#include "appliance/daemon/keystore_check.h"

#include <set>
#include <string>

namespace vtps::daemon {
namespace {

config::Diagnostic at(const config::Config& cfg, const config::Marks& marks, const char* key,
                      std::string field, std::string message) {
  return config::Diagnostic{cfg.source_path, marks.of(key), std::move(field), std::move(message)};
}

// Empty when `name` is a certificate with a key this process holds; else what is wrong.
std::string certificateProblem(const crypto::Keystore& keystore, const std::string& name,
                               bool keys_may_come_later) {
  auto record = keystore.certificate(name);
  const std::string& dir = keystore.options().dir;
  if (!record.ok()) {
    return "certificate '" + name + "' is not in the keystore " + dir +
           " (vtpsctl cert list shows what is there)";
  }
  if (record->status == crypto::CertificateStatus::kKeyMissing && !keys_may_come_later) {
    return "certificate '" + name + "' has no private key in " + dir +
           " (persist-private-keys is off and the key was not supplied; see docs/keystore.md)";
  }
  return {};
}

// Whether `name` is a certificate that is there but whose key this process does not hold.
bool keyMissing(const crypto::Keystore& keystore, const std::string& name) {
  auto record = keystore.certificate(name);
  return record.ok() && record->status == crypto::CertificateStatus::kKeyMissing;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
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
                                                        const crypto::Keystore& keystore,
                                                        bool keys_may_come_later) {
  std::vector<config::Diagnostic> out;
  for (size_t i = 0; i < config.server_proxies.size(); ++i) {
    const auto& proxy = config.server_proxies[i];
    for (const auto& name : proxy.certificates) {
      std::string problem = certificateProblem(keystore, name, keys_may_come_later);
      if (problem.empty()) continue;
      out.push_back(at(config, proxy.marks, "certificates",
                       "ssl.server-proxies[" + std::to_string(i) + "].certificates", problem));
    }
  }
  for (size_t i = 0; i < config.client_proxies.size(); ++i) {
    const auto& proxy = config.client_proxies[i];
    if (proxy.signing_certificate.empty()) continue;
    std::string problem =
        certificateProblem(keystore, proxy.signing_certificate, keys_may_come_later);
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

std::string KeyWait::describe() const {
  std::string text = "waiting for keys: " + joined(missing_keys);
  if (!left_out.empty()) text += " (left out until then: " + joined(left_out) + ")";
  return text;
}

KeyWait planKeyWait(std::shared_ptr<const config::Config> config,
                    const crypto::Keystore& keystore) {
  KeyWait wait;
  wait.runnable = config;
  if (keystore.options().persistence != crypto::KeyPersistence::kMemory) return wait;
  std::set<std::string> missing;
  std::set<std::string> dropped_servers;
  std::set<std::string> dropped_clients;
  for (const auto& proxy : config->server_proxies) {
    for (const auto& name : proxy.certificates) {
      if (!keyMissing(keystore, name)) continue;
      missing.insert(name);
      dropped_servers.insert(proxy.name);
    }
  }
  for (const auto& proxy : config->client_proxies) {
    if (proxy.signing_certificate.empty() || !keyMissing(keystore, proxy.signing_certificate))
      continue;
    missing.insert(proxy.signing_certificate);
    dropped_clients.insert(proxy.name);
  }
  if (missing.empty()) return wait;
  wait.missing_keys.assign(missing.begin(), missing.end());
  for (const auto& name : dropped_servers)
    wait.left_out.push_back("server proxy " + name);
  for (const auto& name : dropped_clients)
    wait.left_out.push_back("client proxy " + name);

  auto runnable = std::make_shared<config::Config>(*config);
  std::erase_if(runnable->server_proxies,
                [&](const config::ServerProxy& p) { return dropped_servers.count(p.name) > 0; });
  std::erase_if(runnable->client_proxies,
                [&](const config::ClientProxy& p) { return dropped_clients.count(p.name) > 0; });
  for (auto& profile : runnable->profiles) {
    std::erase_if(profile.ssl_server_policies, [&](const config::SslServerPolicy& p) {
      return dropped_servers.count(p.server_proxy) > 0;
    });
    std::erase_if(profile.ssl_client_policies, [&](const config::SslClientPolicy& p) {
      return dropped_clients.count(p.client_proxy) > 0;
    });
  }
  wait.runnable = std::move(runnable);
  return wait;
}

}  // namespace vtps::daemon
