// RuntimeSnapshot: everything a worker needs from one config, built once on the control thread
// and then immutable (shared_ptr<const>):
//  - per server proxy its client-facing TLS context (certificates by SNI, protocols, ciphers,
//    ALPN policy) and its upstream TLS context, and the SSL server policies in lookup order;
//  - per client proxy its client-facing TLS context (minted leaves only) and its issuing CAs
//    (signing certificate, Untrusted Server CA); per trust store its X509_STORE (default CA
//    package when asked for, plus the store's CAs); per SSL client policy its upstream TLS
//    context (that trust store, the proxy's minimum key length) and its decryption policy.
// A session keeps the snapshot it started with; applying a config publishes a new one. The
// engine-wide services (mint cache, domain exclusions) outlive snapshots and are shared by them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/mint/key_pool.h"
#include "crypto/mint/leaf_minter.h"
#include "crypto/mint/mint_cache.h"
#include "crypto/mint/signing_ca.h"
#include "crypto/result.h"
#include "crypto/tls/client_context.h"
#include "crypto/tls/server_context.h"
#include "dataplane/proxy/category_list.h"
#include "dataplane/proxy/decryption_policy.h"
#include "dataplane/proxy/domain_exclusions.h"

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

struct ClientProxyRuntime {
  const config::ClientProxy* config = nullptr;    // owned by the snapshot's Config
  std::optional<tls::ServerContext> accept_side;  // faces the client, presents minted leaves
  mint::IssuingCas cas;
  // Sent after a leaf of the signing CA: the signing certificate and its chain up to (not
  // including) a self-signed root; empty for a self-signed signing certificate.
  ossl::X509StackPtr signing_chain;
  tls::TlsOptions tls;  // protocols, suites and downgrade, for the policies' upstream contexts
};

// One SSL client policy with everything it points at. Pointers are owned by the snapshot.
struct ClientPolicyMatch {
  const config::Profile* profile = nullptr;
  const config::SslClientPolicy* policy = nullptr;
  const ClientProxyRuntime* proxy = nullptr;
  const DecryptionPolicyRuntime* decryption = nullptr;  // null: none
  std::optional<tls::ClientContext> connect_side;       // faces the server, verifies it
};

// Leaf minting for every client proxy: the key pool, the minter and the cache of minted leaves.
// Created once by the engine and kept across config applies (the cache stays warm).
struct MintServices {
  std::unique_ptr<mint::KeyPool> pool;
  std::unique_ptr<mint::LeafMinter> minter;
  std::unique_ptr<mint::MintCache> cache;

  static Result<std::shared_ptr<MintServices>> create(const mint::KeyPoolOptions& pool,
                                                      const mint::MintCacheOptions& cache);
};

// The engine-wide services a snapshot with client policies needs.
struct ClientServices {
  std::shared_ptr<MintServices> mint;
  std::shared_ptr<ExclusionStore> exclusions;
};

class RuntimeSnapshot {
 public:
  // Builds the TLS contexts of every server proxy (certificates and keys from the keystore) and
  // of every client proxy and client policy (signing certificates, the Untrusted Server CA, trust
  // stores), reads the category lists and decryption policies, and resolves the policies.
  // Errors name the object and the cause, e.g. "server proxy web1: certificate web1-alt: no
  // such certificate in keystore /var/lib/vtps/keystore", "client proxy out: signing
  // certificate corp: ...", "trust store corp: CA internal-root: ...". A config with client
  // policies needs `services` (error "SSL client policies need the mint and exclusion
  // services" otherwise).
  static Result<std::shared_ptr<const RuntimeSnapshot>> build(
      std::shared_ptr<const config::Config> config, crypto::Keystore& keystore,
      ClientServices services = {});

  // The SSL server policy for a connection to `destination`:`port` (host order): the first
  // profile, in config order, with a server policy whose server proxy's destinations and
  // detection ports cover it. nullptr when none does.
  const ServerPolicyMatch* matchServer(uint32_t destination, uint16_t port) const;
  // The source exception of `policy` covering `client` (host order), or nullptr.
  static const config::Cidr4* sourceException(const config::SslServerPolicy& policy,
                                              uint32_t client);
  // The SSL client policy for a connection to `port` that no server policy took: the first
  // profile, in config order, with a client policy whose client proxy's detection ports cover
  // it. nullptr when none does.
  const ClientPolicyMatch* matchClient(uint16_t port) const;
  // The cleartext inspection tuple (filters.cleartext-inspection) covering `destination`:`port`
  // (host order): the first in config order. nullptr when none does. Validation keeps these
  // apart from the SSL tuples, so the destination alone tells a plain session from an SSL one.
  const config::CleartextTuple* matchCleartext(uint32_t destination, uint16_t port) const;
  // The entry of `list` (never-decrypt, always-decrypt) covering `client`, or nullptr.
  static const config::Cidr4* covering(const std::vector<config::Cidr4>& list, uint32_t client);

  const config::Config& config() const { return *config_; }
  const config::SslInspectionSettings& settings() const { return config_->device.ssl_inspection; }
  const std::vector<std::unique_ptr<ServerProxyRuntime>>& serverProxies() const { return proxies_; }
  const std::vector<std::unique_ptr<ClientProxyRuntime>>& clientProxies() const {
    return client_proxies_;
  }
  const ClientServices& clientServices() const { return services_; }

 private:
  RuntimeSnapshot() = default;
  Status buildProxy(const config::ServerProxy& proxy, crypto::Keystore& keystore);
  // runtime_snapshot_client.cc
  Status buildClientSide(crypto::Keystore& keystore);
  Status buildClientProxy(const config::ClientProxy& proxy, crypto::Keystore& keystore,
                          const std::shared_ptr<const mint::SigningCa>& untrusted);
  Status buildTrustStore(const config::TrustStore& store, crypto::Keystore& keystore);
  Status buildClientPolicy(const config::Profile& profile, const config::SslClientPolicy& policy);

  std::shared_ptr<const config::Config> config_;
  ossl::X509StorePtr no_trust_;  // server proxies do not verify their own origins
  std::vector<std::unique_ptr<ServerProxyRuntime>> proxies_;
  std::vector<ServerPolicyMatch> policies_;

  ClientServices services_;
  std::shared_ptr<const CategoryList> categories_;
  std::vector<std::pair<std::string, ossl::X509StorePtr>> trust_stores_;
  std::vector<std::unique_ptr<DecryptionPolicyRuntime>> decryption_policies_;
  std::vector<std::unique_ptr<ClientProxyRuntime>> client_proxies_;
  std::vector<std::unique_ptr<ClientPolicyMatch>> client_policies_;
};

// The TLS options a proxy's config asks for, on either side. Errors name the proxy.
Result<tls::TlsOptions> tlsOptionsOf(const config::ServerProxy& proxy);
Result<tls::TlsOptions> tlsOptionsOf(const config::ClientProxy& proxy);

}  // namespace vtps::proxy
