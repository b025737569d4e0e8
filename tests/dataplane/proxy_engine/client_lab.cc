#include "tests/dataplane/proxy_engine/client_lab.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>

#include "tests/crypto/mint/test_pki.h"

namespace vtps::proxy::testing {
namespace {

using testpki::CertSpec;
using testpki::KeyKind;

OriginCert makeLeaf(const std::string& cn, std::vector<std::string> dns, ossl::EvpPkeyPtr key,
                    const OriginCert* issuer, int64_t not_before_s = -3600,
                    int64_t not_after_s = 30 * 86400) {
  CertSpec spec;
  spec.subject = {{"CN", cn}};
  spec.dns = std::move(dns);
  spec.not_before_s = not_before_s;
  spec.not_after_s = not_after_s;
  OriginCert out;
  out.cert = testpki::issueCert(spec, key.get(), issuer ? issuer->cert.get() : nullptr,
                                issuer ? issuer->key.get() : nullptr);
  out.key = std::move(key);
  return out;
}

std::string nameCn(const X509_NAME* name) {
  char cn[256] = {};
  X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof cn);
  return cn;
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

int acceptAnyClientCertificate(int, X509_STORE_CTX*) {
  return 1;
}

// A pinning client: the chain must verify against its own anchors; anything else is refused with
// no X509 error recorded, which OpenSSL reports to the server as certificate_unknown (46).
int pinnedVerify(X509_STORE_CTX* ctx, void*) {
  if (X509_verify_cert(ctx) == 1) return 1;
  X509_STORE_CTX_set_error(ctx, X509_V_OK);
  return 0;
}

sockaddr_in serverEndpoint() {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(kTlsPort);
  ::inet_pton(AF_INET, kServerIp, &sa.sin_addr);
  return sa;
}

}  // namespace

ClientPki::ClientPki() {
  testpki::TestCa ca = testpki::makeCa(kPublicCaName, KeyKind::kEcP256);
  public_ca_.cert = std::move(ca.cert);
  public_ca_.key = std::move(ca.key);
  good_ = makeLeaf("trusted.test",
                   {"trusted.test", "excluded.test", "a.wild.test", "policy.test", "www.bank.test",
                    "online.bank.test", "pinned.test", "h2.test", "mtls.test"},
                   testpki::newKey(KeyKind::kEcP256), &public_ca_);
  special_.emplace("expired.test",
                   makeLeaf("expired.test", {"expired.test"}, testpki::newKey(KeyKind::kEcP256),
                            &public_ca_, -10 * 86400, -86400));
  special_.emplace("selfsigned.test", makeLeaf("selfsigned.test", {"selfsigned.test"},
                                               testpki::newKey(KeyKind::kEcP256), nullptr));
  special_.emplace("wronghost.test", makeLeaf("other.test", {"other.test"},
                                              testpki::newKey(KeyKind::kEcP256), &public_ca_));
  special_.emplace("rsa1024.test", makeLeaf("rsa1024.test", {"rsa1024.test"},
                                            ossl::EvpPkeyPtr(EVP_RSA_gen(1024)), &public_ca_));
}

std::string ClientPki::publicCaPem() const {
  return testpki::toPem(public_ca_.cert.get());
}

const OriginCert& ClientPki::forHost(const std::string& sni) const {
  auto it = special_.find(sni);
  return it == special_.end() ? good_ : it->second;
}

SniOrigin::SniOrigin(const NetnsLab& lab, const ClientPki& pki)
    : pki_(pki), ctx_(SSL_CTX_new(TLS_server_method())) {
  // The RSA-1024 host must be servable at all.
  SSL_CTX_set_security_level(ctx_.get(), 0);
  const OriginCert& def = pki.forHost("");
  if (SSL_CTX_use_certificate(ctx_.get(), def.cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx_.get(), def.key.get()) != 1) {
    return;
  }
  SSL_CTX_set_tlsext_servername_callback(ctx_.get(), onServerName);
  SSL_CTX_set_tlsext_servername_arg(ctx_.get(), this);
  SSL_CTX_set_alpn_select_cb(ctx_.get(), selectH2First, nullptr);
  listener_ = NetnsLab::socketIn(lab.server());
  int one = 1;
  ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa = serverEndpoint();
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(listener_.get(), 64) != 0) {
    listener_.reset();
    return;
  }
  acceptor_ = std::thread([this] { acceptLoop(); });
}

