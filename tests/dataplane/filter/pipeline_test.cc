#include "dataplane/filter/pipeline.h"

#include <gtest/gtest.h>

#include <string>

#include "dataplane/filter/session_filter.h"
#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::filter {
namespace {

using testing::bytes;
using testing::RecordingSink;
using testing::TempDir;

constexpr char kRules[] =
    "drop http any any -> any any (msg:\"attack in URI\"; http.uri; content:\"/attack\"; sid:1;)\n"
    "alert http any any -> any any (msg:\"probe header\"; http.header; content:\"X-Probe\"; "
    "sid:2;)\n"
    "reject http any any -> any any (msg:\"attack in body\"; http.request_body; "
    "content:\"evil=1\"; sid:3;)\n"
    "pass http any any -> any any (msg:\"health\"; http.uri; content:\"/healthz\"; sid:4;)\n"
    "drop tcp any any -> any any (msg:\"stream attack\"; content:\"ATTACK-STRING\"; sid:5;)\n"
    "alert tcp any any -> any any (msg:\"trace me\"; content:\"TRACE-ME\"; tag:session; sid:6;)\n"
    "drop http any any -> any any (msg:\"health attack\"; http.uri; content:\"healthz?cmd\"; "
    "sid:7;)\n";

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.signatures.rules = dir_.write("main.rules", kRules);
    settings_.signatures.cache_dir = dir_.path() + "/cache";
  }

  std::shared_ptr<const Pipeline> build() {
    auto p = Pipeline::create(settings_);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.message());
    return p.ok() ? *p : nullptr;
  }

  static FlowInfo flow(bool decrypted, const char* client = "10.10.1.5",
                       const char* server = "10.10.2.2") {
    FlowInfo f;
    f.profile = "default";
    f.policy = "web1-in";
    f.proxy = "web1";
    f.tuple = {*parseIpv4(client), 40000, *parseIpv4(server), uint16_t(decrypted ? 443 : 80)};
    f.decrypted = decrypted;
    f.tls = decrypted;
    f.http = true;
    f.sni = decrypted ? "www.example.com" : "";
    return f;
  }

  std::unique_ptr<SessionFilter> open(const FlowInfo& f) {
    if (!pipeline_) pipeline_ = build();
    return pipeline_->open(f, runtime_);
  }

  static const SessionVerdict& request(SessionFilter& s, const std::string& r) {
    return s.inspect(true, bytes(r));
  }

  uint64_t counter(FilterCounters::Id id) const { return runtime_->counters.get(id); }

  TempDir dir_;
  FilterSettings settings_;
  std::shared_ptr<const Pipeline> pipeline_;
  RecordingSink sink_;
  std::shared_ptr<FilterRuntime> runtime_ = [this] {
    auto r = std::make_shared<FilterRuntime>();
    r->sink = &sink_;
    return r;
  }();
};

constexpr char kAttack[] = "GET /attack HTTP/1.1\r\nHost: www.example.com\r\n\r\n";

TEST_F(PipelineTest, SignatureBlocksAndAlertsWithSslInspectField) {
  auto s = open(flow(true));
  EXPECT_EQ(request(*s, "GET /ok HTTP/1.1\r\nHost: a\r\nX-Probe: 1\r\n\r\n").action,
            FilterAction::kPass);
  const SessionVerdict& v = request(*s, kAttack);
  EXPECT_EQ(v.action, FilterAction::kBlock);
  EXPECT_FALSE(v.reset);  // drop: no reset requested
  EXPECT_EQ(v.reason, "signature 1: attack in URI");
  // Blocked sessions stay blocked.
  EXPECT_EQ(s->inspect(false, bytes("HTTP/1.1 200 OK\r\n\r\n")).action, FilterAction::kBlock);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[0].log, FilterLog::kAlert);
  EXPECT_EQ(sink_.events[0].action, "permit+notify");
  EXPECT_EQ(sink_.events[0].sid, 2u);
  EXPECT_TRUE(sink_.events[0].ssl_inspect);
  const FilterEvent& b = sink_.events[1];
  EXPECT_EQ(b.log, FilterLog::kBlock);
  EXPECT_EQ(b.stage, FilterStage::kSignature);
  EXPECT_EQ(b.action, "drop");
  EXPECT_EQ(b.http_uri, "/attack");
  EXPECT_EQ(b.client_address, "10.10.1.5");
  EXPECT_EQ(b.direction, "client-to-server");
  EXPECT_EQ(counter(FilterCounters::kSignatureBlocked), 1u);
  EXPECT_EQ(counter(FilterCounters::kSignatureNotified), 1u);
  EXPECT_EQ(counter(FilterCounters::kActionBlock), 1u);
  EXPECT_EQ(counter(FilterCounters::kActionPermitNotify), 1u);
  auto top = pipeline_->topRules(5);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].sid, 1u);
}

