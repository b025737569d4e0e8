// Session: the SSL client policy path (outbound). The decision is made from the peeked
// ClientHello before any handshake: always-decrypt, never-decrypt, the decryption policy, the
// global domain exclusions. Decrypted sessions verify the server first, then block it or mint the
// leaf the client sees, then finish the client handshake. Handshake failures with a domain go to
// the failed connection log and may add the domain to the automatic exclusions.
#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <chrono>

#include "crypto/tls/tls_names.h"
#include "dataplane/proxy/domain_exclusions.h"
#include "dataplane/proxy/session.h"
#include "dataplane/proxy/tls_session.h"

namespace vtps::proxy {
namespace {

// A fatal handshake_failure alert in a TLS 1.0 record: what a client whose session the policy
// blocks gets instead of a ServerHello (unless the proxy resets it).
constexpr uint8_t kHandshakeFailureAlert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28};
// Names taken from a server certificate when the client sent no SNI; a certificate with more is
// judged on these.
constexpr size_t kMaxCertificateNames = 64;

int64_t unixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The DNS subjectAltNames and the subject common name of `cert`, normalized.
std::vector<std::string> certificateNames(X509* cert) {
  std::vector<std::string> names;
  ossl::GeneralNamesPtr sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), i);
    if (name->type != GEN_DNS || names.size() >= kMaxCertificateNames) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    names.push_back(
        normalizeDomain(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                         static_cast<size_t>(ASN1_STRING_length(dns)))));
  }
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn >= 0 && names.size() < kMaxCertificateNames) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, cn));
    names.push_back(
        normalizeDomain(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                                         static_cast<size_t>(ASN1_STRING_length(data)))));
  }
  return names;
}

}  // namespace

void Session::decideClient() {
  const config::ClientProxy& proxy = *client_match_->proxy->config;
  const config::SslClientPolicy& policy = *client_match_->policy;
  SessionContext& ctx = record_.context;
  ctx.profile = client_match_->profile->name;
  ctx.policy = policy.name;
  ctx.proxy = proxy.name;
  ctx.service = proxy.decrypted_service;
  record_.logging_enabled = proxy.logging;
  worker_.counters().add(Ctr::kClientPolicySessions);
  if (!snapshot_->settings().client) {
    return splice(Decision::kNotDecrypted, Ctr::kCount, "SSL client inspection is disabled");
  }
  if (!policy.enabled) {
    return splice(Decision::kNotDecrypted, Ctr::kClientPolicyDisabled, "policy disabled");
  }
  if (bypassedByFilters()) return;
  std::string reason;
  const uint32_t client = client_address_.address;
  if (const config::Cidr4* a = RuntimeSnapshot::covering(policy.always_decrypt, client)) {
    worker_.counters().add(Ctr::kAlwaysDecrypt);
    reason = fmt::format("always-decrypt {}", a->str());
  } else if (const config::Cidr4* n = RuntimeSnapshot::covering(policy.never_decrypt, client)) {
    return splice(Decision::kNotDecrypted, Ctr::kNeverDecrypt,
                  fmt::format("never-decrypt {}", n->str()));
  } else if (!ctx.sni.empty()) {
    // The SNI is trusted for "do not decrypt": no upstream certificate is needed to decide.
    DomainVerdict verdict = domainVerdict(ctx.sni);
    if (!verdict.decrypt) {
      return splice(Decision::kNotDecrypted, verdict.counter, std::move(verdict.reason));
    }
    if (verdict.counter != Ctr::kCount) worker_.counters().add(verdict.counter);
    reason = std::move(verdict.reason);
  } else if (const std::string* seen = worker_.certificateNameMemo().find(
                 destination_.address, destination_.port, worker_.nowMs())) {
    return splice(Decision::kNotDecrypted, Ctr::kCertificateNameExcluded, *seen);
  } else {
    names_from_certificate_ = true;
  }
  if (!admitDecryption()) return overThreshold();
  record_.decision = Decision::kDecrypted;
  record_.reason = std::move(reason);
  connectUpstream(Plan::kDecrypt);
}

Session::DomainVerdict Session::domainVerdict(std::string_view host) {
  if (const DecryptionPolicyRuntime* policy = client_match_->decryption) {
    DecryptionPolicyRuntime::Outcome out = policy->evaluate(host);
    switch (out.verdict) {
      case DecryptionPolicyRuntime::Verdict::kNoOpinion:
        break;
      case DecryptionPolicyRuntime::Verdict::kDomain:
        return {false, Ctr::kPolicyDomain,
                fmt::format("domain {} in decryption policy {}", out.pattern, policy->name())};
      case DecryptionPolicyRuntime::Verdict::kCategory:
        return {false, Ctr::kPolicyCategory,
                fmt::format("category {} in decryption policy {}", out.category, policy->name())};
      case DecryptionPolicyRuntime::Verdict::kOverride:
        // The profile's policy takes precedence over the global exclusions.
        return {true, Ctr::kCategoryOverrides,
                fmt::format("category override {} in decryption policy {}", out.pattern,
                            policy->name())};
    }
  }
  if (const ExclusionStore* store = snapshot_->clientServices().exclusions.get()) {
    if (const ExclusionEntry* e = worker_.exclusions(*store).match(host)) {
      return {false, Ctr::kDomainExcluded,
              fmt::format("domain exclusion {} ({})", e->domain, toString(e->source))};
    }
  }
  return {};
}

