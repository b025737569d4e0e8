// tls_load: the one TLS load client of the proxy benchmarks (run_server_bench.sh,
// run_client_bench.sh), so that vtpsd and every anchor proxy see exactly the same traffic.
// wrk and h2load cannot give each connection its own SNI (the cold mint-cache case) nor hold
// thousands of idle connections open (the memory case), hence this small client.
//
//   tls_load --connect ADDR:PORT --mode conn|bulk|idle --count N [--concurrency C]
//            [--sni NAME | --sni-pattern 'h%d.bench.test' [--first K]] [--path /p]
//
//   conn  N connections, each a full TLS handshake (no resumption) and one GET, C at a time.
//   bulk  C keep-alive connections fetch --path N times in total (1 MiB bodies: MiB relayed).
//   idle  N connections, each does one GET and then stays open, idle; prints "ready ..." once
//         all are up and holds them until stdin reaches EOF (the script closes it).
//
// One line on stdout at the end: "ok=N failed=F bytes=B seconds=S" (bytes: response bodies).
// Single-threaded, non-blocking sockets on epoll; OpenSSL does the TLS; no certificate checks
// (the proxy under test is what is measured, not the client).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

enum class Mode { kConn, kBulk, kIdle };

struct Options {
  sockaddr_in addr{};
  Mode mode = Mode::kConn;
  long count = 0;
  long concurrency = 1;
  std::string sni = "web1.test";
  std::string sni_pattern;  // "%d" replaced by the connection number
  long first = 0;
  std::string path = "/small";
};

enum class State { kConnecting, kHandshake, kWriting, kReading, kIdle };

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  State state = State::kConnecting;
  std::string host;
  std::string request;
  std::size_t written = 0;
  std::string header;
  long long body_left = -1;  // -1: header not complete yet
};

struct Totals {
  long started = 0;
  long ok = 0;
  long failed = 0;
  long requests_started = 0;
  long long bytes = 0;
  long idle = 0;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "tls_load: %s\n", what.c_str());
  std::exit(2);
}

long parseLong(const char* s, const char* what) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < 0) die(std::string("bad ") + what + ": " + s);
  return v;
}

Options parseArgs(int argc, char** argv) {
  Options o;
  bool have_addr = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) die("missing value for " + std::string(a));
    const char* v = argv[++i];
    if (a == "--connect") {
      const std::string s = v;
      const auto colon = s.rfind(':');
      if (colon == std::string::npos) die("--connect wants ADDR:PORT");
      o.addr.sin_family = AF_INET;
      o.addr.sin_port = htons(static_cast<uint16_t>(parseLong(s.c_str() + colon + 1, "port")));
      if (inet_pton(AF_INET, s.substr(0, colon).c_str(), &o.addr.sin_addr) != 1) {
        die("bad address " + s);
      }
      have_addr = true;
    } else if (a == "--mode") {
      const std::string_view m = v;
      o.mode = m == "conn" ? Mode::kConn : m == "bulk" ? Mode::kBulk : Mode::kIdle;
      if (m != "conn" && m != "bulk" && m != "idle") die("bad --mode " + std::string(m));
    } else if (a == "--count") {
      o.count = parseLong(v, "--count");
    } else if (a == "--concurrency") {
      o.concurrency = parseLong(v, "--concurrency");
    } else if (a == "--sni") {
      o.sni = v;
    } else if (a == "--sni-pattern") {
      o.sni_pattern = v;
      if (o.sni_pattern.find("%d") == std::string::npos) die("--sni-pattern needs %d");
    } else if (a == "--first") {
      o.first = parseLong(v, "--first");
    } else if (a == "--path") {
      o.path = v;
    } else {
      die("unknown option " + std::string(a));
    }
  }
  if (!have_addr || o.count <= 0 || o.concurrency <= 0) {
    die("usage: tls_load --connect ADDR:PORT --mode conn|bulk|idle --count N [--concurrency C]"
        " [--sni NAME | --sni-pattern P [--first K]] [--path /p]");
  }
  return o;
}

