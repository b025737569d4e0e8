// Signature matching throughput (issue 5). One thread (one core), a generated HTTP corpus
// (requests with realistic headers, form bodies, HTML responses; ~1% carry a rule's pattern), and
// rule sets of 1,000 and 10,000 content rules spread over http.uri, http.header, http.host,
// http.request_body, http.response_body and the stream. For each rule set, in the same run:
//   hyperscan  SignatureMatcher over the pre-parsed buffers (prefilter + verification)
//   naive      every rule's content searched with memmem in its buffer (nocase: in a lower-cased
//              copy made outside the timing), the textbook baseline
//   pipeline   the whole SessionFilter path on the raw bytes (HTTP parsing, windows, matching)
// Throughput is Gbit/s of corpus bytes per core; both matchers must report the same matches.
//
//   filter_bench [--seconds S] [--rules 1000,10000] [--transactions N] [--cache DIR]
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "dataplane/filter/http_parser.h"
#include "dataplane/filter/matcher.h"
#include "dataplane/filter/pipeline.h"
#include "dataplane/filter/session_filter.h"

using namespace vtps::filter;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  double seconds = 2.0;
  std::vector<size_t> rule_counts{1000, 10000};
  size_t transactions = 4000;
  std::string cache_dir;
};

struct GeneratedRule {
  BufferKind buffer;
  std::string token;
  bool nocase;
};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}
  size_t uniform(size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng_);
  }
  std::string word(size_t lo, size_t hi) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string w(uniform(lo, hi), 'a');
    for (char& c : w)
      c = kAlphabet[uniform(0, 35)];
    return w;
  }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

constexpr BufferKind kRuleBuffers[] = {
    BufferKind::kHttpUri,         BufferKind::kHttpUri,          BufferKind::kHttpUri,
    BufferKind::kHttpUri,         BufferKind::kHttpHeader,       BufferKind::kHttpHeader,
    BufferKind::kHttpHeader,      BufferKind::kHttpHost,         BufferKind::kHttpRequestBody,
    BufferKind::kHttpRequestBody, BufferKind::kHttpResponseBody, BufferKind::kStream,
};

std::vector<GeneratedRule> makeRules(size_t n, Generator& g) {
  std::vector<GeneratedRule> rules;
  for (size_t i = 0; i < n; ++i) {
    BufferKind b = kRuleBuffers[g.uniform(0, std::size(kRuleBuffers) - 1)];
    rules.push_back({b, g.word(8, 16), g.uniform(0, 9) < 3});
  }
  return rules;
}

std::string ruleText(const GeneratedRule& r, size_t sid) {
  std::string proto = r.buffer == BufferKind::kStream ? "tcp" : "http";
  std::string sticky =
      r.buffer == BufferKind::kStream ? "" : std::string(toString(r.buffer)) + "; ";
  return "alert " + proto + " any any -> any any (msg:\"bench " + std::to_string(sid) + "\"; " +
         sticky + "content:\"" + r.token + "\";" + (r.nocase ? " nocase;" : "") +
         " sid:" + std::to_string(sid) + ";)\n";
}

struct Transaction {
  std::string request, response;
};

