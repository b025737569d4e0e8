#include "dataplane/filter/session_filter.h"

#include <algorithm>
#include <array>

namespace vtps::filter {
namespace {

using Clock = std::chrono::system_clock;

int64_t nowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

// A cleartext flow not declared as HTTP is parsed as HTTP when the client speaks first with a
// request method followed by a space.
bool looksLikeHttpRequest(std::span<const uint8_t> data) {
  static constexpr std::array<std::string_view, 9> kMethods{
      "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "};
  std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  return std::any_of(kMethods.begin(), kMethods.end(),
                     [&](std::string_view m) { return s.starts_with(m); });
}

// The path of a request target: "http://host/a?b" -> "/a?b"; "/a?b" stays.
std::string_view targetPath(std::string_view uri) {
  size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos || uri.front() == '/') return uri;
  size_t slash = uri.find('/', scheme + 3);
  return slash == std::string_view::npos ? std::string_view("/") : uri.substr(slash);
}

std::string_view reputationName(ReputationKind k) {
  switch (k) {
    case ReputationKind::kIp:
      return "ip";
    case ReputationKind::kDns:
      return "dns";
    case ReputationKind::kUrl:
      return "url";
  }
  return "?";
}

}  // namespace

class SessionFilter::HttpSide final : public HttpParser::Listener {
 public:
  HttpSide(SessionFilter& owner, bool to_server, const HttpLimits& limits)
      : parser(to_server ? HttpParser::Kind::kRequest : HttpParser::Kind::kResponse, limits, *this),
        owner_(owner),
        to_server_(to_server) {}
  bool onHeaders(const HttpMessage& m) override { return owner_.onHttpHeaders(to_server_, m); }
  bool onBody(const HttpMessage& m) override { return owner_.onHttpBody(to_server_, m); }

  HttpParser parser;
  bool error_counted = false;

 private:
  SessionFilter& owner_;
  bool to_server_;
};

SessionFilter::SessionFilter(std::shared_ptr<const Pipeline> pipeline,
                             std::shared_ptr<FilterRuntime> runtime, FlowInfo flow)
    : pipeline_(std::move(pipeline)), runtime_(std::move(runtime)), flow_(std::move(flow)) {
  traits_.client_ip = flow_.tuple.client_ip;
  traits_.client_port = flow_.tuple.client_port;
  traits_.server_ip = flow_.tuple.server_ip;
  traits_.server_port = flow_.tuple.server_port;
  traits_.http = flow_.http;
  traits_.tls = flow_.tls;
  runtime_->counters.add(FilterCounters::kSessions);
  openStages();
}

SessionFilter::~SessionFilter() {
  finishTrace();
  if (matcher_) {
    runtime_->counters.add(FilterCounters::kVerifyBudgetExhausted,
                           matcher_->stats().budget_exhausted);
    runtime_->counters.add(FilterCounters::kScanErrors, matcher_->stats().scan_errors);
  }
}

void SessionFilter::openStages() {
  if (pipeline_->traffic().bypassRule(flow_.tuple) != nullptr) {
    mode_ = Mode::kBypassed;
    runtime_->counters.add(FilterCounters::kBypassed);
    return;
  }
  applyTrafficManagement();
  if (mode_ != Mode::kInspect) return;
  // IP and DNS reputation judge the encrypted flow, before decryption; a decrypted session is
  // past that point, so only URL reputation applies to it.
  if (!flow_.decrypted) checkIpAndDns();
  if (mode_ != Mode::kInspect) return;
  const Quarantine& q = pipeline_->quarantine();
  if (q.applies(flow_.tuple.client_ip, flow_.tuple.server_ip)) {
    // Only cleartext HTTP can be redirected, on its first request; TLS is blocked now.
    if (q.action() == QuarantineAction::kRedirect && !flow_.tls) {
      quarantine_redirect_ = true;
    } else {
      return blockQuarantined(std::nullopt);
    }
  }
  const auto& rules = pipeline_->rulesFor(flow_.profile);
  matcher_.emplace(rules);
  overlap_ =
      std::max(pipeline_->settings().limits.stream_overlap_bytes, rules->longestStreamContent());
  if (flow_.tls && !flow_.sni.empty()) {
    matcher_->matchTlsSni(traits_, flow_.sni, matched_);
    applySignatures(true, nullptr);
  }
  const ReputationDb& rep = pipeline_->reputation();
  wants_cleartext_ = limiter_ || quarantine_redirect_ || rules->hasUnit(InspectionUnit::kStream) ||
                     rules->hasUnit(InspectionUnit::kHttp) || rules->hasTraceRules() ||
                     rep.entries(ReputationKind::kUrl) != 0 ||
                     (!flow_.decrypted && rep.entries(ReputationKind::kDns) != 0);
}

