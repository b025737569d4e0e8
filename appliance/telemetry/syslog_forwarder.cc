#include "appliance/telemetry/syslog_forwarder.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "crypto/ossl.h"

namespace vtps::telemetry {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kConnectTimeoutMs = 5000;
constexpr int kIoTimeoutMs = 10000;
constexpr auto kMinBackoff = std::chrono::milliseconds(250);
constexpr auto kMaxBackoff = std::chrono::seconds(30);

// RFC 5424 severities.
constexpr int kWarning = 4, kNotice = 5, kInfo = 6, kError = 3, kDebug = 7;

int severityOf(LogFile file, const Json& entry) {
  auto it = entry.find("severity");
  if (it != entry.end() && it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    if (s == "error") return kError;
    if (s == "warning") return kWarning;
    if (s == "notice") return kNotice;
    if (s == "debug") return kDebug;
    return kInfo;
  }
  switch (file) {
    case LogFile::kBlock:
    case LogFile::kFailed:
      return kWarning;
    case LogFile::kAlert:
      return kNotice;
    default:
      return kInfo;
  }
}

std::string errnoText(int err) {
  return std::strerror(err);
}

std::string sslErrorText() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// A connected socket or -1 with `error` set.
int connectTcp(const std::string& host, uint16_t port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    error = "resolve " + host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, kConnectTimeoutMs) == 1 ? 0 : -1;
      int so_error = rc == 0 ? 0 : ETIMEDOUT;
      socklen_t len = sizeof so_error;
      if (rc == 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      errno = so_error;
      rc = so_error == 0 ? 0 : -1;
    }
    if (rc != 0) {
      error = "connect " + host + ":" + service + ": " + errnoText(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) return -1;
  // Blocking from here on, with timeouts, so a stalled collector cannot hang the sender forever.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{kIoTimeoutMs / 1000, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

Result<ossl::SslCtxPtr> clientContext(const SyslogCollector& c) {
  ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ossl::error("syslog: SSL_CTX_new");
  int min = c.min_tls_version == 0 ? TLS1_2_VERSION : c.min_tls_version;
  if (SSL_CTX_set_min_proto_version(ctx.get(), min) != 1)
    return ossl::error("syslog: set minimum TLS version");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  ossl::BioPtr bio(BIO_new_mem_buf(c.ca_pem.data(), static_cast<int>(c.ca_pem.size())));
  int added = 0;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, x) == 1) ++added;
    X509_free(x);
  }
  ERR_clear_error();  // the end of the PEM input
  if (added == 0) return makeError("syslog: no CA certificate to verify the collector with");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

}  // namespace

std::string formatSyslogMessage(int facility, LogFile file, const Json& entry,
                                std::string_view json_line, std::string_view hostname, int pid) {
  const int pri = facility * 8 + severityOf(file, entry);
  std::string name(fileName(file));
  name = name.substr(0, name.find('.'));  // "ssl.log" -> "ssl"
  auto time = entry.find("time");
  std::string timestamp =
      time != entry.end() && time->is_string() ? time->get<std::string>() : rfc3339Utc(nowUnixMs());
  return fmt::format("<{}>1 {} {} vtpsd {} {} - {}", pri, timestamp,
                     hostname.empty() ? std::string_view("-") : hostname, pid, name, json_line);
}

class SyslogForwarder::Sender {
 public:
  Sender(SyslogCollector collector, ossl::SslCtxPtr ctx)
      : c_(std::move(collector)), ctx_(std::move(ctx)) {
    stats_.collector = fmt::format("{}:{}", c_.host, c_.port);
    thread_ = std::thread([this] { run(); });
  }

