#include "dataplane/proxy/worker.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "dataplane/proxy/domain_exclusions.h"
#include "dataplane/proxy/runtime_snapshot.h"
#include "dataplane/proxy/session.h"

namespace vtps::proxy {
namespace {

constexpr int kMaxEvents = 256;
constexpr int kIdlePollMs = 1000;
// Room for the largest ClientHello a peek may need, and for one TLS record's plaintext.
constexpr size_t kScratchBytes = std::max<size_t>(ClientHelloParser::kMaxPeekBytes, 16384);

int64_t monotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Worker::Worker(int index, int core, TransparentListener listener, EngineShared& shared,
               std::shared_ptr<const RuntimeSnapshot> snapshot)
    : index_(index),
      core_(core),
      shared_(shared),
      listener_(std::move(listener)),
      snapshot_(std::move(snapshot)),
      scratch_(kScratchBytes) {
  listener_handler_.worker = this;
  command_handler_.worker = this;
}

Result<std::unique_ptr<Worker>> Worker::create(int index, int core, TransparentListener listener,
                                               EngineShared& shared,
                                               std::shared_ptr<const RuntimeSnapshot> snapshot) {
  std::unique_ptr<Worker> w(
      new Worker(index, core, std::move(listener), shared, std::move(snapshot)));
  const std::string what = fmt::format("create proxy worker {} (core {})", index, core);
  w->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!w->epoll_) return makeError(fmt::format("{}: epoll_create1: {}", what, strerror(errno)));
  w->wakeup_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!w->wakeup_) return makeError(fmt::format("{}: eventfd: {}", what, strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = static_cast<EpollHandler*>(&w->command_handler_);
  if (::epoll_ctl(w->epoll_.get(), EPOLL_CTL_ADD, w->wakeup_.get(), &ev) != 0) {
    return makeError(fmt::format("{}: epoll_ctl(eventfd): {}", what, strerror(errno)));
  }
  ev.data.ptr = static_cast<EpollHandler*>(&w->listener_handler_);
  if (::epoll_ctl(w->epoll_.get(), EPOLL_CTL_ADD, w->listener_.fd(), &ev) != 0) {
    return makeError(fmt::format("{}: epoll_ctl(listener): {}", what, strerror(errno)));
  }
  return w;
}

Worker::~Worker() {
  join();
}

Status Worker::start() {
  // Alive from the start: the watchdog must not see a worker whose thread is still starting
  // as stalled.
  heartbeat_ms_.store(monotonicMs(), std::memory_order_relaxed);
  running_.store(true, std::memory_order_relaxed);
  thread_ = std::thread([this] { run(); });
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core_, &set);
  int rc = ::pthread_setaffinity_np(thread_.native_handle(), sizeof set, &set);
  if (rc != 0) {
    return makeError(fmt::format("pin proxy worker {} to core {}: pthread_setaffinity_np: {}",
                                 index_, core_, strerror(rc)));
  }
  return {};
}

void Worker::post(std::function<void()> command) {
  {
    std::lock_guard lock(commands_mutex_);
    commands_.push_back(std::move(command));
  }
  uint64_t one = 1;
  // The eventfd counter only saturates after 2^64-2 posts; a failed write cannot lose a wakeup
  // because the counter is then already non-zero.
  [[maybe_unused]] ssize_t n = ::write(wakeup_.get(), &one, sizeof one);
}

void Worker::applySnapshot(std::shared_ptr<const RuntimeSnapshot> snapshot) {
  post([this, snapshot = std::move(snapshot)]() mutable {
    snapshot_ = std::move(snapshot);
    // Its reasons came from the old config's policies.
    name_memo_.clear();
  });
}

const ExclusionSet& Worker::exclusions(const ExclusionStore& store) {
  const uint64_t version = store.version();
  if (&store != exclusions_store_ || version != exclusions_version_ || !exclusions_) {
    exclusions_ = store.current();
    exclusions_store_ = &store;
    exclusions_version_ = version;
    name_memo_.clear();
  }
  return *exclusions_;
}

std::future<std::vector<LiveSession>> Worker::listSessions() {
  auto reply = std::make_shared<std::promise<std::vector<LiveSession>>>();
  auto future = reply->get_future();
  post([this, reply] {
    std::vector<LiveSession> live;
    live.reserve(sessions_.size());
    for (const auto& [ptr, session] : sessions_) {
      // The live list is the SSL inspection view; cleartext sessions are not SSL sessions.
      if (session->closed() || session->cleartext()) continue;
      live.push_back(session->live());
      live.back().worker = index_;
    }
    reply->set_value(std::move(live));
  });
  return future;
}

std::future<size_t> Worker::clearSessions() {
  auto reply = std::make_shared<std::promise<size_t>>();
  auto future = reply->get_future();
  post([this, reply] { reply->set_value(closeAll("cleared by operator", /*ssl_only=*/true)); });
  return future;
}

void Worker::drain(double grace_s) {
  post([this, grace_s] {
    draining_ = true;
    drain_deadline_ms_ = now_ms_ + static_cast<int64_t>(grace_s * 1000);
    if (listener_.fd() >= 0) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.fd(), nullptr);
      listener_.close();
    }
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::stall(std::chrono::milliseconds duration) {
  post([this, duration] {
    std::this_thread::sleep_for(duration);
    updateClock();
  });
}

void Worker::updateClock() {
  now_ms_ = monotonicMs();
  heartbeat_ms_.store(now_ms_, std::memory_order_relaxed);
}

int Worker::pollTimeoutMs() const {
  int64_t next = now_ms_ + kIdlePollMs;
  if (!deadlines_.empty()) next = std::min(next, deadlines_.begin()->first);
  if (draining_) next = std::min(next, drain_deadline_ms_);
  return static_cast<int>(std::clamp<int64_t>(next - now_ms_, 0, kIdlePollMs));
}

void Worker::run() {
  // OpenSSL writes to sockets with write(2): a peer that went away would raise SIGPIPE and kill
  // the daemon. Blocked on this thread, the signal stays pending and the write returns EPIPE.
  // The control signals are blocked too, so the kernel delivers them to the control thread
  // (vtpsd reads them from a signalfd) whatever mask the creating thread had.
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int sig : {SIGPIPE, SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGCHLD}) {
    sigaddset(&blocked, sig);
  }
  ::pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  updateClock();
  epoll_event events[kMaxEvents];
  while (!stop_) {
    int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, pollTimeoutMs());
    updateClock();
    const auto busy_from = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      static_cast<EpollHandler*>(events[i].data.ptr)->onEvents(events[i].events);
    }
    runDeadlines();
    reapRetired();
    if (draining_) {
      if (now_ms_ >= drain_deadline_ms_) closeAll("shutdown", /*ssl_only=*/false);
      reapRetired();
      stop_ = sessions_.empty();
    }
    // Telemetry's worker busy ratio: the time between epoll_wait calls (one clock read).
    const auto busy = std::chrono::steady_clock::now() - busy_from;
    busy_ns_.store(
        busyNs() + static_cast<uint64_t>(
                       std::chrono::duration_cast<std::chrono::nanoseconds>(busy).count()),
        std::memory_order_relaxed);
  }
  // Stopped (drained). An exception escaping the loop would end the process (std::terminate),
  // so leaving the loop here is the only way a worker stops while vtpsd runs.
  running_.store(false, std::memory_order_relaxed);
}

