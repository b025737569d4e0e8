#include "dataplane/filter/rule_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::filter {
namespace {

using testing::TempDir;

Rule parseOk(std::string_view text) {
  RuleParser parser;
  auto r = parser.parse(text);
  EXPECT_TRUE(r.ok()) << text << "\n  -> " << (r.ok() ? "" : r.message());
  return r.ok() ? std::move(*r) : Rule{};
}

std::string parseError(std::string_view text) {
  RuleParser parser;
  auto r = parser.parse(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.message();
}

TEST(RuleParserTest, ParsesHeaderActionsProtocolsAndGroups) {
  Rule r = parseOk(
      R"(drop http $EXTERNAL_NET any -> [10.1.0.0/16,!10.1.2.0/24] [80,8080:8090] )"
      R"((msg:"x"; flow:to_server,established; http.uri; content:"/admin"; sid:7; rev:2;))");
  EXPECT_EQ(r.action, RuleAction::kDrop);
  EXPECT_EQ(r.protocol, RuleProtocol::kHttp);
  EXPECT_EQ(r.sid, 7u);
  EXPECT_EQ(r.rev, 2u);
  EXPECT_EQ(r.msg, "x");
  EXPECT_EQ(r.flow, FlowDirection::kToServer);
  EXPECT_TRUE(r.destination.contains(*parseIpv4("10.1.1.1")));
  EXPECT_FALSE(r.destination.contains(*parseIpv4("10.1.2.9")));
  EXPECT_FALSE(r.source.contains(*parseIpv4("192.168.1.1")));  // $HOME_NET excluded
  EXPECT_TRUE(r.source.contains(*parseIpv4("8.8.8.8")));
  EXPECT_TRUE(r.destination_ports.contains(8085));
  EXPECT_FALSE(r.destination_ports.contains(443));
  EXPECT_EQ(r.unit, InspectionUnit::kHttp);

  for (auto [text, action] :
       {std::pair{"alert", RuleAction::kAlert}, std::pair{"reject", RuleAction::kReject},
        std::pair{"pass", RuleAction::kPass}}) {
    Rule a = parseOk(std::string(text) + R"( tcp any any <> any any (content:"a"; sid:1;))");
    EXPECT_EQ(a.action, action);
    EXPECT_TRUE(a.bidirectional);
  }
  EXPECT_EQ(parseOk(R"(alert tls any any -> any 443 (tls.sni; content:"evil"; sid:1;))").unit,
            InspectionUnit::kTlsSni);
}

TEST(RuleParserTest, DecodesContentHexEscapesAndModifiers) {
  // fast_pattern on a negated content is refused.
  EXPECT_EQ(
      parseError(
          R"(alert tcp any any -> any any (content:"a"; content:!"zz"; fast_pattern; sid:1;))"),
      "fast_pattern cannot be used on a negated content");
  Rule ok = parseOk(
      R"(alert tcp any any -> any any (content:"a|3B 00|b\"\;\\"; nocase; offset:2; depth:20; )"
      R"(content:"zz"; distance:-1; within:8; fast_pattern; sid:1;))");
  ASSERT_EQ(ok.matches.size(), 2u);
  const ContentMatch& c0 = ok.matches[0].content;
  EXPECT_EQ(c0.pattern, std::string("a;\0b\";\\", 7));
  EXPECT_TRUE(c0.nocase);
  EXPECT_EQ(c0.offset, 2u);
  EXPECT_EQ(c0.depth, 20u);
  const ContentMatch& c1 = ok.matches[1].content;
  EXPECT_EQ(c1.distance, -1);
  EXPECT_EQ(c1.within, 8u);
  EXPECT_TRUE(c1.fast_pattern);
  EXPECT_EQ(ok.fast_pattern_index, 1u);
}

TEST(RuleParserTest, ChoosesLongestContentAsFastPatternByDefault) {
  Rule r = parseOk(
      R"(alert tcp any any -> any any (content:"ab"; content:"abcdef"; content:"x"; sid:1;))");
  EXPECT_EQ(r.fast_pattern_index, 1u);
  Rule p = parseOk(R"(alert tcp any any -> any any (content:!"no"; pcre:"/ab+c/"; sid:1;))");
  EXPECT_EQ(p.fast_pattern_index, 1u);
}

TEST(RuleParserTest, MapsStickyBuffersLegacyModifiersAndPcreFlags) {
  Rule r = parseOk(
      R"(alert http any any -> any any (http.method; content:"POST"; http.host; content:"a.example"; )"
      R"(http.header; content:"User-Agent|3a|"; http.request_body; content:"pw="; )"
      R"(content:"pw2"; pkt_data; content:"x"; http_uri; pcre:"/id=\d+/Ui"; sid:1;))");
  ASSERT_EQ(r.matches.size(), 7u);
  EXPECT_EQ(r.matches[0].buffer, BufferKind::kHttpMethod);
  EXPECT_EQ(r.matches[1].buffer, BufferKind::kHttpHost);
  EXPECT_EQ(r.matches[2].buffer, BufferKind::kHttpHeader);
  EXPECT_EQ(r.matches[3].buffer, BufferKind::kHttpRequestBody);
  EXPECT_EQ(r.matches[4].buffer, BufferKind::kHttpRequestBody);  // the sticky buffer holds
  EXPECT_EQ(r.matches[5].buffer, BufferKind::kHttpUri);  // pkt_data, then the legacy modifier
  EXPECT_TRUE(r.matches[6].is_pcre);
  EXPECT_EQ(r.matches[6].buffer, BufferKind::kHttpUri);  // the U flag
  EXPECT_EQ(r.matches[6].pcre.expression, "id=\\d+");
  EXPECT_EQ(r.matches[6].pcre.hs_flags, 1u);  // HS_FLAG_CASELESS
  EXPECT_TRUE(r.needs_body);
  EXPECT_EQ(r.flow, FlowDirection::kToServer);

  Rule legacy = parseOk(
      R"(alert tcp any any -> any 80 (content:"/x"; http_uri; content:"y"; http_header; sid:2;))");
  EXPECT_EQ(legacy.matches[0].buffer, BufferKind::kHttpUri);
  EXPECT_EQ(legacy.matches[1].buffer, BufferKind::kHttpHeader);
  EXPECT_EQ(legacy.protocol, RuleProtocol::kHttp);  // a tcp rule with HTTP buffers is an HTTP rule
}

TEST(RuleParserTest, ClasstypeSetsPriorityUnlessGivenAndTagSessionTraces) {
  EXPECT_EQ(
      parseOk(
          R"(alert tcp any any -> any any (content:"a"; classtype:web-application-attack; sid:1;))")
          .priority,
      1u);
  EXPECT_EQ(
      parseOk(
          R"(alert tcp any any -> any any (priority:4; content:"a"; classtype:misc-attack; sid:1;))")
          .priority,
      4u);
  EXPECT_TRUE(
      parseOk(R"(alert tcp any any -> any any (content:"a"; tag:session,10,packets; sid:1;))")
          .trace);
  Rule meta = parseOk(
      R"(alert tcp any any -> any any (content:"a"; reference:url,example.com; metadata:a b; gid:1; sid:1;))");
  EXPECT_EQ(meta.sid, 1u);
}

// Each invalid rule beside the exact message the operator sees.
TEST(RuleParserTest, RejectsInvalidRulesWithExactMessages) {
  const std::pair<const char*, const char*> cases[] = {
      {R"(block tcp any any -> any any (content:"a"; sid:1;))",
       R"(unknown action "block" (expected alert, drop, reject or pass))"},
      {R"(alert udp any any -> any any (content:"a"; sid:1;))",
       R"(unsupported protocol "udp" (expected tcp, http or tls))"},
      {R"(alert tcp any any => any any (content:"a"; sid:1;))",
       R"(bad direction "=>" (expected -> or <>))"},
      {R"(alert tcp any -> any any (content:"a"; sid:1;))",
       "rule header needs 7 fields (action protocol source ports direction destination ports), got "
       "6"},
      {R"(alert tcp any any -> any any content:"a"; sid:1;)",
       R"(missing "(" before the rule options)"},
      {"alert tcp any any -> any any (content:\"a\"; sid:1;",
       "missing \")\" at the end of the rule options"},
      {R"(alert tcp 10.0.0.300 any -> any any (content:"a"; sid:1;))",
       R"(source: bad address "10.0.0.300")"},
      {R"(alert tcp $NOPE any -> any any (content:"a"; sid:1;))",
       "source: undefined address variable $NOPE"},
      {R"(alert tcp any any -> ::1 any (content:"a"; sid:1;))",
       R"(destination: IPv6 address "::1" is not supported (IPv4 only))"},
      {R"(alert tcp any any -> any 70000 (content:"a"; sid:1;))",
       R"(destination port: bad port "70000")"},
      {R"(alert tcp any 90:80 -> any any (content:"a"; sid:1;))",
       R"(source port: port range "90:80" is reversed)"},
      {R"(alert tcp !any any -> any any (content:"a"; sid:1;))",
       R"(source: address group "!any" matches nothing)"},
      {R"(alert tcp any any -> any any (content:"a";))", "rule has no sid"},
      {R"(alert tcp any any -> any any (content:"a"; sid:0;))",
       R"("sid" needs a number from 1 to 4294967295, got "0")"},
      {R"(alert tcp any any -> any any (content:"a"; dsize:10; sid:1;))",
       R"(unsupported keyword "dsize")"},
      {R"(alert tcp any any -> any any (nocase; content:"a"; sid:1;))",
       R"("nocase" needs a preceding content)"},
      {R"(alert tcp any any -> any any (content:"a"; depth:4; depth:5; sid:1;))",
       R"("depth" given twice for one content)"},
      {R"(alert tcp any any -> any any (content:"ab"; content:"c"; depth:4; distance:1; sid:1;))",
       R"("depth" and "offset" cannot be combined with "distance" or "within" on one content)"},
      {R"(alert tcp any any -> any any (content:"abc"; depth:2; sid:1;))",
       "depth 2 is shorter than the content (3 bytes)"},
      {R"(alert tcp any any -> any any (content:"a"; content:"abc"; within:2; sid:1;))",
       "within 2 is shorter than the content (3 bytes)"},
      {R"(alert tcp any any -> any any (content:"abc"; distance:0; sid:1;))",
       R"("distance" needs a previous content or pcre in stream)"},
      {R"(alert tcp any any -> any any (content:"a"; classtype:nope; sid:1;))",
       R"(unknown classtype "nope")"},
      {R"(alert tcp any any -> any any (content:"a"; priority:0; sid:1;))",
       R"("priority" needs a number from 1 to 255, got "0")"},
      {R"(alert tcp any any -> any any (content:""; sid:1;))", "content is empty"},
      {R"(alert tcp any any -> any any (content:"|4G|"; sid:1;))", R"(bad hex "4G" in content)"},
      {R"(alert tcp any any -> any any (content:"|41"; sid:1;))", "unterminated hex in content"},
      {R"(alert tcp any any -> any any (content:abc; sid:1;))",
       R"("content" needs a quoted string)"},
      {R"(alert tcp any any -> any any (pcre:"abc"; sid:1;))",
       R"(pcre needs "/regex/flags", got "abc")"},
      {R"(alert tcp any any -> any any (pcre:"/a/G"; sid:1;))",
       R"(unsupported pcre modifier "G" in "/a/G")"},
      {R"(alert tcp any any -> any any (pcre:"/(a)\1/"; sid:1;))",
       R"(pcre "/(a)\1/" is not supported by Hyperscan: Back-references are unsupported.)"},
      {R"(alert tcp any any -> any any (pcre:"/a(?=b)/"; sid:1;))",
       R"(pcre "/a(?=b)/" is not supported by Hyperscan: Zero-width assertions are not supported.)"},
      {R"(alert tcp any any -> any any (content:"a"; flow:not_established; sid:1;))",
       R"(unsupported flow option "not_established")"},
      {R"(alert tcp any any -> any any (content:"a"; flow:to_server,to_client; sid:1;))",
       "flow has both to_server and to_client"},
      {R"(alert http any any -> any any (flow:to_client; http.uri; content:"a"; sid:1;))",
       "http.uri inspects requests; it cannot be used with flow:to_client"},
      {R"(alert http any any -> any any (content:"a"; http.uri; content:"b"; sid:1;))",
       "rule mixes stream with http.uri (not supported)"},
      {R"(alert tls any any -> any any (http.uri; content:"a"; sid:1;))",
       "http.uri cannot be used in a tls rule"},
      {R"(alert http any any -> any any (tls.sni; content:"a"; sid:1;))",
       "tls.sni cannot be used in an http rule"},
      {R"(alert tcp any any -> any any (content:!"a"; sid:1;))",
       "rule needs a content or pcre that is not negated"},
      {R"(alert tcp any any -> any any (content:"a"; fast_pattern; content:"b"; fast_pattern; sid:1;))",
       "fast_pattern given twice"},
      {R"(alert tcp any any -> any any (content:"a"; fast_pattern:1,2; sid:1;))",
       R"("fast_pattern" with offset and length is not supported)"},
      {R"(alert tcp any any -> any any (content:"a"; tag:host; sid:1;))",
       R"(only tag:session is supported, got "host")"},
      {R"(alert http any any -> any any (http.host; content:"Evil.example"; sid:1;))",
       R"(http.host content "Evil.example" has upper-case letters but the buffer is lower-cased; use nocase or lower case)"},
      {R"(alert http any any -> any any (http.uri; content:"a"; content:"b"; http_header; sid:1;))",
       R"("http_header" cannot move a content that follows the sticky buffer http.uri)"},
      {R"(alert tcp any any -> any any (msg:"unterminated; sid:1;))",
       R"(unterminated quote in option "msg")"},
  };
  for (const auto& [rule, message] : cases)
    EXPECT_EQ(parseError(rule), message) << rule;
}

