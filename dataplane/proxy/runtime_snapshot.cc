#include "dataplane/proxy/runtime_snapshot.h"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/keystore.h"
#include "crypto/ossl_interop.h"

namespace vtps::proxy {
namespace {

tls::TlsVersion toTls(config::TlsVersion v) {
  switch (v) {
    case config::TlsVersion::kSsl3:
      return tls::TlsVersion::kSsl3;
    case config::TlsVersion::kTls10:
      return tls::TlsVersion::kTls10;
    case config::TlsVersion::kTls11:
      return tls::TlsVersion::kTls11;
    case config::TlsVersion::kTls12:
      return tls::TlsVersion::kTls12;
    case config::TlsVersion::kTls13:
      return tls::TlsVersion::kTls13;
  }
  return tls::TlsVersion::kTls13;
}

ossl::X509Ptr shareX509(const crypto::Certificate& cert) {
  X509* x = crypto::raw(cert);
  X509_up_ref(x);
  return ossl::X509Ptr(x);
}

Result<tls::ServerCertificate> loadServerCertificate(const std::string& name,
                                                     crypto::Keystore& keystore) {
  Result<crypto::CertificateBundle> bundle = keystore.loadCertificate(name);
  if (!bundle) return makeError(fmt::format("certificate {}: {}", name, bundle.message()));
  tls::ServerCertificate cert;
  cert.name = name;
  cert.leaf = shareX509(bundle->leaf);
  EVP_PKEY* key = crypto::raw(bundle->key);
  EVP_PKEY_up_ref(key);
  cert.key.reset(key);
  for (const crypto::Certificate& c : bundle->chain) {
    // The chain stops at a self-signed root, which clients must already trust: never sent.
    if (c.isSelfSigned()) continue;
    cert.chain.push_back(shareX509(c));
  }
  return cert;
}

}  // namespace

namespace {

Result<tls::TlsOptions> optionsOf(std::string_view what,
                                  const std::vector<config::TlsVersion>& protocols,
                                  const std::vector<std::string>& cipher_suites, bool downgrade) {
  tls::TlsOptions options;
  std::vector<tls::TlsVersion> versions;
  for (config::TlsVersion v : protocols)
    versions.push_back(toTls(v));
  if (versions.empty()) {
    // Unset in the config: the TLS 1.2 and 1.3 default the loader documents.
    versions = {tls::TlsVersion::kTls12, tls::TlsVersion::kTls13};
  }
  Result<tls::ProtocolRange> range = tls::protocolRangeOf(versions);
  if (!range) return makeError(fmt::format("{}: {}", what, range.message()));
  options.protocols = *range;
  options.cipher_suites = cipher_suites;
  options.http2_to_http1_downgrade = downgrade;
  return options;
}

// A destination address and port inside one of the `destinations` × `ports` tuples.
bool inTuple(const std::vector<config::Cidr4>& destinations,
             const std::vector<config::PortRange>& ports, uint32_t destination, uint16_t port) {
  return std::any_of(ports.begin(), ports.end(),
                     [port](const config::PortRange& r) { return r.contains(port); }) &&
         std::any_of(destinations.begin(), destinations.end(),
                     [destination](const config::Cidr4& d) { return d.contains(destination); });
}

}  // namespace

Result<tls::TlsOptions> tlsOptionsOf(const config::ServerProxy& proxy) {
  return optionsOf("server proxy " + proxy.name, proxy.protocols, proxy.cipher_suites,
                   proxy.http2_to_http1_downgrade);
}

Result<tls::TlsOptions> tlsOptionsOf(const config::ClientProxy& proxy) {
  return optionsOf("client proxy " + proxy.name, proxy.protocols, proxy.cipher_suites,
                   proxy.http2_to_http1_downgrade);
}

Status RuntimeSnapshot::buildProxy(const config::ServerProxy& proxy, crypto::Keystore& keystore) {
  Result<tls::TlsOptions> options = tlsOptionsOf(proxy);
  if (!options) return options.error();
  std::vector<tls::ServerCertificate> certificates;
  for (const std::string& name : proxy.certificates) {
    Result<tls::ServerCertificate> cert = loadServerCertificate(name, keystore);
    if (!cert) return makeError(fmt::format("server proxy {}: {}", proxy.name, cert.message()));
    certificates.push_back(std::move(*cert));
  }
  auto runtime = std::make_unique<ServerProxyRuntime>();
  runtime->config = &proxy;
  tls::ServerTlsOptions server_options;
  server_options.tls = *options;
  Result<tls::ServerContext> accept_side =
      tls::ServerContext::createForServerProxy(proxy.name, server_options, std::move(certificates));
  if (!accept_side) return accept_side.error();
  runtime->accept_side.emplace(std::move(*accept_side));
  tls::ClientTlsOptions client_options;
  client_options.tls = *options;
  Result<tls::ClientContext> connect_side =
      tls::ClientContext::create(proxy.name, client_options, no_trust_.get());
  if (!connect_side) return connect_side.error();
  runtime->connect_side.emplace(std::move(*connect_side));
  proxies_.push_back(std::move(runtime));
  return {};
}

Result<std::shared_ptr<const RuntimeSnapshot>> RuntimeSnapshot::build(
    std::shared_ptr<const config::Config> config, crypto::Keystore& keystore,
    ClientServices services) {
  std::shared_ptr<RuntimeSnapshot> snapshot(new RuntimeSnapshot);
  snapshot->config_ = std::move(config);
  snapshot->services_ = std::move(services);
  const config::Config& cfg = *snapshot->config_;
  snapshot->no_trust_.reset(X509_STORE_new());
  if (!snapshot->no_trust_) return ossl::error("build proxy runtime: X509_STORE_new");
  for (const config::ServerProxy& proxy : cfg.server_proxies) {
    VTPS_RETURN_IF_ERROR(snapshot->buildProxy(proxy, keystore));
  }
  for (const config::Profile& profile : cfg.profiles) {
    for (const config::SslServerPolicy& policy : profile.ssl_server_policies) {
      const ServerProxyRuntime* proxy = nullptr;
      for (const auto& p : snapshot->proxies_) {
        if (p->config->name == policy.server_proxy) proxy = p.get();
      }
      if (proxy == nullptr) {
        return makeError(fmt::format("profile {}: SSL server policy {}: no server proxy named {}",
                                     profile.name, policy.name, policy.server_proxy));
      }
      snapshot->policies_.push_back(ServerPolicyMatch{&profile, &policy, proxy});
    }
  }
  VTPS_RETURN_IF_ERROR(snapshot->buildClientSide(keystore));
  return std::shared_ptr<const RuntimeSnapshot>(std::move(snapshot));
}

const ServerPolicyMatch* RuntimeSnapshot::matchServer(uint32_t destination, uint16_t port) const {
  for (const ServerPolicyMatch& m : policies_) {
    const config::ServerProxy& proxy = *m.proxy->config;
    if (inTuple(proxy.destinations, proxy.detection_ports, destination, port)) return &m;
  }
  return nullptr;
}

const config::CleartextTuple* RuntimeSnapshot::matchCleartext(uint32_t destination,
                                                              uint16_t port) const {
  for (const config::CleartextTuple& t : config_->filters.cleartext_inspection) {
    if (inTuple(t.destinations, t.ports, destination, port)) return &t;
  }
  return nullptr;
}

const config::Cidr4* RuntimeSnapshot::sourceException(const config::SslServerPolicy& policy,
                                                      uint32_t client) {
  return covering(policy.source_exceptions, client);
}

const config::Cidr4* RuntimeSnapshot::covering(const std::vector<config::Cidr4>& list,
                                               uint32_t client) {
  for (const config::Cidr4& c : list) {
    if (c.contains(client)) return &c;
  }
  return nullptr;
}

const ClientPolicyMatch* RuntimeSnapshot::matchClient(uint16_t port) const {
  for (const auto& m : client_policies_) {
    for (const config::PortRange& r : m->proxy->config->detection_ports) {
      if (r.contains(port)) return m.get();
    }
  }
  return nullptr;
}

}  // namespace vtps::proxy
