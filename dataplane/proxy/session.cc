#include "dataplane/proxy/session.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "dataplane/proxy/plain_relay.h"
#include "dataplane/proxy/splice_relay.h"
#include "dataplane/proxy/tls_session.h"
#include "dataplane/proxy/trace.h"

namespace vtps::proxy {
namespace {

int64_t unixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A fatal handshake_failure alert in a TLS 1.0 record: what a client gets when the proxy refuses
// a session before any handshake (over-threshold block).
constexpr uint8_t kHandshakeFailureAlert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28};

}  // namespace

Session::Session(Worker& worker, AcceptedConnection connection,
                 std::shared_ptr<const RuntimeSnapshot> snapshot)
    : worker_(worker),
      snapshot_(std::move(snapshot)),
      client_address_(connection.client),
      destination_(connection.original_destination) {
  client_.fd = std::move(connection.fd);
  client_handler_.session = this;
  server_handler_.session = this;
  server_handler_.server = true;
  start_mono_ms_ = worker_.nowMs();
  record_.start_unix_ms = unixMs();
  record_.context.client_address = client_address_.addressString();
  record_.context.client_port = client_address_.port;
  record_.context.server_address = destination_.addressString();
  record_.context.server_port = destination_.port;
}

Session::~Session() = default;

bool Session::registerLeg(Leg& leg, LegHandler& handler) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = static_cast<EpollHandler*>(&handler);
  return ::epoll_ctl(worker_.epollFd(), EPOLL_CTL_ADD, leg.fd.get(), &ev) == 0;
}

void Session::start() {
  WorkerCounters& c = worker_.counters();
  c.add(Ctr::kTcpAccepted);
  c.add(Ctr::kTcpActive);
  // Validation keeps cleartext tuples apart from SSL tuples: the destination tells them apart.
  cleartext_ = snapshot_->matchCleartext(destination_.address, destination_.port);
  if (cleartext_ != nullptr) c.add(Ctr::kCleartextSessions);
  c.add(cleartext_ != nullptr ? Ctr::kCleartextSessionsActive : Ctr::kSessionsActive);
  if (!registerLeg(client_, client_handler_)) {
    fail(Ctr::kCount, fmt::format("epoll_ctl: {}", strerror(errno)));
    return;
  }
  if (cleartext_ != nullptr) return startPlain();
  setDeadlineIn(worker_.shared().options.hello_timeout_ms);
  traceSession(TraceFlag::kInitiation, TraceLevel::kBrief, record_.context,
               [] { return std::string("accepted"); });
}

void Session::setDeadlineIn(int64_t ms) {
  worker_.setDeadline(*this, worker_.nowMs() + ms);
}

void Session::onLegEvents(bool server, uint32_t events) {
  if (closed()) return;
  (server ? server_ : client_).onEvents(events);
  advance();
}

void Session::advance() {
  switch (state_) {
    case State::kHello:
      return readHello();
    case State::kConnecting:
      return finishConnect();
    case State::kServerHandshake:
      return driveServerHandshake();
    case State::kClientHandshake:
      return driveClientHandshake();
    case State::kTlsRelay:
      return pumpTls();
    case State::kSplice:
      return pumpSplice();
    case State::kPlainRelay:
      return pumpPlain();
    case State::kClosed:
      return;
  }
}

void Session::onDeadline() {
  switch (state_) {
    case State::kHello:
      return fail(Ctr::kHelloTimeouts, fmt::format("no complete ClientHello within {} ms",
                                                   worker_.shared().options.hello_timeout_ms));
    case State::kConnecting:
      worker_.counters().add(Ctr::kServerConnFailures);
      return fail(Ctr::kServerTcpConnectFailures,
                  fmt::format("server connect to {} timed out", destination_.str()));
    case State::kServerHandshake:
    case State::kClientHandshake:
      return fail(Ctr::kHandshakeTimeouts,
                  fmt::format("{} handshake timed out",
                              state_ == State::kServerHandshake ? "server" : "client"));
    case State::kTlsRelay:
      // The inspector's rate limit is over: relay what waited.
      throttled_ = false;
      return pumpTls();
    case State::kPlainRelay:
      throttled_ = false;
      return pumpPlain();
    default:
      return;
  }
}

