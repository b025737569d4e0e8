#include "dataplane/proxy/proxy_engine.h"

#include <fmt/format.h>
#include <sched.h>

#include <chrono>
#include <mutex>
#include <optional>

#include "dataplane/proxy/domain_exclusions.h"
#include "dataplane/proxy/proxy_counters.h"
#include "dataplane/proxy/runtime_snapshot.h"
#include "dataplane/proxy/tproxy_rules.h"
#include "dataplane/proxy/tproxy_tuples.h"
#include "dataplane/proxy/transparent_listener.h"
#include "dataplane/proxy/worker.h"

namespace vtps::proxy {

std::string_view toString(Decision d) {
  switch (d) {
    case Decision::kDecrypted:
      return "Decrypted";
    case Decision::kDecryptedNotInspected:
      return "Decrypted but not inspected";
    case Decision::kNotDecrypted:
      return "Not decrypted";
    case Decision::kBypassed:
      return "Bypassed";
    case Decision::kBlocked:
      return "Blocked";
  }
  return "unknown";
}

std::string_view toString(FailedSide side) {
  return side == FailedSide::kClient ? "client" : "server";
}

namespace {

// Every proxy core must be one this process may run on.
Status checkCores(const std::vector<int>& cores) {
  if (cores.empty()) return makeError("device.cores.proxy: no proxy core configured");
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    return makeError(fmt::format("device.cores.proxy: sched_getaffinity: {}", strerror(errno)));
  }
  std::string available;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) available += (available.empty() ? "" : ",") + std::to_string(cpu);
  }
  for (int core : cores) {
    if (core < 0 || core >= CPU_SETSIZE || !CPU_ISSET(core, &allowed)) {
      return makeError(fmt::format(
          "device.cores.proxy: core {} does not exist or is not available (available: {})", core,
          available));
    }
  }
  return {};
}

bool hasClientPolicies(const config::Config& config) {
  for (const config::Profile& profile : config.profiles) {
    if (!profile.ssl_client_policies.empty()) return true;
  }
  return false;
}

class ProxyEngineImpl final : public ProxyEngine {
 public:
  ProxyEngineImpl(const EngineOptions& options, crypto::Keystore& keystore)
      : options_(options), keystore_(keystore) {}
  ~ProxyEngineImpl() override { drainAndStop(0); }

  Status start(std::shared_ptr<const config::Config> config, EventSink& sink,
               std::shared_ptr<InspectorFactory> inspectors);
  Status apply(std::shared_ptr<const config::Config> config) override;
  uint16_t listenPort() const override { return port_; }
  std::vector<CounterGroup> counters() const override;
  std::vector<WorkerLoad> workerLoad() const override;
  size_t stallWorkers(std::chrono::milliseconds duration) override;
  std::vector<LiveSession> liveSessions() const override;
  size_t clearSessions() override;
  std::shared_ptr<ExclusionStore> exclusionStore() const override { return exclusions_; }
  std::shared_ptr<const MintServices> mintServices() const override {
    std::lock_guard lock(mint_mutex_);
    return mint_;
  }
  void drainAndStop(double grace_s) override;

 private:
  template <typename T>
  std::optional<T> await(std::future<T>& future) const {
    auto timeout = std::chrono::milliseconds(options_.command_timeout_ms);
    if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future.get();
  }
  // The client inspection services `config` needs: the engine's own, created on first need.
  // A changed state file path gives a new exclusion store (committed by commitServices()).
  Result<ClientServices> servicesFor(const config::Config& config);
  void commitServices(const ClientServices& services, const config::Config& config);
  // The config's tuples as rules: as they are on the kernel dataplane; through the dpdk
  // dataplane, once per exception interface, each with that interface's mark.
  std::vector<TproxyTuple> ruleTuplesOf(const config::Config& config) const {
    std::vector<TproxyTuple> tuples = tproxyTuplesOf(config, port_, options_.fwmark);
    if (options_.exception_interfaces.empty()) return tuples;
    std::vector<TproxyTuple> out;
    for (size_t k = 0; k < options_.exception_interfaces.size(); ++k) {
      for (TproxyTuple t : tuples) {
        t.iif = options_.exception_interfaces[k];
        t.mark = options_.fwmark + 1 + static_cast<uint32_t>(k);
        out.push_back(std::move(t));
      }
    }
    return out;
  }
  TproxySettings rulesSettings() const {
    TproxySettings s;
    s.table = options_.rules_table;
    s.route_table = options_.route_table;
    s.rule_priority = options_.rule_priority;
    s.established_mark = options_.fwmark;
    return s;
  }