void SessionFilter::applyTrafficManagement() {
  const TrafficFilter* f = pipeline_->traffic().firstFilter(flow_.tuple);
  if (f == nullptr) return;
  FilterCounters& c = runtime_->counters;
  switch (f->action) {
    case TrafficAction::kBlock: {
      c.add(FilterCounters::kTmBlocked);
      c.add(FilterCounters::kActionBlock);
      FilterEvent e =
          baseEvent(FilterLog::kBlock, FilterStage::kTrafficManagement, std::nullopt, nullptr);
      e.action = "block";
      e.filter = f->name;
      e.reason = "traffic-management " + f->name;
      emit(e);
      return block(e.reason, true);
    }
    case TrafficAction::kTrust:
      c.add(FilterCounters::kTmTrusted);
      mode_ = Mode::kTrusted;
      return;
    case TrafficAction::kAllow:
      c.add(FilterCounters::kTmAllowed);
      return;
    case TrafficAction::kRateLimit:
      c.add(FilterCounters::kTmRateLimited);
      limiter_ = f->limiter;
      return;
  }
}

void SessionFilter::blockQuarantined(std::optional<bool> to_server) {
  runtime_->counters.add(FilterCounters::kQuarantineBlocked);
  runtime_->counters.add(FilterCounters::kActionBlock);
  FilterEvent e = baseEvent(FilterLog::kBlock, FilterStage::kQuarantine, to_server, nullptr);
  e.action = "block";
  e.filter = "quarantine";
  e.reason = "quarantine " + formatIpv4(flow_.tuple.client_ip);
  emit(e);
  block(e.reason, true);
}

void SessionFilter::checkIpAndDns() {
  const ReputationDb& rep = pipeline_->reputation();
  for (uint32_t ip : {flow_.tuple.client_ip, flow_.tuple.server_ip}) {
    if (checkReputation(rep.lookupIp(ip), std::nullopt, nullptr)) return;
  }
  if (flow_.tls && !flow_.sni.empty())
    checkReputation(rep.lookupDns(flow_.sni), std::nullopt, nullptr);
}

const SessionVerdict& SessionFilter::inspect(bool to_server, std::span<const uint8_t> data) {
  if (mode_ != Mode::kInspect || !wants_cleartext_) return verdict_;
  verdict_.throttle = std::chrono::nanoseconds(0);
  if (data.empty()) return verdict_;
  recordTrace(to_server, data);
  if (limiter_) {
    auto now = std::chrono::steady_clock::now().time_since_epoch();
    verdict_.throttle = limiter_->consume(data.size(), now);
    if (verdict_.throttle.count() > 0) runtime_->counters.add(FilterCounters::kTmThrottled);
  }
  inspectHttp(to_server, data);
  if (mode_ == Mode::kInspect) inspectStream(to_server, data);
  if (pcap_ && pcap_->truncated()) finishTrace();
  return verdict_;
}

void SessionFilter::inspectHttp(bool to_server, std::span<const uint8_t> data) {
  if (!http_detected_) {
    http_detected_ = true;
    traits_.http = flow_.http || (to_server && looksLikeHttpRequest(data));
    if (traits_.http) {
      // A body window is kept only for a body some rule inspects.
      auto limitsFor = [&](BufferKind body) {
        HttpLimits limits = pipeline_->settings().limits.http;
        if (!matcher_->rules().usesBuffer(body)) limits.max_body_bytes = 0;
        return limits;
      };
      http_[0] = std::make_unique<HttpSide>(*this, true, limitsFor(BufferKind::kHttpRequestBody));
      http_[1] = std::make_unique<HttpSide>(*this, false, limitsFor(BufferKind::kHttpResponseBody));
    }
  }
  // Only cleartext HTTP can be redirected; anything else from the host is blocked.
  if (quarantine_redirect_ && !traits_.http) return blockQuarantined(to_server);
  if (!traits_.http) return;
  HttpSide& side = *http_[to_server ? 0 : 1];
  side.parser.feed(data);
  if (side.parser.state() == HttpParser::State::kError && !side.error_counted) {
    side.error_counted = true;
    runtime_->counters.add(FilterCounters::kHttpParseErrors);
  }
}

