// Session: the cleartext path. A connection to a cleartext inspection tuple has no ClientHello to
// wait for (the server may even speak first): the filters decide at once whether to splice it
// (inspection bypass rule), refuse it (traffic management, IP reputation, quarantine block), or
// relay it through the inspector after a transparent upstream connect.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "dataplane/proxy/plain_relay.h"
#include "dataplane/proxy/session.h"
#include "dataplane/proxy/trace.h"

namespace vtps::proxy {

void Session::startPlain() {
  SessionContext& ctx = record_.context;
  ctx.cleartext = true;
  ctx.proxy = cleartext_->name;
  ctx.profile = cleartext_->profile;
  traceSession(TraceFlag::kProxy, TraceLevel::kBrief, ctx,
               [&] { return fmt::format("cleartext inspection tuple \"{}\"", cleartext_->name); });
  InspectorFactory* factory = worker_.shared().inspectors.get();
  if (factory != nullptr) {
    std::string rule = factory->bypassRule(ctx);
    if (!rule.empty()) {
      return splice(Decision::kNotDecrypted, Ctr::kCount,
                    fmt::format("inspection bypass rule {}", rule));
    }
    inspector_ = factory->create(ctx);
    // A session a 5-tuple stage refused never reaches the server.
    if (inspector_ && inspector_->openVerdict() == Verdict::kBlock) return blockByInspector();
  }
  record_.decision = Decision::kNotDecrypted;
  record_.reason = inspector_ ? "cleartext, inspected" : "cleartext, no inspector";
  connectUpstream(Plan::kPlain);
}

void Session::startPlainRelay() {
  worker_.setDeadline(*this, 0);
  plain_ = std::make_unique<PlainRelay>();
  state_ = State::kPlainRelay;
  countDecision();
  pumpPlain();
}

void Session::pumpPlain() {
  if (throttled_) return;
  int error = 0;
  const uint64_t up_before = record_.bytes_client_to_server;
  const uint64_t down_before = record_.bytes_server_to_client;
  PlainRelay::Outcome outcome =
      plain_->pump(client_, server_, inspector_.get(), worker_.scratch(),
                   record_.bytes_client_to_server, record_.bytes_server_to_client, error);
  countBytes(up_before, down_before);
  traceSession(TraceFlag::kProxy, TraceLevel::kVerbose, record_.context, [&] {
    return fmt::format("cleartext relay: +{} bytes client->server, +{} server->client",
                       record_.bytes_client_to_server - up_before,
                       record_.bytes_server_to_client - down_before);
  });
  switch (outcome) {
    case PlainRelay::Outcome::kOpen:
      return;
    case PlainRelay::Outcome::kDone:
      return close(Close::kGraceful);
    case PlainRelay::Outcome::kBlocked:
      return blockByInspector();
    case PlainRelay::Outcome::kThrottled: {
      // Readiness flags stay set, so the relay resumes where it stopped when the deadline fires.
      throttled_ = true;
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(inspector_->throttleDelay()).count();
      return setDeadlineIn(std::max<int64_t>(1, ms));
    }
    case PlainRelay::Outcome::kReset:
      if (error == ECONNRESET) worker_.counters().add(Ctr::kTcpResetsReceived);
      record_.reason = fmt::format("{}; {}", record_.reason, strerror(error));
      return close(Close::kResetBoth);
  }
}

}  // namespace vtps::proxy
