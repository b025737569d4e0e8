#include "crypto/tls/client_context.h"

#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <utility>

#include "crypto/tls/context_setup.h"
#include "crypto/tls/upstream_session_cache.h"

namespace vtps::tls {
namespace {

// What the verify callback saw for one session; owned by the SSL (ex_data).
struct UpstreamState {
  struct Finding {
    int code;
    int depth;
  };
  static constexpr std::size_t kMaxFindings = 16;  // bounds memory against hostile chains
  std::vector<Finding> findings;
  bool verified = false;
  bool client_certificate_requested = false;
  std::string resume_key;  // full key in the worker's UpstreamSessionCache; empty: not kept
  bool resume_only_trusted = false;
};

std::atomic<uint64_t> next_generation{1};

// Records every chain finding and lets the handshake go on: the inspection policy, not OpenSSL,
// decides what an untrusted or expired server gets.
int recordVerification(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* state = ssl != nullptr ? detail::stateOf<UpstreamState>(ssl) : nullptr;
  if (state == nullptr) return preverify_ok;  // a session not made by newSession
  state->verified = true;
  if (preverify_ok == 0 && state->findings.size() < UpstreamState::kMaxFindings) {
    state->findings.push_back(
        {X509_STORE_CTX_get_error(store), X509_STORE_CTX_get_error_depth(store)});
  }
  return 1;
}

int recordClientCertificateRequest(SSL* ssl, X509** /*cert*/, EVP_PKEY** /*key*/) {
  if (auto* state = detail::stateOf<UpstreamState>(ssl)) {
    state->client_certificate_requested = true;
  }
  return 0;  // send no certificate
}

// The server sent a session (TLS 1.3: a NewSessionTicket after the handshake; TLS 1.2: at its
// end): keep a copy in this worker's cache. A copy, because OpenSSL marks the connection's own
// session object not resumable when the connection ends without a close_notify (SSL_free of an
// unclean shutdown), which relayed connections often do; TLS 1.1 and later allow resuming
// after such a close (RFC 4346, 7.2.1).
int keepUpstreamSession(SSL* ssl, SSL_SESSION* session) {
  const auto* state = detail::stateOf<UpstreamState>(ssl);
  if (state == nullptr || state->resume_key.empty() || state->client_certificate_requested) {
    return 0;
  }
  if (state->resume_only_trusted) {
    // A resumed session inherits the verification of the one it resumed (kept only if clean).
    const bool clean = SSL_session_reused(ssl) == 1 ? SSL_get_verify_result(ssl) == X509_V_OK
                                                    : state->verified && state->findings.empty();
    if (!clean) return 0;
  }
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (copy != nullptr) UpstreamSessionCache::local().put(state->resume_key, copy);
  return 0;  // OpenSSL keeps its reference
}

enum class FindingClass { kUntrusted, kKeyTooShort, kHostname, kExpired };

FindingClass classify(int code) {
  switch (code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return FindingClass::kExpired;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return FindingClass::kHostname;
    case X509_V_ERR_EE_KEY_TOO_SMALL:
      return FindingClass::kKeyTooShort;
    default:
      return FindingClass::kUntrusted;
  }
}

struct Finding {
  int code = 0;
  std::string text;
  int depth = -1;
};

// The first finding of each class, in VerifyVerdict's order of severity.
struct Findings {
  std::optional<Finding> untrusted, key_too_short, hostname, expired;

  void add(int code, int depth, std::string text = {}) {
    if (text.empty()) text = X509_verify_cert_error_string(code);
    std::optional<Finding>* slot = &untrusted;
    switch (classify(code)) {
      case FindingClass::kUntrusted:
        break;
      case FindingClass::kKeyTooShort:
        slot = &key_too_short;
        break;
      case FindingClass::kHostname:
        slot = &hostname;
        break;
      case FindingClass::kExpired:
        slot = &expired;
        break;
    }
    if (!*slot) *slot = Finding{code, std::move(text), depth};
  }
};

VerifyOutcome outcomeOf(const Findings& f, int leaf_key_bits) {
  VerifyOutcome out;
  out.leaf_key_bits = leaf_key_bits;
  out.untrusted = f.untrusted.has_value();
  out.key_too_short = f.key_too_short.has_value();
  out.hostname_mismatch = f.hostname.has_value();
  out.expired = f.expired.has_value();
  const std::pair<const std::optional<Finding>*, VerifyVerdict> order[] = {
      {&f.untrusted, VerifyVerdict::kUntrusted},
      {&f.key_too_short, VerifyVerdict::kKeyTooShort},
      {&f.hostname, VerifyVerdict::kHostnameMismatch},
      {&f.expired, VerifyVerdict::kExpired},
  };
  out.verdict = VerifyVerdict::kTrusted;
  for (const auto& [finding, verdict] : order) {
    if (!*finding) continue;
    out.verdict = verdict;
    out.error_code = (*finding)->code;
    out.error_text = (*finding)->text;
    out.error_depth = (*finding)->depth;
    break;
  }
  return out;
}

}  // namespace

std::string_view verdictName(VerifyVerdict v) {
  switch (v) {
    case VerifyVerdict::kTrusted:
      return "trusted";
    case VerifyVerdict::kNoCertificate:
      return "no certificate";
    case VerifyVerdict::kUntrusted:
      return "untrusted";
    case VerifyVerdict::kKeyTooShort:
      return "key too short";
    case VerifyVerdict::kHostnameMismatch:
      return "hostname mismatch";
    case VerifyVerdict::kExpired:
      return "expired";
  }
  return "unknown";
}

ClientContext::ClientContext(std::string name, ossl::SslCtxPtr ctx, ClientTlsOptions options,
                             std::vector<std::string> ignored)
    : generation_(next_generation.fetch_add(1, std::memory_order_relaxed)),
      name_(std::move(name)),
      ctx_(std::move(ctx)),
      options_(std::move(options)),
      ignored_(std::move(ignored)) {}

Result<ClientContext> ClientContext::create(std::string_view name, const ClientTlsOptions& options,
                                            X509_STORE* trust_store) {
  const std::string what = fmt::format("client proxy {} upstream", name);
  if (trust_store == nullptr) return Error{fmt::format("{}: no trust store", what)};
  if (options.min_rsa_key_bits < 0) {
    return Error{
        fmt::format("{}: minimum key length {} is negative", what, options.min_rsa_key_bits)};
  }
  std::vector<std::string> ignored;
  auto ctx = detail::newContext(what, options.tls, ignored);
  if (!ctx) return ctx.error();
  SSL_CTX* c = ctx->get();
  auto wire = detail::encodeAlpn(
      what, detail::effectiveAlpn(options.tls.alpn, options.tls.http2_to_http1_downgrade));
  if (!wire) return wire.error();
  if (!wire->empty() &&
      SSL_CTX_set_alpn_protos(c, reinterpret_cast<const unsigned char*>(wire->data()),
                              static_cast<unsigned int>(wire->size())) != 0) {
    return ossl::error(fmt::format("{}: SSL_CTX_set_alpn_protos", what));
  }
  SSL_CTX_set1_cert_store(c, trust_store);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, recordVerification);
  SSL_CTX_set_client_cert_cb(c, recordClientCertificateRequest);
  // Client-side sessions go to the worker's cache only (keepUpstreamSession), never to OpenSSL's
  // shared, locked one.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(c, keepUpstreamSession);
  return ClientContext(std::string(name), std::move(*ctx), options, std::move(ignored));
}