void Session::readHello() {
  if (!client_.readable) return;
  std::span<uint8_t> buffer = worker_.scratch().first(ClientHelloParser::kMaxPeekBytes);
  ssize_t n = ::recv(client_.fd.get(), buffer.data(), buffer.size(), MSG_PEEK);
  if (n < 0) {
    if (errno == EAGAIN) {
      client_.readable = false;
      return;
    }
    if (errno == ECONNRESET) worker_.counters().add(Ctr::kTcpResetsReceived);
    return fail(Ctr::kCount,
                fmt::format("client connection failed before ClientHello: {}", strerror(errno)));
  }
  if (n == 0) return fail(Ctr::kCount, "client closed before sending a ClientHello");
  ClientHelloParser& parser = worker_.helloParser();
  HelloParse parse = parser.parse(buffer.first(static_cast<size_t>(n)));
  switch (parse.status) {
    case HelloStatus::kNeedMore:
      // The peek saw everything the socket holds; the next segment brings a new edge.
      if (static_cast<size_t>(n) < buffer.size()) client_.readable = false;
      return;
    case HelloStatus::kNotTls:
      return fail(Ctr::kCleartextDropped,
                  fmt::format("cleartext on an SSL tuple: {}", parse.reason));
    case HelloStatus::kMalformed:
      return fail(Ctr::kMalformedHello, fmt::format("malformed ClientHello: {}", parse.reason));
    case HelloStatus::kSslV2Compat:
    case HelloStatus::kOk:
      break;
  }
  record_.context.sni = parser.hello().sni;
  offered_alpn_ = parser.hello().alpn;
  key_offer_.signature_schemes = parser.hello().signature_algorithms;
  key_offer_.cipher_suites = parser.hello().cipher_suites;
  traceSession(TraceFlag::kInitiation, TraceLevel::kDetail, record_.context, [&] {
    const ClientHello& h = parser.hello();
    return fmt::format("ClientHello: sni \"{}\", alpn [{}], {} cipher suites, {} versions offered",
                       h.sni, fmt::join(h.alpn, ","), h.cipher_suites.size(),
                       h.supported_versions.size());
  });
  worker_.setDeadline(*this, 0);
  decide();
}

void Session::decide() {
  // A connection that matches a server policy and a client policy is the server policy's.
  match_ = snapshot_->matchServer(destination_.address, destination_.port);
  if (match_ != nullptr) return decideServer();
  client_match_ = snapshot_->matchClient(destination_.port);
  if (client_match_ != nullptr) return decideClient();
  splice(Decision::kNotDecrypted, Ctr::kNoPolicy,
         fmt::format("no SSL policy for {}", destination_.str()));
}

bool Session::tcpReset() const {
  if (cleartext_ != nullptr) return cleartext_->tcp_reset;
  return match_ != nullptr ? match_->proxy->config->tcp_reset
                           : client_match_->proxy->config->tcp_reset;
}

config::DecryptedService Session::service() const {
  return match_ != nullptr ? match_->proxy->config->decrypted_service
                           : client_match_->proxy->config->decrypted_service;
}

bool Session::downgrade() const {
  return match_ != nullptr ? match_->proxy->config->http2_to_http1_downgrade
                           : client_match_->proxy->config->http2_to_http1_downgrade;
}

void Session::decideServer() {
  const config::ServerProxy& proxy = *match_->proxy->config;
  SessionContext& ctx = record_.context;
  ctx.profile = match_->profile->name;
  ctx.policy = match_->policy->name;
  ctx.proxy = proxy.name;
  ctx.service = proxy.decrypted_service;
  record_.logging_enabled = proxy.logging;
  if (!snapshot_->settings().server) {
    return splice(Decision::kNotDecrypted, Ctr::kCount, "SSL server inspection is disabled");
  }
  if (!match_->policy->enabled) {
    return splice(Decision::kNotDecrypted, Ctr::kPolicyDisabled, "policy disabled");
  }
  if (const config::Cidr4* ex =
          RuntimeSnapshot::sourceException(*match_->policy, client_address_.address)) {
    return splice(Decision::kNotDecrypted, Ctr::kSourceExceptions,
                  fmt::format("source exception {}", ex->str()));
  }
  if (bypassedByFilters()) return;
  if (!admitDecryption()) return overThreshold();
  record_.decision = Decision::kDecrypted;
  connectUpstream(Plan::kDecrypt);
}

void Session::splice(Decision decision, Ctr reason_counter, std::string reason) {
  if (reason_counter != Ctr::kCount) worker_.counters().add(reason_counter);
  record_.decision = decision;
  record_.reason = std::move(reason);
  connectUpstream(Plan::kSplice);
}