SniOrigin::~SniOrigin() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& t : threads_)
    t.join();
}

int SniOrigin::onServerName(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<SniOrigin*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const std::string sni = name != nullptr ? name : "";
  {
    std::lock_guard lock(self->mu_);
    self->snis_.push_back(sni);
  }
  const OriginCert& c = self->pki_.forHost(sni);
  // Only this host's certificate: a default of another key type would stay selectable.
  SSL_certs_clear(ssl);
  SSL_use_certificate(ssl, c.cert.get());
  SSL_use_PrivateKey(ssl, c.key.get());
  // Asks for a client certificate without requiring one, so the same origin serves the
  // proxy's attempt (which it refuses to inspect) and, once excluded, the client itself.
  if (sni == "mtls.test") SSL_set_verify(ssl, SSL_VERIFY_PEER, acceptAnyClientCertificate);
  return SSL_TLSEXT_ERR_OK;
}

void SniOrigin::acceptLoop() {
  while (!stop_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) continue;
    ++accepted_;
    threads_.emplace_back([this, f = std::move(fd)]() mutable { serve(std::move(f)); });
  }
}

std::vector<std::string> SniOrigin::snis() {
  std::lock_guard lock(mu_);
  return snis_;
}

void SniOrigin::serve(UniqueFd fd) {
  timeval tv{0, 200000};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ossl::SslPtr ssl(SSL_new(ctx_.get()));
  SSL_set_fd(ssl.get(), fd.get());
  int rc;
  while ((rc = SSL_accept(ssl.get())) != 1) {
    if (stop_ || SSL_get_error(ssl.get(), rc) != SSL_ERROR_WANT_READ) {
      ERR_clear_error();
      return;
    }
  }
  char buffer[16384];
  while (!stop_) {
    int n = SSL_read(ssl.get(), buffer, sizeof buffer);
    if (n > 0) {
      if (SSL_write(ssl.get(), buffer, n) != n) break;
      continue;
    }
    if (SSL_get_error(ssl.get(), n) == SSL_ERROR_WANT_READ) continue;
    break;
  }
  ERR_clear_error();
}

Probe::Probe(const NetnsLab& lab, const Options& options)
    : fd_(NetnsLab::socketIn(lab.client())), ctx_(SSL_CTX_new(TLS_client_method())) {
  timeval tv{5, 0};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx_.get());
  for (X509* anchor : options.anchors)
    X509_STORE_add_cert(store, anchor);
  if (options.pinned) {
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_cert_verify_callback(ctx_.get(), pinnedVerify, nullptr);
  }
  sockaddr_in sa = serverEndpoint();
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    error_ = std::string("connect: ") + strerror(errno);
    return;
  }
  ssl_.reset(SSL_new(ctx_.get()));
  SSL_set_fd(ssl_.get(), fd_.get());
  if (!options.sni.empty()) {
    SSL_set_tlsext_host_name(ssl_.get(), options.sni.c_str());
    SSL_set1_host(ssl_.get(), options.sni.c_str());
  }
  if (!options.alpn.empty()) {
    std::string wire;
    for (const auto& p : options.alpn)
      wire += static_cast<char>(p.size()) + p;
    SSL_set_alpn_protos(ssl_.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  }
  errno = 0;
  if (SSL_connect(ssl_.get()) != 1) {
    const int saved = errno;
    error_ = "SSL_connect: " + ossl::drainErrors();
    if (saved != 0) error_ += std::string(" (") + strerror(saved) + ")";
    return;
  }
  connected_ = true;
}

std::string Probe::issuerCn() const {
  const X509* cert = ssl_ ? SSL_get0_peer_certificate(ssl_.get()) : nullptr;
  return cert ? nameCn(X509_get_issuer_name(cert)) : std::string();
}

std::string Probe::subjectCn() const {
  const X509* cert = ssl_ ? SSL_get0_peer_certificate(ssl_.get()) : nullptr;
  return cert ? nameCn(X509_get_subject_name(cert)) : std::string();
}

std::string Probe::alpn() const {
  const unsigned char* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

bool Probe::verified() const {
  return connected_ && SSL_get_verify_result(ssl_.get()) == X509_V_OK;
}

std::string Probe::roundTrip(const std::string& data) {
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

}  // namespace vtps::proxy::testing
