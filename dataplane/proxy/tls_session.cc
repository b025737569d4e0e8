#include "dataplane/proxy/tls_session.h"

#include <openssl/err.h>

#include <cerrno>
#include <cstring>

#include "crypto/tls/tls_names.h"
#include "dataplane/proxy/coalescing_bio.h"

namespace vtps::proxy {
namespace {

constexpr long kSslModes =  // NOLINT(runtime/int): OpenSSL's type
    SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS;

TlsSession::FailureKind classify(unsigned long code) {  // NOLINT(runtime/int)
  if (ERR_GET_LIB(code) != ERR_LIB_SSL) return TlsSession::FailureKind::kOther;
  switch (ERR_GET_REASON(code)) {
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_NO_CIPHERS_AVAILABLE:
      return TlsSession::FailureKind::kNoSharedCipher;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_VERSION_TOO_HIGH:
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      return TlsSession::FailureKind::kVersion;
    default:
      return TlsSession::FailureKind::kOther;
  }
}

// OpenSSL 3 reports a peer that closed TCP without close_notify as this error; for the relay it
// is an ordinary end of stream (many HTTP peers do it).
bool isUnexpectedEof(unsigned long code) {  // NOLINT(runtime/int)
  return ERR_GET_LIB(code) == ERR_LIB_SSL &&
         ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

std::string describeIoFailure(int ssl_error) {
  std::string text = ossl::drainErrors();
  if (!text.empty()) return text;
  if (ssl_error == SSL_ERROR_SYSCALL) {
    return errno != 0 ? std::string(std::strerror(errno)) : "connection closed by peer";
  }
  return "SSL error " + std::to_string(ssl_error);
}

// Reads straight from the socket; writes through a coalescing BIO (coalescing_bio.h). The leg
// owns the socket.
bool attachSocket(SSL* ssl, int fd) {
  BIO* rbio = BIO_new_socket(fd, BIO_NOCLOSE);
  BIO* wbio = newCoalescingBio(fd);
  if (rbio == nullptr || wbio == nullptr) {
    BIO_free(rbio);
    BIO_free(wbio);
    return false;
  }
  SSL_set_bio(ssl, rbio, wbio);
  return true;
}

bool unflushed(SSL* ssl) {
  return ssl != nullptr && BIO_wpending(SSL_get_wbio(ssl)) > 0;
}

}  // namespace

TlsSession::TlsSession(std::string name, ossl::SslPtr server)
    : name_(std::move(name)), server_(std::move(server)) {}

TlsSession::~TlsSession() = default;

Result<std::unique_ptr<TlsSession>> TlsSession::create(const tls::ClientContext& upstream,
                                                       const tls::UpstreamSession& params,
                                                       int server_fd) {
  Result<ossl::SslPtr> ssl = upstream.newSession(params);
  if (!ssl) return ssl.error();
  if (!attachSocket(ssl->get(), server_fd)) {
    return ossl::error("proxy " + upstream.name() + ": socket BIOs (server leg)");
  }
  SSL_set_mode(ssl->get(), kSslModes);
  std::unique_ptr<TlsSession> session(new TlsSession(upstream.name(), std::move(*ssl)));
  session->watch(session->server_.get());
  session->up_.to = session->server_.get();
  session->up_.direction = Direction::kClientToServer;
  session->down_.from = session->server_.get();
  session->down_.direction = Direction::kServerToClient;
  return session;
}

std::vector<std::string> TlsSession::clientLegAlpn() const {
  std::vector<std::string> alpn;
  if (std::string_view chosen = serverAlpn(); !chosen.empty()) alpn.emplace_back(chosen);
  return alpn;
}

Status TlsSession::attachClientLeg(ossl::SslPtr ssl, int client_fd) {
  if (!attachSocket(ssl.get(), client_fd)) {
    return ossl::error("proxy " + name_ + ": socket BIOs (client leg)");
  }
  SSL_set_mode(ssl.get(), kSslModes);
  client_ = std::move(ssl);
  watch(client_.get());
  up_.from = client_.get();
  down_.to = client_.get();
  return {};
}

TlsSession::Step TlsSession::handshakeStep(SSL* ssl, Leg& leg, bool accept) {
  ERR_clear_error();
  errno = 0;
  int rc = accept ? SSL_accept(ssl) : SSL_connect(ssl);
  if (rc == 1) {
    const bool client_leg = ssl == client_.get();
    std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - (client_leg ? client_started_ : server_started_);
    (client_leg ? client_handshake_s_ : server_handshake_s_) = took.count();
    return Step::kDone;
  }
  int error = SSL_get_error(ssl, rc);
  if (error == SSL_ERROR_WANT_READ) {
    leg.readable = false;
    return Step::kWant;
  }
  if (error == SSL_ERROR_WANT_WRITE) {
    leg.writable = false;
    return Step::kWant;
  }
  failure_kind_ = classify(ERR_peek_error());
  received_alert_ = tls::receivedAlertOf(ERR_peek_error());
  failure_ = describeIoFailure(error);
  return Step::kFailed;
}

void TlsSession::watch(SSL* ssl) {
  SSL_set_app_data(ssl, this);
  SSL_set_info_callback(ssl, &TlsSession::onInfo);
  (ssl == client_.get() ? client_started_ : server_started_) = std::chrono::steady_clock::now();
}

void TlsSession::onInfo(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_ALERT) == 0) return;
  auto* self = static_cast<TlsSession*>(SSL_get_app_data(ssl));
  if (self == nullptr || self->alert_count_ >= self->alerts_.size()) return;
  // For SSL_CB_ALERT, `ret` holds the alert level in its high byte and the description below.
  self->alerts_[self->alert_count_++] = SessionRecord::Alert{
      ssl == self->client_.get(), (where & SSL_CB_WRITE) != 0, static_cast<uint8_t>(ret & 0xff)};
}

