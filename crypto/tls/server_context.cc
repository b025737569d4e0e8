#include "crypto/tls/server_context.h"

#include <fmt/format.h>
#include <openssl/objects.h>

#include <memory>
#include <utility>

#include "crypto/tls/certificate_selector.h"
#include "crypto/tls/context_setup.h"

namespace vtps::tls {

struct ServerContext::State {
  State() = default;
  State(const State&) = delete;  // owned by one SSL_CTX, never duplicated
  State& operator=(const State&) = delete;

  struct Entry {
    ossl::X509Ptr leaf;
    ossl::EvpPkeyPtr key;
    ossl::X509StackPtr chain;
  };
  std::vector<Entry> certs;
  CertificateSelector selector;
  bool downgrade = false;
  std::string alpn_wire;  // the context's ALPN preference, wire format
};

namespace {

using State = ServerContext::State;

// Per-session ALPN preference that replaces the context's (wire format; empty: select none).
struct SessionAlpn {
  std::string wire;
};

int selectAlpn(SSL* ssl, const unsigned char** out, unsigned char* out_len,
               const unsigned char* offered, unsigned int offered_len, void* arg) {
  const auto* state = static_cast<const State*>(arg);
  const SessionAlpn* session = detail::stateOf<SessionAlpn>(ssl);
  const std::string& ours = session != nullptr ? session->wire : state->alpn_wire;
  unsigned char* selected = nullptr;
  unsigned char selected_len = 0;
  // Server preference order: with the downgrade, "h2" is not in `ours`, so a client offering
  // h2 and http/1.1 gets http/1.1 and a client offering only h2 gets no ALPN (no alert): it then
  // speaks HTTP/1.1, the protocol a TLS connection without ALPN defaults to.
  if (ours.empty() || SSL_select_next_proto(&selected, &selected_len,
                                            reinterpret_cast<const unsigned char*>(ours.data()),
                                            static_cast<unsigned int>(ours.size()), offered,
                                            offered_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  *out_len = selected_len;
  return SSL_TLSEXT_ERR_OK;
}

// Runs once the ClientHello's extensions are parsed, before OpenSSL picks the certificate.
int selectCertificate(SSL* ssl, int* alert, void* arg) {
  const auto* state = static_cast<const State*>(arg);
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (sni == nullptr) return SSL_TLSEXT_ERR_OK;  // the default certificate stays
  const std::size_t index = state->selector.select(sni).value_or(0);
  if (index == 0) return SSL_TLSEXT_ERR_OK;
  const State::Entry& e = state->certs[index];
  if (SSL_use_cert_and_key(ssl, e.leaf.get(), e.key.get(), e.chain.get(), 1) != 1) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

std::string keyTypeName(const EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS) return "RSA";
  if (id == EVP_PKEY_EC) return "ECDSA";
  const char* sn = OBJ_nid2sn(id);
  return sn != nullptr ? sn : "unknown";
}

Result<State::Entry> takeCertificate(std::string_view what, ServerCertificate& cert) {
  if (!cert.leaf || !cert.key) {
    return Error{
        fmt::format("{}: certificate {}: certificate or private key missing", what, cert.name)};
  }
  if (X509_check_private_key(cert.leaf.get(), cert.key.get()) != 1) {
    ossl::drainErrors();  // "key values mismatch" says no more than the message below
    return Error{fmt::format("{}: certificate {}: private key does not match the certificate", what,
                             cert.name)};
  }
  ossl::X509StackPtr chain(sk_X509_new_null());
  if (!chain) return ossl::error(fmt::format("{}: certificate {}: sk_X509_new", what, cert.name));
  for (auto& c : cert.chain) {
    if (!c || sk_X509_push(chain.get(), c.get()) <= 0) {
      return ossl::error(fmt::format("{}: certificate {}: chain", what, cert.name));
    }
    static_cast<void>(c.release());  // the stack owns it now
  }
  return State::Entry{std::move(cert.leaf), std::move(cert.key), std::move(chain)};
}

Status loadCertificates(std::string_view what, SSL_CTX* ctx, State& state,
                        std::vector<ServerCertificate>& certificates) {
  if (certificates.empty()) return Error{fmt::format("{}: no certificate configured", what)};
  if (certificates.size() > kMaxServerCertificates) {
    return Error{fmt::format("{}: {} certificates configured, at most {} are supported", what,
                             certificates.size(), kMaxServerCertificates)};
  }
  const std::string default_type = keyTypeName(certificates.front().key.get());
  for (std::size_t i = 0; i < certificates.size(); ++i) {
    ServerCertificate& cert = certificates[i];
    if (cert.key && keyTypeName(cert.key.get()) != default_type) {
      return Error{fmt::format(
          "{}: certificate {} is {} but the default certificate {} is {}; a server proxy "
          "serves RSA or ECDSA certificates, not both",
          what, cert.name, keyTypeName(cert.key.get()), certificates.front().name, default_type)};
    }
    auto entry = takeCertificate(what, cert);
    if (!entry) return entry.error();
    state.selector.add(i, entry->leaf.get());
    state.certs.push_back(std::move(*entry));
  }
  const State::Entry& def = state.certs.front();
  if (SSL_CTX_use_cert_and_key(ctx, def.leaf.get(), def.key.get(), def.chain.get(), 1) != 1) {
    return ossl::error(
        fmt::format("{}: load default certificate {}", what, certificates.front().name));
  }
  return {};
}

Result<ossl::SslCtxPtr> buildContext(std::string_view what, const ServerTlsOptions& options,
                                     State& state, std::vector<std::string>& ignored) {
  auto ctx = detail::newContext(what, options.tls, ignored);
  if (!ctx) return ctx.error();
  SSL_CTX* c = ctx->get();
  state.downgrade = options.tls.http2_to_http1_downgrade;
  auto wire = detail::encodeAlpn(what, detail::effectiveAlpn(options.tls.alpn, state.downgrade));
  if (!wire) return wire.error();
  state.alpn_wire = std::move(*wire);
  SSL_CTX_set_alpn_select_cb(c, selectAlpn, &state);

  // Workers share the context, and OpenSSL's server session cache is one locked table: keep it
  // off. Tickets are stateless, so resumption works without it.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  if (!options.session_tickets) {
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(c, 0);
  }
  return ctx;
}

}  // namespace

ServerContext::ServerContext(std::string name, ossl::SslCtxPtr ctx, const State* state,
                             std::vector<std::string> ignored)
    : name_(std::move(name)), ctx_(std::move(ctx)), state_(state), ignored_(std::move(ignored)) {}

Result<ServerContext> ServerContext::createForServerProxy(
    std::string_view name, const ServerTlsOptions& options,
    std::vector<ServerCertificate> certificates) {
  const std::string what = fmt::format("server proxy {}", name);
  auto owned = std::make_unique<State>();
  std::vector<std::string> ignored;
  auto ctx = buildContext(what, options, *owned, ignored);
  if (!ctx) return ctx.error();
  VTPS_RETURN_IF_ERROR(loadCertificates(what, ctx->get(), *owned, certificates));
  SSL_CTX_set_tlsext_servername_callback(ctx->get(), selectCertificate);
  SSL_CTX_set_tlsext_servername_arg(ctx->get(), owned.get());
  auto state = detail::attach(ctx->get(), std::move(owned), what);
  if (!state) return state.error();
  return ServerContext(std::string(name), std::move(*ctx), *state, std::move(ignored));
}

Result<ServerContext> ServerContext::createForClientInspection(std::string_view name,
                                                               const ServerTlsOptions& options) {
  const std::string what = fmt::format("client proxy {}", name);
  auto owned = std::make_unique<State>();
  std::vector<std::string> ignored;
  auto ctx = buildContext(what, options, *owned, ignored);
  if (!ctx) return ctx.error();
  auto state = detail::attach(ctx->get(), std::move(owned), what);
  if (!state) return state.error();
  return ServerContext(std::string(name), std::move(*ctx), *state, std::move(ignored));
}

namespace {

Result<ossl::SslPtr> newAcceptSsl(std::string_view what, SSL_CTX* ctx, bool downgrade,
                                  const std::optional<std::vector<std::string>>& alpn) {
  ossl::SslPtr ssl(SSL_new(ctx));
  if (!ssl) return ossl::error(fmt::format("{}: SSL_new", what));
  SSL_set_accept_state(ssl.get());
  if (alpn) {
    auto wire = detail::encodeAlpn(what, detail::effectiveAlpn(*alpn, downgrade));
    if (!wire) return wire.error();
    auto attached = detail::attach(
        ssl.get(), std::make_unique<SessionAlpn>(SessionAlpn{std::move(*wire)}), what);
    if (!attached) return attached.error();
  }
  return ssl;
}

}  // namespace

Result<ossl::SslPtr> ServerContext::newSession(
    const std::optional<std::vector<std::string>>& alpn) const {
  if (state_->certs.empty()) {
    return Error{
        fmt::format("client proxy {}: has no certificate of its own; sessions need a "
                    "minted certificate",
                    name_)};
  }
  return newAcceptSsl(fmt::format("server proxy {}", name_), ctx_.get(), state_->downgrade, alpn);
}

Result<ossl::SslPtr> ServerContext::newMintedSession(
    X509* leaf, EVP_PKEY* key, STACK_OF(X509) * chain,
    const std::optional<std::vector<std::string>>& alpn) const {
  const std::string what = fmt::format("client proxy {}", name_);
  auto ssl = newAcceptSsl(what, ctx_.get(), state_->downgrade, alpn);
  if (!ssl) return ssl.error();
  if (leaf == nullptr || key == nullptr) {
    return Error{fmt::format("{}: minted certificate or key missing", what)};
  }
  if (SSL_use_cert_and_key(ssl->get(), leaf, key, chain, 1) != 1) {
    return ossl::error(fmt::format("{}: use minted certificate", what));
  }
  return ssl;
}

std::optional<std::size_t> ServerContext::presentedCertificate(const SSL* ssl) const {
  if (ssl == nullptr || SSL_get_SSL_CTX(ssl) != ctx_.get()) return std::nullopt;
  const X509* presented = SSL_get_certificate(ssl);
  for (std::size_t i = 0; i < state_->certs.size(); ++i) {
    if (state_->certs[i].leaf.get() == presented) return i;
  }
  return std::nullopt;
}

std::size_t ServerContext::certificateCount() const {
  return state_->certs.size();
}

}  // namespace vtps::tls