TEST(RuleParserTest, ReportsBadLinesWithFileAndLineAndLoadsTheRest) {
  RuleSet set;
  RuleParser parser;
  parser.parseText(
      "# comment\n"
      "\n"
      "alert tcp any any -> any any (content:\"a\"; sid:1;)\n"
      "alert tcp any any -> any any (content:\"b\"; \\\n"
      "   sid:2;)\n"
      "alert tcp any any -> any any (bogus; sid:3;)\n"
      "alert tcp any any -> any any (content:\"c\"; sid:1;)\n",
      "local.rules", set);
  EXPECT_EQ(set.loaded(), 2u);
  ASSERT_EQ(set.failed(), 2u);
  EXPECT_EQ(set.errors[0].toString(), R"(local.rules:6: unsupported keyword "bogus")");
  EXPECT_EQ(set.errors[1].toString(),
            "local.rules:7: duplicate sid 1 (first defined at local.rules:3)");
  EXPECT_EQ(set.rules[1].sid, 2u);
  EXPECT_EQ(set.rules[1].line, 4);  // a continued rule is reported at its first line
}

TEST(RuleParserTest, LoadsTheCorpusWithBadLines) {
  RuleParser parser;
  auto set = parser.loadGlob(std::string(VTPS_FILTER_TESTDATA) + "/*.rules");
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->files.size(), 1u);
  EXPECT_EQ(set->loaded(), 12u);
  EXPECT_EQ(set->failed(), 5u);
  std::vector<std::string> messages;
  for (const auto& e : set->errors)
    messages.push_back(e.message);
  EXPECT_EQ(
      messages,
      (std::vector<std::string>{
          R"(unknown action "alrt" (expected alert, drop, reject or pass))",
          "rule has no sid",
          R"(pcre "/(?<=a)b/" is not supported by Hyperscan: Zero-width assertions are not supported.)",
          "duplicate sid 1000003 (first defined at " + set->files[0] + ":7)",
          R"(destination: undefined address variable $DMZ_NET)",
      }));
}