bool Session::admitDecryption() {
  EngineShared& shared = worker_.shared();
  const int64_t max = snapshot_->settings().max_concurrent_connections;
  if (shared.decrypting.fetch_add(1, std::memory_order_relaxed) + 1 > max) {
    shared.decrypting.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  counted_decrypting_ = true;
  return true;
}

void Session::overThreshold() {
  EngineShared& shared = worker_.shared();
  const bool block = snapshot_->settings().over_threshold == config::OverThreshold::kBlock;
  if (!shared.over_threshold.exchange(true)) {
    worker_.counters().add(Ctr::kThresholdCrossings);
    shared.sink->systemLog(
        "critical", fmt::format("SSL Inspection reached Critical threshold of Max Concurrent "
                                "Connections. Action: {}",
                                block ? "Block" : "Allow but bypass Inspection"));
  }
  const std::string reason = fmt::format("max concurrent connections ({}) reached",
                                         snapshot_->settings().max_concurrent_connections);
  if (!block) return splice(Decision::kBypassed, Ctr::kCount, reason);
  [[maybe_unused]] ssize_t n =
      ::send(client_.fd.get(), kHandshakeFailureAlert, sizeof kHandshakeFailureAlert, MSG_NOSIGNAL);
  fail(Ctr::kBlockedOverThreshold, reason);
}

void Session::connectUpstream(Plan plan) {
  plan_ = plan;
  worker_.counters().add(Ctr::kTcpUpstreamConnects);
  // Through the dpdk dataplane's exception port, the upstream leg is the client flow's own
  // 4-tuple and carries the mark of the port the client came in by (transparent_listener.h).
  UpstreamBinding binding;
  if (!worker_.shared().options.exception_interfaces.empty()) {
    binding.keep_port = true;
    socklen_t len = sizeof binding.mark;
    if (::getsockopt(client_.fd.get(), SOL_SOCKET, SO_MARK, &binding.mark, &len) != 0)
      binding.mark = 0;
  }
  Result<UniqueFd> fd = connectTransparent(client_address_, destination_, binding);
  if (!fd) {
    worker_.counters().add(Ctr::kServerConnFailures);
    return fail(Ctr::kServerTcpConnectFailures, fd.message());
  }
  server_.fd = std::move(*fd);
  if (!registerLeg(server_, server_handler_)) {
    return fail(Ctr::kCount, fmt::format("epoll_ctl: {}", strerror(errno)));
  }
  state_ = State::kConnecting;
  setDeadlineIn(worker_.shared().options.handshake_timeout_ms);
}

void Session::finishConnect() {
  if (!server_.writable) return;
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(server_.fd.get(), SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
  if (error != 0) {
    worker_.counters().add(Ctr::kServerConnFailures);
    return fail(Ctr::kServerTcpConnectFailures, fmt::format("server connect to {} failed: {}",
                                                            destination_.str(), strerror(error)));
  }
  worker_.counters().add(Ctr::kTcpUpstreamConnected);
  traceSession(TraceFlag::kProxy, TraceLevel::kDetail, record_.context,
               [&] { return "upstream connected to " + destination_.str(); });
  if (plan_ == Plan::kSplice) return startSplice();
  if (plan_ == Plan::kPlain) return startPlainRelay();
  startServerHandshake();
}

void Session::startSplice() {
  worker_.setDeadline(*this, 0);
  Result<std::unique_ptr<SpliceRelay>> relay = SpliceRelay::create();
  if (!relay) return fail(Ctr::kCount, relay.message());
  splice_ = std::move(*relay);
  state_ = State::kSplice;
  worker_.counters().add(Ctr::kTcpSpliced);
  countDecision();
  pumpSplice();
}

void Session::pumpSplice() {
  int error = 0;
  const uint64_t up_before = record_.bytes_client_to_server;
  const uint64_t down_before = record_.bytes_server_to_client;
  SpliceRelay::Outcome outcome = splice_->pump(client_, server_, record_.bytes_client_to_server,
                                               record_.bytes_server_to_client, error);
  countBytes(up_before, down_before);
  traceSession(TraceFlag::kProxy, TraceLevel::kVerbose, record_.context, [&] {
    return fmt::format("splice: +{} bytes client->server, +{} server->client",
                       record_.bytes_client_to_server - up_before,
                       record_.bytes_server_to_client - down_before);
  });
  if (outcome == SpliceRelay::Outcome::kOpen) return;
  if (outcome == SpliceRelay::Outcome::kDone) return close(Close::kGraceful);
  if (error == ECONNRESET) worker_.counters().add(Ctr::kTcpResetsReceived);
  // A reset on one side is passed on to the other, as a router would let it through.
  close(Close::kResetBoth);
}

void Session::countBytes(uint64_t up_before, uint64_t down_before) {
  WorkerCounters& c = worker_.counters();
  if (record_.bytes_client_to_server != up_before) {
    c.add(Ctr::kTcpBytesClientToServer, record_.bytes_client_to_server - up_before);
  }
  if (record_.bytes_server_to_client != down_before) {
    c.add(Ctr::kTcpBytesServerToClient, record_.bytes_server_to_client - down_before);
  }
  if (cleartext_ == nullptr) return;
  c.add(Ctr::kCleartextBytesClientToServer, record_.bytes_client_to_server - up_before);
  c.add(Ctr::kCleartextBytesServerToClient, record_.bytes_server_to_client - down_before);
}

void Session::countDecision() {
  static constexpr Ctr kByDecision[] = {Ctr::kDecrypted, Ctr::kDecryptedNotInspected,
                                        Ctr::kNotDecrypted, Ctr::kBypassed, Ctr::kBlocked};
  if (cleartext_ != nullptr) {
    // Not an SSL decision: blocked, relayed through the inspector, or spliced uninspected.
    const bool blocked = record_.decision == Decision::kBlocked;
    worker_.counters().add(blocked      ? Ctr::kCleartextBlocked
                           : inspector_ ? Ctr::kCleartextInspected
                                        : Ctr::kCleartextNotInspected);
  } else {
    worker_.counters().add(kByDecision[static_cast<size_t>(record_.decision)]);
  }
  traceSession(TraceFlag::kProxy, TraceLevel::kBrief, record_.context, [&] {
    return fmt::format("decision {} (proxy \"{}\", policy \"{}\"{}{})", toString(record_.decision),
                       record_.context.proxy, record_.context.policy,
                       record_.reason.empty() ? "" : ": ", record_.reason);
  });
}

void Session::fail(Ctr counter, std::string reason) {
  if (counter != Ctr::kCount) worker_.counters().add(counter);
  record_.decision = Decision::kBlocked;
  record_.reason = std::move(reason);
  countDecision();
  close(Close::kGraceful);
}

void Session::abort(std::string_view reason) {
  if (closed()) return;
  if (!cleartext()) worker_.counters().add(Ctr::kCleared);
  record_.reason =
      record_.reason.empty() ? std::string(reason) : fmt::format("{}; {}", record_.reason, reason);
  close(Close::kGraceful);
}

void Session::close(Close how) {
  if (closed()) return;
  state_ = State::kClosed;
  WorkerCounters& c = worker_.counters();
  EngineShared& shared = worker_.shared();
  if (counted_decrypting_) {
    const int64_t now = shared.decrypting.fetch_sub(1, std::memory_order_relaxed) - 1;
    if (now < snapshot_->settings().max_concurrent_connections) {
      shared.over_threshold.store(false, std::memory_order_relaxed);
    }
  }
  // A TLS alert (close_notify) tells each peer the session ends; where a TCP reset is due, the
  // reset is that side's notice instead (an alert queued before it would only be discarded).
  const bool reset_server = how == Close::kResetServer || how == Close::kResetBoth;
  const bool reset_client = how == Close::kResetClient || how == Close::kResetBoth;
  if (tls_) {
    tls_->shutdown(!reset_client, !reset_server);
    tls_->fillTelemetry(record_);
  }
  if (server_.fd && reset_server) setResetOnClose(server_.fd.get());
  if (client_.fd && reset_client) setResetOnClose(client_.fd.get());
  // Closing a descriptor removes it from the epoll set.
  client_.fd.reset();
  server_.fd.reset();
  c.sub(Ctr::kTcpActive);
  c.sub(cleartext_ != nullptr ? Ctr::kCleartextSessionsActive : Ctr::kSessionsActive);
  c.add(Ctr::kTcpClosed);
  record_.duration_s = static_cast<double>(worker_.nowMs() - start_mono_ms_) / 1000.0;
  traceSession(TraceFlag::kTermination, TraceLevel::kBrief, record_.context, [&] {
    return fmt::format("closed{}: {} bytes client->server, {} server->client, {:.3f} s{}{}",
                       how == Close::kGraceful ? "" : " with TCP reset",
                       record_.bytes_client_to_server, record_.bytes_server_to_client,
                       record_.duration_s, record_.reason.empty() ? "" : "; ", record_.reason);
  });
  traceSession(TraceFlag::kTermination, TraceLevel::kExtensive, record_.context, [&] {
    return fmt::format("client leg {} {}, server leg {} {}", record_.client_version,
                       record_.client_cipher, record_.server_version, record_.server_cipher);
  });
  // The SSL inspection log and the session metrics are about SSL sessions; what the filters did
  // to a cleartext session is in the block and alert logs.
  if (cleartext_ == nullptr) shared.sink->sessionClosed(record_);
  worker_.retire(*this);
}

LiveSession Session::live() const {
  LiveSession s;
  s.context = record_.context;
  s.decision = record_.decision;
  s.client_version = record_.client_version;
  s.client_cipher = record_.client_cipher;
  s.start_unix_ms = record_.start_unix_ms;
  s.bytes_client_to_server = record_.bytes_client_to_server;
  s.bytes_server_to_client = record_.bytes_server_to_client;
  return s;
}

}  // namespace vtps::proxy
