// Session: the decrypt path (server handshake, client handshake, cleartext relay), and the block
// by an inspector that decrypted and cleartext sessions share.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "dataplane/proxy/plain_relay.h"
#include "dataplane/proxy/session.h"
#include "dataplane/proxy/tls_session.h"
#include "dataplane/proxy/trace.h"

namespace vtps::proxy {
namespace {

struct SideCounters {
  Ctr ssl3, tls10, tls11, tls12, tls13;
  Ctr gcm, chacha, ccm, cbc, other;
};
constexpr SideCounters kClientSide{Ctr::kClientSsl3,           Ctr::kClientTls10,
                                   Ctr::kClientTls11,          Ctr::kClientTls12,
                                   Ctr::kClientTls13,          Ctr::kClientCipherAesGcm,
                                   Ctr::kClientCipherChacha20, Ctr::kClientCipherAesCcm,
                                   Ctr::kClientCipherAesCbc,   Ctr::kClientCipherOther};
constexpr SideCounters kServerSide{Ctr::kServerSsl3,           Ctr::kServerTls10,
                                   Ctr::kServerTls11,          Ctr::kServerTls12,
                                   Ctr::kServerTls13,          Ctr::kServerCipherAesGcm,
                                   Ctr::kServerCipherChacha20, Ctr::kServerCipherAesCcm,
                                   Ctr::kServerCipherAesCbc,   Ctr::kServerCipherOther};

// Counts the negotiated version and the cipher suite's family (from its IANA name).
void countNegotiated(WorkerCounters& c, const SideCounters& side, std::string_view version,
                     std::string_view cipher) {
  if (version == "SSLv3") c.add(side.ssl3);
  if (version == "TLSv1.0") c.add(side.tls10);
  if (version == "TLSv1.1") c.add(side.tls11);
  if (version == "TLSv1.2") c.add(side.tls12);
  if (version == "TLSv1.3") c.add(side.tls13);
  auto has = [cipher](std::string_view part) { return cipher.find(part) != cipher.npos; };
  if (has("_GCM_")) {
    c.add(side.gcm);
  } else if (has("CHACHA20_POLY1305")) {
    c.add(side.chacha);
  } else if (has("_CCM")) {
    c.add(side.ccm);
  } else if (has("_CBC_")) {
    c.add(side.cbc);
  } else {
    c.add(side.other);
  }
}

}  // namespace

void Session::startServerHandshake() {
  const tls::ClientContext& upstream =
      match_ != nullptr ? *match_->proxy->connect_side : *client_match_->connect_side;
  tls::UpstreamSession params;
  // The client's SNI, and its certificate check (client policies; empty: no name to check, the
  // client checks the minted copy of the names itself). The ALPN offer is what the client
  // offered, nothing more: the downgrade (in the context) drops h2, and a client that offered
  // no ALPN makes the server leg offer none.
  params.sni = record_.context.sni;
  params.alpn = offered_alpn_;
  // Resume the origin's session for this address and SNI when the worker kept one. Client
  // inspection keeps only sessions whose chain verified clean, so a resumed session never hides
  // a finding the policy would act on.
  params.resume_key =
      record_.context.server_address + ":" + std::to_string(record_.context.server_port);
  params.resume_only_trusted = client_match_ != nullptr;
  Result<std::unique_ptr<TlsSession>> tls = TlsSession::create(upstream, params, server_.fd.get());
  if (!tls) return fail(Ctr::kCount, tls.message());
  tls_ = std::move(*tls);
  state_ = State::kServerHandshake;
  driveServerHandshake();
}

void Session::driveServerHandshake() {
  WorkerCounters& c = worker_.counters();
  switch (tls_->connectStep(server_)) {
    case TlsSession::Step::kWant:
      return;
    case TlsSession::Step::kFailed:
      c.add(Ctr::kServerConnFailures);
      if (tls_->serverRequestedCertificate()) c.add(Ctr::kServerCertificateRequests);
      if (tls_->failureKind() == TlsSession::FailureKind::kNoSharedCipher) {
        c.add(Ctr::kServerCipherOther);
      }
      if (client_match_ != nullptr) return onServerHandshakeFailed();
      return fail(Ctr::kServerHandshakeFailures,
                  fmt::format("server handshake failed: {}", tls_->failure()));
    case TlsSession::Step::kDone:
      break;
  }
  record_.server_version = tls_->serverVersion();
  record_.server_cipher = tls_->serverCipher();
  record_.server_resumed = tls_->serverResumed();
  if (record_.server_resumed) c.add(Ctr::kServerResumed);
  countNegotiated(c, kServerSide, record_.server_version, record_.server_cipher);
  if (tls_->serverRequestedCertificate()) c.add(Ctr::kServerCertificateRequests);
  if (client_match_ != nullptr) return onUpstreamCertificate();
  startClientHandshake();
}

void Session::startClientHandshake() {
  Result<ossl::SslPtr> ssl = match_->proxy->accept_side->newSession(tls_->clientLegAlpn());
  if (!ssl) return fail(Ctr::kCount, ssl.message());
  Status leg = tls_->attachClientLeg(std::move(*ssl), client_.fd.get());
  if (!leg) return fail(Ctr::kCount, leg.message());
  state_ = State::kClientHandshake;
  driveClientHandshake();
}

void Session::driveClientHandshake() {
  WorkerCounters& c = worker_.counters();
  switch (tls_->acceptStep(client_)) {
    case TlsSession::Step::kWant:
      return;
    case TlsSession::Step::kFailed:
      c.add(Ctr::kClientHandshakeFailures);
      if (tls_->failureKind() == TlsSession::FailureKind::kNoSharedCipher) {
        c.add(Ctr::kClientCipherOther);
      }
      if (tls_->failureKind() == TlsSession::FailureKind::kVersion) {
        c.add(Ctr::kClientVersionFailures);
      }
      if (client_match_ != nullptr) return onClientHandshakeFailed();
      return fail(Ctr::kRefused, fmt::format("client handshake failed: {}", tls_->failure()));
    case TlsSession::Step::kDone:
      break;
  }
  record_.client_version = tls_->clientVersion();
  record_.client_cipher = tls_->clientCipher();
  countNegotiated(c, kClientSide, record_.client_version, record_.client_cipher);
  startTlsRelay();
}

void Session::startTlsRelay() {
  worker_.setDeadline(*this, 0);
  const bool offered_h2 =
      std::find(offered_alpn_.begin(), offered_alpn_.end(), "h2") != offered_alpn_.end();
  if (offered_h2 && downgrade()) worker_.counters().add(Ctr::kAlpnDowngrades);
  if (!not_inspected_reason_.empty()) {
    record_.decision = Decision::kDecryptedNotInspected;
    record_.reason = not_inspected_reason_;
  } else if (service() == config::DecryptedService::kOther) {
    record_.decision = Decision::kDecryptedNotInspected;
    record_.reason = "decrypted service is other";
  } else if (tls_->clientAlpn() == "h2") {
    record_.decision = Decision::kDecryptedNotInspected;
    record_.reason = "HTTP/2 negotiated (downgrade off)";
  } else if (InspectorFactory* factory = worker_.shared().inspectors.get()) {
    inspector_ = factory->create(record_.context);
  }
  state_ = State::kTlsRelay;
  traceSession(TraceFlag::kProxy, TraceLevel::kExtensive, record_.context, [&] {
    return fmt::format("both TLS handshakes done: client ALPN \"{}\", inspector {}",
                       tls_->clientAlpn(), inspector_ ? "on" : "off");
  });
  // A session a 5-tuple filter refused is closed before any byte is relayed.
  if (inspector_ && inspector_->openVerdict() == Verdict::kBlock) return blockByInspector();
  countDecision();
  pumpTls();
}

bool Session::bypassedByFilters() {
  const InspectorFactory* factory = worker_.shared().inspectors.get();
  if (factory == nullptr) return false;
  std::string rule = factory->bypassRule(record_.context);
  if (rule.empty()) return false;
  splice(Decision::kNotDecrypted, Ctr::kCount, fmt::format("inspection bypass rule {}", rule));
  return true;
}

void Session::pumpTls() {
  if (throttled_) return;
  std::string error;
  const uint64_t up_before = record_.bytes_client_to_server;
  const uint64_t down_before = record_.bytes_server_to_client;
  TlsSession::RelayOutcome outcome =
      tls_->pump(client_, server_, inspector_.get(), worker_.scratch(),
                 record_.bytes_client_to_server, record_.bytes_server_to_client, error);
  countBytes(up_before, down_before);
  traceSession(TraceFlag::kProxy, TraceLevel::kVerbose, record_.context, [&] {
    return fmt::format("TLS relay: +{} cleartext bytes client->server, +{} server->client",
                       record_.bytes_client_to_server - up_before,
                       record_.bytes_server_to_client - down_before);
  });
  switch (outcome) {
    case TlsSession::RelayOutcome::kOpen:
      return;
    case TlsSession::RelayOutcome::kDone:
      return close(Close::kGraceful);
    case TlsSession::RelayOutcome::kBlocked:
      return blockByInspector();
    case TlsSession::RelayOutcome::kThrottled: {
      // Readiness flags stay set, so the relay resumes where it stopped when the deadline fires.
      throttled_ = true;
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(inspector_->throttleDelay()).count();
      return setDeadlineIn(std::max<int64_t>(1, ms));
    }
    case TlsSession::RelayOutcome::kReset:
      if (tls_->peerReset()) worker_.counters().add(Ctr::kTcpResetsReceived);
      record_.reason = record_.reason.empty() ? error : record_.reason + "; " + error;
      return close(Close::kResetBoth);
  }
}

void Session::blockByInspector() {
  WorkerCounters& c = worker_.counters();
  if (cleartext_ == nullptr) c.add(Ctr::kBlockedByInspector);
  record_.decision = Decision::kBlocked;
  const std::string why = inspector_ ? inspector_->reason() : std::string();
  record_.reason =
      why.empty() ? "blocked by inspector" : fmt::format("blocked by inspector: {}", why);
  countDecision();
  // A block page (quarantine redirect) goes to the client before the session closes.
  if (inspector_ && tls_) tls_->sendToClient(inspector_->clientResponse());
  if (inspector_ && cleartext_ != nullptr)
    PlainRelay::sendToClient(client_, inspector_->clientResponse());
  if (inspector_ && inspector_->resetRequested()) {
    c.add(Ctr::kTcpResetsToServer);
    c.add(Ctr::kTcpResetsToClient);
    return close(Close::kResetBoth);
  }
  if (!tcpReset()) return close(Close::kGraceful);
  // The server proxy's option resets the server, the client proxy's the client; a cleartext
  // tuple's resets both legs.
  if (cleartext_ != nullptr) {
    c.add(Ctr::kTcpResetsToServer);
    c.add(Ctr::kTcpResetsToClient);
    return close(Close::kResetBoth);
  }
  if (match_ != nullptr) {
    c.add(Ctr::kTcpResetsToServer);
    return close(Close::kResetServer);
  }
  c.add(Ctr::kTcpResetsToClient);
  close(Close::kResetClient);
}

}  // namespace vtps::proxy
