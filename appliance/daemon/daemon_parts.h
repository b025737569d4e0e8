// Private to appliance/daemon: what a running Daemon owns, kept out of daemon.h so that its
// users do not see the engine, keystore or log types. Members are destroyed bottom-up: the
// control socket closes first, the engine stops before the sink and log it writes to.
#pragma once

#include <atomic>
#include <memory>

#include "appliance/daemon/daemon.h"
#include "appliance/daemon/dataplane_service.h"
#include "appliance/daemon/filter_service.h"
#include "appliance/daemon/keystore_check.h"
#include "appliance/daemon/log_event_sink.h"
#include "appliance/daemon/proxy_watchdog.h"
#include "appliance/mgmt/config_history.h"
#include "appliance/mgmt/control_server.h"
#include "appliance/mgmt/rest_server.h"
#include "appliance/telemetry/json_log.h"
#include "appliance/telemetry/metrics.h"
#include "appliance/telemetry/session_metrics.h"
#include "appliance/telemetry/syslog_forwarder.h"
#include "crypto/keystore.h"
#include "dataplane/proxy/proxy_engine.h"
#include "dataplane/proxy/unique_fd.h"

namespace vtps::daemon {

class Daemon::Parts {
 public:
  // Receives every log entry from the log's thread (JsonLog::setTap): destroyed after `log`.
  std::unique_ptr<telemetry::SyslogForwarder> syslog;
  std::unique_ptr<telemetry::JsonLog> log;
  std::unique_ptr<LogEventSink> sink;
  // The engine's sink: tallies session records for /metrics, then hands them to `sink`.
  std::unique_ptr<telemetry::SessionMetrics> session_metrics;
  std::unique_ptr<crypto::Keystore> keystore;
  std::string keystore_dir;
  // persist-private-keys off: the keys the running config still waits for, and the config the
  // engine runs meanwhile (keystore_check.h). Not waiting: the engine runs the whole config.
  KeyWait key_wait;
  // The proxy's inspector (filter engine, block/alert logs, traces): outlives the engine.
  std::unique_ptr<FilterService> filters;
  std::unique_ptr<proxy::ProxyEngine> engine;
  // device.dataplane: dpdk only: the segment forwarder (dataplane_service.h).
  // Whether the proxy takes new flows from the dataplane's exception ports (declared before
  // the dataplane, whose lcores read it until it is destroyed).
  std::atomic<bool> proxy_available{false};
  // Sets proxy_available from the workers' heartbeats (dpdk only; Daemon::checkProxyWatchdog).
  ProxyWatchdog watchdog;
  std::unique_ptr<DataplaneService> dataplane;
  std::unique_ptr<telemetry::MetricsServer> metrics;  // reads the engine: stops before it
  std::unique_ptr<mgmt::ControlServer> control;
  // Management (mgmt_methods.cc): the running config's text and the configs before it; the
  // REST API, which calls the control socket, stops before it.
  std::string running_yaml;
  std::unique_ptr<mgmt::ConfigHistory> history;
  std::unique_ptr<mgmt::RestServer> rest;
  proxy::UniqueFd signal_fd;
  proxy::UniqueFd epoll_fd;
};

}  // namespace vtps::daemon