void Worker::acceptAll() {
  if (draining_) return;
  for (;;) {
    int error = 0;
    std::optional<AcceptedConnection> c = listener_.acceptOne(error);
    if (!c) {
      if (error == 0) return;  // drained (edge-triggered: until EAGAIN)
      counters_.add(Ctr::kTcpAcceptErrors);
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) return;
      continue;
    }
    auto session = std::make_unique<Session>(*this, std::move(*c), snapshot_);
    Session* raw = session.get();
    sessions_.emplace(raw, std::move(session));
    raw->start();
  }
}

void Worker::runCommands() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(wakeup_.get(), &count, sizeof count);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(commands_mutex_);
    batch.swap(commands_);
  }
  for (auto& command : batch)
    command();
}

void Worker::setDeadline(Session& session, int64_t at_ms) {
  if (session.deadline_ms_ != 0) deadlines_.erase({session.deadline_ms_, &session});
  session.deadline_ms_ = at_ms;
  if (at_ms != 0) deadlines_.emplace(at_ms, &session);
}

void Worker::runDeadlines() {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now_ms_) {
    Session* session = deadlines_.begin()->second;
    setDeadline(*session, 0);
    session->onDeadline();
  }
}

void Worker::retire(Session& session) {
  setDeadline(session, 0);
  retired_.push_back(&session);
}

void Worker::reapRetired() {
  for (Session* s : retired_)
    sessions_.erase(s);
  retired_.clear();
}

size_t Worker::closeAll(std::string_view reason, bool ssl_only) {
  size_t closed = 0;
  for (auto& [ptr, session] : sessions_) {
    if (session->closed() || (ssl_only && session->cleartext())) continue;
    session->abort(reason);
    ++closed;
  }
  return closed;
}

}  // namespace vtps::proxy
