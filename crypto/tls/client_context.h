// The upstream-side TLS context of a proxy: the leg that connects to the origin server. It
// applies the protocol range, cipher suites and hardening options, sends the SNI per session,
// offers ALPN (only http/1.1 instead of h2 with the downgrade), and verifies the server's chain
// and name against the caller's trust store WITHOUT failing the handshake: the SSL client
// inspection policy reads verifyOutcome() after the handshake and decides (mint as trusted,
// mint with the Untrusted Server CA, or block). A server that asks for a client certificate is
// recorded (such a session cannot be inspected; the policy excludes the domain).
//
// Sessions resume upstream (upstream_session_cache.h) when the caller names a resumption key:
// the origin's tickets are kept per worker thread and offered on the next connection to the same
// destination and SNI through the same context (a reload makes new contexts, which start empty).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ossl.h"
#include "crypto/result.h"
#include "crypto/tls/tls_options.h"

namespace vtps::tls {

// The most severe finding about an upstream certificate, in this order of severity.
enum class VerifyVerdict {
  kTrusted,           // chains to the trust store, names the host, in its validity period
  kNoCertificate,     // the server sent none (handshake not done, or anonymous suite)
  kUntrusted,         // chain problem: unknown issuer, self-signed, bad signature, ...
  kKeyTooShort,       // RSA key below the client proxy's minimum key length
  kHostnameMismatch,  // certificate does not name the host (SNI) connected to
  kExpired,           // outside its validity period (expired or not yet valid), else fine
};
std::string_view verdictName(VerifyVerdict v);  // "trusted", "untrusted", "expired", ...

struct VerifyOutcome {
  VerifyVerdict verdict = VerifyVerdict::kNoCertificate;
  // The finding behind the verdict: an X509_V_ERR_* code (X509_V_ERR_EE_KEY_TOO_SMALL for the
  // minimum key length) and its text ("certificate has expired"); 0 and "ok" when trusted.
  int error_code = 0;
  std::string error_text = "ok";
  int error_depth = -1;  // chain position of that finding, 0 = leaf
  // Every class of finding, since a certificate can be both expired and untrusted and the block
  // options are separate (block invalid: untrusted, short key, wrong name; block expired).
  bool untrusted = false;
  bool key_too_short = false;
  bool hostname_mismatch = false;
  bool expired = false;
  int leaf_key_bits = 0;  // size of the leaf's public key; 0 without a certificate

  bool invalid() const { return untrusted || key_too_short || hostname_mismatch; }
};

// Per-session upstream parameters.
struct UpstreamSession {
  std::string sni = {};  // server_name to send; empty: none (client sent none)
  // Name (or IP literal) the certificate must carry; empty: the SNI; both empty: not checked.
  std::string verify_name = {};
  // Protocols to offer (nullopt: the context's list); the downgrade still removes "h2", and an
  // empty result offers no ALPN.
  std::optional<std::vector<std::string>> alpn = std::nullopt;
  // Where the session goes (the origin's address and port, e.g. "10.10.2.3:443"): with the SNI
  // it names the sessions this one may resume and those it leaves. Empty: no resumption.
  std::string resume_key = {};
  // Keep this session for resumption only when its chain verified without any finding (client
  // inspection: a resumed session must not skip a check whose result the policy would act on).
  bool resume_only_trusted = false;
};

class ClientContext {
 public:
  // Upstream context for proxy `name` verifying against `trust_store` (shared, not copied: the
  // store must stay unmodified while contexts use it). Errors: those of newContext (cipher
  // suites, protocols, ALPN names), a null store, min_rsa_key_bits below 0.
  static Result<ClientContext> create(std::string_view name, const ClientTlsOptions& options,
                                      X509_STORE* trust_store);

  // A session in connect state with SNI, verification name and ALPN set, resuming a kept
  // session of the same destination and SNI when there is one (UpstreamSession::resume_key).
  Result<ossl::SslPtr> newSession(const UpstreamSession& params) const;

  // Verification findings for a session whose server certificate was received (after the
  // handshake, or after it failed past the Certificate message).
  VerifyOutcome verifyOutcome(const SSL* ssl) const;
  // Whether the server sent a CertificateRequest. The proxy never presents a client
  // certificate: TLS 1.2 servers that insist fail the handshake, TLS 1.3 ones alert after it.
  static bool clientCertificateRequested(const SSL* ssl);

  const std::vector<std::string>& ignoredCipherSuites() const { return ignored_; }
  const std::string& name() const { return name_; }
  SSL_CTX* native() const { return ctx_.get(); }

 private:
  ClientContext(std::string name, ossl::SslCtxPtr ctx, ClientTlsOptions options,
                std::vector<std::string> ignored);

  // Unique per context made in this process: resumption keys never cross contexts.
  uint64_t generation_ = 0;
  std::string name_;
  ossl::SslCtxPtr ctx_;
  ClientTlsOptions options_;
  std::vector<std::string> ignored_;
};

}  // namespace vtps::tls