TEST_F(PipelineTest, RejectAsksForResetAndBodyRulesSeeTheBody) {
  auto s = open(flow(false));
  const SessionVerdict& v =
      request(*s, "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nevil=1");
  EXPECT_EQ(v.action, FilterAction::kBlock);
  EXPECT_TRUE(v.reset);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].action, "reject");
  EXPECT_FALSE(sink_.events[0].ssl_inspect);
}

TEST_F(PipelineTest, AlertsOncePerRuleAndSession) {
  auto s = open(flow(true));
  for (int i = 0; i < 3; ++i)
    request(*s, "GET / HTTP/1.1\r\nX-Probe: 1\r\n\r\n");
  EXPECT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(pipeline_->rulesFor("default")->hits(1), 1u);
}

TEST_F(PipelineTest, StreamRulesMatchAcrossChunkBoundaries) {
  FlowInfo f = flow(true);
  f.http = false;  // not HTTP: stream rules only
  auto s = open(f);
  EXPECT_EQ(s->inspect(true, bytes("hello ATTACK-")).action, FilterAction::kPass);
  EXPECT_EQ(s->inspect(true, bytes("STRING world")).action, FilterAction::kBlock);
  EXPECT_EQ(s->verdict().reason, "signature 5: stream attack");
}

TEST_F(PipelineTest, DetectsHttpOnAFlowNotDeclaredHttp) {
  FlowInfo f = flow(false);
  f.http = false;
  auto s = open(f);
  EXPECT_EQ(request(*s, kAttack).action, FilterAction::kBlock);
  EXPECT_EQ(s->verdict().reason, "signature 1: attack in URI");
}

// Precedence: each test has two stages that disagree; the earlier stage wins.

TEST_F(PipelineTest, InspectionBypassBeatsSignature) {
  settings_.inspection_bypass.push_back({"backup", "10.10.1.5", "any", "any", "any"});
  auto s = open(flow(true));
  EXPECT_TRUE(s->bypassed());
  EXPECT_EQ(request(*s, kAttack).action, FilterAction::kPass);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(counter(FilterCounters::kBypassed), 1u);
  // Another client is not covered by the rule and is blocked.
  auto other = open(flow(true, "10.10.1.6"));
  EXPECT_EQ(request(*other, kAttack).action, FilterAction::kBlock);
}

TEST_F(PipelineTest, InspectionBypassBeatsTrafficManagementBlock) {
  settings_.inspection_bypass.push_back({"b", "any", "any", "10.10.2.2", "443"});
  settings_.traffic_management.push_back(
      {{"deny", "any", "any", "any", "any"}, TrafficAction::kBlock, 0});
  EXPECT_TRUE(open(flow(true))->bypassed());
  EXPECT_EQ(request(*open(flow(false)), "x").action, FilterAction::kBlock);  // port 80: no bypass
}

TEST_F(PipelineTest, TrustBeatsSignatureButAllowDoesNot) {
  settings_.traffic_management.push_back(
      {{"trusted-clients", "10.10.1.5", "any", "any", "any"}, TrafficAction::kTrust, 0});
  settings_.traffic_management.push_back(
      {{"allow-all", "any", "any", "any", "any"}, TrafficAction::kAllow, 0});
  auto trusted = open(flow(true));
  EXPECT_TRUE(trusted->trusted());
  EXPECT_EQ(request(*trusted, kAttack).action, FilterAction::kPass);
  auto allowed = open(flow(true, "10.10.1.7"));
  EXPECT_FALSE(allowed->trusted());
  EXPECT_EQ(request(*allowed, kAttack).action, FilterAction::kBlock);
  EXPECT_EQ(counter(FilterCounters::kTmTrusted), 1u);
  EXPECT_EQ(counter(FilterCounters::kTmAllowed), 1u);
}