// A request/response pair; with `hit` one rule's token is placed in that rule's buffer. Built by
// sequential appends, so the random draws happen in a fixed order on every compiler.
Transaction makeTransaction(Generator& g, const GeneratedRule* hit) {
  auto place = [&](BufferKind b) { return hit != nullptr && hit->buffer == b ? hit->token : ""; };
  bool post = g.uniform(0, 4) == 0 || (hit && hit->buffer == BufferKind::kHttpRequestBody);
  std::string req = post ? "POST /" : "GET /";
  req += g.word(3, 10);
  req += '/';
  req += g.word(3, 12);
  req += '/';
  req += place(BufferKind::kHttpUri);
  req += g.word(4, 12);
  req += ".html?q=";
  req += g.word(3, 8);
  req += place(BufferKind::kStream);
  req += "&id=";
  req += std::to_string(g.uniform(1, 99999));
  req += " HTTP/1.1\r\nHost: www.";
  req += g.word(4, 10);
  req += place(BufferKind::kHttpHost);
  req +=
      ".example\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
      "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
      "Cookie: session=";
  req += g.word(32, 32);
  req += "; pref=";
  req += g.word(4, 8);
  req += place(BufferKind::kHttpHeader);
  req += "\r\nReferer: https://www.";
  req += g.word(4, 10);
  req += ".example/";
  req += g.word(4, 12);
  req += "\r\nConnection: keep-alive\r\n";
  std::string body;
  size_t body_size = post ? g.uniform(200, 2000) : 0;
  while (body.size() < body_size) {
    body += g.word(3, 8);
    body += '=';
    body += g.word(4, 20);
    body += '&';
  }
  if (post) {
    body += place(BufferKind::kHttpRequestBody);
    req += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ";
    req += std::to_string(body.size());
    req += "\r\n";
  }
  req += "\r\n";
  req += body;
  std::string html = "<!doctype html><html><head><title>";
  html += g.word(4, 12);
  html += "</title></head><body>";
  size_t target = g.uniform(2000, 12000);
  while (html.size() < target) {
    html += "<p class=\"";
    html += g.word(3, 8);
    html += "\">";
    for (int w = 0; w < 12; ++w) {
      html += g.word(2, 9);
      html += ' ';
    }
    html += "</p>\n";
  }
  html += place(BufferKind::kHttpResponseBody);
  html += "</body></html>";
  std::string resp =
      "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\n"
      "Cache-Control: max-age=60\r\nContent-Length: ";
  resp += std::to_string(html.size());
  resp += "\r\n\r\n";
  resp += html;
  return {std::move(req), std::move(resp)};
}

// The buffers of one transaction, parsed once before any timing.
struct ParsedTransaction {
  HttpMessage request, response;
  std::string stream_up, stream_down;
  std::array<std::string, kBufferKindCount> lower;  // lower-cased buffers for naive nocase
  std::string lower_response_headers, lower_stream_down;
};

class Capture : public HttpParser::Listener {
 public:
  bool onHeaders(const HttpMessage&) override { return true; }
  bool onBody(const HttpMessage& m) override {
    last = m;
    return true;
  }
  HttpMessage last;
};

std::string_view bufferOf(const ParsedTransaction& t, BufferKind b) {
  switch (b) {
    case BufferKind::kStream:
      return t.stream_up;
    case BufferKind::kHttpMethod:
      return t.request.method;
    case BufferKind::kHttpUri:
      return t.request.uri;
    case BufferKind::kHttpUriRaw:
      return t.request.uri_raw;
    case BufferKind::kHttpHost:
      return t.request.host;
    case BufferKind::kHttpHeader:
      return t.request.headers;
    case BufferKind::kHttpRequestBody:
      return t.request.body;
    case BufferKind::kHttpResponseBody:
      return t.response.body;
    case BufferKind::kTlsSni:
      return {};
  }
  return {};
}

ParsedTransaction parse(const Transaction& t) {
  ParsedTransaction p;
  Capture c;
  HttpParser req(HttpParser::Kind::kRequest, {}, c);
  req.feed({reinterpret_cast<const uint8_t*>(t.request.data()), t.request.size()});
  p.request = c.last;
  HttpParser resp(HttpParser::Kind::kResponse, {}, c);
  resp.expectResponseTo(p.request.method);
  resp.feed({reinterpret_cast<const uint8_t*>(t.response.data()), t.response.size()});
  p.response = c.last;
  p.stream_up = t.request;
  p.stream_down = t.response;
  auto lower = [](std::string_view in) {
    std::string s(in);
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    return s;
  };
  for (size_t k = 0; k < kBufferKindCount; ++k)
    p.lower[k] = lower(bufferOf(p, static_cast<BufferKind>(k)));
  p.lower_response_headers = lower(p.response.headers);
  p.lower_stream_down = lower(p.stream_down);
  return p;
}

std::span<const uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

double gbits(uint64_t bytes, double seconds) {
  return bytes * 8.0 / seconds / 1e9;
}

// CPU time of this thread: the figures are per core even when other processes share the CPU.
double threadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Repeats `pass` until `seconds` of CPU time; returns Gbit/s per core and the last pass's result.
template <typename Fn>
std::pair<double, uint64_t> timeLoop(double seconds, uint64_t bytes_per_pass, Fn pass) {
  uint64_t bytes = 0, matches = 0, total = 0;
  double start = threadSeconds(), elapsed = 0;
  do {
    matches = pass();
    // Every pass's result is used, so the compiler cannot drop passes of a pure computation
    // (memmem is declared pure) as dead code.
    total += matches;
    bytes += bytes_per_pass;
    elapsed = threadSeconds() - start;
  } while (elapsed < seconds);
  asm volatile("" : : "r"(total) : "memory");
  return {gbits(bytes, elapsed), matches};
}