void Session::onServerHandshakeFailed() {
  if (tls_->serverRequestedCertificate()) return refuseClientCertificateRequest();
  std::string reason = fmt::format("server handshake failed: {}", tls_->failure());
  reportFailure(FailedSide::kServer, tls_->receivedAlert(), {}, false, reason);
  fail(Ctr::kServerHandshakeFailures, std::move(reason));
}

void Session::refuseClientCertificateRequest() {
  // TLS 1.2 servers that insist fail the handshake; TLS 1.3 ones would alert after it. Either
  // way the proxy has no certificate to give and cannot inspect the session.
  std::string reason = "server requested a client certificate; the session cannot be inspected";
  bool excluded = false;
  const std::string& sni = record_.context.sni;
  ExclusionStore* store = snapshot_->clientServices().exclusions.get();
  if (!sni.empty() && store != nullptr &&
      store->excludeNow(sni, "server requested a client certificate") ==
          ExclusionStore::FailureOutcome::kExcluded) {
    excluded = true;
    worker_.counters().add(Ctr::kAutoExclusions);
    worker_.shared().sink->systemLog(
        "warning", fmt::format("SSL client domain exclusion added: {} (server requested a client "
                               "certificate)",
                               sni));
  }
  reportFailure(FailedSide::kServer, tls_->receivedAlert(), {}, excluded, reason);
  blockClient(Ctr::kBlockedClientCertificate, std::move(reason));
}

void Session::onUpstreamCertificate() {
  if (tls_->serverRequestedCertificate()) return refuseClientCertificateRequest();
  const tls::VerifyOutcome outcome = client_match_->connect_side->verifyOutcome(tls_->serverSsl());
  WorkerCounters& c = worker_.counters();
  const bool missing = outcome.verdict == tls::VerifyVerdict::kNoCertificate;
  if (outcome.verdict == tls::VerifyVerdict::kTrusted) c.add(Ctr::kServerCertTrusted);
  if (outcome.untrusted || missing) c.add(Ctr::kServerCertUntrusted);
  if (outcome.key_too_short) c.add(Ctr::kServerCertKeyTooShort);
  if (outcome.hostname_mismatch) c.add(Ctr::kServerCertHostnameMismatch);
  if (outcome.expired) c.add(Ctr::kServerCertExpired);
  if (names_from_certificate_ && !missing) certificateNamesExcluded();
  const config::ClientProxy& proxy = *client_match_->proxy->config;
  if ((outcome.invalid() || missing) && proxy.block_invalid_certificates) {
    return blockUpstreamCertificate(outcome, false);
  }
  if (outcome.expired && proxy.block_expired_certificates) {
    return blockUpstreamCertificate(outcome, true);
  }
  mintAndAcceptClient(outcome.verdict == tls::VerifyVerdict::kTrusted);
}

bool Session::certificateNamesExcluded() {
  X509* cert = SSL_get0_peer_certificate(tls_->serverSsl());
  for (const std::string& name : certificateNames(cert)) {
    DomainVerdict verdict = domainVerdict(name);
    if (verdict.decrypt) {
      if (verdict.counter == Ctr::kCount) continue;
      return false;  // a category override: decrypted and inspected
    }
    worker_.counters().add(Ctr::kCertificateNameExcluded);
    const std::string why =
        fmt::format("{} (no SNI; server certificate name {})", verdict.reason, name);
    not_inspected_reason_ = why;
    worker_.certificateNameMemo().remember(destination_.address, destination_.port, why,
                                           worker_.nowMs());
    return true;
  }
  return false;
}

void Session::blockUpstreamCertificate(const tls::VerifyOutcome& outcome, bool expired_only) {
  std::string finding = outcome.error_text;
  if (expired_only && outcome.verdict != tls::VerifyVerdict::kExpired) {
    // A more severe finding is allowed through by the options; the expiry is what blocks.
    finding = X509_verify_cert_error_string(X509_V_ERR_CERT_HAS_EXPIRED);
  }
  const std::string_view verdict = expired_only ? tls::verdictName(tls::VerifyVerdict::kExpired)
                                                : tls::verdictName(outcome.verdict);
  std::string reason = fmt::format("server certificate {}: {}", verdict, finding);
  reportFailure(FailedSide::kServer, std::nullopt, finding, false, reason);
  blockClient(expired_only ? Ctr::kBlockedExpiredCertificate : Ctr::kBlockedInvalidCertificate,
              std::move(reason));
}