TEST_F(PipelineTest, TrafficManagementBlockBeatsSignaturePassFirstMatchWins) {
  settings_.traffic_management.push_back(
      {{"no-admin-net", "any", "any", "10.10.2.0/24", "any"}, TrafficAction::kBlock, 0});
  settings_.traffic_management.push_back(
      {{"trust-later", "any", "any", "any", "any"}, TrafficAction::kTrust, 0});
  auto s = open(flow(true));
  const SessionVerdict& v = request(*s, "GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_EQ(v.action, FilterAction::kBlock);
  EXPECT_EQ(v.reason, "traffic-management no-admin-net");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].stage, FilterStage::kTrafficManagement);
  EXPECT_EQ(sink_.events[0].filter, "no-admin-net");
  EXPECT_EQ(sink_.events[0].direction, "");  // decided for the session, not for a piece
}

TEST_F(PipelineTest, SignaturePassBeatsSignatureDropOfTheSameRequest) {
  auto s = open(flow(true));
  EXPECT_EQ(request(*s, "GET /healthz?cmd=x HTTP/1.1\r\n\r\n").action, FilterAction::kPass);
  // The pass rule ended signature inspection of the session.
  EXPECT_EQ(request(*s, kAttack).action, FilterAction::kPass);
  EXPECT_TRUE(sink_.events.empty());
  EXPECT_EQ(counter(FilterCounters::kSignaturePassed), 1u);
}

TEST_F(PipelineTest, ReputationBlockBeatsSignaturePass) {
  settings_.reputation.url_list = dir_.write("url.txt", "www.example.com/healthz 90\n");
  auto s = open(flow(true));
  const SessionVerdict& v = request(*s, "GET /healthz HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
  EXPECT_EQ(v.action, FilterAction::kBlock);
  EXPECT_EQ(v.reason, "reputation url www.example.com/healthz score 90");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].stage, FilterStage::kReputation);
  EXPECT_EQ(sink_.events[0].score, 90);
  EXPECT_TRUE(sink_.events[0].ssl_inspect);  // URL reputation reports SSL-inspected sessions
  EXPECT_EQ(counter(FilterCounters::kSignaturePassed), 0u);
}

TEST_F(PipelineTest, ReputationNotifyPermitsAndSignatureStillBlocks) {
  settings_.reputation.url_list = dir_.write("url.txt", "www.example.com/ 60\n");
  auto s = open(flow(true));
  EXPECT_EQ(request(*s, kAttack).action, FilterAction::kBlock);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[0].stage, FilterStage::kReputation);
  EXPECT_EQ(sink_.events[0].log, FilterLog::kAlert);
  EXPECT_EQ(sink_.events[1].stage, FilterStage::kSignature);
}

TEST_F(PipelineTest, DecryptedSessionsGetOnlyUrlReputation) {
  settings_.reputation.ip_list = dir_.write("ip.txt", "10.10.2.2 99\n");
  settings_.reputation.dns_list = dir_.write("dns.txt", "www.example.com 99\n");
  auto decrypted = open(flow(true));
  EXPECT_EQ(request(*decrypted, "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n").action,
            FilterAction::kPass);
  EXPECT_TRUE(sink_.events.empty());
  auto plain = open(flow(false));
  EXPECT_EQ(plain->verdict().action, FilterAction::kBlock);  // decided at open
  EXPECT_EQ(request(*plain, "GET / HTTP/1.1\r\n\r\n").reason, "reputation ip 10.10.2.2 score 99");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_FALSE(sink_.events[0].ssl_inspect);
}