// Both matchers see the same transactions; this is what one transaction costs each.
struct Bench {
  const std::vector<GeneratedRule>& rules;
  std::vector<std::string> lowered_tokens;
  SignatureMatcher matcher;
  FlowTraits flow{0x0a0a0105, 40000, 0x0a0a0202, 80, true, false};
  std::vector<uint32_t> matched;

  Bench(const std::vector<GeneratedRule>& r, std::shared_ptr<const CompiledRuleSet> set)
      : rules(r), matcher(std::move(set)) {
    for (const auto& rule : rules) {
      std::string t = rule.token;
      std::transform(t.begin(), t.end(), t.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      lowered_tokens.push_back(t);
    }
  }

  uint64_t hyperscan(const ParsedTransaction& p) {
    matched.clear();
    matcher.matchHttpHeaders(flow, true, p.request, matched);
    matcher.matchHttpBody(flow, true, p.request, matched);
    matcher.matchStream(flow, true, bytesOf(p.stream_up), 0, matched);
    matcher.matchHttpHeaders(flow, false, p.response, matched);
    matcher.matchHttpBody(flow, false, p.response, matched);
    matcher.matchStream(flow, false, bytesOf(p.stream_down), 0, matched);
    return matched.size();
  }

  uint64_t naive(const ParsedTransaction& p) const {
    uint64_t n = 0;
    for (size_t r = 0; r < rules.size(); ++r) {
      const GeneratedRule& rule = rules[r];
      auto k = static_cast<size_t>(rule.buffer);
      const std::string& tok = rule.nocase ? lowered_tokens[r] : rule.token;
      auto found = [&](std::string_view buf) {
        return memmem(buf.data(), buf.size(), tok.data(), tok.size()) != nullptr ? 1 : 0;
      };
      n += found(rule.nocase ? std::string_view(p.lower[k]) : bufferOf(p, rule.buffer));
      // Header and stream rules also apply to the server's direction.
      if (rule.buffer == BufferKind::kHttpHeader) {
        n += found(rule.nocase ? p.lower_response_headers : p.response.headers);
      } else if (rule.buffer == BufferKind::kStream) {
        n += found(rule.nocase ? p.lower_stream_down : p.stream_down);
      }
    }
    return n;
  }
};

std::shared_ptr<const Pipeline> buildPipeline(const std::vector<GeneratedRule>& rules,
                                              const Options& opt, const std::string& dir,
                                              double& compile_s) {
  std::string path = dir + "/bench-" + std::to_string(rules.size()) + ".rules";
  {
    std::ofstream out(path);
    for (size_t i = 0; i < rules.size(); ++i)
      out << ruleText(rules[i], i + 1);
  }
  FilterSettings settings;
  settings.signatures.rules = path;
  settings.signatures.cache_dir = opt.cache_dir;
  auto t0 = Clock::now();
  auto pipeline = Pipeline::create(settings);
  compile_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!pipeline.ok()) {
    std::fprintf(stderr, "filter_bench: %s\n", pipeline.message().c_str());
    std::exit(1);
  }
  return *pipeline;
}

// The whole SessionFilter path on the raw bytes: keep-alive sessions of 100 transactions,
// responses in 16 KiB pieces (a TLS record's worth of cleartext).
double measurePipeline(const Pipeline& pipeline, const std::vector<Transaction>& corpus,
                       uint64_t corpus_bytes, double seconds) {
  auto runtime = std::make_shared<FilterRuntime>();
  FlowInfo info;
  info.tuple = {0x0a0a0105, 40000, 0x0a0a0202, 80};
  info.http = true;
  return timeLoop(seconds, corpus_bytes,
                  [&] {
                    std::unique_ptr<SessionFilter> session;
                    for (size_t i = 0; i < corpus.size(); ++i) {
                      if (i % 100 == 0) session = pipeline.open(info, runtime);
                      session->inspect(true, bytesOf(corpus[i].request));
                      std::span<const uint8_t> r = bytesOf(corpus[i].response);
                      for (size_t off = 0; off < r.size(); off += 16384) {
                        session->inspect(false,
                                         r.subspan(off, std::min<size_t>(16384, r.size() - off)));
                      }
                    }
                    return uint64_t{0};
                  })
      .first;
}

