// Fuzzes the HTTP path. The input's first byte picks a split point; the rest is one stream of
// requests (then, after a 0xff byte, the server's responses). Checked beyond memory safety:
//   - HttpParser: a message split at any byte parses as it does whole (same state, same number
//     of messages), and no buffer exceeds its bound (a body window of 512 bytes, or none);
//   - SessionFilter: the whole pipeline (HTTP parsers, reputation, signatures over a small rule
//     set, stream windows) takes the same bytes in both directions without crashing.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <span>
#include <string>

#include "dataplane/filter/http_parser.h"
#include "dataplane/filter/pipeline.h"
#include "dataplane/filter/session_filter.h"

using namespace vtps::filter;

namespace {

class Bounded : public HttpParser::Listener {
 public:
  explicit Bounded(const HttpLimits& l) : limits_(l) {}
  bool onHeaders(const HttpMessage& m) override {
    if (m.headers.size() > limits_.max_header_bytes * 2) __builtin_trap();
    ++events;
    return true;
  }
  bool onBody(const HttpMessage& m) override {
    if (m.body.size() > limits_.max_body_bytes || m.body.size() > m.body_bytes) __builtin_trap();
    ++events;
    return true;
  }
  size_t events = 0;

 private:
  HttpLimits limits_;
};

const std::shared_ptr<const Pipeline>& pipeline() {
  static std::shared_ptr<const Pipeline> p = [] {
    char path[] = "/tmp/vtps-http-fuzz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) __builtin_trap();
    close(fd);
    std::ofstream(path)
        << "drop http any any -> any any (http.uri; content:\"/attack\"; sid:1;)\n"
           "alert http any any -> any any (http.header; content:\"evil\"; nocase; sid:2;)\n"
           "alert http any any -> any any (http.request_body; content:\"pw=\"; "
           "pcre:\"/pw=[a-z]+/R\"; sid:3;)\n"
           "alert http any any -> any any (flow:to_client; http.response_body; "
           "content:\"secret\"; sid:4;)\n"
           "alert tcp any any -> any any (content:\"GET\"; content:\"HTTP\"; distance:0; "
           "within:200; tag:session; sid:5;)\n";
    FilterSettings s;
    s.signatures.rules = path;
    s.limits.http.max_header_bytes = 2048;
    s.limits.http.max_body_bytes = 1024;
    s.limits.stream_window_bytes = 4096;
    s.limits.trace_max_bytes = 8192;
    auto built = Pipeline::create(s);
    unlink(path);
    if (!built.ok()) __builtin_trap();
    return *built;
  }();
  return p;
}

void parseBothWays(HttpParser::Kind kind, std::span<const uint8_t> in, size_t split) {
  HttpLimits limits;
  limits.max_header_bytes = 2048;
  // A window of 0 is what a session's parser gets for a body no rule inspects.
  limits.max_body_bytes = (split & 2) != 0 ? 0 : 512;
  Bounded a(limits), b(limits);
  HttpParser whole(kind, limits, a), pieces(kind, limits, b);
  for (int i = 0; i < 4; ++i) {
    whole.expectResponseTo(i == 1 ? "HEAD" : "GET");
    pieces.expectResponseTo(i == 1 ? "HEAD" : "GET");
  }
  whole.feed(in);
  size_t cut = in.empty() ? 0 : split % (in.size() + 1);
  pieces.feed(in.first(cut));
  pieces.feed(in.subspan(cut));
  if (whole.state() != pieces.state() || whole.messages() != pieces.messages()) __builtin_trap();
  whole.finish();
  pieces.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0];
  std::span<const uint8_t> rest(data + 1, size - 1);
  size_t sep = 0;
  while (sep < rest.size() && rest[sep] != 0xff)
    ++sep;
  std::span<const uint8_t> requests = rest.first(sep);
  std::span<const uint8_t> responses = sep < rest.size() ? rest.subspan(sep + 1) : rest.last(0);
  parseBothWays(HttpParser::Kind::kRequest, requests, split);
  parseBothWays(HttpParser::Kind::kResponse, responses, split);

  auto runtime = std::make_shared<FilterRuntime>();
  FlowInfo flow;
  flow.tuple = {0x0a0a0105, 40000, 0x0a0a0202, 80};
  flow.http = (split & 1) != 0;  // otherwise detected from the first bytes
  auto session = pipeline()->open(flow, runtime);
  size_t step = 1 + split % 61;
  for (size_t i = 0; i < requests.size() || i < responses.size(); i += step) {
    if (i < requests.size())
      session->inspect(true, requests.subspan(i, std::min(step, requests.size() - i)));
    if (i < responses.size()) {
      session->inspect(false, responses.subspan(i, std::min(step, responses.size() - i)));
    }
  }
  return 0;
}
