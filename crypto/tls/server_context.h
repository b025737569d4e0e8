// The client-facing TLS context of a proxy. Two flavours share one class:
// - server proxy (SSL server inspection): up to 1000 operator certificates, one picked per
//   connection from the ClientHello's SNI, the first one being the default;
// - client inspection accept side: no certificate of its own; every session presents the leaf
//   minted for it.
// Both apply the protocol range, cipher suites, hardening options and the ALPN policy (with the
// HTTP/2-to-HTTP/1 downgrade, "h2" is never selected; a client that offers only h2 gets no ALPN
// and therefore HTTP/1.1). The interface is about OpenSSL, so it hands out SSL handles.
//
// Callback state lives in the SSL_CTX's ex_data, so sessions keep working after the
// ServerContext object that made them is gone (a config reload replaces contexts while live
// sessions finish).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ossl.h"
#include "crypto/result.h"
#include "crypto/tls/tls_options.h"

namespace vtps::tls {

// One certificate a server proxy presents: the leaf, its private key and the intermediates sent
// after it (leaf first, root omitted).
struct ServerCertificate {
  std::string name;  // keystore name, used in error messages
  ossl::X509Ptr leaf;
  ossl::EvpPkeyPtr key;
  std::vector<ossl::X509Ptr> chain;
};

inline constexpr std::size_t kMaxServerCertificates = 1000;

class ServerContext {
 public:
  // Server proxy `name` serving `certificates`. Errors (each names the proxy): no certificate,
  // more than kMaxServerCertificates, a key that does not match its certificate, RSA and ECDSA
  // certificates mixed (the TPS rule for server proxies), and everything newContext refuses:
  // unknown cipher suite names, no usable suite for an enabled version, SSLv3 on a build
  // without it, a malformed ALPN name.
  static Result<ServerContext> createForServerProxy(std::string_view name,
                                                    const ServerTlsOptions& options,
                                                    std::vector<ServerCertificate> certificates);
  // Accept side of client proxy `name`: sessions come from newMintedSession only.
  static Result<ServerContext> createForClientInspection(std::string_view name,
                                                         const ServerTlsOptions& options);

  // A server-proxy session (SSL_set_accept_state done). `alpn` overrides the protocols this
  // session may select (nullopt: the context's list; an empty list: select none); the downgrade
  // still removes "h2". Error when the context has no certificates or allocation fails.
  Result<ossl::SslPtr> newSession(
      const std::optional<std::vector<std::string>>& alpn = std::nullopt) const;
  // A session that presents `leaf` with `key` and the `chain` intermediates (may be null).
  // Errors: key does not match leaf, allocation failure.
  Result<ossl::SslPtr> newMintedSession(
      X509* leaf, EVP_PKEY* key, STACK_OF(X509) * chain,
      const std::optional<std::vector<std::string>>& alpn = std::nullopt) const;

  // Which of the server proxy's certificates `ssl` presents once its ClientHello was processed
  // (0 is the default); nullopt for minted sessions or sessions of another context.
  std::optional<std::size_t> presentedCertificate(const SSL* ssl) const;
  std::size_t certificateCount() const;
  // Configured suites this OpenSSL build cannot negotiate (3DES on builds without
  // weak-ssl-ciphers); the context runs without them, as the TPS ignores unsupported suites.
  const std::vector<std::string>& ignoredCipherSuites() const { return ignored_; }
  const std::string& name() const { return name_; }
  SSL_CTX* native() const { return ctx_.get(); }

  struct State;  // callback state, owned by the SSL_CTX

 private:
  ServerContext(std::string name, ossl::SslCtxPtr ctx, const State* state,
                std::vector<std::string> ignored);

  std::string name_;
  ossl::SslCtxPtr ctx_;
  const State* state_;
  std::vector<std::string> ignored_;
};

}  // namespace vtps::tls