void TlsSession::fillTelemetry(SessionRecord& record) const {
  record.server_handshake_s = server_handshake_s_;
  record.client_handshake_s = client_handshake_s_;
  record.alerts = alerts_;
  record.alert_count = alert_count_;
}

TlsSession::Step TlsSession::connectStep(Leg& server) {
  return handshakeStep(server_.get(), server, false);
}

TlsSession::Step TlsSession::acceptStep(Leg& client) {
  return handshakeStep(client_.get(), client, true);
}

const char* TlsSession::sideName(const SSL* ssl) const {
  return ssl == client_.get() ? "client" : "server";
}

bool TlsSession::serverRequestedCertificate() const {
  return tls::ClientContext::clientCertificateRequested(server_.get());
}

std::string TlsSession::clientVersion() const {
  return client_ ? std::string(tls::negotiatedVersionName(client_.get())) : std::string();
}
std::string TlsSession::clientCipher() const {
  return client_ ? std::string(tls::negotiatedCipherName(client_.get())) : std::string();
}
std::string TlsSession::serverVersion() const {
  return std::string(tls::negotiatedVersionName(server_.get()));
}
std::string TlsSession::serverCipher() const {
  return std::string(tls::negotiatedCipherName(server_.get()));
}
bool TlsSession::serverResumed() const {
  return SSL_session_reused(server_.get()) == 1;
}
std::string_view TlsSession::serverAlpn() const {
  return tls::negotiatedAlpn(server_.get());
}
std::string_view TlsSession::clientAlpn() const {
  return client_ ? tls::negotiatedAlpn(client_.get()) : std::string_view();
}

TlsSession::FlowResult TlsSession::writeOut(Flow& flow, Leg& to, const uint8_t* data, size_t size,
                                            uint64_t& delivered, std::string& error) {
  while (size > 0) {
    ERR_clear_error();
    errno = 0;
    int n = SSL_write(flow.to, data, static_cast<int>(size));
    if (n > 0) {
      delivered += static_cast<uint64_t>(n);
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    int e = SSL_get_error(flow.to, n);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
      flow.write_wants_read = e == SSL_ERROR_WANT_READ;
      (e == SSL_ERROR_WANT_READ ? to.readable : to.writable) = false;
      break;
    }
    peer_reset_ = peer_reset_ || (e == SSL_ERROR_SYSCALL && errno == ECONNRESET);
    error = std::string("write to ") + sideName(flow.to) + ": " + describeIoFailure(e);
    return FlowResult::kError;
  }
  flow.pending.keep(data, size);
  return FlowResult::kOk;
}

TlsSession::FlowResult TlsSession::flushOut(Flow& flow, Leg& to, std::string& error) {
  if (!unflushed(flow.to)) return FlowResult::kOk;
  BIO* bio = SSL_get_wbio(flow.to);
  errno = 0;
  if (BIO_flush(bio) == 1) return FlowResult::kOk;
  if (BIO_should_retry(bio)) {
    to.writable = false;  // the rest goes on EPOLLOUT
    return FlowResult::kOk;
  }
  peer_reset_ = peer_reset_ || errno == ECONNRESET;
  error =
      std::string("write to ") + sideName(flow.to) + ": " + describeIoFailure(SSL_ERROR_SYSCALL);
  return FlowResult::kError;
}

TlsSession::FlowResult TlsSession::pumpFlow(Flow& flow, Leg& from, Leg& to, Inspector* inspector,
                                            std::span<uint8_t> scratch, uint64_t& delivered,
                                            std::string& error) {
  // Records written in an earlier round go first; while the socket cannot take them, nothing
  // more is read (backpressure).
  if (unflushed(flow.to)) {
    if (!to.writable) return FlowResult::kOk;
    FlowResult r = flushOut(flow, to, error);
    if (r != FlowResult::kOk || unflushed(flow.to)) return r;
  }
  FlowResult r = relayFlow(flow, from, to, inspector, scratch, delivered, error);
  // The records this round wrote leave together, once reading stops.
  if (r == FlowResult::kOk || r == FlowResult::kThrottled) {
    FlowResult f = flushOut(flow, to, error);
    if (f != FlowResult::kOk) return f;
  }
  return r;
}

