#include "dataplane/filter/http_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::filter {
namespace {

using testing::bytes;

struct Seen {
  std::string event;  // "headers" | "body"
  HttpMessage message;
};

class Recorder : public HttpParser::Listener {
 public:
  bool onHeaders(const HttpMessage& m) override {
    seen.push_back({"headers", m});
    return headers_ok;
  }
  bool onBody(const HttpMessage& m) override {
    seen.push_back({"body", m});
    return true;
  }
  std::vector<Seen> seen;
  bool headers_ok = true;
};

// Feeds `text` whole, then byte by byte into a fresh parser, and checks both saw the same.
std::vector<Seen> parseBothWays(HttpParser::Kind kind, const std::string& text,
                                const std::vector<std::string>& methods = {},
                                HttpLimits limits = {}) {
  Recorder whole, split;
  HttpParser a(kind, limits, whole), b(kind, limits, split);
  for (const auto& m : methods) {
    a.expectResponseTo(m);
    b.expectResponseTo(m);
  }
  a.feed(bytes(text));
  for (char c : text)
    b.feed(bytes(std::string_view(&c, 1)));
  a.finish();
  b.finish();
  EXPECT_EQ(a.state(), b.state());
  EXPECT_EQ(a.error(), b.error());
  EXPECT_EQ(whole.seen.size(), split.seen.size());
  for (size_t i = 0; i < std::min(whole.seen.size(), split.seen.size()); ++i) {
    const HttpMessage& x = whole.seen[i].message;
    const HttpMessage& y = split.seen[i].message;
    EXPECT_EQ(whole.seen[i].event, split.seen[i].event);
    EXPECT_EQ(x.method, y.method);
    EXPECT_EQ(x.uri_raw, y.uri_raw);
    EXPECT_EQ(x.status, y.status);
    EXPECT_EQ(x.headers, y.headers);
    EXPECT_EQ(x.body, y.body);
    // A full window is reported as soon as it overflows, so the byte count seen then differs.
    if (!x.body_truncated) {
      EXPECT_EQ(x.body_bytes, y.body_bytes);
    }
  }
  return whole.seen;
}

TEST(HttpParserTest, ParsesARequestIntoItsBuffers) {
  auto seen = parseBothWays(HttpParser::Kind::kRequest,
                            "GET /a%20b/c.php?x=%41%zz HTTP/1.1\r\n"
                            "Host: WWW.Example.COM:8080\r\n"
                            "User-Agent:  curl/8 \r\n"
                            "X-Folded: one\r\n"
                            "  two\r\n"
                            "\r\n");
  ASSERT_EQ(seen.size(), 2u);
  const HttpMessage& m = seen[0].message;
  EXPECT_EQ(seen[0].event, "headers");
  EXPECT_EQ(m.method, "GET");
  EXPECT_EQ(m.uri_raw, "/a%20b/c.php?x=%41%zz");
  EXPECT_EQ(m.uri, "/a b/c.php?x=A%zz");
  EXPECT_EQ(m.version, "HTTP/1.1");
  EXPECT_EQ(m.host, "www.example.com");
  EXPECT_EQ(m.headers, "Host: WWW.Example.COM:8080\r\nUser-Agent: curl/8\r\nX-Folded: one two\r\n");
  EXPECT_EQ(seen[1].event, "body");
  EXPECT_TRUE(seen[1].message.body.empty());
}

TEST(HttpParserTest, ReadsContentLengthAndChunkedBodies) {
  auto seen =
      parseBothWays(HttpParser::Kind::kRequest,
                    "POST /login HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
                    "user=x&pw=y"
                    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].message.body, "user=x&pw=y");
  EXPECT_EQ(seen[3].message.uri, "/up");
  EXPECT_EQ(seen[3].message.body, "hello world");
  EXPECT_EQ(seen[3].message.body_bytes, 11u);
}

TEST(HttpParserTest, ParsesPipelinedRequestsInOnePiece) {
  std::string text;
  for (int i = 0; i < 3; ++i) {
    text += "GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
  }
  Recorder rec;
  HttpParser p(HttpParser::Kind::kRequest, {}, rec);
  p.feed(bytes(text));
  EXPECT_EQ(p.messages(), 3u);
  ASSERT_EQ(rec.seen.size(), 6u);
  EXPECT_EQ(rec.seen[0].message.uri, "/r0");
  EXPECT_EQ(rec.seen[4].message.uri, "/r2");
}

TEST(HttpParserTest, FollowsResponseBodyRulesForEachStatusAndMethod) {
  auto seen =
      parseBothWays(HttpParser::Kind::kResponse,
                    "HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde"
                    "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"  // answers HEAD: no body
                    "HTTP/1.1 204 No Content\r\n\r\n"
                    "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n",
                    {"POST", "HEAD", "GET", "GET", "GET"});
  ASSERT_EQ(seen.size(), 12u);
  EXPECT_EQ(seen[1].message.status, 100);
  EXPECT_EQ(seen[3].message.body, "abcde");
  EXPECT_EQ(seen[4].message.status, 200);
  EXPECT_EQ(seen[5].message.body, "");
  EXPECT_EQ(seen[11].message.body, "xyz");
}

TEST(HttpParserTest, OffersABodyDelimitedByCloseAfterEveryPieceAndAtTheEnd) {
  Recorder rec;
  HttpParser p(HttpParser::Kind::kResponse, {}, rec);
  p.expectResponseTo("GET");
  p.feed(bytes("HTTP/1.0 200 OK\r\n\r\nuntil the "));
  ASSERT_EQ(rec.seen.size(), 2u);
  EXPECT_EQ(rec.seen[1].message.body, "until the ");
  p.feed(bytes("connection closes"));
  ASSERT_EQ(rec.seen.size(), 3u);
  p.finish();
  ASSERT_EQ(rec.seen.size(), 4u);
  EXPECT_EQ(rec.seen[3].message.body, "until the connection closes");
  EXPECT_EQ(p.messages(), 1u);
}