class Load {
 public:
  explicit Load(const Options& o) : o_(o) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) die("SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
    ep_ = epoll_create1(0);
    if (ep_ < 0) die("epoll_create1 failed");
  }

  int run() {
    const auto t0 = std::chrono::steady_clock::now();
    const long parallel =
        o_.mode == Mode::kBulk ? o_.concurrency : std::min(o_.concurrency, o_.count);
    for (long i = 0; i < parallel; ++i)
      startConn();
    std::vector<epoll_event> events(1024);
    bool announced = false;
    while (true) {
      if (o_.mode == Mode::kIdle && !announced && t_.idle + t_.failed == o_.count) {
        std::printf("ready ok=%ld failed=%ld\n", t_.idle, t_.failed);
        std::fflush(stdout);
        announced = true;
        watchStdin();
      }
      if (live_ == 0 && o_.mode != Mode::kIdle) break;
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 1000);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.ptr == nullptr) {  // stdin: EOF ends an idle run
          char buf[256];
          if (read(0, buf, sizeof buf) <= 0) return finish(t0);
          continue;
        }
        drive(static_cast<Conn*>(events[i].data.ptr));
      }
    }
    return finish(t0);
  }

 private:
  int finish(std::chrono::steady_clock::time_point t0) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long ok = o_.mode == Mode::kIdle ? t_.idle : t_.ok;
    std::printf("ok=%ld failed=%ld bytes=%lld seconds=%.3f\n", ok, t_.failed, t_.bytes, s);
    return t_.failed == 0 ? 0 : 1;
  }

  void watchStdin() {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    epoll_ctl(ep_, EPOLL_CTL_ADD, 0, &ev);
  }

  std::string hostFor(long n) const {
    if (o_.sni_pattern.empty()) return o_.sni;
    std::string h = o_.sni_pattern;
    h.replace(h.find("%d"), 2, std::to_string(o_.first + n));
    return h;
  }

  void startConn() {
    if (o_.mode != Mode::kBulk && t_.started >= o_.count) return;
    auto* c = new Conn;
    c->host = hostFor(t_.started++);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die(std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, reinterpret_cast<const sockaddr*>(&o_.addr), sizeof o_.addr) < 0 &&
        errno != EINPROGRESS) {
      return fail(c, std::string("connect: ") + std::strerror(errno), false);
    }
    c->ssl = SSL_new(ctx_);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, c->host.c_str());
    SSL_set_connect_state(c->ssl);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    ev.data.ptr = c;
    epoll_ctl(ep_, EPOLL_CTL_ADD, c->fd, &ev);
    ++live_;
  }

  void newRequest(Conn* c) {
    c->request = "GET " + o_.path + " HTTP/1.1\r\nHost: " + c->host + "\r\n";
    if (o_.mode == Mode::kConn) c->request += "Connection: close\r\n";
    c->request += "\r\n";
    c->written = 0;
    c->header.clear();
    c->body_left = -1;
    c->state = State::kWriting;
    ++t_.requests_started;
  }

  void close(Conn* c) {
    if (c->ssl != nullptr) SSL_free(c->ssl);
    if (c->fd >= 0) ::close(c->fd);
    delete c;
  }

  void fail(Conn* c, const std::string& why, bool was_live = true) {
    if (failures_shown_++ < 5)
      std::fprintf(stderr, "tls_load: %s: %s\n", c->host.c_str(), why.c_str());
    ++t_.failed;
    if (c->state == State::kIdle) --t_.idle;
    if (was_live) --live_;
    close(c);
    if (o_.mode != Mode::kBulk) startConn();
  }

  // Returns false when the connection is waiting (SSL wants I/O); fails it on an error.
  bool sslProgress(Conn* c, int rc, const char* op) {
    const int err = SSL_get_error(c->ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return false;
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    ERR_clear_error();
    fail(c, std::string(op) + " failed (SSL error " + std::to_string(err) + ", " + buf + ")");
    return false;
  }

  void responseDone(Conn* c) {
    ++t_.ok;
    if (o_.mode == Mode::kIdle) {
      c->state = State::kIdle;
      ++t_.idle;
      return startConn();
    }
    if (o_.mode == Mode::kBulk && t_.requests_started < o_.count) {
      newRequest(c);
      drive(c);
      return;
    }
    --live_;
    close(c);
    if (o_.mode == Mode::kConn) startConn();
  }

  // Consumes n bytes read from the TLS stream: "" while the response is incomplete, "done" when
  // it is complete, otherwise why the response is unusable.
  std::string consume(Conn* c, const char* data, std::size_t n) {
    if (c->body_left < 0) {
      c->header.append(data, n);
      const auto end = c->header.find("\r\n\r\n");
      if (end == std::string::npos) return "";
      std::string head = c->header.substr(0, end);
      for (auto& ch : head)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (head.compare(0, 12, "http/1.1 200") != 0) {
        return "response: " + c->header.substr(0, c->header.find('\r'));
      }
      const auto cl = head.find("\r\ncontent-length:");
      if (cl == std::string::npos) {
        return "response has no Content-Length";
      }
      const long long len = std::atoll(head.c_str() + cl + 17);
      const long long have = static_cast<long long>(c->header.size() - end - 4);
      c->body_left = len - have;
      t_.bytes += have;
      return c->body_left <= 0 ? "done" : "";
    }
    c->body_left -= static_cast<long long>(n);
    t_.bytes += static_cast<long long>(n);
    return c->body_left <= 0 ? "done" : "";
  }

  void drive(Conn* c) {
    while (true) {
      switch (c->state) {
        case State::kConnecting:
        case State::kHandshake: {
          c->state = State::kHandshake;
          const int rc = SSL_do_handshake(c->ssl);
          if (rc != 1) return void(sslProgress(c, rc, "handshake"));
          newRequest(c);
          break;
        }
        case State::kWriting: {
          const int rc = SSL_write(c->ssl, c->request.data() + c->written,
                                   static_cast<int>(c->request.size() - c->written));
          if (rc <= 0) return void(sslProgress(c, rc, "write"));
          c->written += static_cast<std::size_t>(rc);
          if (c->written == c->request.size()) c->state = State::kReading;
          break;
        }
        case State::kReading: {
          const int rc = SSL_read(c->ssl, buf_, sizeof buf_);
          if (rc <= 0) return void(sslProgress(c, rc, "read"));
          const std::string verdict = consume(c, buf_, static_cast<std::size_t>(rc));
          if (verdict == "done") return responseDone(c);
          if (!verdict.empty()) return fail(c, verdict);
          break;
        }
        case State::kIdle: {
          // Anything now (data or EOF) on an idle connection: the proxy dropped it.
          const int rc = SSL_read(c->ssl, buf_, sizeof buf_);
          if (rc <= 0 && !sslProgress(c, rc, "idle read")) return;
          if (rc > 0) return fail(c, "unexpected data on an idle connection");
          return;
        }
      }
    }
  }

  const Options& o_;
  SSL_CTX* ctx_ = nullptr;
  int ep_ = -1;
  long live_ = 0;
  Totals t_;
  int failures_shown_ = 0;
  char buf_[64 * 1024];
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parseArgs(argc, argv);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  auto load = std::make_unique<Load>(o);
  return load->run();
}