TEST_F(PipelineTest, DnsReputationUsesSniOfUndecryptedTlsAndHostOfCleartextHttp) {
  settings_.reputation.dns_list = dir_.write("dns.txt", "*.bad.example 85\n");
  FlowInfo tls = flow(false);
  tls.tls = true;
  tls.http = false;
  tls.sni = "cdn.bad.example";
  EXPECT_EQ(open(tls)->verdict().reason, "reputation dns *.bad.example score 85");
  auto plain = open(flow(false));
  EXPECT_EQ(request(*plain, "GET / HTTP/1.1\r\nHost: www.bad.example\r\n\r\n").action,
            FilterAction::kBlock);
}

TEST_F(PipelineTest, QuarantineRedirectsCleartextHttpAndBlocksHttps) {
  settings_.quarantine.hosts = {"10.10.1.66"};
  settings_.quarantine.action = QuarantineAction::kRedirect;
  settings_.quarantine.redirect_url = "http://remediation.example/quarantined";
  settings_.quarantine.allowed_destinations = {"10.10.2.9"};
  auto plain = open(flow(false, "10.10.1.66"));
  const SessionVerdict& v = request(*plain, kAttack);  // quarantine (4) before signatures (5)
  EXPECT_EQ(v.action, FilterAction::kBlock);
  EXPECT_EQ(v.client_response,
            "HTTP/1.1 302 Found\r\nLocation: http://remediation.example/quarantined\r\n"
            "Content-Length: 0\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].stage, FilterStage::kQuarantine);
  EXPECT_EQ(sink_.events[0].action, "redirect");

  auto https = open(flow(true, "10.10.1.66"));
  EXPECT_EQ(https->verdict().action, FilterAction::kBlock);
  EXPECT_TRUE(https->verdict().client_response.empty());  // HTTPS is not redirected
  EXPECT_EQ(https->verdict().reason, "quarantine 10.10.1.66");

  auto remediation = open(flow(false, "10.10.1.66", "10.10.2.9"));
  EXPECT_EQ(request(*remediation, "GET / HTTP/1.1\r\n\r\n").action, FilterAction::kPass);
  auto healthy = open(flow(false, "10.10.1.67"));
  EXPECT_EQ(request(*healthy, "GET / HTTP/1.1\r\n\r\n").action, FilterAction::kPass);
  EXPECT_EQ(counter(FilterCounters::kQuarantineRedirected), 1u);
  EXPECT_EQ(counter(FilterCounters::kQuarantineBlocked), 1u);
}

TEST_F(PipelineTest, ReputationBlockBeatsQuarantineRedirect) {
  settings_.quarantine.hosts = {"10.10.1.66"};
  settings_.quarantine.action = QuarantineAction::kRedirect;
  settings_.quarantine.redirect_url = "http://remediation.example/";
  settings_.reputation.url_list = dir_.write("url.txt", "www.example.com/attack 100\n");
  auto s = open(flow(false, "10.10.1.66"));
  const SessionVerdict& v = request(*s, kAttack);
  EXPECT_EQ(v.action, FilterAction::kBlock);
  EXPECT_TRUE(v.client_response.empty());
  EXPECT_EQ(sink_.events.at(0).stage, FilterStage::kReputation);
}

TEST_F(PipelineTest, QuarantineBlockBeatsSignatureAlert) {
  settings_.quarantine.hosts = {"10.10.1.0/24"};
  auto s = open(flow(false));
  EXPECT_EQ(request(*s, "GET / HTTP/1.1\r\nX-Probe: 1\r\n\r\n").action, FilterAction::kBlock);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].stage, FilterStage::kQuarantine);
}