TEST(RuleParserTest, ReadsFilesAndReportsUnreadableOnes) {
  TempDir dir;
  dir.write("b.rules", "alert tcp any any -> any any (content:\"b\"; sid:2;)\n");
  dir.write("a.rules", "alert tcp any any -> any any (content:\"a\"; sid:1;)\n");
  RuleParser parser;
  auto set = parser.loadGlob(dir.path() + "/*.rules");
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->files.size(), 2u);
  EXPECT_EQ(set->files[0], dir.path() + "/a.rules");  // sorted
  EXPECT_EQ(set->rules[0].sid, 1u);
  auto none = parser.loadGlob(dir.path() + "/*.nothing");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->loaded(), 0u);
  RuleSet s;
  Status missing = parser.parseFile(dir.path() + "/missing.rules", s);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(),
            "read rule file " + dir.path() + "/missing.rules: No such file or directory");
}

TEST(RuleParserTest, RefusesOverlongRules) {
  std::string rule = "alert tcp any any -> any any (msg:\"" + std::string(70000, 'x') +
                     "\"; content:\"a\"; sid:1;)";
  RuleSet set;
  RuleParser parser;
  parser.parseText(rule, "big.rules", set);
  ASSERT_EQ(set.failed(), 1u);
  EXPECT_EQ(set.errors[0].toString(), "big.rules:1: rule is longer than 65536 bytes");
}

}  // namespace
}  // namespace vtps::filter
