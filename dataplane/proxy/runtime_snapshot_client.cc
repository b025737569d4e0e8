// RuntimeSnapshot: the SSL client inspection side (client proxies, trust stores, decryption
// policies, client policies).
#include <fmt/format.h>

#include "crypto/keystore.h"
#include "crypto/ossl_interop.h"
#include "dataplane/proxy/runtime_snapshot.h"

namespace vtps::proxy {
namespace {

Result<std::shared_ptr<const mint::SigningCa>> signingCaOf(const std::string& name,
                                                           const crypto::CertificateBundle& b) {
  return mint::SigningCa::create(name, crypto::raw(b.leaf), crypto::raw(b.key));
}

// The signing certificate and the intermediates above it, for clients that only trust a root.
Result<ossl::X509StackPtr> chainOf(const crypto::CertificateBundle& bundle) {
  ossl::X509StackPtr chain(sk_X509_new_null());
  if (!chain) return ossl::error("sk_X509_new_null");
  if (bundle.leaf.isSelfSigned()) return chain;
  std::vector<const crypto::Certificate*> certs{&bundle.leaf};
  for (const crypto::Certificate& c : bundle.chain) {
    // A self-signed root is what clients already trust: never sent.
    if (!c.isSelfSigned()) certs.push_back(&c);
  }
  for (const crypto::Certificate* c : certs) {
    X509* x = crypto::raw(*c);
    if (sk_X509_push(chain.get(), x) <= 0) return ossl::error("sk_X509_push");
    X509_up_ref(x);
  }
  return chain;
}

bool hasClientPolicies(const config::Config& config) {
  for (const config::Profile& profile : config.profiles) {
    if (!profile.ssl_client_policies.empty()) return true;
  }
  return false;
}

}  // namespace

Result<std::shared_ptr<MintServices>> MintServices::create(const mint::KeyPoolOptions& pool,
                                                           const mint::MintCacheOptions& cache) {
  auto services = std::make_shared<MintServices>();
  Result<std::unique_ptr<mint::KeyPool>> p = mint::KeyPool::create(pool);
  if (!p) return p.error();
  services->pool = std::move(*p);
  services->minter = std::make_unique<mint::LeafMinter>(*services->pool);
  Result<std::unique_ptr<mint::MintCache>> c = mint::MintCache::create(*services->minter, cache);
  if (!c) return c.error();
  services->cache = std::move(*c);
  return services;
}

Status RuntimeSnapshot::buildTrustStore(const config::TrustStore& store,
                                        crypto::Keystore& keystore) {
  const std::string what = fmt::format("trust store {}", store.name);
  ossl::X509StorePtr x509_store(X509_STORE_new());
  if (!x509_store) return ossl::error(what + ": X509_STORE_new");
  auto addAll = [&](const std::vector<crypto::Certificate>& certs,
                    const std::string& source) -> Status {
    for (const crypto::Certificate& c : certs) {
      if (X509_STORE_add_cert(x509_store.get(), crypto::raw(c)) != 1) {
        return ossl::error(fmt::format("{}: {}: X509_STORE_add_cert", what, source));
      }
    }
    return {};
  };
  if (store.include_default_ca) {
    Result<std::vector<crypto::Certificate>> defaults = keystore.defaultCaCertificates();
    if (!defaults) {
      return makeError(fmt::format("{}: default CA certificates: {}", what, defaults.message()));
    }
    VTPS_RETURN_IF_ERROR(addAll(*defaults, "default CA certificates"));
  }
  for (const std::string& name : store.ca_certificates) {
    Result<std::vector<crypto::Certificate>> certs = keystore.caCertificates(name);
    if (!certs) return makeError(fmt::format("{}: CA {}: {}", what, name, certs.message()));
    VTPS_RETURN_IF_ERROR(addAll(*certs, "CA " + name));
  }
  trust_stores_.emplace_back(store.name, std::move(x509_store));
  return {};
}

Status RuntimeSnapshot::buildClientProxy(const config::ClientProxy& proxy,
                                         crypto::Keystore& keystore,
                                         const std::shared_ptr<const mint::SigningCa>& untrusted) {
  const std::string what = fmt::format("client proxy {}", proxy.name);
  auto runtime = std::make_unique<ClientProxyRuntime>();
  runtime->config = &proxy;
  Result<tls::TlsOptions> options = tlsOptionsOf(proxy);
  if (!options) return options.error();
  runtime->tls = *options;
  Result<crypto::CertificateBundle> bundle = keystore.loadCertificate(proxy.signing_certificate);
  if (!bundle) {
    return makeError(fmt::format("{}: signing certificate {}: {}", what, proxy.signing_certificate,
                                 bundle.message()));
  }
  Result<std::shared_ptr<const mint::SigningCa>> signing =
      signingCaOf(proxy.signing_certificate, *bundle);
  if (!signing) return makeError(fmt::format("{}: {}", what, signing.message()));
  runtime->cas = mint::IssuingCas{std::move(*signing), untrusted};
  Result<ossl::X509StackPtr> chain = chainOf(*bundle);
  if (!chain) return makeError(fmt::format("{}: signing chain: {}", what, chain.message()));
  runtime->signing_chain = std::move(*chain);
  tls::ServerTlsOptions server_options;
  server_options.tls = *options;
  Result<tls::ServerContext> accept_side =
      tls::ServerContext::createForClientInspection(proxy.name, server_options);
  if (!accept_side) return accept_side.error();
  runtime->accept_side.emplace(std::move(*accept_side));
  client_proxies_.push_back(std::move(runtime));
  return {};
}

Status RuntimeSnapshot::buildClientPolicy(const config::Profile& profile,
                                          const config::SslClientPolicy& policy) {
  const std::string what =
      fmt::format("profile {}: SSL client policy {}", profile.name, policy.name);
  auto match = std::make_unique<ClientPolicyMatch>();
  match->profile = &profile;
  match->policy = &policy;
  for (const auto& p : client_proxies_) {
    if (p->config->name == policy.client_proxy) match->proxy = p.get();
  }
  if (match->proxy == nullptr) {
    return makeError(fmt::format("{}: no client proxy named {}", what, policy.client_proxy));
  }
  if (!policy.decryption_policy.empty()) {
    for (const auto& d : decryption_policies_) {
      if (d->name() == policy.decryption_policy) match->decryption = d.get();
    }
    if (match->decryption == nullptr) {
      return makeError(
          fmt::format("{}: no decryption policy named {}", what, policy.decryption_policy));
    }
  }
  X509_STORE* store = nullptr;
  for (const auto& [name, s] : trust_stores_) {
    if (name == policy.trust_store) store = s.get();
  }
  if (store == nullptr) {
    return makeError(fmt::format("{}: no trust store named {}", what, policy.trust_store));
  }
  tls::ClientTlsOptions options;
  options.tls = match->proxy->tls;
  options.min_rsa_key_bits = match->proxy->config->min_key_length;
  Result<tls::ClientContext> connect_side =
      tls::ClientContext::create(match->proxy->config->name, options, store);
  if (!connect_side) return makeError(fmt::format("{}: {}", what, connect_side.message()));
  match->connect_side.emplace(std::move(*connect_side));
  client_policies_.push_back(std::move(match));
  return {};
}

Status RuntimeSnapshot::buildClientSide(crypto::Keystore& keystore) {
  const config::Config& cfg = *config_;
  if (!hasClientPolicies(cfg)) return {};
  if (!services_.mint || !services_.exclusions) {
    return makeError("SSL client policies need the mint and exclusion services");
  }
  if (!cfg.category_files.empty()) {
    Result<std::shared_ptr<const CategoryList>> categories = CategoryList::load(cfg.category_files);
    if (!categories) return makeError("ssl.category-files: " + categories.message());
    categories_ = std::move(*categories);
  }
  for (const config::DecryptionPolicy& policy : cfg.decryption_policies) {
    Result<std::unique_ptr<DecryptionPolicyRuntime>> runtime =
        DecryptionPolicyRuntime::build(policy, categories_);
    if (!runtime) return runtime.error();
    decryption_policies_.push_back(std::move(*runtime));
  }
  for (const config::TrustStore& store : cfg.trust_stores) {
    VTPS_RETURN_IF_ERROR(buildTrustStore(store, keystore));
  }
  Result<crypto::CertificateBundle> untrusted_bundle = keystore.untrustedServerCa();
  if (!untrusted_bundle) {
    return makeError(
        fmt::format("{}: {}", crypto::kUntrustedServerCaName, untrusted_bundle.message()));
  }
  Result<std::shared_ptr<const mint::SigningCa>> untrusted =
      signingCaOf(std::string(crypto::kUntrustedServerCaName), *untrusted_bundle);
  if (!untrusted) return untrusted.error();
  for (const config::ClientProxy& proxy : cfg.client_proxies) {
    VTPS_RETURN_IF_ERROR(buildClientProxy(proxy, keystore, *untrusted));
  }
  for (const config::Profile& profile : cfg.profiles) {
    for (const config::SslClientPolicy& policy : profile.ssl_client_policies) {
      VTPS_RETURN_IF_ERROR(buildClientPolicy(profile, policy));
    }
  }
  return {};
}

}  // namespace vtps::proxy