TEST_F(PipelineTest, TracesTheSessionIntoAPcap) {
  settings_.limits.trace_history_bytes = 1024;
  auto s = open(flow(true));
  request(*s, "GET /first HTTP/1.1\r\n\r\n");
  const SessionVerdict& v = request(*s, "GET /TRACE-ME HTTP/1.1\r\n\r\n");
  EXPECT_EQ(v.action, FilterAction::kPass);
  EXPECT_TRUE(v.trace);
  s->inspect(false, bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  EXPECT_TRUE(sink_.traces.empty());  // written when the session ends
  s.reset();
  ASSERT_EQ(sink_.traces.size(), 1u);
  const TraceCapture& t = sink_.traces[0];
  EXPECT_EQ(t.sid, 6u);
  EXPECT_FALSE(t.truncated);
  EXPECT_TRUE(t.file_name.starts_with("trace-"));
  EXPECT_TRUE(t.file_name.ends_with("-10.10.1.5_40000-10.10.2.2_443-6.pcap"));
  std::string pcap(t.pcap.begin(), t.pcap.end());
  // History before the match, the matching piece, and what followed.
  EXPECT_NE(pcap.find("GET /first"), std::string::npos);
  EXPECT_NE(pcap.find("GET /TRACE-ME"), std::string::npos);
  EXPECT_NE(pcap.find("\r\n\r\nok"), std::string::npos);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_TRUE(sink_.events[0].traced);
  EXPECT_EQ(counter(FilterCounters::kActionTrace), 1u);
  EXPECT_EQ(counter(FilterCounters::kTracesWritten), 1u);
}

TEST_F(PipelineTest, RateLimitAsksToThrottleOverTheRate) {
  settings_.traffic_management.push_back(
      {{"slow", "any", "any", "any", "any"}, TrafficAction::kRateLimit, 8});  // 1000 bytes/s
  auto s = open(flow(true));
  std::string chunk(900, 'x');
  EXPECT_EQ(s->inspect(true, bytes(chunk)).throttle.count(), 0);  // within the 1 s burst
  auto delay = s->inspect(true, bytes(chunk)).throttle;
  EXPECT_GT(delay, std::chrono::milliseconds(700));
  EXPECT_LT(delay, std::chrono::milliseconds(900));
  EXPECT_EQ(counter(FilterCounters::kTmRateLimited), 1u);
  EXPECT_EQ(counter(FilterCounters::kTmThrottled), 1u);
}

TEST_F(PipelineTest, ProfilesCanHaveTheirOwnRuleSet) {
  settings_.signatures.profile_rules["lenient"] = dir_.write(
      "lenient.rules", "alert http any any -> any any (http.uri; content:\"/attack\"; sid:1;)\n");
  FlowInfo f = flow(true);
  f.profile = "lenient";
  EXPECT_EQ(request(*open(f), kAttack).action, FilterAction::kPass);
  EXPECT_EQ(request(*open(flow(true)), kAttack).action, FilterAction::kBlock);
  auto reports = pipeline_->ruleSetReports();
  ASSERT_EQ(reports.size(), 2u);
  size_t total = reports[0].loaded + reports[1].loaded;
  EXPECT_EQ(total, 8u);
}

TEST_F(PipelineTest, CountsHttpParseErrorsAndKeepsStreamRules) {
  auto s = open(flow(true));
  EXPECT_EQ(request(*s, "GARBAGE\r\n\r\nATTACK-STRING").action, FilterAction::kBlock);
  EXPECT_EQ(counter(FilterCounters::kHttpParseErrors), 1u);
}

TEST_F(PipelineTest, WantsCleartextOnlyWhenSomethingLooksAtIt) {
  // Nothing in the snapshot looks at the payload: the verdict made at open is final and
  // inspect() does not parse (garbage counts no HTTP parse error).
  settings_.signatures.rules.clear();
  auto s = open(flow(false));
  EXPECT_FALSE(s->wantsCleartext());
  EXPECT_EQ(request(*s, "GARBAGE\r\n\r\nATTACK-STRING").action, FilterAction::kPass);
  EXPECT_EQ(counter(FilterCounters::kHttpParseErrors), 0u);
  EXPECT_EQ(counter(FilterCounters::kSessions), 1u);

  auto wants = [&](bool decrypted) {
    pipeline_ = build();
    return open(flow(decrypted))->wantsCleartext();
  };
  // An IP list is judged at open; a DNS list needs the Host of cleartext HTTP, not of a
  // decrypted session (SNI only); a URL list needs the request either way.
  settings_.reputation.ip_list = dir_.write("ip.txt", "10.10.9.9 99\n");
  EXPECT_FALSE(wants(false));
  settings_.reputation.dns_list = dir_.write("dns.txt", "bad.example 99\n");
  EXPECT_TRUE(wants(false));
  EXPECT_FALSE(wants(true));
  settings_.reputation.url_list = dir_.write("url.txt", "bad.example/x 99\n");
  EXPECT_TRUE(wants(true));
  settings_.reputation = {};
  settings_.traffic_management.push_back(
      {{"slow", "any", "any", "any", "any"}, TrafficAction::kRateLimit, 8});
  EXPECT_TRUE(wants(true));
  settings_.traffic_management.clear();
  settings_.signatures.rules =
      dir_.write("sni.rules", "alert tls any any -> any any (tls.sni; content:\"bad\"; sid:9;)\n");
  EXPECT_FALSE(wants(true));  // an SNI rule is matched at open
  settings_.signatures.rules =
      dir_.write("stream.rules", "alert tcp any any -> any any (content:\"bad\"; sid:9;)\n");
  EXPECT_TRUE(wants(true));
  settings_.signatures.rules = dir_.write(
      "http.rules", "alert http any any -> any any (http.method; content:\"PUT\"; sid:9;)\n");
  EXPECT_TRUE(wants(true));
}

TEST_F(PipelineTest, BodyRulesSeeTheBodyWhileOtherBodiesAreNotKept) {
  // A response-body rule and no request-body rule: request bodies are not kept, a URI rule
  // still matches after a long request body, and the response body is inspected. (kRules has
  // the opposite: RejectAsksForResetAndBodyRulesSeeTheBody.)
  settings_.signatures.rules =
      dir_.write("body.rules",
                 "drop http any any -> any any (http.uri; content:\"/after\"; sid:1;)\n"
                 "alert http any any -> any any (http.response_body; content:\"LEAK\"; sid:2;)\n");
  auto s = open(flow(true));
  std::string body(100000, 'a');
  EXPECT_EQ(request(*s, "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body)
                .action,
            FilterAction::kPass);
  EXPECT_EQ(s->inspect(false, bytes("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nxxLEAKxx")).action,
            FilterAction::kPass);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].sid, 2u);
  EXPECT_EQ(request(*s, "GET /after HTTP/1.1\r\nHost: a\r\n\r\n").action, FilterAction::kBlock);
}