void Session::mintAndAcceptClient(bool trusted) {
  const ClientProxyRuntime& proxy = *client_match_->proxy;
  X509* upstream = SSL_get0_peer_certificate(tls_->serverSsl());
  if (upstream == nullptr) {
    return fail(Ctr::kMintFailures, "the server presented no certificate to mint from");
  }
  const mint::LeafKeyType key_type = mint::chooseLeafKeyType(key_offer_);
  Result<std::shared_ptr<const mint::MintedLeaf>> leaf =
      snapshot_->clientServices().mint->cache->getOrMint(upstream, record_.context.sni, key_type,
                                                         proxy.cas.issuerFor(trusted));
  if (!leaf) return fail(Ctr::kMintFailures, leaf.message());
  minted_trusted_ = trusted;
  worker_.counters().add(trusted ? Ctr::kLeavesSigningCa : Ctr::kLeavesUntrustedCa);
  // The SSL takes its own references on the leaf, key and chain.
  Result<ossl::SslPtr> ssl = proxy.accept_side->newMintedSession(
      (*leaf)->cert.get(), (*leaf)->key.get(), trusted ? proxy.signing_chain.get() : nullptr,
      tls_->clientLegAlpn());
  if (!ssl) return fail(Ctr::kCount, ssl.message());
  Status attached = tls_->attachClientLeg(std::move(*ssl), client_.fd.get());
  if (!attached) return fail(Ctr::kCount, attached.message());
  state_ = State::kClientHandshake;
  driveClientHandshake();
}

void Session::onClientHandshakeFailed() {
  const std::optional<int> alert = tls_->receivedAlert();
  std::string reason = fmt::format("client handshake failed: {}", tls_->failure());
  WorkerCounters& c = worker_.counters();
  const bool rejected =
      alert && (*alert == SSL_AD_BAD_CERTIFICATE || *alert == SSL_AD_CERTIFICATE_UNKNOWN ||
                *alert == SSL_AD_UNKNOWN_CA);
  if (rejected) c.add(Ctr::kClientCertRejections);
  bool excluded = false;
  const std::string& sni = record_.context.sni;
  ExclusionStore* store = snapshot_->clientServices().exclusions.get();
  // Only certificate_unknown counts towards an automatic exclusion, and only against a leaf of
  // the signing CA: clients with pinned certificates send it. unknown_ca and bad_certificate
  // mostly mean a client that does not trust the signing CA (a deployment problem that
  // excluding domains would hide), and any rejection of an Untrusted Server CA leaf is the
  // warning working as intended.
  if (alert == SSL_AD_CERTIFICATE_UNKNOWN && minted_trusted_ && !sni.empty() && store != nullptr &&
      store->recordFailure(sni, "clients rejected the minted certificate (certificate_unknown)",
                           worker_.nowMs()) == ExclusionStore::FailureOutcome::kExcluded) {
    excluded = true;
    c.add(Ctr::kAutoExclusions);
    worker_.shared().sink->systemLog(
        "warning", fmt::format("SSL client domain exclusion added: {} (clients rejected the "
                               "minted certificate with certificate_unknown)",
                               sni));
  }
  reportFailure(FailedSide::kClient, alert, {}, excluded, reason);
  fail(Ctr::kRefused, std::move(reason));
}

void Session::reportFailure(FailedSide side, std::optional<int> alert, std::string verify_error,
                            bool auto_excluded, const std::string& reason) {
  // "IP only" failures stay in the SSL log.
  if (record_.context.sni.empty()) return;
  FailedConnectionRecord r;
  r.time_unix_ms = unixNowMs();
  r.context = record_.context;
  r.side = side;
  if (alert) {
    r.alert = std::string(tls::alertName(*alert));
    r.alert_code = *alert;
  }
  r.verify_error = std::move(verify_error);
  r.reason = reason;
  r.auto_excluded = auto_excluded;
  worker_.counters().add(Ctr::kFailedConnections);
  worker_.shared().sink->failedConnection(r);
}

void Session::blockClient(Ctr counter, std::string reason) {
  if (counter != Ctr::kCount) worker_.counters().add(counter);
  record_.decision = Decision::kBlocked;
  record_.reason = std::move(reason);
  countDecision();
  if (tcpReset()) {
    worker_.counters().add(Ctr::kTcpResetsToClient);
    return close(Close::kResetClient);
  }
  // The client still waits for a ServerHello: an alert is the answer it understands.
  [[maybe_unused]] ssize_t n =
      ::send(client_.fd.get(), kHandshakeFailureAlert, sizeof kHandshakeFailureAlert, MSG_NOSIGNAL);
  close(Close::kGraceful);
}

}  // namespace vtps::proxy
