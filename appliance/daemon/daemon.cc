#include "appliance/daemon/daemon.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "appliance/daemon/daemon_parts.h"
#include "appliance/daemon/filter_service.h"
#include "appliance/daemon/keystore_check.h"
#include "appliance/daemon/sd_notify.h"
#include "appliance/daemon/syslog_setup.h"
#include "appliance/telemetry/daemon_metrics.h"
#include "appliance/telemetry/log_entries.h"
#include "crypto/file_util.h"
#include "crypto/rng/cpu_seed_provider.h"
#include "dataplane/filter/filter_config.h"
#include "dataplane/proxy/trace.h"

namespace vtps::daemon {
namespace {

std::string errnoText(int err) {
  return std::strerror(err);
}

sigset_t controlSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

Status blockControlSignals() {
  sigset_t set = controlSignals();
  int rc = ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  if (rc != 0) return makeError("block signals: " + errnoText(rc));
  // Peers closing mid-write must not kill the daemon; sockets report EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  return {};
}

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)), parts_(std::make_unique<Parts>()) {}

Daemon::~Daemon() {
  // Runs before parts_ (the engine, then the log) is destroyed; tracing is off for the next one.
  proxy::Tracer::instance().configure({});
  proxy::Tracer::instance().setSink(nullptr);
  // The handler points at this daemon's log.
  if (options_.crypto && options_.crypto->seed_source == config::SeedSource::kCpu)
    rng::setSeedSourceEventHandler(nullptr);
  // Only a file this process wrote: a refused second vtpsd must not remove the first one's.
  if (pid_file_written_) ::unlink(options_.pid_file.c_str());
}

Result<std::unique_ptr<Daemon>> Daemon::create(DaemonOptions options,
                                               std::shared_ptr<const config::Config> config) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(options)));
  VTPS_RETURN_IF_ERROR(d->start(std::move(config)));
  return d;
}