TEST_F(PipelineTest, RefusesBadSettingsWithExactMessages) {
  auto expectError = [&](FilterSettings s, const std::string& message) {
    auto p = Pipeline::create(s);
    ASSERT_FALSE(p.ok()) << message;
    EXPECT_EQ(p.message(), message);
  };
  FilterSettings s = settings_;
  s.traffic_management.push_back(
      {{"web", "any", "any", "10.0.0.256", "any"}, TrafficAction::kBlock, 0});
  expectError(s, R"(traffic-management "web": destination: bad address "10.0.0.256")");
  s = settings_;
  s.traffic_management.push_back(
      {{"slow", "any", "any", "any", "any"}, TrafficAction::kRateLimit, 0});
  expectError(
      s,
      R"(traffic-management "slow": rate-limit-kbps: must be greater than 0 for action rate-limit)");
  s = settings_;
  s.inspection_bypass.push_back({"b", "any", "http", "any", "any"});
  expectError(s, R"(inspection-bypass "b": source-ports: bad port "http")");
  s = settings_;
  s.quarantine.action = QuarantineAction::kRedirect;
  s.quarantine.redirect_url = "ftp://x";
  expectError(
      s,
      R"(quarantine: redirect-url: must be an http:// or https:// URL without spaces, got "ftp://x")");
  s = settings_;
  s.quarantine.hosts = {"10.1.1"};
  expectError(s, R"(quarantine: hosts: bad address "10.1.1")");
  s = settings_;
  s.limits.stream_window_bytes = 100;
  expectError(s, "limits: stream-window-bytes: must be at least 4096, got 100");
  s = settings_;
  s.limits.stream_overlap_bytes = s.limits.stream_window_bytes;
  expectError(
      s,
      "limits: stream-overlap-bytes: must be smaller than stream-window-bytes (65536), got 65536");
}

}  // namespace
}  // namespace vtps::filter
