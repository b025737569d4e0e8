#include "dataplane/filter/matcher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::filter {
namespace {

using testing::bytes;
using testing::compileRules;
using testing::TempDir;

FlowTraits webFlow() {
  FlowTraits f;
  f.client_ip = *parseIpv4("10.0.0.1");
  f.client_port = 40000;
  f.server_ip = *parseIpv4("10.0.0.2");
  f.server_port = 80;
  f.http = true;
  return f;
}

// Runs one direction of HTTP through a parser wired to the matcher; returns the matching sids.
class HttpHarness : public HttpParser::Listener {
 public:
  HttpHarness(std::shared_ptr<const CompiledRuleSet> set, bool to_server,
              FlowTraits flow = webFlow())
      : matcher_(std::move(set)),
        parser_(to_server ? HttpParser::Kind::kRequest : HttpParser::Kind::kResponse, {}, *this),
        to_server_(to_server),
        flow_(flow) {
    if (!to_server) parser_.expectResponseTo("GET");
  }
  std::vector<uint32_t> run(std::string_view text) {
    parser_.feed(bytes(text));
    EXPECT_NE(parser_.state(), HttpParser::State::kError) << parser_.error();
    std::vector<uint32_t> sids;
    for (uint32_t i : matched_)
      sids.push_back(matcher_.rules().rules()[i].sid);
    return sids;
  }
  bool onHeaders(const HttpMessage& m) override {
    matcher_.matchHttpHeaders(flow_, to_server_, m, matched_);
    return true;
  }
  bool onBody(const HttpMessage& m) override {
    matcher_.matchHttpBody(flow_, to_server_, m, matched_);
    return true;
  }

