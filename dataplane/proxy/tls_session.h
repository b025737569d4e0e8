// TlsSession: the two TLS legs of a decrypted session and the cleartext relay between them.
//
// The server leg is negotiated first (SNI and the client's ALPN offer forwarded, h2 removed when
// the proxy downgrades); the client leg then offers exactly the protocol the server chose, so
// both sides always speak the same application protocol. Each leg negotiates its own version and
// cipher suite. All I/O is non-blocking on the session's Legs; WANT_READ / WANT_WRITE clear the
// matching readiness flag.
//
// Backpressure: each direction holds at most one record's cleartext that the other side could
// not take yet, and reads nothing more from its source until that is written.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/ossl.h"
#include "crypto/result.h"
#include "crypto/tls/client_context.h"
#include "dataplane/proxy/proxy_engine.h"
#include "dataplane/proxy/relay_leg.h"

namespace vtps::proxy {

class TlsSession {
 public:
  enum class Step { kWant, kDone, kFailed };
  // kThrottled: the inspector asked to stop reading for a while (Inspector::throttleDelay());
  // the chunk that caused it was forwarded.
  enum class RelayOutcome { kOpen, kDone, kBlocked, kReset, kThrottled };
  // Why a handshake failed, for the counters.
  enum class FailureKind { kOther, kNoSharedCipher, kVersion };

  // The server leg on `server_fd` (connected), in connect state: a session of `upstream` (SNI,
  // verification name, ALPN offer in `params`). Errors name the proxy.
  static Result<std::unique_ptr<TlsSession>> create(const tls::ClientContext& upstream,
                                                    const tls::UpstreamSession& params,
                                                    int server_fd);
  ~TlsSession();

  Step connectStep(Leg& server);
  // The ALPN list the client leg may select: exactly the protocol the server leg negotiated
  // (empty: none), so both sides speak the same application protocol.
  std::vector<std::string> clientLegAlpn() const;
  // Puts `ssl` (an accept-state session from the proxy's client-facing context) on `client_fd`.
  Status attachClientLeg(ossl::SslPtr ssl, int client_fd);
  Step acceptStep(Leg& client);

  // After a kFailed step: OpenSSL's reasons ("no shared cipher"), their classification, and the
  // fatal alert the peer sent, when that is what ended the handshake.
  const std::string& failure() const { return failure_; }
  FailureKind failureKind() const { return failure_kind_; }
  std::optional<int> receivedAlert() const { return received_alert_; }
  bool serverRequestedCertificate() const;
  // The server leg, for its verification outcome and certificate.
  const SSL* serverSsl() const { return server_.get(); }

  // Negotiated parameters (IANA names; empty before the leg's handshake).
  std::string clientVersion() const;
  std::string clientCipher() const;
  std::string serverVersion() const;
  std::string serverCipher() const;
  bool serverResumed() const;  // the server leg resumed a kept session
  std::string_view serverAlpn() const;
  std::string_view clientAlpn() const;

  // Whether the last relay error was a TCP reset from a peer.
  bool peerReset() const { return peer_reset_; }

  // Relays cleartext both ways through `inspector` (null: not inspected). kBlocked: the
  // inspector said block (nothing of that chunk was forwarded). kReset: a socket or TLS error,
  // `error` says which.
  RelayOutcome pump(Leg& client, Leg& server, Inspector* inspector, std::span<uint8_t> scratch,
                    uint64_t& client_to_server, uint64_t& server_to_client, std::string& error);

  // Writes `bytes` to the client leg once, best effort (a block page before closing); what the
  // socket does not take at once is dropped.
  void sendToClient(std::string_view bytes);

  // Sends close_notify on the chosen legs whose handshake finished, best effort (non-blocking,
  // no wait for the peer's).
  void shutdown(bool client_leg, bool server_leg);

  // Telemetry: copies the handshake durations and the alerts seen so far into `record`.
  void fillTelemetry(SessionRecord& record) const;

 private:
  struct Flow {
    SSL* from = nullptr;
    SSL* to = nullptr;
    Direction direction = Direction::kClientToServer;
    PendingBytes pending;           // cleartext read but not yet written
    bool read_wants_write = false;  // last SSL_read on `from` returned WANT_WRITE
    bool write_wants_read = false;  // last SSL_write on `to` returned WANT_READ
    bool eof = false;               // `from` closed (close_notify or TCP FIN)
    bool close_sent = false;        // close_notify sent on `to`
  };
  enum class FlowResult { kOk, kBlocked, kError, kThrottled };

  TlsSession(std::string name, ossl::SslPtr server);
  // Ties `ssl` to this session for onInfo() (app data) and starts its handshake clock.
  void watch(SSL* ssl);
  // SSL info callback: records each alert read or written on either leg.
  static void onInfo(const SSL* ssl, int where, int ret);
  Step handshakeStep(SSL* ssl, Leg& leg, bool accept);
  const char* sideName(const SSL* ssl) const;  // "client" or "server"
  // One direction's round: what the write BIO still holds, then relayFlow, then a flush of what
  // it wrote (coalescing_bio.h).
  FlowResult pumpFlow(Flow& flow, Leg& from, Leg& to, Inspector* inspector,
                      std::span<uint8_t> scratch, uint64_t& delivered, std::string& error);
  // Reads records from `from` and writes them to `to` until either would block.
  FlowResult relayFlow(Flow& flow, Leg& from, Leg& to, Inspector* inspector,
                       std::span<uint8_t> scratch, uint64_t& delivered, std::string& error);
  // Sends what `flow.to`'s write BIO holds; kOk also when the socket is full (`to.writable`
  // cleared, the rest on EPOLLOUT).
  FlowResult flushOut(Flow& flow, Leg& to, std::string& error);
  FlowResult writeOut(Flow& flow, Leg& to, const uint8_t* data, size_t size, uint64_t& delivered,
                      std::string& error);

  std::string name_;  // the proxy's, for messages
  ossl::SslPtr server_;
  ossl::SslPtr client_;
  Flow up_;    // client -> server
  Flow down_;  // server -> client
  std::string failure_;
  FailureKind failure_kind_ = FailureKind::kOther;
  std::optional<int> received_alert_;
  bool peer_reset_ = false;
  // Telemetry (fillTelemetry): handshake clocks and the first alerts.
  std::chrono::steady_clock::time_point server_started_{}, client_started_{};
  double server_handshake_s_ = -1, client_handshake_s_ = -1;
  std::array<SessionRecord::Alert, SessionRecord::kMaxAlerts> alerts_{};
  uint8_t alert_count_ = 0;
};

}  // namespace vtps::proxy