void runRuleCount(const std::vector<GeneratedRule>& rules, const Options& opt,
                  const std::vector<Transaction>& corpus,
                  const std::vector<ParsedTransaction>& parsed, const std::string& dir) {
  size_t count = rules.size();
  double compile_s = 0;
  auto pipeline = buildPipeline(rules, opt, dir, compile_s);
  const auto& set = pipeline->rulesFor("");
  uint64_t corpus_bytes = 0;
  for (const auto& t : corpus)
    corpus_bytes += t.request.size() + t.response.size();
  Bench bench(rules, set);
  auto [hs_gbps, hs_matches] = timeLoop(opt.seconds, corpus_bytes, [&] {
    uint64_t n = 0;
    for (const auto& p : parsed)
      n += bench.hyperscan(p);
    return n;
  });
  // The naive scan is slow: time it on a slice of the corpus (bytes counted accordingly), and
  // compare its matches with the matcher's over the whole corpus, untimed.
  size_t slice = std::min(parsed.size(), std::max<size_t>(1, parsed.size() * 250 / count));
  uint64_t slice_bytes = 0;
  for (size_t i = 0; i < slice; ++i)
    slice_bytes += corpus[i].request.size() + corpus[i].response.size();
  auto naive_gbps = timeLoop(opt.seconds, slice_bytes, [&] {
                      uint64_t n = 0;
                      for (size_t i = 0; i < slice; ++i)
                        n += bench.naive(parsed[i]);
                      return n;
                    }).first;
  uint64_t naive_matches = 0;
  for (const auto& p : parsed)
    naive_matches += bench.naive(p);
  double pipe_gbps = measurePipeline(*pipeline, corpus, corpus_bytes, opt.seconds);

  auto ull = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("%6zu rules  compile %.2f s%s\n", count, compile_s,
              set->loadedFromCache() ? " (databases from the cache)" : "");
  std::printf("%6zu rules  hyperscan matcher           %8.3f Gbit/s/core\n", count, hs_gbps);
  std::printf("%6zu rules  naive memmem per rule       %8.3f Gbit/s/core\n", count, naive_gbps);
  std::printf(
      "%6zu rules  ratio hyperscan / naive     %8.1f x  (matches over the corpus: %llu vs "
      "%llu%s)\n",
      count, hs_gbps / naive_gbps, ull(hs_matches), ull(naive_matches),
      hs_matches == naive_matches ? ", equal" : ", MISMATCH");
  std::printf("%6zu rules  full pipeline (parse+match) %8.3f Gbit/s/core\n", count, pipe_gbps);
  if (hs_matches != naive_matches) std::exit(1);
}

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--seconds") {
      o.seconds = std::stod(v);
    } else if (k == "--transactions") {
      o.transactions = std::stoul(v);
    } else if (k == "--cache") {
      o.cache_dir = v;
    } else if (k == "--rules") {
      o.rule_counts.clear();
      for (size_t p = 0; p < v.size();) {
        size_t c = v.find(',', p);
        o.rule_counts.push_back(std::stoul(v.substr(p, c - p)));
        p = c == std::string::npos ? v.size() : c + 1;
      }
    } else {
      std::fprintf(
          stderr,
          "usage: filter_bench [--seconds S] [--rules N,M] [--transactions N] [--cache DIR]\n");
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parseOptions(argc, argv);
  std::string dir = (std::filesystem::temp_directory_path() / "vtps-filter-bench").string();
  std::filesystem::create_directories(dir);
  for (size_t count : opt.rule_counts) {
    Generator rule_gen(1000 + static_cast<uint32_t>(count));
    auto rules = makeRules(count, rule_gen);
    Generator g(42);
    std::vector<Transaction> corpus;
    std::vector<ParsedTransaction> parsed;
    uint64_t bytes = 0;
    for (size_t i = 0; i < opt.transactions; ++i) {
      const GeneratedRule* hit =
          g.uniform(0, 99) == 0 ? &rules[g.uniform(0, rules.size() - 1)] : nullptr;
      corpus.push_back(makeTransaction(g, hit));
      parsed.push_back(parse(corpus.back()));
      bytes += corpus.back().request.size() + corpus.back().response.size();
    }
    std::printf("corpus: %zu transactions, %.1f MB, %.0f bytes per transaction\n", corpus.size(),
                bytes / 1e6, static_cast<double>(bytes) / corpus.size());
    runRuleCount(rules, opt, corpus, parsed, dir);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
