#include "tests/dataplane/proxy_engine/netns_lab.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

namespace vtps::proxy::testing {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void setTimeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in endpoint(const char* ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &sa.sin_addr);
  return sa;
}

int selectH2First(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void*) {
  static const unsigned char kPrefs[] = "\x02h2\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kPrefs, sizeof kPrefs - 1, in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Writes `size` bytes of patternByte(0..size-1).
bool sendPattern(SSL* ssl, size_t size) {
  std::string chunk;
  for (size_t sent = 0; sent < size; sent += chunk.size()) {
    chunk.resize(std::min<size_t>(16384, size - sent));
    for (size_t i = 0; i < chunk.size(); ++i)
      chunk[i] = patternByte(sent + i);
    if (SSL_write(ssl, chunk.data(), static_cast<int>(chunk.size())) <= 0) return false;
  }
  return true;
}

}  // namespace

char patternByte(size_t offset) {
  return static_cast<char>('a' + offset % 26);
}

int shell(const std::string& command, std::string* output) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, p))
    text.append(buffer, n);
  int status = ::pclose(p);
  if (output != nullptr) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

NetnsLab::NetnsLab() : prefix_(fmt::format("vtpe{}", ::getpid() % 1000000)) {
  if (::geteuid() != 0) {
    why_ = "needs root (network namespaces)";
    return;
  }
  const std::string c = client(), a = appliance(), s = server();
  const std::string script = fmt::format(
      "set -e\n"
      "for n in {c} {a} {s}; do ip netns add $n; ip -n $n link set lo up; done\n"
      "ip link add {p}c0 netns {c} type veth peer name {p}a0 netns {a}\n"
      "ip link add {p}a1 netns {a} type veth peer name {p}s0 netns {s}\n"
      "ip -n {c} addr add 10.10.1.2/24 dev {p}c0; ip -n {c} link set {p}c0 up\n"
      "ip -n {c} route add default via 10.10.1.1\n"
      "ip -n {a} addr add 10.10.1.1/24 dev {p}a0; ip -n {a} link set {p}a0 up\n"
      "ip -n {a} addr add 10.10.2.1/24 dev {p}a1; ip -n {a} link set {p}a1 up\n"
      "ip -n {s} addr add 10.10.2.2/24 dev {p}s0; ip -n {s} link set {p}s0 up\n"
      "ip -n {s} route add default via 10.10.2.1\n"
      "ip netns exec {a} sysctl -qw net.ipv4.ip_forward=1\n",
      fmt::arg("c", c), fmt::arg("a", a), fmt::arg("s", s), fmt::arg("p", prefix_));
  std::string out;
  if (shell(script, &out) != 0) {
    why_ = "building the namespaces failed: " + out;
    return;
  }
  ok_ = true;
}

NetnsLab::~NetnsLab() {
  if (::geteuid() != 0) return;
  shell(
      fmt::format("for n in {0}c {0}a {0}s; do ip netns del $n 2>/dev/null; done; true", prefix_));
}

bool NetnsLab::installTproxy(uint16_t port, std::string* error) {
  const std::string a = appliance();
  const std::string script = fmt::format(
      "set -e\n"
      "ip -n {a} rule add fwmark 0x7670 lookup 30320\n"
      "ip -n {a} route add local 0.0.0.0/0 dev lo table 30320\n"
      "ip netns exec {a} nft -f - <<'EOF'\n"
      "table ip vtpstest {{\n"
      "  chain prerouting {{\n"
      "    type filter hook prerouting priority mangle; policy accept;\n"
      "    meta l4proto tcp socket transparent 1 meta mark set 0x7670 accept\n"
      "    ip daddr 10.10.2.2 tcp dport 443 tproxy to 127.0.0.1:{port} meta mark set 0x7670 "
      "accept\n"
      "  }}\n"
      "}}\n"
      "EOF\n",
      fmt::arg("a", a), fmt::arg("port", port));
  return shell(script, error) == 0;
}

