#include "dataplane/filter/filter_inspector.h"

namespace vtps::filter {

Result<std::shared_ptr<FilterEngine>> FilterEngine::create(const FilterSettings& settings,
                                                           FilterEventSink* sink) {
  auto pipeline = Pipeline::create(settings);
  if (!pipeline.ok()) return pipeline.error();
  std::shared_ptr<FilterEngine> engine(new FilterEngine());
  engine->runtime_ = std::make_shared<FilterRuntime>();
  engine->runtime_->sink = sink;
  engine->pipeline_.store(std::move(*pipeline));
  return engine;
}

Status FilterEngine::reload(const FilterSettings& settings) {
  std::lock_guard lock(reload_mutex_);
  auto pipeline = Pipeline::create(settings);
  if (!pipeline.ok()) return makeError("reload filters: " + pipeline.message());
  pipeline_.store(std::move(*pipeline));
  return {};
}

void FilterEngine::install(std::shared_ptr<const Pipeline> pipeline) {
  std::lock_guard lock(reload_mutex_);
  pipeline_.store(std::move(pipeline));
}

Status FilterEngine::reloadReputation() {
  std::lock_guard lock(reload_mutex_);
  std::shared_ptr<const Pipeline> current = pipeline_.load();
  auto db = ReputationDb::load(current->settings().reputation);
  if (!db.ok()) return makeError("reload reputation lists: " + db.message());
  pipeline_.store(current->withReputation(std::move(*db)));
  return {};
}

std::unique_ptr<SessionFilter> FilterEngine::open(const FlowInfo& flow) const {
  return pipeline_.load()->open(flow, runtime_);
}

std::vector<std::pair<std::string, uint64_t>> FilterEngine::counters() const {
  return runtime_->counters.snapshot();
}

bool FilterEngine::bypasses(const FiveTuple& tuple) const {
  return pipeline_.load()->traffic().bypassRule(tuple) != nullptr;
}

std::string FilterEngine::bypassRule(const FiveTuple& tuple) const {
  const FiveTupleSpec* rule = pipeline_.load()->traffic().bypassRule(tuple);
  if (rule == nullptr) return {};
  runtime_->counters.add(FilterCounters::kBypassed);
  return rule->name;
}

FilterInspector::FilterInspector(std::unique_ptr<SessionFilter> session)
    : session_(std::move(session)) {}

proxy::Verdict FilterInspector::inspect(proxy::Direction direction,
                                        std::span<const uint8_t> cleartext) {
  const SessionVerdict& v =
      session_->inspect(direction == proxy::Direction::kClientToServer, cleartext);
  if (v.action == FilterAction::kBlock) return proxy::Verdict::kBlock;
  return v.trace ? proxy::Verdict::kTrace : proxy::Verdict::kPass;
}

proxy::Verdict FilterInspector::openVerdict() const {
  return session_->verdict().action == FilterAction::kBlock ? proxy::Verdict::kBlock
                                                            : proxy::Verdict::kPass;
}

FilterInspectorFactory::FilterInspectorFactory(std::shared_ptr<FilterEngine> engine)
    : engine_(std::move(engine)) {}

std::unique_ptr<proxy::Inspector> FilterInspectorFactory::create(
    const proxy::SessionContext& session) {
  return std::make_unique<FilterInspector>(engine_->open(flowInfo(session)));
}

bool FilterInspectorFactory::bypasses(const proxy::SessionContext& session) const {
  return engine_->bypasses(flowInfo(session).tuple);
}

std::string FilterInspectorFactory::bypassRule(const proxy::SessionContext& session) const {
  return engine_->bypassRule(flowInfo(session).tuple);
}

FlowInfo FilterInspectorFactory::flowInfo(const proxy::SessionContext& s) {
  FlowInfo f;
  f.profile = s.profile;
  f.policy = s.policy;
  f.proxy = s.proxy;
  f.tuple.client_ip = parseIpv4(s.client_address).value_or(0);
  f.tuple.client_port = s.client_port;
  f.tuple.server_ip = parseIpv4(s.server_address).value_or(0);
  f.tuple.server_port = s.server_port;
  // The proxy creates inspectors for the sessions it decrypted and for the plain sessions of
  // cleartext inspection tuples (proxy_engine.h); the latter are parsed as HTTP when the client's
  // first bytes are a request.
  f.decrypted = !s.cleartext;
  f.tls = !s.cleartext;
  f.http = !s.cleartext && s.service == config::DecryptedService::kHttp;
  f.sni = s.sni;
  return f;
}

}  // namespace vtps::filter