 private:
  SignatureMatcher matcher_;
  HttpParser parser_;
  bool to_server_;
  FlowTraits flow_;
  std::vector<uint32_t> matched_;
};

std::vector<uint32_t> requestSids(const std::string& rules, std::string_view request) {
  auto set = compileRules(rules);
  if (!set) return {};
  return HttpHarness(set, true).run(request);
}

std::vector<uint32_t> streamSids(const std::string& rules, std::string_view data,
                                 uint64_t offset = 0, bool to_server = true) {
  auto set = compileRules(rules);
  if (!set) return {};
  SignatureMatcher m(set);
  std::vector<uint32_t> idx;
  m.matchStream(webFlow(), to_server, bytes(data), offset, idx);
  std::vector<uint32_t> sids;
  for (uint32_t i : idx)
    sids.push_back(set->rules()[i].sid);
  return sids;
}

using Sids = std::vector<uint32_t>;

TEST(SignatureMatcherTest, MatchesUriDecodedAndRawWithNocase) {
  std::string rules =
      "alert http any any -> any any (http.uri; content:\"union select\"; nocase; sid:1;)\n"
      "alert http any any -> any any (http.uri.raw; content:\"%20UNION\"; sid:2;)\n"
      "alert http any any -> any any (http.uri; content:\"union select\"; sid:3;)\n";
  EXPECT_EQ(requestSids(rules, "GET /q?id=1%20UNION%20SELECT%20pw HTTP/1.1\r\nHost: a\r\n\r\n"),
            (Sids{1, 2}));
  EXPECT_EQ(requestSids(rules, "GET /q?id=1+union+select HTTP/1.1\r\nHost: a\r\n\r\n"), Sids{});
}

TEST(SignatureMatcherTest, MatchesHeaderHostAndMethod) {
  std::string rules =
      "alert http any any -> any any (http.header; content:\"User-Agent|3a| sqlmap\"; nocase; "
      "sid:1;)\n"
      "alert http any any -> any any (http.host; content:\"bad.example\"; sid:2;)\n"
      "alert http any any -> any any (http.method; content:\"DELETE\"; sid:3;)\n";
  EXPECT_EQ(
      requestSids(rules,
                  "DELETE /x HTTP/1.1\r\nHost: BAD.example:80\r\nuser-agent: SQLMap/1.7\r\n\r\n"),
      (Sids{1, 2, 3}));
  EXPECT_EQ(requestSids(rules, "GET /x HTTP/1.1\r\nHost: good.example\r\nUser-Agent: curl\r\n\r\n"),
            Sids{});
}

TEST(SignatureMatcherTest, MatchesChunkedBodyAndCombinesBuffers) {
  std::string rules =
      "alert http any any -> any any (http.request_body; content:\"password=\"; sid:1;)\n"
      "drop http any any -> any any (http.uri; content:\"/login\"; fast_pattern; "
      "http.request_body; content:\"admin\"; sid:2;)\n";
  EXPECT_EQ(requestSids(rules,
                        "POST /login HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "6\r\nuser=a\r\n5\r\ndmin&\r\n9\r\npassword=\r\n0\r\n\r\n"),
            (Sids{1, 2}));
  // The body rule that prefiltered on the URI waits for the body, then fails on it.
  EXPECT_EQ(
      requestSids(rules, "POST /login HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nuser=b"),
      Sids{});
}

TEST(SignatureMatcherTest, AppliesOffsetAndDepth) {
  std::string rules =
      "alert http any any -> any any (http.uri; content:\"/admin\"; depth:6; sid:1;)\n"
      "alert tcp any any -> any any (content:\"abc\"; offset:3; sid:2;)\n"
      "alert tcp any any -> any any (content:\"xyz\"; offset:2; depth:4; sid:3;)\n";
  EXPECT_EQ(requestSids(rules, "GET /admin/x HTTP/1.1\r\n\r\n"), Sids{1});
  EXPECT_EQ(requestSids(rules, "GET /x/admin HTTP/1.1\r\n\r\n"), Sids{});
  EXPECT_EQ(streamSids(rules, "abcabc"), Sids{2});
  EXPECT_EQ(streamSids(rules, "abc..."), Sids{});
  EXPECT_EQ(streamSids(rules, "..xyz."), Sids{3});
  EXPECT_EQ(streamSids(rules, "...xyz"), Sids{3});  // ends exactly at offset + depth
  EXPECT_EQ(streamSids(rules, "....xyz"), Sids{});  // ends past it
  // Positions are stream positions: a window starting at offset 100 is past depth 6.
  EXPECT_EQ(streamSids(rules, "..xyz.", 100), Sids{});
  EXPECT_EQ(streamSids(rules, "abc", 100), Sids{2});
}

TEST(SignatureMatcherTest, AppliesDistanceAndWithinWithBacktracking) {
  std::string rules =
      "alert tcp any any -> any any (content:\"a\"; content:\"b\"; distance:0; within:1; sid:1;)\n"
      "alert tcp any any -> any any (content:\"key\"; content:\"val\"; distance:2; within:5; "
      "sid:2;)\n"
      "alert http any any -> any any (http.uri; content:\"../\"; content:\"etc/passwd\"; "
      "distance:0; within:40; sid:3;)\n"
      "alert tcp any any -> any any (content:\"GET\"; content:!\"safe\"; distance:0; within:10; "
      "sid:4;)\n";
  // The first "a" is not followed by "b"; the matcher must try the later one.
  EXPECT_EQ(streamSids(rules, "a..... ab"), Sids{1});
  EXPECT_EQ(streamSids(rules, "a.b a.b"), Sids{});
  EXPECT_EQ(streamSids(rules, "key: val"), Sids{2});     // val starts 2 after "key"
  EXPECT_EQ(streamSids(rules, "key val"), Sids{});       // distance 2 not reached
  EXPECT_EQ(streamSids(rules, "key......val"), Sids{});  // beyond within
  EXPECT_EQ(requestSids(rules, "GET /a/../../etc/passwd HTTP/1.1\r\n\r\n"), Sids{3});
  EXPECT_EQ(streamSids(rules, "GET /index"), Sids{4});
  EXPECT_EQ(streamSids(rules, "GET /safe"), Sids{});
  EXPECT_EQ(streamSids(rules, "GET /index.html?safe"), Sids{4});  // "safe" past within
}

TEST(SignatureMatcherTest, VerifiesPcreAbsoluteRelativeAndNegated) {
  std::string rules =
      "drop http any any -> any any (http.uri; pcre:\"/cmd=[a-z]+\\.exe/i\"; sid:1;)\n"
      "alert tcp any any -> any any (content:\"id=\"; pcre:\"/^\\d+;/R\"; sid:2;)\n"
      "alert tcp any any -> any any (content:\"user\"; pcre:!\"/root/\"; sid:3;)\n";
  EXPECT_EQ(requestSids(rules, "GET /run?CMD=Notepad.EXE HTTP/1.1\r\n\r\n"), Sids{1});
  EXPECT_EQ(requestSids(rules, "GET /run?cmd=notepad.bat HTTP/1.1\r\n\r\n"), Sids{});
  EXPECT_EQ(streamSids(rules, "x id=123; y"), Sids{2});
  EXPECT_EQ(streamSids(rules, "x id=a123;"), Sids{});  // ^ anchors at the end of "id="
  EXPECT_EQ(streamSids(rules, "user alice"), Sids{3});
  EXPECT_EQ(streamSids(rules, "user root"), Sids{});
}

TEST(SignatureMatcherTest, ChecksDirectionAddressesAndProtocol) {
  std::string rules =
      "alert http any any -> 10.0.0.9 any (http.uri; content:\"/x\"; sid:1;)\n"
      "alert http any any -> any [80,8080] (http.uri; content:\"/x\"; sid:2;)\n"
      "alert tcp any any -> any any (flow:to_client; content:\"secret\"; sid:3;)\n"
      "alert tcp any 80 <> any any (flow:to_client; content:\"secret\"; sid:4;)\n"
      "alert http any any -> any any (flow:to_client; http.response_body; content:\"BEGIN RSA\"; "
      "sid:5;)\n"
      "alert tls any any -> any any (content:\"secret\"; sid:6;)\n";
  EXPECT_EQ(requestSids(rules, "GET /x HTTP/1.1\r\n\r\n"), Sids{2});
  EXPECT_EQ(streamSids(rules, "secret", 0, true), Sids{});
  // Server to client: the packet's source is the server (port 80), which both rules accept.
  EXPECT_EQ(streamSids(rules, "secret", 0, false), (Sids{3, 4}));
  auto set = compileRules(rules);
  ASSERT_TRUE(set);
  EXPECT_EQ(HttpHarness(set, false)
                .run("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"
                     "-----BEGIN RSA KEY--"),
            Sids{5});
  FlowTraits tls = webFlow();
  tls.tls = true;
  SignatureMatcher m(set);
  std::vector<uint32_t> idx;
  m.matchStream(tls, true, bytes("secret"), 0, idx);
  ASSERT_EQ(idx.size(), 1u);
  EXPECT_EQ(set->rules()[idx[0]].sid, 6u);
}

TEST(SignatureMatcherTest, MatchesTlsSniAndPcreOnlyRules) {
  auto set = compileRules(
      "alert tls any any -> any 443 (tls.sni; content:\"evil.example\"; sid:1;)\n"
      "alert tcp any any -> any any (pcre:\"/wget\\s+http/\"; sid:2;)\n");
  ASSERT_TRUE(set);
  FlowTraits f = webFlow();
  f.tls = true;
  f.server_port = 443;
  SignatureMatcher m(set);
  std::vector<uint32_t> idx;
  m.matchTlsSni(f, "www.evil.example", idx);
  m.matchStream(f, true, bytes("sh -c 'wget  http://x'"), 0, idx);
  ASSERT_EQ(idx.size(), 2u);
  EXPECT_EQ(set->rules()[idx[0]].sid, 1u);
  EXPECT_EQ(set->rules()[idx[1]].sid, 2u);
  EXPECT_EQ(m.stats().scans, 2u);
}

TEST(SignatureMatcherTest, AbandonsPathologicalBacktrackingAtTheBudget) {
  // Each "a" is tried; none is followed by "b" within 1: the budget stops the search.
  auto set = compileRules(
      "alert tcp any any -> any any (content:\"a\"; content:\"a\"; distance:0; "
      "content:\"b\"; distance:0; within:1; sid:1;)\n");
  ASSERT_TRUE(set);
  SignatureMatcher m(set);
  std::vector<uint32_t> idx;
  std::string data(20000, 'a');
  m.matchStream(webFlow(), true, bytes(data), 0, idx);
  EXPECT_TRUE(idx.empty());
  EXPECT_EQ(m.stats().budget_exhausted, 1u);
}

TEST(CompiledRuleSetTest, CachesSerializedDatabasesByRuleSetHash) {
  TempDir dir;
  std::string rules =
      "alert http any any -> any any (http.uri; content:\"/a\"; sid:1;)\n"
      "alert tcp any any -> any any (pcre:\"/x+y/\"; sid:2;)\n";
  auto first = compileRules(rules, dir.path());
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->loadedFromCache());
  std::string file = dir.path() + "/" + first->cacheKey() + ".hsdb";
  EXPECT_TRUE(std::filesystem::exists(file));
  auto second = compileRules(rules, dir.path());
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->loadedFromCache());
  EXPECT_EQ(second->cacheKey(), first->cacheKey());
  EXPECT_EQ(requestSids(rules, "GET /a HTTP/1.1\r\n\r\n"), Sids{1});
  {
    SignatureMatcher m(second);
    std::vector<uint32_t> idx;
    m.matchStream(webFlow(), true, bytes("..xxxy.."), 0, idx);
    EXPECT_EQ(idx, std::vector<uint32_t>{1});
  }
  // A different rule set has a different key.
  auto other = compileRules("alert http any any -> any any (http.uri; content:\"/b\"; sid:1;)\n",
                            dir.path());
  EXPECT_NE(other->cacheKey(), first->cacheKey());
  // A damaged cache file is a miss with a reason, and is rewritten.
  std::fstream(file, std::ios::in | std::ios::out | std::ios::binary).seekp(40).write("XX", 2);
  auto third = compileRules(rules, dir.path());
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->loadedFromCache());
  EXPECT_EQ(third->cacheNote(), "cache " + file + ": checksum mismatch");
  EXPECT_TRUE(compileRules(rules, dir.path())->loadedFromCache());
}