Result<ossl::SslPtr> ClientContext::newSession(const UpstreamSession& params) const {
  const std::string what = fmt::format("client proxy {} upstream {}", name_,
                                       params.sni.empty() ? params.verify_name : params.sni);
  ossl::SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) return ossl::error(fmt::format("{}: SSL_new", what));
  SSL_set_connect_state(ssl.get());
  auto state = detail::attach(ssl.get(), std::make_unique<UpstreamState>(), what);
  if (!state) return state.error();
  if (!params.sni.empty() && SSL_set_tlsext_host_name(ssl.get(), params.sni.c_str()) != 1) {
    return ossl::error(fmt::format("{}: set SNI", what));
  }
  if (!params.resume_key.empty()) {
    (*state)->resume_key = fmt::format("{}|{}|{}", generation_, params.resume_key, params.sni);
    (*state)->resume_only_trusted = params.resume_only_trusted;
    if (SSL_SESSION* kept = UpstreamSessionCache::local().take((*state)->resume_key)) {
      const int set = SSL_set_session(ssl.get(), kept);
      SSL_SESSION_free(kept);
      if (set != 1) ossl::drainErrors();  // a full handshake, then
    }
  }
  const std::string& verify_name = params.verify_name.empty() ? params.sni : params.verify_name;
  if (!verify_name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    if (X509_VERIFY_PARAM_set1_ip_asc(param, verify_name.c_str()) != 1) {
      ossl::drainErrors();  // not an IP literal: a DNS name
      SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (SSL_set1_host(ssl.get(), verify_name.c_str()) != 1) {
        return ossl::error(fmt::format("{}: set verification name {}", what, verify_name));
      }
    }
  }
  if (params.alpn) {
    auto wire = detail::encodeAlpn(
        what, detail::effectiveAlpn(*params.alpn, options_.tls.http2_to_http1_downgrade));
    if (!wire) return wire.error();
    const auto* data =
        wire->empty() ? nullptr : reinterpret_cast<const unsigned char*>(wire->data());
    if (SSL_set_alpn_protos(ssl.get(), data, static_cast<unsigned int>(wire->size())) != 0) {
      return ossl::error(fmt::format("{}: SSL_set_alpn_protos", what));
    }
  }
  return ssl;
}

VerifyOutcome ClientContext::verifyOutcome(const SSL* ssl) const {
  const X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) {
    VerifyOutcome none;
    none.error_text = "the server presented no certificate";
    return none;
  }
  Findings findings;
  const auto* state = detail::stateOf<UpstreamState>(ssl);
  if (state != nullptr && state->verified) {
    for (const auto& f : state->findings)
      findings.add(f.code, f.depth);
  } else if (const long result = SSL_get_verify_result(ssl); result != X509_V_OK) {
    findings.add(static_cast<int>(result), 0);  // resumed or foreign session: the stored result
  }
  const EVP_PKEY* key = X509_get0_pubkey(leaf);
  const int bits = key != nullptr ? EVP_PKEY_get_bits(key) : 0;
  const int type = key != nullptr ? EVP_PKEY_get_base_id(key) : 0;
  const bool rsa = type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS;
  if (rsa && options_.min_rsa_key_bits > 0 && bits < options_.min_rsa_key_bits) {
    findings.add(X509_V_ERR_EE_KEY_TOO_SMALL, 0,
                 fmt::format("RSA key of {} bits is shorter than the minimum of {}", bits,
                             options_.min_rsa_key_bits));
  }
  return outcomeOf(findings, bits);
}

bool ClientContext::clientCertificateRequested(const SSL* ssl) {
  const auto* state = detail::stateOf<UpstreamState>(ssl);
  return state != nullptr && state->client_certificate_requested;
}

}  // namespace vtps::tls