bool SessionFilter::onHttpHeaders(bool to_server, const HttpMessage& m) {
  if (to_server) {
    http_[1]->parser.expectResponseTo(m.method);
    const ReputationDb& rep = pipeline_->reputation();
    if (!flow_.decrypted && !m.host.empty() && checkReputation(rep.lookupDns(m.host), true, &m)) {
      return false;
    }
    if (!m.host.empty() && checkReputation(rep.lookupUrl(m.host, targetPath(m.uri)), true, &m)) {
      return false;
    }
    if (quarantine_redirect_) {
      runtime_->counters.add(FilterCounters::kQuarantineRedirected);
      runtime_->counters.add(FilterCounters::kActionBlock);
      FilterEvent e = baseEvent(FilterLog::kBlock, FilterStage::kQuarantine, true, &m);
      e.action = "redirect";
      e.filter = "quarantine";
      e.reason = "quarantine redirect to " + pipeline_->quarantine().redirectUrl();
      emit(e);
      verdict_.client_response = pipeline_->quarantine().redirectResponse();
      block(e.reason, false);
      return false;
    }
  }
  if (matcher_ && !signatures_off_) {
    matcher_->matchHttpHeaders(traits_, to_server, m, matched_);
    applySignatures(to_server, &m);
  }
  return mode_ == Mode::kInspect;
}

bool SessionFilter::onHttpBody(bool to_server, const HttpMessage& m) {
  if (matcher_ && !signatures_off_) {
    matcher_->matchHttpBody(traits_, to_server, m, matched_);
    applySignatures(to_server, &m);
  }
  return mode_ == Mode::kInspect;
}

bool SessionFilter::checkReputation(std::optional<ReputationHit> hit, std::optional<bool> to_server,
                                    const HttpMessage* m) {
  const ReputationDb& rep = pipeline_->reputation();
  if (!hit || hit->score < rep.notifyThreshold()) return false;
  bool blocks = hit->score >= rep.blockThreshold();
  if (!blocks && std::find(notified_.begin(), notified_.end(), hit->entry) != notified_.end()) {
    return false;  // one notify event per entry and session
  }
  FilterCounters& c = runtime_->counters;
  c.add(blocks ? FilterCounters::kReputationBlocked : FilterCounters::kReputationNotified);
  c.add(blocks ? FilterCounters::kActionBlock : FilterCounters::kActionPermitNotify);
  FilterEvent e = baseEvent(blocks ? FilterLog::kBlock : FilterLog::kAlert,
                            FilterStage::kReputation, to_server, m);
  e.action = blocks ? "block" : "permit+notify";
  e.filter = hit->entry;
  e.score = hit->score;
  e.reason = "reputation " + std::string(reputationName(hit->kind)) + " " + hit->entry + " score " +
             std::to_string(hit->score);
  emit(e);
  if (!blocks) {
    notified_.push_back(hit->entry);
    return false;
  }
  block(e.reason, true);
  return true;
}

