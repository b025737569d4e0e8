// Session: one connection the kernel handed over, from accept to the SSL inspection log record.
//
//   accept -> peek the ClientHello (MSG_PEEK, nothing consumed) -> decide from the worker's
//   snapshot: a server policy first; else a client policy (always-decrypt, never-decrypt,
//   decryption policy, domain exclusions); then the threshold
//     not decrypted / bypassed: connect upstream transparently -> splice both ways
//     decrypt: connect upstream transparently -> TLS connect (SNI, client's ALPN) ->
//              client policy only: verify the server certificate, block it or mint a leaf
//              (signing CA when trusted, Untrusted Server CA otherwise) -> TLS accept
//              (server policy: certificate by SNI; client policy: the minted leaf; ALPN the
//              server chose) -> relay cleartext through the inspector
//   -> close: counters, one SessionRecord (and for failed client policy handshakes with an SNI
//      one FailedConnectionRecord) to the EventSink.
//
// A connection to a cleartext inspection tuple (filters.cleartext-inspection) skips the hello:
//   accept -> inspection bypass rule? splice : inspector (open verdict may block) -> connect
//   upstream transparently -> relay plain bytes through the inspector (session_plain.cc)
//   -> close: counters only (the SSL inspection log is for SSL sessions; the filters log blocks
//      and alerts).
//
// A session lives on one worker thread and keeps the snapshot it started with, so a config
// apply never changes it midway. Every step is non-blocking; epoll edges drive advance().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/mint/leaf_key_type.h"
#include "dataplane/proxy/proxy_engine.h"
#include "dataplane/proxy/relay_leg.h"
#include "dataplane/proxy/runtime_snapshot.h"
#include "dataplane/proxy/transparent_listener.h"
#include "dataplane/proxy/worker.h"

namespace vtps::proxy {

class PlainRelay;
class SpliceRelay;
class TlsSession;

class Session {
 public:
  Session(Worker& worker, AcceptedConnection connection,
          std::shared_ptr<const RuntimeSnapshot> snapshot);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Registers the client socket and waits for the ClientHello.
  void start();
  void onDeadline();
  // Closes both sides now (ssl-clear, shutdown). The decision stays; `reason` is recorded, and an
  // SSL session counts in sessionsCleared.
  void abort(std::string_view reason);
  LiveSession live() const;
  bool closed() const { return state_ == State::kClosed; }
  // A session of a cleartext inspection tuple (not TLS).
  bool cleartext() const { return cleartext_ != nullptr; }
  int64_t deadlineMs() const { return deadline_ms_; }

 private:
  friend class Worker;
  enum class State {
    kHello,            // waiting for a complete ClientHello
    kConnecting,       // upstream TCP connect in progress
    kServerHandshake,  // TLS with the server (decrypt only)
    kClientHandshake,  // TLS with the client (decrypt only)
    kTlsRelay,
    kSplice,
    kPlainRelay,  // cleartext inspection tuple: plain bytes through the inspector
    kClosed,
  };
  enum class Plan { kSplice, kDecrypt, kPlain };
  // How the sockets are closed.
  enum class Close { kGraceful, kResetServer, kResetClient, kResetBoth };
  // A client policy's answer for one host name.
  struct DomainVerdict {
    bool decrypt = true;
    Ctr counter = Ctr::kCount;  // why not (or kCategoryOverrides for a forced decrypt)
    std::string reason;
  };

  struct LegHandler final : EpollHandler {
    Session* session = nullptr;
    bool server = false;
    void onEvents(uint32_t events) override { session->onLegEvents(server, events); }
  };

  void onLegEvents(bool server, uint32_t events);
  void advance();
  bool registerLeg(Leg& leg, LegHandler& handler);

  // session.cc: hello and decision.
  void readHello();
  void decide();
  void decideServer();
  void splice(Decision decision, Ctr reason_counter, std::string reason);
  bool admitDecryption();
  void overThreshold();
  void connectUpstream(Plan plan);
  void finishConnect();

  // splice path (session.cc).
  void startSplice();
  void pumpSplice();

  // decrypt path (session_decrypt.cc).
  void startServerHandshake();
  void driveServerHandshake();
  void startClientHandshake();
  void driveClientHandshake();
  void startTlsRelay();
  void pumpTls();
  void blockByInspector();
  // An inspection bypass rule covers the session: splices it (not decrypted) and returns true.
  bool bypassedByFilters();

  // cleartext path (session_plain.cc).
  void startPlain();
  void startPlainRelay();
  void pumpPlain();

  // client policy path (session_client.cc).
  void decideClient();
  DomainVerdict domainVerdict(std::string_view host);
  void onServerHandshakeFailed();
  void onUpstreamCertificate();
  bool certificateNamesExcluded();
  void blockUpstreamCertificate(const tls::VerifyOutcome& outcome, bool expired_only);
  void mintAndAcceptClient(bool trusted);
  void onClientHandshakeFailed();
  void refuseClientCertificateRequest();
  // A failed connection log entry, for sessions with an SNI only.
  void reportFailure(FailedSide side, std::optional<int> alert, std::string verify_error,
                     bool auto_excluded, const std::string& reason);
  // Closes a session the client policy blocks: a handshake_failure alert, or the proxy's TCP
  // reset to the client when configured.
  void blockClient(Ctr counter, std::string reason);

  // Ends a session the proxy will not relay: counts `counter` (Ctr::kCount: none), records it
  // as Blocked with `reason`, closes.
  void fail(Ctr counter, std::string reason);
  void close(Close how);
  void countDecision();
  // Adds the bytes relayed since the *_before values to the worker's counters.
  void countBytes(uint64_t up_before, uint64_t down_before);
  void setDeadlineIn(int64_t ms);

  // Options of whichever proxy took the session.
  bool tcpReset() const;
  config::DecryptedService service() const;
  bool downgrade() const;

  Worker& worker_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;
  const ServerPolicyMatch* match_ = nullptr;           // owned by snapshot_
  const ClientPolicyMatch* client_match_ = nullptr;    // owned by snapshot_
  const config::CleartextTuple* cleartext_ = nullptr;  // owned by snapshot_
  Leg client_;
  Leg server_;
  LegHandler client_handler_;
  LegHandler server_handler_;
  Endpoint4 client_address_;
  Endpoint4 destination_;
  State state_ = State::kHello;
  Plan plan_ = Plan::kSplice;
  bool counted_decrypting_ = false;
  int64_t deadline_ms_ = 0;
  int64_t start_mono_ms_ = 0;
  std::vector<std::string> offered_alpn_;
  mint::ClientKeyOffer key_offer_;  // what the ClientHello says the client can verify
  // Client policy, no SNI: the upstream certificate's names decide, after the handshake.
  bool names_from_certificate_ = false;
  bool minted_trusted_ = false;       // the client leg presents a leaf of the signing CA
  std::string not_inspected_reason_;  // set: decrypted but not inspected, for this reason
  bool throttled_ = false;  // the inspector's rate limit paused the relay until the deadline
  SessionRecord record_;
  std::unique_ptr<SpliceRelay> splice_;
  std::unique_ptr<TlsSession> tls_;
  std::unique_ptr<PlainRelay> plain_;
  std::unique_ptr<Inspector> inspector_;
};

}  // namespace vtps::proxy