  ~Sender() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    disconnect();
  }

  int facility() const { return c_.facility; }

  bool wants(LogFile file) const {
    return std::find(c_.logs.begin(), c_.logs.end(), file) != c_.logs.end();
  }

  void push(std::string message) {
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() >= c_.queue_capacity) {
        ++stats_.dropped;
        return;
      }
      queue_.push_back(std::move(message));
    }
    cv_.notify_all();
  }

  bool drain(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return idle_cv_.wait_until(lock, deadline, [&] { return queue_.empty() && !sending_; });
  }

  SyslogStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  void run() {
    auto backoff = kMinBackoff;
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      std::string message = queue_.front();
      sending_ = true;
      lock.unlock();
      std::string error;
      bool ok = (fd_ >= 0 || connect(error)) && send(message, error);
      lock.lock();
      sending_ = false;
      if (ok) {
        queue_.pop_front();
        ++stats_.sent;
        stats_.connected = true;
        backoff = kMinBackoff;
        if (queue_.empty()) idle_cv_.notify_all();
        continue;
      }
      stats_.connected = false;
      stats_.last_error = error;
      lock.unlock();
      disconnect();
      lock.lock();
      // The message stays queued; newer ones pile up behind it until the queue is full.
      if (cv_.wait_for(lock, backoff, [&] { return stop_; })) return;
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
    }
  }

  bool connect(std::string& error) {
    fd_ = connectTcp(c_.host, c_.port, error);
    if (fd_ < 0) return countFailure();
    if (c_.transport == SyslogTransport::kTcp) return true;
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    const std::string& name = c_.server_name.empty() ? c_.host : c_.server_name;
    in6_addr ip{};
    bool is_ip = ::inet_pton(AF_INET, name.c_str(), &ip) == 1 ||
                 ::inet_pton(AF_INET6, name.c_str(), &ip) == 1;
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_.get(), name.c_str());
      SSL_set1_host(ssl_.get(), name.c_str());
    }
    if (SSL_connect(ssl_.get()) != 1) {
      long verify = SSL_get_verify_result(ssl_.get());
      error =
          fmt::format("TLS handshake with {}: {}", stats_.collector,
                      verify != X509_V_OK ? X509_verify_cert_error_string(verify) : sslErrorText());
      ERR_clear_error();
      disconnect();
      return countFailure();
    }
    return true;
  }

  bool countFailure() {
    std::lock_guard lock(mutex_);
    ++stats_.connect_failures;
    return false;
  }

  // RFC 5425 / RFC 6587 octet counting: "LEN SP MSG".
  bool send(const std::string& message, std::string& error) {
    std::string frame = std::to_string(message.size()) + " " + message;
    size_t off = 0;
    while (off < frame.size()) {
      ssize_t n = 0;
      if (ssl_) {
        size_t written = 0;
        n = SSL_write_ex(ssl_.get(), frame.data() + off, frame.size() - off, &written) == 1
                ? static_cast<ssize_t>(written)
                : -1;
        if (n < 0) error = "send to " + stats_.collector + ": " + sslErrorText();
      } else {
        n = ::send(fd_, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
        if (n < 0) error = "send to " + stats_.collector + ": " + errnoText(errno);
      }
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  void disconnect() {
    if (ssl_) {
      SSL_shutdown(ssl_.get());
      ssl_.reset();
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  SyslogCollector c_;
  ossl::SslCtxPtr ctx_;
  ossl::SslPtr ssl_;
  int fd_ = -1;  // sender thread only

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::string> queue_;
  bool sending_ = false;
  bool stop_ = false;
  SyslogStats stats_;
  std::thread thread_;
};

Result<std::unique_ptr<SyslogForwarder>> SyslogForwarder::start(
    std::vector<SyslogCollector> collectors, std::string hostname) {
  std::unique_ptr<SyslogForwarder> f(new SyslogForwarder());
  f->hostname_ = std::move(hostname);
  f->pid_ = static_cast<int>(::getpid());
  for (SyslogCollector& c : collectors) {
    ossl::SslCtxPtr ctx;
    if (c.transport == SyslogTransport::kTls) {
      Result<ossl::SslCtxPtr> made = clientContext(c);
      if (!made.ok()) return makeError(fmt::format("{} ({}:{})", made.message(), c.host, c.port));
      ctx = std::move(*made);
    }
    f->senders_.push_back(std::make_unique<Sender>(std::move(c), std::move(ctx)));
  }
  return f;
}

SyslogForwarder::~SyslogForwarder() = default;

void SyslogForwarder::offer(LogFile file, const Json& entry, std::string_view json_line) {
  for (auto& s : senders_) {
    if (!s->wants(file)) continue;
    s->push(formatSyslogMessage(s->facility(), file, entry, json_line, hostname_, pid_));
  }
}

bool SyslogForwarder::drain(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  bool all = true;
  for (auto& s : senders_)
    all = s->drain(deadline) && all;
  return all;
}

std::vector<SyslogStats> SyslogForwarder::stats() const {
  std::vector<SyslogStats> out;
  for (const auto& s : senders_)
    out.push_back(s->stats());
  return out;
}

}  // namespace vtps::telemetry
