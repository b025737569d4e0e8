// RuntimeSnapshot: everything a worker needs from one config, built once on the control thread
// and then immutable (shared_ptr<const>): per server proxy its client-facing TLS context
// (certificates by SNI, protocols, ciphers, ALPN policy) and its upstream TLS context, and the
// SSL server policies of every profile in lookup order. A session keeps the snapshot it started
// with; applying a config publishes a new one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"
#include "crypto/tls/client_context.h"
#include "crypto/tls/server_context.h"

namespace vtps::crypto {
class Keystore;
}

namespace vtps::proxy {

struct ServerProxyRuntime {
  const config::ServerProxy* config = nullptr;     // owned by the snapshot's Config
  std::optional<tls::ServerContext> accept_side;   // faces the client
  std::optional<tls::ClientContext> connect_side;  // faces the server
};

// One SSL server policy with what it points at. Pointers are owned by the snapshot.
struct ServerPolicyMatch {
  const config::Profile* profile = nullptr;
  const config::SslServerPolicy* policy = nullptr;
  const ServerProxyRuntime* proxy = nullptr;
};

class RuntimeSnapshot {
 public:
  // Builds the TLS contexts of every server proxy (certificates and keys from the keystore) and
  // resolves the policies. Errors name the proxy or policy and the cause, e.g. "server proxy
  // web1: certificate web1-alt: no such certificate in keystore /var/lib/vtps/keystore".
  static Result<std::shared_ptr<const RuntimeSnapshot>> build(
      std::shared_ptr<const config::Config> config, crypto::Keystore& keystore);

  // The SSL server policy for a connection to `destination`:`port` (host order): the first
  // profile, in config order, with a server policy whose server proxy's destinations and
  // detection ports cover it. nullptr when none does.
  const ServerPolicyMatch* matchServer(uint32_t destination, uint16_t port) const;
  // The source exception of `policy` covering `client` (host order), or nullptr.
  static const config::Cidr4* sourceException(const config::SslServerPolicy& policy,
                                              uint32_t client);

  const config::Config& config() const { return *config_; }
  const config::SslInspectionSettings& settings() const { return config_->device.ssl_inspection; }
  const std::vector<std::unique_ptr<ServerProxyRuntime>>& serverProxies() const { return proxies_; }

 private:
  RuntimeSnapshot() = default;
  Status buildProxy(const config::ServerProxy& proxy, crypto::Keystore& keystore);

  std::shared_ptr<const config::Config> config_;
  ossl::X509StorePtr no_trust_;  // server proxies do not verify their own origins
  std::vector<std::unique_ptr<ServerProxyRuntime>> proxies_;
  std::vector<ServerPolicyMatch> policies_;
};

// The TLS options a server proxy's config asks for, on either side.
Result<tls::TlsOptions> tlsOptionsOf(const config::ServerProxy& proxy);

}  // namespace vtps::proxy
