#include "appliance/mgmt/rest_server.h"

#include <httplib.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "appliance/mgmt/state_paths.h"
#include "crypto/file_util.h"
#include "crypto/ossl.h"

namespace vtps::mgmt {
namespace {

constexpr int kCertificateDays = 825;
constexpr std::size_t kMaxRequestBytes = 16 * 1024 * 1024;

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

Status addExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ossl::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return ossl::error("management certificate: extension " + std::string(OBJ_nid2sn(nid)));
  }
  return {};
}

Result<std::string> pemOf(const std::function<int(BIO*)>& write, std::string_view what) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1)
    return ossl::error("management certificate: write " + std::string(what));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed P-256 server certificate (CA:FALSE, serverAuth) for this host.
Status generateCertificate(const std::string& cert_file, const std::string& key_file) {
  ossl::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ossl::error("management certificate: generate P-256 key");
  ossl::X509Ptr cert(X509_new());
  if (!cert) return ossl::error("management certificate: X509_new");
  const std::string host = hostName();
  X509_set_version(cert.get(), 2);
  ossl::BignumPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return ossl::error("management certificate: serial");
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * kCertificateDays);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("vtps"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  VTPS_RETURN_IF_ERROR(addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  VTPS_RETURN_IF_ERROR(addExtension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  VTPS_RETURN_IF_ERROR(addExtension(cert.get(), NID_ext_key_usage, "serverAuth"));
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (host != "localhost") san = "DNS:" + host + "," + san;
  VTPS_RETURN_IF_ERROR(addExtension(cert.get(), NID_subject_alt_name, san));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return ossl::error("management certificate: sign");
  }
  auto key_pem = pemOf(
      [&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      },
      "key");
  if (!key_pem.ok()) return key_pem.error();
  auto cert_pem = pemOf([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); }, "certificate");
  if (!cert_pem.ok()) return cert_pem.error();
  Status st = crypto::writeFileAtomic(key_file, *key_pem, 0600);
  ossl::cleanse(*key_pem);
  VTPS_RETURN_IF_ERROR(st);
  return crypto::writeFileAtomic(cert_file, *cert_pem, 0644);
}

int protocolVersion(config::TlsVersion v) {
  switch (v) {
    case config::TlsVersion::kTls10:
      return TLS1_VERSION;
    case config::TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case config::TlsVersion::kTls13:
      return TLS1_3_VERSION;
    default:
      return TLS1_2_VERSION;
  }
}

RestRequest toRestRequest(const httplib::Request& r) {
  RestRequest out;
  out.method = r.method;
  out.path = r.path;
  for (const auto& [k, v] : r.params)
    out.query.emplace(k, v);
  out.body = r.body;
  out.authorization = r.get_header_value("Authorization");
  out.peer = r.remote_addr + ":" + std::to_string(r.remote_port);
  return out;
}

}  // namespace

Result<bool> ensureManagementCertificate(const std::string& state_dir) {
  if (::mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return makeError("management: create state directory " + state_dir + ": " +
                     crypto::errnoText(errno));
  }
  std::error_code ec;
  const std::string cert = managementCertFile(state_dir);
  const std::string key = managementKeyFile(state_dir);
  if (std::filesystem::exists(cert, ec) && std::filesystem::exists(key, ec)) return false;
  VTPS_RETURN_IF_ERROR(generateCertificate(cert, key));
  return true;
}

namespace {

// Every handshake serves the management certificate as the files hold it now, so that a
// replacement (PUT /api/v1/device/management-certificate, or new files written by hand) takes
// effect without a restart. A pair that does not load or does not match — a replacement half
// written — leaves the pair loaded at start in place for that handshake.
int serveCurrentCertificate(SSL* ssl, void* arg) {
  const auto& state_dir = *static_cast<const std::string*>(arg);
  auto cert_pem = crypto::readFile(managementCertFile(state_dir));
  auto key_pem = crypto::readFile(managementKeyFile(state_dir));
  if (!cert_pem.ok() || !key_pem.ok()) return 1;
  ossl::BioPtr key_bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  ossl::EvpPkeyPtr key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)
                               : nullptr);
  ossl::cleanse(*key_pem);
  ossl::BioPtr bio(BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size())));
  ossl::X509Ptr leaf(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ossl::X509StackPtr chain(sk_X509_new_null());
  while (bio && chain) {
    ossl::X509Ptr next(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!next || sk_X509_push(chain.get(), next.get()) == 0) break;
    (void)next.release();  // owned by the stack now
  }
  const bool usable = key && leaf && chain && X509_check_private_key(leaf.get(), key.get()) == 1 &&
                      SSL_use_cert_and_key(ssl, leaf.get(), key.get(), chain.get(), 1) == 1;
  (void)usable;       // not usable: the pair loaded at start serves this handshake
  ERR_clear_error();  // the end of the PEM file, or the unusable pair, left errors queued
  return 1;
}

}  // namespace