TEST(HttpParserTest, BoundsTheBodyWindowAndReportsItOnce) {
  HttpLimits limits;
  limits.max_body_bytes = 1024;
  std::string body(5000, 'b');
  auto seen = parseBothWays(
      HttpParser::Kind::kRequest,
      "PUT /big HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + body + "GET /next HTTP/1.1\r\n\r\n", {},
      limits);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[1].event, "body");
  EXPECT_EQ(seen[1].message.body.size(), 1024u);
  EXPECT_TRUE(seen[1].message.body_truncated);
  EXPECT_EQ(seen[2].message.uri, "/next");  // the rest of the body was skipped, not parsed
}

TEST(HttpParserTest, AWindowOfZeroKeepsNoBodyAndStillFollowsTheMessages) {
  // What a session's parser gets for a body no rule inspects (docs/filters.md).
  HttpLimits limits;
  limits.max_body_bytes = 0;
  auto seen = parseBothWays(HttpParser::Kind::kRequest,
                            "POST /a HTTP/1.1\r\nContent-Length: 6\r\n\r\nabcdef"
                            "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3\r\nxyz\r\n0\r\n\r\nGET /c HTTP/1.1\r\n\r\n",
                            {}, limits);
  ASSERT_EQ(seen.size(), 6u);
  for (size_t i : {1u, 3u, 5u}) {
    EXPECT_EQ(seen[i].event, "body");
    EXPECT_TRUE(seen[i].message.body.empty());
  }
  EXPECT_TRUE(seen[1].message.body_truncated);
  EXPECT_EQ(seen[2].message.uri, "/b");
  EXPECT_EQ(seen[4].message.uri, "/c");
  EXPECT_FALSE(seen[5].message.body_truncated);  // no body at all
}

TEST(HttpParserTest, StopsOnInvalidInputWithAReason) {
  HttpLimits small;
  small.max_header_bytes = 1024;
  const std::pair<std::string, std::string_view> cases[] = {
      {"GET /\r\n\r\n", "bad request line"},
      {"GET / HTTP/2.0\r\n\r\n", "bad request line"},
      {"GET /a b HTTP/1.1\r\n\r\n", "bad request line"},
      {"G(T / HTTP/1.1\r\n\r\n", "bad request line"},
      {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", "bad header line"},
      {"GET / HTTP/1.1\r\n folded-first\r\n\r\n", "header continuation without a header"},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
       "bad or conflicting Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "bad or conflicting Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
       "bad or conflicting Content-Length"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
       "unsupported Transfer-Encoding in a request"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
       "bad chunk size"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
       "missing CRLF after chunk data"},
      {"GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", "header section too large"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1" + std::string(2000, ' '),
       "chunk size line too long"},
  };
  for (const auto& [text, reason] : cases) {
    Recorder rec;
    HttpParser p(HttpParser::Kind::kRequest, small, rec);
    p.feed(bytes(text));
    EXPECT_EQ(p.state(), HttpParser::State::kError) << text.substr(0, 60);
    EXPECT_EQ(p.error(), reason) << text.substr(0, 60);
    // Later bytes are ignored, never parsed from the middle of a message.
    size_t before = rec.seen.size();
    p.feed(bytes("GET / HTTP/1.1\r\n\r\n"));
    EXPECT_EQ(rec.seen.size(), before);
  }
  Recorder rec;
  HttpParser response(HttpParser::Kind::kResponse, {}, rec);
  response.feed(bytes("HTTP/1.1 2x0 OK\r\n\r\n"));
  EXPECT_EQ(response.error(), "bad status line");
}

TEST(HttpParserTest, SwitchesToTunnelAfterConnectAndUpgrade) {
  Recorder rec;
  HttpParser req(HttpParser::Kind::kRequest, {}, rec);
  req.feed(bytes("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01"));
  EXPECT_EQ(req.state(), HttpParser::State::kTunnel);
  EXPECT_EQ(rec.seen[0].message.host, "example.com");

  HttpParser resp(HttpParser::Kind::kResponse, {}, rec);
  resp.expectResponseTo("GET");
  resp.feed(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"));
  EXPECT_EQ(resp.state(), HttpParser::State::kTunnel);
  EXPECT_EQ(resp.messages(), 1u);

  HttpParser plain(HttpParser::Kind::kRequest, {}, rec);
  plain.feed(bytes("GET http://Proxy.Example/x HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(plain.state(), HttpParser::State::kHttp);
  EXPECT_EQ(rec.seen.back().message.host, "proxy.example");  // from the absolute-form target
}

TEST(HttpParserTest, StopsWhenTheListenerSaysSo) {
  Recorder rec;
  rec.headers_ok = false;
  HttpParser p(HttpParser::Kind::kRequest, {}, rec);
  p.feed(bytes("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(p.state(), HttpParser::State::kStopped);
  ASSERT_EQ(rec.seen.size(), 1u);
  EXPECT_EQ(rec.seen[0].message.uri, "/1");
}

TEST(HttpParserTest, ToleratesBareLfAndLeadingBlankLines) {
  auto seen = parseBothWays(HttpParser::Kind::kRequest, "\r\n\nGET /lf HTTP/1.0\nHost: h\n\n");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].message.uri, "/lf");
  EXPECT_EQ(seen[0].message.headers, "Host: h\r\n");
}

}  // namespace
}  // namespace vtps::filter