TlsSession::FlowResult TlsSession::relayFlow(Flow& flow, Leg& from, Leg& to, Inspector* inspector,
                                             std::span<uint8_t> scratch, uint64_t& delivered,
                                             std::string& error) {
  for (;;) {
    if (!flow.pending.empty()) {
      if (!(flow.write_wants_read ? to.readable : to.writable)) return FlowResult::kOk;
      FlowResult r = writeOut(flow, to, flow.pending.data(), flow.pending.size(), delivered, error);
      if (r != FlowResult::kOk || !flow.pending.empty()) return r;
    }
    if (flow.eof) {
      if (!flow.close_sent) {
        ERR_clear_error();
        int rc = SSL_shutdown(flow.to);
        if (rc < 0 && SSL_get_error(flow.to, rc) == SSL_ERROR_WANT_WRITE) {
          to.writable = false;
          return FlowResult::kOk;
        }
        flow.close_sent = true;
      }
      return FlowResult::kOk;
    }
    const bool can_read =
        SSL_has_pending(flow.from) == 1 || (flow.read_wants_write ? from.writable : from.readable);
    if (!can_read) return FlowResult::kOk;
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(flow.from, scratch.data(), static_cast<int>(scratch.size()));
    if (n > 0) {
      auto chunk = scratch.first(static_cast<size_t>(n));
      if (inspector != nullptr && inspector->inspect(flow.direction, chunk) == Verdict::kBlock) {
        return FlowResult::kBlocked;
      }
      FlowResult r = writeOut(flow, to, chunk.data(), chunk.size(), delivered, error);
      if (r != FlowResult::kOk) return r;
      if (inspector != nullptr && inspector->throttleDelay().count() > 0) {
        return FlowResult::kThrottled;
      }
      continue;
    }
    int e = SSL_get_error(flow.from, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      flow.read_wants_write = e == SSL_ERROR_WANT_WRITE;
      (e == SSL_ERROR_WANT_WRITE ? from.writable : from.readable) = false;
      return FlowResult::kOk;
    }
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0) ||
        (e == SSL_ERROR_SSL && isUnexpectedEof(ERR_peek_error()))) {
      ERR_clear_error();
      flow.eof = true;
      continue;
    }
    peer_reset_ = peer_reset_ || (e == SSL_ERROR_SYSCALL && errno == ECONNRESET);
    error = std::string("read from ") + sideName(flow.from) + ": " + describeIoFailure(e);
    return FlowResult::kError;
  }
}

TlsSession::RelayOutcome TlsSession::pump(Leg& client, Leg& server, Inspector* inspector,
                                          std::span<uint8_t> scratch, uint64_t& client_to_server,
                                          uint64_t& server_to_client, std::string& error) {
  FlowResult up = pumpFlow(up_, client, server, inspector, scratch, client_to_server, error);
  if (up == FlowResult::kOk) {
    FlowResult down = pumpFlow(down_, server, client, inspector, scratch, server_to_client, error);
    if (down != FlowResult::kOk) up = down;
  }
  if (up == FlowResult::kBlocked) return RelayOutcome::kBlocked;
  if (up == FlowResult::kError) return RelayOutcome::kReset;
  if (up == FlowResult::kThrottled) return RelayOutcome::kThrottled;
  if (up_.close_sent && down_.close_sent && !unflushed(up_.to) && !unflushed(down_.to))
    return RelayOutcome::kDone;
  return RelayOutcome::kOpen;
}

void TlsSession::sendToClient(std::string_view bytes) {
  if (!client_ || !SSL_is_init_finished(client_.get()) || bytes.empty()) return;
  ERR_clear_error();
  SSL_write(client_.get(), bytes.data(), static_cast<int>(bytes.size()));
  BIO_flush(SSL_get_wbio(client_.get()));  // best effort, like the write
  ERR_clear_error();
}

void TlsSession::shutdown(bool client_leg, bool server_leg) {
  for (SSL* ssl : {client_leg ? client_.get() : nullptr, server_leg ? server_.get() : nullptr}) {
    if (ssl == nullptr || !SSL_is_init_finished(ssl)) continue;
    if ((SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN) != 0) continue;
    ERR_clear_error();
    SSL_shutdown(ssl);
    BIO_flush(SSL_get_wbio(ssl));  // the close_notify, best effort
  }
  ERR_clear_error();
}

}  // namespace vtps::proxy
