#include "appliance/telemetry/metrics.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "crypto/ossl.h"
#include "crypto/ossl_interop.h"

namespace vtps::telemetry {
namespace {

constexpr char kTextFormat[] = "text/plain; version=0.0.4; charset=utf-8";

struct HostPort {
  std::string host;
  int port = 0;
};

std::optional<HostPort> parseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return std::nullopt;
  HostPort out;
  out.host = listen.substr(0, colon);
  if (out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  const std::string port = listen.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  out.port = std::stoi(port);
  if (out.port > 65535 || out.host.empty()) return std::nullopt;
  return out;
}

bool isHex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Decodes standard base64; nullopt when malformed.
std::optional<std::string> decodeBase64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t padding = 0;
  if (in.back() == '=') ++padding;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

bool sameSecret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status configureTls(SSL_CTX& ctx, const crypto::CertificateBundle& bundle, int min_version) {
  if (SSL_CTX_set_min_proto_version(&ctx, min_version) != 1) {
    return ossl::error("metrics: TLS setup failed: set minimum version");
  }
  if (SSL_CTX_use_certificate(&ctx, bundle.leaf.impl().x509.get()) != 1) {
    return ossl::error("metrics: TLS setup failed: certificate");
  }
  for (const crypto::Certificate& issuer : bundle.chain) {
    if (SSL_CTX_add1_chain_cert(&ctx, issuer.impl().x509.get()) != 1) {
      return ossl::error("metrics: TLS setup failed: chain certificate");
    }
  }
  if (SSL_CTX_use_PrivateKey(&ctx, bundle.key.impl().pkey.get()) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1) {
    return ossl::error("metrics: TLS setup failed: private key");
  }
  return {};
}

}  // namespace

std::string sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

class MetricsServer::Impl {
 public:
  Impl(MetricsServerOptions options, MetricsSources sources, BuildIdentity identity)
      : options_(std::move(options)), collector_(std::move(sources), std::move(identity)) {}
  ~Impl() { stop(); }

  Status start();
  void stop() {
    if (!server_) return;
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string render() const {
    return prometheus::TextSerializer().Serialize(collector_.Collect());
  }

  MetricsServerOptions options_;
  MetricsCollector collector_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;

 private:
  Status makeServer();
  bool authorized(const httplib::Request& request) const;
  void route();
};

Status MetricsServer::Impl::makeServer() {
  if (!options_.tls) {
    server_ = std::make_unique<httplib::Server>();
    return {};
  }
  const int min_version =
      options_.min_tls == config::TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  Status tls_status;
  server_ = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    tls_status = configureTls(ctx, *options_.tls, min_version);
    return tls_status.ok();
  });
  if (!tls_status.ok()) return tls_status;
  if (!server_->is_valid()) return makeError("metrics: TLS setup failed: SSL_CTX not created");
  return {};
}

bool MetricsServer::Impl::authorized(const httplib::Request& request) const {
  if (options_.basic_auth_user.empty()) return true;
  const std::string header = request.get_header_value("Authorization");
  constexpr std::string_view kBasic = "Basic ";
  if (header.compare(0, kBasic.size(), kBasic) != 0) return false;
  std::optional<std::string> decoded = decodeBase64(std::string_view(header).substr(kBasic.size()));
  if (!decoded) return false;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  std::string password = decoded->substr(colon + 1);
  const bool user_ok =
      sameSecret(std::string_view(*decoded).substr(0, colon), options_.basic_auth_user);
  const bool password_ok = sameSecret(sha256Hex(password), options_.basic_auth_password_sha256);
  ossl::cleanse(password);
  ossl::cleanse(*decoded);
  return user_ok && password_ok;
}

void MetricsServer::Impl::route() {
  server_->Get("/metrics", [this](const httplib::Request& request, httplib::Response& response) {
    if (!authorized(request)) {
      response.status = 401;
      response.set_header("WWW-Authenticate", "Basic realm=\"vtps metrics\"");
      response.set_content("unauthorized\n", "text/plain");
      return;
    }
    response.set_content(render(), kTextFormat);
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    Readiness r = collector_.readiness();
    response.status = r.ready ? 200 : 503;
    response.set_content(r.ready ? "ready\n" : "not ready: " + r.reason + "\n", "text/plain");
  });
}

Status MetricsServer::Impl::start() {
  std::optional<HostPort> where = parseListen(options_.listen);
  if (!where) {
    return makeError("metrics: listen address \"" + options_.listen + "\": expected HOST:PORT");
  }
  if (options_.min_tls != config::TlsVersion::kTls12 &&
      options_.min_tls != config::TlsVersion::kTls13) {
    return makeError("metrics: min-tls must be TLSv1.2 or TLSv1.3, got " +
                     std::string(config::toString(options_.min_tls)));
  }
  if (!options_.basic_auth_user.empty() || !options_.basic_auth_password_sha256.empty()) {
    if (options_.basic_auth_user.empty() || !isHex64(options_.basic_auth_password_sha256)) {
      return makeError(
          "metrics: basic auth needs both a user and a password SHA-256 (64 hex digits)");
    }
  }
  VTPS_RETURN_IF_ERROR(makeServer());
  const int threads = std::max(1, options_.threads);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_keep_alive_max_count(100);
  server_->set_read_timeout(5, 0);
  // httplib's default also sets SO_REUSEPORT, which would let a second vtpsd share the port
  // silently; SO_REUSEADDR alone allows a restart while old connections sit in TIME_WAIT.
  server_->set_socket_options([](int sock) {
    int on = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  });
  route();

  errno = 0;
  int port = where->port;
  if (port == 0) {
    port = server_->bind_to_any_port(where->host);
  } else if (!server_->bind_to_port(where->host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return makeError("metrics: cannot listen on " + options_.listen + ": " +
                     (errno != 0 ? std::strerror(errno) : "bind failed"));
  }
  port_ = static_cast<uint16_t>(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() only takes effect once the loop runs; wait for it so that a quick destruction joins.
  for (int i = 0; i < 2000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return {};
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricsServer::~MetricsServer() = default;

Result<std::unique_ptr<MetricsServer>> MetricsServer::create(MetricsServerOptions options,
                                                             MetricsSources sources,
                                                             BuildIdentity identity) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(sources), std::move(identity));
  VTPS_RETURN_IF_ERROR(impl->start());
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

uint16_t MetricsServer::port() const {
  return impl_->port_;
}

MetricsCollector& MetricsServer::collector() {
  return impl_->collector_;
}

std::string MetricsServer::render() const {
  return impl_->render();
}

}  // namespace vtps::telemetry