void NetnsLab::runIn(const std::string& ns, const std::function<void()>& fn) {
  std::thread t([&] {
    UniqueFd nsfd(::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
    if (!nsfd || ::setns(nsfd.get(), CLONE_NEWNET) != 0) return;
    fn();
  });
  t.join();
}

UniqueFd NetnsLab::socketIn(const std::string& ns) {
  UniqueFd fd;
  runIn(ns, [&] { fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)); });
  return fd;
}

TestCert makeCert(const std::string& dir, const std::string& cn, const std::string& key_type) {
  const std::string key = dir + "/" + cn + ".key", crt = dir + "/" + cn + ".crt";
  const std::string newkey =
      key_type == "rsa" ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
  shell(
      fmt::format("openssl req -x509 {} -nodes -subj /CN={} -addext subjectAltName=DNS:{} "
                  "-days 2 -keyout {} -out {}",
                  newkey, cn, cn, key, crt));
  return TestCert{readFile(crt), readFile(key)};
}

EchoOrigin::EchoOrigin(const NetnsLab& lab, const TestCert& cert)
    : ctx_(SSL_CTX_new(TLS_server_method())) {
  ossl::BioPtr cert_bio(
      BIO_new_mem_buf(cert.cert_pem.data(), static_cast<int>(cert.cert_pem.size())));
  ossl::BioPtr key_bio(BIO_new_mem_buf(cert.key_pem.data(), static_cast<int>(cert.key_pem.size())));
  ossl::X509Ptr x509(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  ossl::EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!x509 || !key || SSL_CTX_use_certificate(ctx_.get(), x509.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx_.get(), key.get()) != 1) {
    return;
  }
  SSL_CTX_set_alpn_select_cb(ctx_.get(), selectH2First, nullptr);
  listener_ = NetnsLab::socketIn(lab.server());
  int one = 1;
  ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa = endpoint(kServerIp, kTlsPort);
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(listener_.get(), 64) != 0) {
    listener_.reset();
    return;
  }
  acceptor_ = std::thread([this] { acceptLoop(); });
}

EchoOrigin::~EchoOrigin() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& t : threads_)
    t.join();
}

