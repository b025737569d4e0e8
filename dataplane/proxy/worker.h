// Worker: one pinned proxy thread. It owns an edge-triggered epoll set, its TransparentListener
// (SO_REUSEPORT: every worker listens on the same port), its sessions, its counters and one
// ClientHelloParser. Nothing on the per-connection path is shared with other workers except the
// engine-wide concurrency count (one atomic add per decrypted session).
//
// The control thread talks to a worker only through post(): a mutex-guarded queue of closures
// whose arrival an eventfd announces, run on the worker thread between epoll batches.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crypto/result.h"
#include "dataplane/proxy/certificate_name_memo.h"
#include "dataplane/proxy/client_hello.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/proxy_engine.h"
#include "dataplane/proxy/transparent_listener.h"
#include "dataplane/proxy/unique_fd.h"

namespace vtps::proxy {

class ExclusionSet;
class ExclusionStore;
class RuntimeSnapshot;
class Session;

// What the engine shares with all its workers. Read-only after create() except the two atomics.
struct EngineShared {
  EventSink* sink = nullptr;
  std::shared_ptr<InspectorFactory> inspectors;
  EngineOptions options;
  // Sessions being decrypted now, counted against max-concurrent-connections.
  std::atomic<int64_t> decrypting{0};
  // Set while over the threshold, so the system log gets one line per crossing.
  std::atomic<bool> over_threshold{false};
};

// Anything registered in a worker's epoll set; epoll_event.data.ptr points at one.
class EpollHandler {
 public:
  virtual void onEvents(uint32_t events) = 0;

 protected:
  ~EpollHandler() = default;
};

class Worker {
 public:
  // Creates the epoll set and eventfd; the thread starts with start(). Errors name the call.
  static Result<std::unique_ptr<Worker>> create(int index, int core, TransparentListener listener,
                                                EngineShared& shared,
                                                std::shared_ptr<const RuntimeSnapshot> snapshot);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread and pins it to its core. Error when pthread_setaffinity_np refuses.
  Status start();

  // Control-thread side. Each runs on the worker thread at its next loop turn.
  void applySnapshot(std::shared_ptr<const RuntimeSnapshot> snapshot);
  std::future<std::vector<LiveSession>> listSessions();
  std::future<size_t> clearSessions();
  // Stops accepting now; closes what is still open `grace_s` later; then the thread ends.
  void drain(double grace_s);
  void join();
  const WorkerCounters& counters() const { return counters_; }
  int index() const { return index_; }
  int core() const { return core_; }
  // Time spent handling events since start (the loop minus epoll_wait); any thread may read it.
  uint64_t busyNs() const { return busy_ns_.load(std::memory_order_relaxed); }
  // The proxy watchdog's view (WorkerLoad), readable from any thread: the steady-clock ms of
  // the loop's last turn (it turns at least every kIdlePollMs, idle or not), and whether the
  // thread is still inside its loop (false before start() and once it has left it).
  int64_t heartbeatMs() const { return heartbeat_ms_.load(std::memory_order_relaxed); }
  bool running() const { return running_.load(std::memory_order_relaxed); }
  // Blocks the worker thread for `duration` at its next loop turn: `debug np proxy-stall`, a
  // diagnostic that makes the worker unresponsive on purpose so the watchdog's fallback can be
  // exercised. Its sessions wait meanwhile; nothing is closed.
  void stall(std::chrono::milliseconds duration);

  // Worker-thread side, for sessions.
  int epollFd() const { return epoll_.get(); }
  WorkerCounters& counters() { return counters_; }
  EngineShared& shared() { return shared_; }
  ClientHelloParser& helloParser() { return parser_; }
  std::span<uint8_t> scratch() { return scratch_; }
  int64_t nowMs() const { return now_ms_; }
  // Arms (at_ms > 0) or disarms (0) the session's one deadline; onDeadline() is called then.
  void setDeadline(Session& session, int64_t at_ms);
  // The session closed its sockets: it is freed after the current batch of events.
  void retire(Session& session);
  // The SSL client domain exclusions of `store`, refreshed only when its version moved (one
  // atomic load otherwise). Valid until the next call.
  const ExclusionSet& exclusions(const ExclusionStore& store);
  CertificateNameMemo& certificateNameMemo() { return name_memo_; }

 private:
  Worker(int index, int core, TransparentListener listener, EngineShared& shared,
         std::shared_ptr<const RuntimeSnapshot> snapshot);
  struct ListenerHandler final : EpollHandler {
    Worker* worker;
    void onEvents(uint32_t) override { worker->acceptAll(); }
  };
  struct CommandHandler final : EpollHandler {
    Worker* worker;
    void onEvents(uint32_t) override { worker->runCommands(); }
  };

  void post(std::function<void()> command);
  void run();
  void acceptAll();
  void runCommands();
  void runDeadlines();
  void reapRetired();
  // Closes the live sessions, the cleartext ones too unless `ssl_only`; returns how many.
  size_t closeAll(std::string_view reason, bool ssl_only);
  int pollTimeoutMs() const;
  void updateClock();

  const int index_;
  const int core_;
  EngineShared& shared_;
  TransparentListener listener_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;  // for new sessions
  UniqueFd epoll_;
  UniqueFd wakeup_;  // eventfd
  ListenerHandler listener_handler_;
  CommandHandler command_handler_;
  std::thread thread_;

  std::mutex commands_mutex_;
  std::vector<std::function<void()>> commands_;  // guarded by commands_mutex_

  // Worker-thread state.
  WorkerCounters counters_;
  ClientHelloParser parser_;
  std::vector<uint8_t> scratch_;
  int64_t now_ms_ = 0;
  std::unordered_map<Session*, std::unique_ptr<Session>> sessions_;
  std::set<std::pair<int64_t, Session*>> deadlines_;
  std::vector<Session*> retired_;
  std::shared_ptr<const ExclusionSet> exclusions_;
  const ExclusionStore* exclusions_store_ = nullptr;
  uint64_t exclusions_version_ = 0;
  CertificateNameMemo name_memo_;
  bool draining_ = false;
  int64_t drain_deadline_ms_ = 0;
  bool stop_ = false;
  std::atomic<uint64_t> busy_ns_{0};      // written by the worker thread only
  std::atomic<int64_t> heartbeat_ms_{0};  // written by updateClock() and start()
  std::atomic<bool> running_{false};
};

}  // namespace vtps::proxy