TEST(CompiledRuleSetTest, CountsHitsAndListsTopRules) {
  auto set = compileRules(
      "alert tcp any any -> any any (msg:\"one\"; content:\"1\"; sid:10;)\n"
      "alert tcp any any -> any any (msg:\"two\"; content:\"2\"; sid:20;)\n"
      "drop tcp any any -> any any (msg:\"three\"; content:\"3\"; sid:30;)\n");
  ASSERT_TRUE(set);
  set->recordHit(1);
  set->recordHit(1);
  set->recordHit(2);
  set->recordHit(0);
  auto top = set->topRules(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].sid, 20u);
  EXPECT_EQ(top[0].hits, 2u);
  EXPECT_EQ(top[0].msg, "two");
  EXPECT_EQ(top[1].sid, 10u);  // tie with sid 30: lower sid first
  EXPECT_EQ(set->topRules(10).size(), 3u);
}

TEST(CompiledRuleSetTest, CompilesAnEmptyRuleSet) {
  auto set = CompiledRuleSet::compile(RuleSet{}, {});
  ASSERT_TRUE(set.ok());
  SignatureMatcher m(*set);
  std::vector<uint32_t> idx;
  m.matchStream(webFlow(), true, bytes("anything"), 0, idx);
  EXPECT_TRUE(idx.empty());
}

}  // namespace
}  // namespace vtps::filter