void SessionFilter::inspectStream(bool to_server, std::span<const uint8_t> data) {
  if (!matcher_ || signatures_off_ || !matcher_->rules().hasUnit(InspectionUnit::kStream)) return;
  Stream& s = streams_[to_server ? 0 : 1];
  size_t window = std::max(pipeline_->settings().limits.stream_window_bytes, overlap_ + 4096);
  while (!data.empty() && mode_ == Mode::kInspect && !signatures_off_) {
    size_t take = std::min(data.size(), window - s.window.size());
    s.window.insert(s.window.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    matcher_->matchStream(traits_, to_server, s.window, s.offset, matched_);
    applySignatures(to_server, nullptr);
    if (s.window.size() > overlap_) {
      size_t drop = s.window.size() - overlap_;
      s.window.erase(s.window.begin(), s.window.begin() + static_cast<std::ptrdiff_t>(drop));
      s.offset += drop;
    }
    data = data.subspan(take);
  }
}

void SessionFilter::applySignatures(bool to_server, const HttpMessage* m) {
  auto fired = [&](uint32_t i) {
    return std::find(fired_.begin(), fired_.end(), i) != fired_.end();
  };
  std::erase_if(matched_, fired);
  if (matched_.empty() || signatures_off_) {
    matched_.clear();
    return;
  }
  const CompiledRuleSet& set = matcher_->rules();
  FilterCounters& c = runtime_->counters;
  // Suricata's action order: a pass rule wins over drop, reject and alert of the same unit and
  // ends signature inspection of the session.
  for (uint32_t i : matched_) {
    if (set.rules()[i].action != RuleAction::kPass) continue;
    set.recordHit(i);
    fired_.push_back(i);
    c.add(FilterCounters::kSignaturePassed);
    signatures_off_ = true;
  }
  if (signatures_off_) {
    matched_.clear();
    return;
  }
  const Rule* blocker = nullptr;
  const Rule* tracer = nullptr;
  for (uint32_t i : matched_) {
    const Rule& r = set.rules()[i];
    set.recordHit(i);
    fired_.push_back(i);
    bool blocks = r.action == RuleAction::kDrop || r.action == RuleAction::kReject;
    if (blocks && (blocker == nullptr || r.priority < blocker->priority)) blocker = &r;
    if (r.trace && tracer == nullptr) tracer = &r;
    c.add(blocks ? FilterCounters::kSignatureBlocked : FilterCounters::kSignatureNotified);
    if (!blocks) c.add(FilterCounters::kActionPermitNotify);
    FilterEvent e = baseEvent(blocks ? FilterLog::kBlock : FilterLog::kAlert,
                              FilterStage::kSignature, to_server, m);
    e.action = blocks ? std::string(toString(r.action)) : "permit+notify";
    e.sid = r.sid;
    e.rev = r.rev;
    e.priority = r.priority;
    e.msg = r.msg;
    e.classtype = r.classtype;
    e.traced = r.trace;
    e.reason = "signature " + std::to_string(r.sid) + ": " + r.msg;
    emit(e);
  }
  matched_.clear();
  if (tracer != nullptr) startTrace(tracer->sid);
  if (blocker != nullptr) {
    c.add(FilterCounters::kActionBlock);
    block("signature " + std::to_string(blocker->sid) + ": " + blocker->msg,
          blocker->action == RuleAction::kReject);
  }
}

void SessionFilter::recordTrace(bool to_server, std::span<const uint8_t> data) {
  if (pcap_) {
    if (!pcap_->append(to_server, data, Clock::now())) finishTrace();
    return;
  }
  // No clock read when nothing is recorded: this runs for every piece of cleartext.
  if (trace_done_ || !matcher_ || !matcher_->rules().hasTraceRules()) return;
  auto now = Clock::now();
  // Keep the most recent cleartext so that a trace starts with what led to the match.
  size_t cap = pipeline_->settings().limits.trace_history_bytes;
  if (data.size() > cap) data = data.last(cap);
  history_.push_back(Piece{to_server, now, std::vector<uint8_t>(data.begin(), data.end())});
  history_bytes_ += data.size();
  while (history_bytes_ > cap && history_.size() > 1) {
    history_bytes_ -= history_.front().bytes.size();
    history_.pop_front();
  }
}

void SessionFilter::startTrace(uint32_t sid) {
  if (pcap_ || trace_done_) return;
  const FiveTuple& t = flow_.tuple;
  auto start = history_.empty() ? Clock::now() : history_.front().when;
  pcap_ = std::make_unique<PcapWriter>(t.client_ip, t.client_port, t.server_ip, t.server_port,
                                       pipeline_->settings().limits.trace_max_bytes, start);
  for (const Piece& p : history_)
    pcap_->append(p.to_server, p.bytes, p.when);
  history_.clear();
  history_bytes_ = 0;
  trace_sid_ = sid;
  verdict_.trace = true;
  runtime_->counters.add(FilterCounters::kActionTrace);
}

void SessionFilter::finishTrace() {
  if (!pcap_) return;
  TraceCapture capture;
  const FiveTuple& t = flow_.tuple;
  capture.file_name = "trace-" + std::to_string(nowUnixMs()) + "-" + formatIpv4(t.client_ip) + "_" +
                      std::to_string(t.client_port) + "-" + formatIpv4(t.server_ip) + "_" +
                      std::to_string(t.server_port) + "-" + std::to_string(trace_sid_) + ".pcap";
  capture.pcap = pcap_->bytes();
  capture.sid = trace_sid_;
  capture.truncated = pcap_->truncated();
  pcap_.reset();
  trace_done_ = true;
  verdict_.trace = false;
  runtime_->counters.add(FilterCounters::kTracesWritten);
  if (capture.truncated) runtime_->counters.add(FilterCounters::kTracesTruncated);
  if (runtime_->sink != nullptr) runtime_->sink->traceCaptured(std::move(capture));
}

void SessionFilter::block(std::string reason, bool reset) {
  mode_ = Mode::kBlocked;
  verdict_.action = FilterAction::kBlock;
  verdict_.reason = std::move(reason);
  verdict_.reset = reset;
}

FilterEvent SessionFilter::baseEvent(FilterLog log, FilterStage stage,
                                     std::optional<bool> to_server, const HttpMessage* m) const {
  FilterEvent e;
  e.time_unix_ms = nowUnixMs();
  e.log = log;
  e.stage = stage;
  e.ssl_inspect = flow_.decrypted;
  e.profile = flow_.profile;
  e.policy = flow_.policy;
  e.proxy = flow_.proxy;
  e.client_address = formatIpv4(flow_.tuple.client_ip);
  e.client_port = flow_.tuple.client_port;
  e.server_address = formatIpv4(flow_.tuple.server_ip);
  e.server_port = flow_.tuple.server_port;
  if (to_server) e.direction = *to_server ? "client-to-server" : "server-to-client";
  if (m != nullptr && m->request) {
    e.http_method = m->method;
    e.http_host = m->host;
    e.http_uri = m->uri_raw;
  }
  e.traced = pcap_ != nullptr;
  return e;
}

void SessionFilter::emit(const FilterEvent& e) {
  if (runtime_->sink != nullptr) runtime_->sink->filterEvent(e);
}

}  // namespace vtps::filter