void EchoOrigin::acceptLoop() {
  while (!stop_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    UniqueFd fd(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
    if (!fd) continue;
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
    {
      std::lock_guard lock(mu_);
      peers_.emplace_back(text);
    }
    ++accepted_;
    threads_.emplace_back([this, f = std::move(fd)]() mutable { serve(std::move(f)); });
  }
}

void EchoOrigin::serve(UniqueFd fd) {
  // Short receive timeouts so the thread notices stop_ while a client keeps the session open.
  timeval tv{0, 200000};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ossl::SslPtr ssl(SSL_new(ctx_.get()));
  SSL_set_fd(ssl.get(), fd.get());
  int rc;
  while ((rc = SSL_accept(ssl.get())) != 1) {
    if (stop_ || SSL_get_error(ssl.get(), rc) != SSL_ERROR_WANT_READ) return;
  }
  char buffer[16384];
  while (!stop_) {
    errno = 0;
    int n = SSL_read(ssl.get(), buffer, sizeof buffer);
    if (n > 0) {
      std::string_view got(buffer, static_cast<size_t>(n));
      if (got.starts_with("SEND ")) {
        if (!sendPattern(ssl.get(), std::stoul(std::string(got.substr(5))))) return;
        continue;
      }
      if (SSL_write(ssl.get(), buffer, n) != n) return;
      continue;
    }
    int e = SSL_get_error(ssl.get(), n);
    if (e == SSL_ERROR_WANT_READ) continue;  // timeout tick
    if (e == SSL_ERROR_SYSCALL && errno == ECONNRESET) ++resets_;
    ERR_clear_error();
    return;
  }
}

std::vector<std::string> EchoOrigin::peers() {
  std::lock_guard lock(mu_);
  return peers_;
}

bool EchoOrigin::waitResets(int n, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    if (resets_.load() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return resets_.load() >= n;
}

TlsClient::TlsClient(const NetnsLab& lab, const std::string& sni, std::vector<std::string> alpn)
    : fd_(NetnsLab::socketIn(lab.client())), ctx_(SSL_CTX_new(TLS_client_method())) {
  setTimeouts(fd_.get(), 5);
  sockaddr_in sa = endpoint(kServerIp, kTlsPort);
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    error_ = std::string("connect: ") + strerror(errno);
    return;
  }
  ssl_.reset(SSL_new(ctx_.get()));
  SSL_set_fd(ssl_.get(), fd_.get());
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl_.get(), sni.c_str());
  if (!alpn.empty()) {
    std::string wire;
    for (const auto& p : alpn)
      wire += static_cast<char>(p.size()) + p;
    SSL_set_alpn_protos(ssl_.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  }
  if (SSL_connect(ssl_.get()) != 1) {
    error_ = "SSL_connect: " + ossl::drainErrors();
    return;
  }
  connected_ = true;
}

std::string TlsClient::peerCommonName() const {
  ossl::X509Ptr cert(SSL_get1_peer_certificate(ssl_.get()));
  if (!cert) return {};
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  return cn;
}

std::string TlsClient::alpn() const {
  const unsigned char* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

std::string TlsClient::roundTrip(const std::string& data) {
  if (!connected_ || SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size())) <= 0) {
    return {};
  }
  std::string got;
  char buffer[16384];
  while (got.size() < data.size()) {
    int n = SSL_read(ssl_.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    got.append(buffer, static_cast<size_t>(n));
  }
  return got;
}

bool TlsClient::write(const std::string& data) {
  return connected_ && SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size())) > 0;
}

std::string TlsClient::readExactly(size_t size) {
  std::string got;
  std::vector<char> buffer(65536);
  while (connected_ && got.size() < size) {
    int n = SSL_read(ssl_.get(), buffer.data(),
                     static_cast<int>(std::min(buffer.size(), size - got.size())));
    if (n <= 0) break;
    got.append(buffer.data(), static_cast<size_t>(n));
  }
  return got;
}

int TlsClient::readOnce() {
  char buffer[4096];
  errno = 0;
  int n = SSL_read(ssl_.get(), buffer, sizeof buffer);
  last_errno_ = errno;
  if (n > 0) return n;
  const int e = SSL_get_error(ssl_.get(), n);
  ERR_clear_error();
  return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

void RecordingSink::sessionClosed(const SessionRecord& record) {
  std::lock_guard lock(mu_);
  records_.push_back(record);
  cv_.notify_all();
}

void RecordingSink::failedConnection(const FailedConnectionRecord& record) {
  std::lock_guard lock(mu_);
  failures_.push_back(record);
  cv_.notify_all();
}

std::vector<FailedConnectionRecord> RecordingSink::waitFailures(size_t n, int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return failures_.size() >= n; });
  return failures_;
}

void RecordingSink::systemLog(std::string_view severity, std::string message) {
  std::lock_guard lock(mu_);
  system_.push_back(fmt::format("{}: {}", severity, message));
}

std::vector<SessionRecord> RecordingSink::waitRecords(size_t n, int timeout_ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return records_.size() >= n; });
  return records_;
}

std::vector<std::string> RecordingSink::systemLines() {
  std::lock_guard lock(mu_);
  return system_;
}

uint64_t counterValue(const std::vector<CounterGroup>& groups, std::string_view group,
                      std::string_view name) {
  for (const CounterGroup& g : groups) {
    if (g.name != group) continue;
    for (const auto& [n, v] : g.values) {
      if (n == name) return v;
    }
  }
  return ~uint64_t{0};
}

}  // namespace vtps::proxy::testing