class RestServer::Impl {
 public:
  Impl(RestServerOptions options, ControlCall control)
      : options_(std::move(options)),
        api_(RestApiOptions{usersFile(options_.state_dir), options_.log_dir, options_.state_dir},
             std::move(control)) {}
  ~Impl() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  Status start();

  RestServerOptions options_;
  RestApi api_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;

 private:
  Status configureTls(SSL_CTX& ctx) const;
  void serve(const httplib::Request& request, httplib::Response& response) const {
    RestResponse r = api_.handle(toRestRequest(request));
    response.status = r.status;
    response.set_content(r.body, r.content_type.c_str());
  }
};

Status RestServer::Impl::configureTls(SSL_CTX& ctx) const {
  const int min_version = protocolVersion(options_.min_tls);
  // TLS 1.0 and 1.1 sign with SHA-1, which OpenSSL's default security level refuses: allowing
  // them (only when the config asks) needs level 0.
  if (min_version < TLS1_2_VERSION) SSL_CTX_set_security_level(&ctx, 0);
  if (SSL_CTX_set_min_proto_version(&ctx, min_version) != 1) {
    return ossl::error("management: TLS setup: minimum version");
  }
  const std::string cert = managementCertFile(options_.state_dir);
  const std::string key = managementKeyFile(options_.state_dir);
  if (SSL_CTX_use_certificate_chain_file(&ctx, cert.c_str()) != 1) {
    return ossl::error("management: TLS setup: certificate " + cert);
  }
  if (SSL_CTX_use_PrivateKey_file(&ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1) {
    return ossl::error("management: TLS setup: key " + key);
  }
  SSL_CTX_set_cert_cb(&ctx, serveCurrentCertificate, const_cast<std::string*>(&options_.state_dir));
  return {};
}

Status RestServer::Impl::start() {
  const std::string& listen = options_.listen;
  std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return makeError("management: listen address \"" + listen + "\": expected HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return makeError("management: listen address \"" + listen + "\": bad port");
  }
  auto made = ensureManagementCertificate(options_.state_dir);
  if (!made.ok()) return made.error();
  Status tls;
  server_ = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    tls = configureTls(ctx);
    return tls.ok();
  });
  if (!tls.ok()) return tls;
  if (!server_->is_valid()) return makeError("management: TLS setup failed");
  const int threads = std::max(1, options_.threads);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(kMaxRequestBytes);
  server_->set_read_timeout(10, 0);
  server_->set_socket_options([](int sock) {
    int on = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  });
  auto handler = [this](const httplib::Request& q, httplib::Response& r) { serve(q, r); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Delete(".*", handler);
  errno = 0;
  int port = std::stoi(port_text);
  if (port == 0) {
    port = server_->bind_to_any_port(host);
  } else if (!server_->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return makeError("management: cannot listen on " + listen + ": " +
                     (errno != 0 ? std::strerror(errno) : "bind failed"));
  }
  port_ = static_cast<uint16_t>(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 2000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return {};
}

RestServer::RestServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestServer::~RestServer() = default;

Result<std::unique_ptr<RestServer>> RestServer::create(RestServerOptions options,
                                                       ControlCall control) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(control));
  VTPS_RETURN_IF_ERROR(impl->start());
  return std::unique_ptr<RestServer>(new RestServer(std::move(impl)));
}

uint16_t RestServer::port() const {
  return impl_->port_;
}

}  // namespace vtps::mgmt