  EngineOptions options_;
  crypto::Keystore& keystore_;
  EngineShared shared_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;
  std::shared_ptr<MintServices> mint_;  // written by the control thread under mint_mutex_
  mutable std::mutex mint_mutex_;       // mintServices() is read from the metrics threads
  std::shared_ptr<ExclusionStore> exclusions_;
  std::optional<TproxyRules> rules_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

Status ProxyEngineImpl::start(std::shared_ptr<const config::Config> config, EventSink& sink,
                              std::shared_ptr<InspectorFactory> inspectors) {
  const std::vector<int>& cores = config->device.proxy_cores;
  VTPS_RETURN_IF_ERROR(checkCores(cores));
  shared_.sink = &sink;
  Result<ClientServices> services = servicesFor(*config);
  if (!services) return services.error();
  Result<std::shared_ptr<const RuntimeSnapshot>> snapshot =
      RuntimeSnapshot::build(config, keystore_, *services);
  if (!snapshot) return snapshot.error();
  commitServices(*services, *config);
  snapshot_ = std::move(*snapshot);
  shared_.inspectors = std::move(inspectors);
  shared_.options = options_;

  std::vector<TransparentListener> listeners;
  uint16_t port = options_.listen_port;
  for (size_t i = 0; i < cores.size(); ++i) {
    Result<TransparentListener> listener = TransparentListener::open(port);
    if (!listener) return listener.error();
    port = listener->port();
    listeners.push_back(std::move(*listener));
  }
  port_ = port;
  if (options_.install_rules) {
    Result<TproxyRules> rules = TproxyRules::install(rulesSettings(), ruleTuplesOf(*config));
    if (!rules) return rules.error();
    rules_.emplace(std::move(*rules));
  }
  for (size_t i = 0; i < cores.size(); ++i) {
    Result<std::unique_ptr<Worker>> worker =
        Worker::create(static_cast<int>(i), cores[i], std::move(listeners[i]), shared_, snapshot_);
    if (!worker) return worker.error();
    workers_.push_back(std::move(*worker));
    VTPS_RETURN_IF_ERROR(workers_.back()->start());
  }
  return {};
}

Status ProxyEngineImpl::apply(std::shared_ptr<const config::Config> config) {
  if (stopped_) return makeError("apply config: the proxy engine is stopped");
  if (config->device.proxy_cores != snapshot_->config().device.proxy_cores) {
    return makeError(
        "device.cores.proxy: the proxy cores cannot change while vtpsd runs; restart it to use "
        "the new cores");
  }
  Result<ClientServices> services = servicesFor(*config);
  if (!services) return services.error();
  Result<std::shared_ptr<const RuntimeSnapshot>> snapshot =
      RuntimeSnapshot::build(config, keystore_, *services);
  if (!snapshot) return snapshot.error();
  if (rules_) VTPS_RETURN_IF_ERROR(rules_->replace(ruleTuplesOf(*config)));
  commitServices(*services, *config);
  snapshot_ = std::move(*snapshot);
  for (auto& worker : workers_)
    worker->applySnapshot(snapshot_);
  return {};
}

Result<ClientServices> ProxyEngineImpl::servicesFor(const config::Config& config) {
  if (!hasClientPolicies(config)) return ClientServices{mint_, exclusions_};
  ClientServices services{mint_, exclusions_};
  if (!services.mint) {
    const EngineOptions::Mint& m = options_.mint;
    mint::KeyPoolOptions pool;
    pool.ecdsa_p256 = {m.ecdsa_keys_low, m.ecdsa_keys_high};
    pool.rsa_2048 = {m.rsa_keys_low, m.rsa_keys_high};
    Result<std::shared_ptr<MintServices>> created =
        MintServices::create(pool, mint::MintCacheOptions{m.cache_capacity, m.cache_shards});
    if (!created) return makeError("SSL client inspection: " + created.message());
    services.mint = std::move(*created);
  }
  const std::string path = exclusionStatePath(config);
  if (!services.exclusions || services.exclusions->path() != path) {
    Result<std::unique_ptr<ExclusionStore>> store =
        ExclusionStore::open(path, ExclusionSettings::from(config.domain_exclusions));
    if (!store) return store.error();
    services.exclusions = std::move(*store);
  }
  return services;
}

void ProxyEngineImpl::commitServices(const ClientServices& services, const config::Config& config) {
  {
    std::lock_guard lock(mint_mutex_);
    mint_ = services.mint;
  }
  if (!services.exclusions) return;
  services.exclusions->configure(ExclusionSettings::from(config.domain_exclusions));
  if (services.exclusions != exclusions_) {
    exclusions_ = services.exclusions;
    EventSink* sink = shared_.sink;
    exclusions_->startSync(std::chrono::milliseconds(options_.exclusions_sync_ms),
                           [sink](std::string message) { sink->systemLog("error", message); });
  }
}

std::vector<CounterGroup> ProxyEngineImpl::counters() const {
  std::vector<const WorkerCounters*> all;
  for (const auto& worker : workers_)
    all.push_back(&worker->counters());
  return sumCounters(all);
}

std::vector<WorkerLoad> ProxyEngineImpl::workerLoad() const {
  std::vector<WorkerLoad> all;
  for (const auto& worker : workers_)
    all.push_back(WorkerLoad{worker->index(), worker->core(), worker->busyNs(),
                             worker->heartbeatMs(), worker->running()});
  return all;
}

size_t ProxyEngineImpl::stallWorkers(std::chrono::milliseconds duration) {
  if (stopped_) return 0;
  for (const auto& worker : workers_)
    worker->stall(duration);
  return workers_.size();
}

std::vector<LiveSession> ProxyEngineImpl::liveSessions() const {
  std::vector<LiveSession> all;
  if (stopped_) return all;
  std::vector<std::future<std::vector<LiveSession>>> replies;
  for (const auto& worker : workers_)
    replies.push_back(worker->listSessions());
  for (auto& reply : replies) {
    if (auto sessions = await(reply)) all.insert(all.end(), sessions->begin(), sessions->end());
  }
  return all;
}

size_t ProxyEngineImpl::clearSessions() {
  if (stopped_) return 0;
  std::vector<std::future<size_t>> replies;
  for (const auto& worker : workers_)
    replies.push_back(worker->clearSessions());
  size_t closed = 0;
  for (auto& reply : replies)
    closed += await(reply).value_or(0);
  return closed;
}

void ProxyEngineImpl::drainAndStop(double grace_s) {
  if (stopped_) return;
  stopped_ = true;
  for (auto& worker : workers_)
    worker->drain(grace_s);
  for (auto& worker : workers_)
    worker->join();
  if (rules_) {
    if (Status removed = rules_->remove(); !removed && shared_.sink != nullptr) {
      shared_.sink->systemLog("error", removed.message());
    }
    rules_.reset();
  }
}

}  // namespace

Result<std::unique_ptr<ProxyEngine>> ProxyEngine::create(
    const EngineOptions& options, std::shared_ptr<const config::Config> config,
    crypto::Keystore& keystore, EventSink& sink, std::shared_ptr<InspectorFactory> inspectors) {
  auto engine = std::make_unique<ProxyEngineImpl>(options, keystore);
  // On failure the engine's destructor stops the workers already started and removes the rules.
  VTPS_RETURN_IF_ERROR(engine->start(std::move(config), sink, std::move(inspectors)));
  return std::unique_ptr<ProxyEngine>(std::move(engine));
}

}  // namespace vtps::proxy