Status Daemon::start(std::shared_ptr<const config::Config> config) {
  Parts& p = *parts_;
  started_ms_ = telemetry::nowUnixMs();
  const config::Device& device = config->device;

  auto log = telemetry::JsonLog::open(device.log_dir, {});
  if (!log.ok()) return makeError("start: " + log.message());
  p.log = std::move(*log);
  p.sink = std::make_unique<LogEventSink>(*p.log);
  p.session_metrics = std::make_unique<telemetry::SessionMetrics>(p.sink.get());

  auto keystore = openKeystore(device);
  if (!keystore.ok()) return makeError("start: " + keystore.message());
  p.keystore = std::move(*keystore);
  p.keystore_dir = device.keystore;
  auto syslog = startSyslog(device, *p.keystore);
  if (!syslog.ok()) return makeError("start: " + syslog.message());
  if (*syslog) {
    p.syslog = std::move(*syslog);
    telemetry::SyslogForwarder* forwarder = p.syslog.get();
    p.log->setTap([forwarder](telemetry::LogFile file, const telemetry::Json& entry,
                              std::string_view line) { forwarder->offer(file, entry, line); });
  }
  // Keys that only an operator can bring back (persist-private-keys off) do not stop the start:
  // the proxies that need them are left out until they are supplied. Anything else does.
  const bool keys_may_come_later =
      p.keystore->options().persistence == crypto::KeyPersistence::kMemory;
  p.key_wait = planKeyWait(config, *p.keystore);
  if (!checkKeystoreReferences(*config, *p.keystore, keys_may_come_later).empty()) {
    config::LoadResult report;
    report.diagnostics = checkKeystoreReferences(*config, *p.keystore);
    return makeError("start: the config names certificates the keystore does not hold:\n" +
                     report.report());
  }
  auto filters = FilterService::create(*config, *p.log);
  if (!filters.ok()) return makeError("start: " + filters.message());
  p.filters = std::move(*filters);

  // The socket first: it refuses when another vtpsd owns it, before this one touches the TPROXY
  // rules that one installed. Requests wait in the backlog until run() serves them.
  VTPS_RETURN_IF_ERROR(openControlLoop(device.control_socket));

  proxy::EngineOptions engine_options;
  engine_options.exception_interfaces = DataplaneService::exceptionInterfaces(*config);
  auto engine = proxy::ProxyEngine::create(engine_options, p.key_wait.runnable, *p.keystore,
                                           *p.session_metrics, p.filters->inspectorFactory());
  if (!engine.ok()) return makeError("start: proxy engine: " + engine.message());
  p.engine = std::move(*engine);
  if (device.dataplane == config::Dataplane::kDpdk) {
    // Until the exception ports' routing is in (DataplaneService::start sets it up once EAL
    // has made the TAPs), new SSL flows get the fallback rather than a proxy that cannot answer.
    auto dataplane =
        DataplaneService::start(*config, *p.key_wait.runnable, p.filters->sharedEngine(), *p.log,
                                engine_options, &p.proxy_available);
    if (!dataplane.ok()) return makeError("start: " + dataplane.message());
    p.dataplane = std::move(*dataplane);
  }
  p.proxy_available.store(true);
  auto metrics = telemetry::startDaemonMetrics(
      device, *p.keystore, *p.engine, *p.session_metrics,
      options_.crypto ? options_.crypto->aead_in_use : std::string("openssl"),
      [filters = p.filters.get()] { return filters->engine().counters(); },
      p.dataplane ? telemetry::DataplaneSource([dp = p.dataplane.get()] {
        return std::optional<telemetry::DataplaneMetrics>(dp->metrics());
      })
                  : telemetry::DataplaneSource());
  if (!metrics.ok()) return makeError("start: " + metrics.message());
  p.metrics = std::move(*metrics);
  p.metrics->collector().configApplied(device.proxy_cores.size());
  p.metrics->collector().setWaitingForKeys(p.key_wait.missing_keys);
  VTPS_RETURN_IF_ERROR(startManagement(*config));

  if (!options_.pid_file.empty()) {
    auto written =
        crypto::writeFileAtomic(options_.pid_file, std::to_string(::getpid()) + "\n", 0644);
    if (!written.ok()) return makeError("start: pid file: " + written.message());
    pid_file_written_ = true;
  }

  logCryptoChoices();
  if (p.dataplane) {
    for (const std::string& line : p.dataplane->startupReport())
      systemLog("info", "dataplane", line);
  }
  // Debug traces (off until `vtpsctl debug trace set`) go to trace.log through the log thread.
  telemetry::JsonLog* trace_log = p.log.get();
  proxy::Tracer::instance().setSink([trace_log](const proxy::TraceEvent& e) {
    telemetry::Json entry;
    entry["time"] = telemetry::rfc3339Utc(telemetry::nowUnixMs());
    entry["flag"] = std::string(proxy::toString(e.flag));
    entry["level"] = std::string(proxy::toString(e.level));
    if (!e.session.empty()) entry["session"] = e.session;
    if (!e.profile.empty()) entry["profile"] = e.profile;
    entry["message"] = e.message;
    trace_log->post(telemetry::LogFile::kTrace, std::move(entry));
  });
  config_ = std::move(config);
  config_source_ = options_.config_path;
  config_loaded_ms_ = telemetry::nowUnixMs();
  systemLog("info", "start",
            "vtpsd " VTPS_VERSION " started: config " + options_.config_path + ", " +
                plural(config_->server_proxies.size(), "server proxy", "server proxies") +
                ", proxy listening on 127.0.0.1:" + std::to_string(p.engine->listenPort()) +
                ", control socket " + device.control_socket);
  if (p.key_wait.waiting()) systemLog("warning", "waiting-for-keys", keyWaitMessage());
  return {};
}

