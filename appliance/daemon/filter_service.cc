#include "appliance/daemon/filter_service.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "appliance/telemetry/log_entries.h"
#include "dataplane/filter/filter_config.h"

namespace vtps::daemon {
namespace {

constexpr size_t kDefaultTopRules = 10;
constexpr size_t kMaxTopRules = 1000;
// Errors listed per rule set in system.log and `vtpsctl show filters`; the counts are complete.
constexpr size_t kMaxListedErrors = 50;

telemetry::Json ruleSetJson(const filter::RuleSetReport& r) {
  telemetry::Json j;
  j["glob"] = r.glob;
  j["profiles"] = r.profiles;
  j["files"] = r.files;
  j["loaded"] = r.loaded;
  j["failed"] = r.failed;
  telemetry::Json errors = telemetry::Json::array();
  for (size_t i = 0; i < r.errors.size() && i < kMaxListedErrors; ++i)
    errors.push_back(r.errors[i]);
  j["errors"] = std::move(errors);
  j["from_cache"] = r.from_cache;
  return j;
}

}  // namespace

telemetry::Json filterLogEntry(const filter::FilterEvent& event) {
  telemetry::Json j = telemetry::Json::parse(filter::toJsonLine(event));
  j["time"] = telemetry::rfc3339Utc(event.time_unix_ms);
  return j;
}

FilterService::FilterService(telemetry::JsonLog& log) : log_(log) {}

FilterService::~FilterService() = default;

Result<std::unique_ptr<FilterService>> FilterService::create(const config::Config& config,
                                                             telemetry::JsonLog& log) {
  std::unique_ptr<FilterService> s(new FilterService(log));
  s->event_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!s->event_fd_) return makeError(std::string("filters: eventfd: ") + std::strerror(errno));
  auto engine = filter::FilterEngine::create(filter::filterSettingsFrom(config), s.get());
  if (!engine.ok()) return makeError("filters: " + engine.message());
  s->engine_ = std::move(*engine);
  s->factory_ = std::make_shared<filter::FilterInspectorFactory>(s->engine_);
  s->trace_dir_ = filter::traceDirOf(config);
  s->rememberTuples(config);
  s->reportLoad();
  return s;
}

void FilterService::rememberTuples(const config::Config& config) {
  cleartext_tuples_ = mgmt::Json::array();
  for (const config::CleartextTuple& t : config.filters.cleartext_inspection) {
    mgmt::Json destinations = mgmt::Json::array();
    for (const config::Cidr4& d : t.destinations)
      destinations.push_back(d.str());
    mgmt::Json ports = mgmt::Json::array();
    for (const config::PortRange& p : t.ports)
      ports.push_back(p.str());
    cleartext_tuples_.push_back(mgmt::Json{{"name", t.name},
                                           {"destinations", std::move(destinations)},
                                           {"ports", std::move(ports)},
                                           {"profile", t.profile},
                                           {"tcp_reset", t.tcp_reset}});
  }
}

Result<std::shared_ptr<const filter::Pipeline>> FilterService::prepare(
    const config::Config& config) {
  auto pipeline = filter::Pipeline::create(filter::filterSettingsFrom(config));
  if (!pipeline.ok()) return makeError("filters: " + pipeline.message());
  return std::move(*pipeline);
}

void FilterService::install(std::shared_ptr<const filter::Pipeline> pipeline,
                            const config::Config& config) {
  engine_->install(std::move(pipeline));
  trace_dir_ = filter::traceDirOf(config);
  rememberTuples(config);
  reportLoad();
}

// One system.log line per rule set; its rule errors travel with it (operators fix rule files
// from this list, FILE:LINE first).
void FilterService::reportLoad() {
  for (const filter::RuleSetReport& r : engine_->ruleSetReports()) {
    std::string glob = r.glob.empty() ? std::string("(none)") : r.glob;
    std::string message = "rule set " + glob + ": " + std::to_string(r.files.size()) + " files, " +
                          std::to_string(r.loaded) + " rules loaded, " + std::to_string(r.failed) +
                          " failed";
    auto entry = telemetry::systemLogEntry(r.failed == 0 ? "info" : "warning", "filters", message);
    for (size_t i = 0; i < r.errors.size() && i < kMaxListedErrors; ++i)
      entry["rule_errors"].push_back(r.errors[i]);
    log_.post(telemetry::LogFile::kSystem, std::move(entry));
  }
}

void FilterService::filterEvent(const filter::FilterEvent& event) {
  log_.post(event.log == filter::FilterLog::kBlock ? telemetry::LogFile::kBlock
                                                   : telemetry::LogFile::kAlert,
            filterLogEntry(event));
}

void FilterService::traceCaptured(filter::TraceCapture capture) {
  if (!traces_.tryPush(capture)) {
    traces_dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(event_fd_.get(), &one, sizeof one);
}

void FilterService::writeTraces() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(event_fd_.get(), &count, sizeof count);
  while (std::optional<filter::TraceCapture> capture = traces_.tryPop()) {
    Status written = filter::writeTraceFile(trace_dir_, *capture);
    if (written.ok()) {
      log_.post(telemetry::LogFile::kSystem,
                telemetry::systemLogEntry(
                    "info", "filters",
                    "packet trace of sid " + std::to_string(capture->sid) + " written to " +
                        trace_dir_ + "/" + capture->file_name +
                        (capture->truncated ? " (truncated at the size limit)" : "")));
    } else {
      log_.post(telemetry::LogFile::kSystem,
                telemetry::systemLogEntry("error", "filters", written.message()));
    }
  }
  if (uint64_t dropped = traces_dropped_.exchange(0); dropped > 0) {
    log_.post(telemetry::LogFile::kSystem,
              telemetry::systemLogEntry(
                  "warning", "filters",
                  std::to_string(dropped) + " packet traces dropped: the trace queue was full"));
  }
}

mgmt::Json FilterService::showResponse() const {
  mgmt::Json sets = mgmt::Json::array();
  for (const filter::RuleSetReport& r : engine_->ruleSetReports())
    sets.push_back(ruleSetJson(r));
  mgmt::Json counters = mgmt::Json::object();
  for (const auto& [name, value] : engine_->counters())
    counters[name] = value;
  return mgmt::Json{{"rule_sets", std::move(sets)},
                    {"cleartext_tuples", cleartext_tuples_},
                    {"counters", std::move(counters)},
                    {"trace_dir", trace_dir_}};
}

mgmt::Json FilterService::topResponse(const mgmt::Json& request) const {
  size_t count = kDefaultTopRules;
  if (request.contains("count")) {
    const mgmt::Json& c = request.at("count");
    if (!c.is_number_integer() || c.get<int64_t>() < 1 ||
        c.get<int64_t>() > static_cast<int64_t>(kMaxTopRules)) {
      return mgmt::errorResponse("filters-top: count must be an integer from 1 to " +
                                 std::to_string(kMaxTopRules));
    }
    count = c.get<size_t>();
  }
  mgmt::Json rules = mgmt::Json::array();
  for (const filter::RuleHits& h : engine_->topRules(count)) {
    rules.push_back(mgmt::Json{{"sid", h.sid},
                               {"rev", h.rev},
                               {"action", std::string(filter::toString(h.action))},
                               {"msg", h.msg},
                               {"hits", h.hits}});
  }
  return mgmt::Json{{"rules", std::move(rules)}};
}

}  // namespace vtps::daemon