// The control loop's inputs: the signals (signalfd) and the control socket, in one epoll set.
Status Daemon::openControlLoop(const std::string& socket_path) {
  Parts& p = *parts_;
  sigset_t signals = controlSignals();
  p.signal_fd.reset(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!p.signal_fd) return makeError("start: signalfd: " + errnoText(errno));
  auto control = mgmt::ControlServer::create(
      socket_path, [this](const mgmt::Json& request) { return handleRequest(request); });
  if (!control.ok()) return makeError("start: " + control.message());
  p.control = std::move(*control);

  p.epoll_fd.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!p.epoll_fd) return makeError("start: epoll_create1: " + errnoText(errno));
  for (int fd : {p.signal_fd.get(), p.control->pollFd(), p.filters->pollFd()}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(p.epoll_fd.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return makeError("start: epoll_ctl: " + errnoText(errno));
    }
  }
  return {};
}

int Daemon::run() {
  Parts& p = *parts_;
  const std::string state = p.key_wait.waiting() ? p.key_wait.describe() : "inspecting";
  auto ready =
      notifySystemd("READY=1\nSTATUS=" + state + "\nMAINPID=" + std::to_string(::getpid()));
  if (!ready.ok()) systemLog("warning", "start", ready.message());

  // dpdk with exception ports: the loop also wakes for the proxy watchdog. Without them (the
  // kernel dataplane, or SSL inspection off at start) nothing would act on it: events only.
  // The lcores keep the fallback mode they started with (a reload's is for the next start).
  const bool watch = p.dataplane && !DataplaneService::exceptionInterfaces(*config_).empty();
  const config::DataplaneFallback fallback = config_->device.dataplane_fallback;
  const int timeout_ms = watch ? ProxyWatchdog::kCheckPeriodMs : -1;
  while (!stop_requested_) {
    std::array<epoll_event, 8> events{};
    int n =
        ::epoll_wait(p.epoll_fd.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
    if (watch) checkProxyWatchdog(fallback);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      systemLog("critical", "stop", "control loop: epoll_wait: " + errnoText(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == p.signal_fd.get()) {
        handleSignals();
      } else if (events[i].data.fd == p.filters->pollFd()) {
        p.filters->writeTraces();
      } else {
        p.control->dispatch();
      }
    }
  }

  (void)notifySystemd("STOPPING=1\nSTATUS=draining");
  p.metrics->collector().setStopping();
  // No new commands while draining; the socket disappears first so scripts see the stop. The
  // REST API stops after it: a request waiting on the socket then fails instead of blocking.
  p.control.reset();
  p.rest.reset();
  size_t live = p.engine->liveSessions().size();
  systemLog("info", "stop",
            "stopping: draining " + plural(live, "live session", "live sessions") + " for up to " +
                std::to_string(static_cast<int>(options_.drain_grace_s)) + " s");
  // New SSL flows on the segments no longer reach closing listeners: the dataplane's fallback
  // takes them while the live sessions drain.
  p.proxy_available.store(false);
  p.engine->drainAndStop(options_.drain_grace_s);
  p.filters->writeTraces();  // traces of the sessions the drain closed
  systemLog("info", "stop", "vtpsd stopped");
  p.log->flush();
  return 0;
}

void Daemon::checkProxyWatchdog(config::DataplaneFallback fallback) {
  Parts& p = *parts_;
  auto change = p.watchdog.check(p.engine->workerLoad(), steadyNowMs());
  p.proxy_available.store(p.watchdog.available(), std::memory_order_relaxed);
  if (!change) return;
  systemLog(change->available ? "info" : "critical", "proxy-fallback",
            proxyFallbackMessage(*change, fallback));
}

void Daemon::handleSignals() {
  for (;;) {
    signalfd_siginfo info{};
    ssize_t n = ::read(parts_->signal_fd.get(), &info, sizeof(info));
    if (n != static_cast<ssize_t>(sizeof(info))) return;
    if (info.ssi_signo == SIGHUP) {
      (void)reloadFromFile();
    } else {
      systemLog("info", "stop",
                std::string("received ") + (info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM"));
      stop_requested_ = true;
    }
  }
}

ApplyOutcome Daemon::reloadFromFile() {
  (void)notifySystemd("RELOADING=1");
  // Through applyText when the file reads, so that a reload enters the history and audit log.
  auto text = crypto::readFile(options_.config_path);
  ApplyOutcome outcome =
      text.ok() ? applyText(*text, options_.config_path, "reload", "SIGHUP or control reload")
                : applyLoaded(config::loadFileDiagnostics(options_.config_path),
                              options_.config_path, "reload");
  (void)notifySystemd(outcome.applied ? "READY=1\nSTATUS=inspecting" : "READY=1");
  return outcome;
}

ApplyOutcome Daemon::applyLoaded(config::LoadResult loaded, const std::string& source,
                                 const std::string& event) {
  ApplyOutcome outcome;
  KeyWait wait;
  if (loaded.ok()) {
    // persist-private-keys off: a key that is not there yet is waited for, not refused.
    wait = planKeyWait(loaded.config, *parts_->keystore);
    outcome.diagnostics = checkKeystoreReferences(
        *loaded.config, *parts_->keystore,
        parts_->keystore->options().persistence == crypto::KeyPersistence::kMemory);
    for (auto& d : filter::checkFilterGroups(*loaded.config))
      outcome.diagnostics.push_back(std::move(d));
  } else {
    outcome.diagnostics = std::move(loaded.diagnostics);
  }
  if (!outcome.diagnostics.empty()) {
    outcome.error = source + ": " + plural(outcome.diagnostics.size(), "error", "errors") +
                    "; first: " + outcome.diagnostics.front().str();
  } else {
    std::shared_ptr<const config::Config> next = loaded.config;
    // The filters are built first and switched last: a failure anywhere changes nothing.
    auto pipeline = FilterService::prepare(*next);
    // Waiting for keys, the engine runs the config without the proxies that need them.
    Status st = pipeline.ok() ? parts_->engine->apply(wait.runnable) : Status(pipeline.error());
    if (st.ok()) {
      parts_->filters->install(std::move(*pipeline), *next);
      if (parts_->dataplane) parts_->dataplane->applyConfig(*wait.runnable);
      outcome.applied = true;
      outcome.warnings = restartOnlyChanges(*next);
      parts_->key_wait = std::move(wait);
      parts_->metrics->collector().setWaitingForKeys(parts_->key_wait.missing_keys);
      if (parts_->key_wait.waiting()) outcome.warnings.push_back(keyWaitMessage());
      config_ = std::move(next);
      config_source_ = source;
      config_loaded_ms_ = telemetry::nowUnixMs();
    } else {
      outcome.error = source + ": " + st.message();
    }
  }

  proxy::traceEvent(proxy::TraceFlag::kConfiguration, proxy::TraceLevel::kBrief, [&] {
    return event + " of " + source +
           (outcome.applied ? ": applied" : ": refused: " + outcome.error);
  });
  for (const auto& d : outcome.diagnostics) {
    proxy::traceEvent(proxy::TraceFlag::kConfiguration, proxy::TraceLevel::kDetail,
                      [&] { return d.str(); });
  }
  if (outcome.applied) {
    ++reloads_ok_;
    parts_->metrics->collector().configApplied(config_->device.proxy_cores.size());
    systemLog("info", event, event + " of " + source + " succeeded: new sessions use it");
    for (const auto& w : outcome.warnings)
      systemLog("warning", event, w);
  } else {
    ++reloads_failed_;
    parts_->metrics->collector().reloadFailed();
    auto entry = telemetry::systemLogEntry(
        "error", event + "-failed",
        event + " refused, running configuration unchanged: " + outcome.error);
    for (const auto& d : outcome.diagnostics)
      entry["diagnostics"].push_back(d.str());
    parts_->log->post(telemetry::LogFile::kSystem, std::move(entry));
  }
  return outcome;
}

// The daemon reads these only at start; the new values are reported, not silently ignored.
std::vector<std::string> Daemon::restartOnlyChanges(const config::Config& next) const {
  std::vector<std::string> out;
  auto note = [&](const char* field, const std::string& now, const std::string& then) {
    if (now != then) {
      out.push_back(std::string(field) + " changed from " + now + " to " + then +
                    ": takes effect when vtpsd restarts");
    }
  };
  const auto& prev = config_->device;
  note("device.control-socket", prev.control_socket, next.device.control_socket);
  note("device.log-dir", prev.log_dir, next.device.log_dir);
  note("device.keystore", prev.keystore, next.device.keystore);
  note("device.metrics.listen", prev.metrics_listen, next.device.metrics_listen);
  note("device.management.listen", prev.management_listen, next.device.management_listen);
  note("device.management.min-tls", std::string(config::toString(prev.management_min_tls)),
       std::string(config::toString(next.device.management_min_tls)));
  note("device.crypto.seed-source", std::string(config::toString(prev.seed_source)),
       std::string(config::toString(next.device.seed_source)));
  note("device.crypto.aead", std::string(config::toString(prev.aead_provider)),
       std::string(config::toString(next.device.aead_provider)));
  auto collectors = [](const config::Device& d) {
    std::string s;
    for (const config::SyslogTarget& t : d.syslog) {
      s += (s.empty() ? "" : " ") + t.address + "/" + t.transport + "/" + t.ca_certificate + "/" +
           t.server_name + "/" + std::string(config::toString(t.min_tls)) + "/" + t.facility;
      for (const std::string& l : t.logs)
        s += "," + l;
    }
    return "[" + s + "]";
  };
  note("device.syslog", collectors(prev), collectors(next.device));
  // The dpdk dataplane's EAL runs once per process (dataplane_service.h).
  auto dataplaneShape = [](const config::Config& c) {
    std::string s = std::string(config::toString(c.device.dataplane)) + "/" +
                    std::string(config::toString(c.device.mode)) + " cores";
    for (int core : c.device.dataplane_cores)
      s += " " + std::to_string(core);
    s += " " + std::string(config::toString(c.device.dataplane_fallback)) + " budget " +
         std::to_string(c.device.dataplane_inspection_budget) + "%";
    for (const config::Segment& seg : c.segments) {
      s += "; " + seg.name + " (profile " + seg.profile + "):";
      for (const std::string& port : seg.ports)
        s += " " + port;
      for (int vlan : seg.vlans)
        s += " vlan " + std::to_string(vlan);
      for (const config::Cidr4& c4 : seg.sources)
        s += " from " + c4.str();
      for (const config::Cidr4& c4 : seg.destinations)
        s += " to " + c4.str();
    }
    return s;
  };
  note(
      "device.dataplane, mode, cores.dataplane, dataplane-fallback, dataplane-inspection-budget "
      "or segments",
      dataplaneShape(*config_), dataplaneShape(next));
  return out;
}

// The crypto choices main() made before the daemon existed, and the seed source's later events
// (a failed health test drops the hardware source; the log says so when it happens).
void Daemon::logCryptoChoices() {
  if (!options_.crypto) return;
  const CryptoState& c = *options_.crypto;
  systemLog("info", "crypto",
            "seed source " + std::string(config::toString(c.seed_source)) + ", AES-GCM by " +
                c.aead_in_use + " (" + c.aead_reason + ")");
  for (const std::string& w : c.warnings)
    systemLog("warning", "crypto", w);
  if (c.seed_source == config::SeedSource::kCpu) {
    telemetry::JsonLog* log = parts_->log.get();
    rng::setSeedSourceEventHandler([log](const std::string& message) {
      log->post(telemetry::LogFile::kSystem,
                telemetry::systemLogEntry("warning", "entropy", message));
    });
  }
}

std::string Daemon::keyWaitMessage() const {
  return parts_->key_wait.describe() +
         "; persist-private-keys is off, supply each with vtpsctl cert supply-key NAME --key FILE";
}

void Daemon::systemLog(std::string_view severity, std::string_view event, std::string message) {
  parts_->log->post(telemetry::LogFile::kSystem,
                    telemetry::systemLogEntry(severity, event, std::move(message)));
}

}  // namespace vtps::daemon
