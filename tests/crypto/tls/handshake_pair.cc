#include "tests/crypto/tls/handshake_pair.h"

#include <openssl/err.h>

#include "crypto/tls/tls_names.h"

namespace vtps::tls::testing {
namespace {

void step(SSL* ssl, SideResult& side) {
  if (side.done || side.failed) return;
  const int r = SSL_do_handshake(ssl);
  if (r == 1) {
    side.done = true;
    return;
  }
  const int e = SSL_get_error(ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
  side.failed = true;
  side.code = ERR_peek_error();
  side.reason = ERR_GET_REASON(side.code);
  side.error = ossl::drainErrors();
}

}  // namespace

std::string HandshakeResult::describe() const {
  return "client: " +
         std::string(client.done     ? "done"
                     : client.failed ? "failed"
                                     : "pending") +
         " " + client.error + "; server: " +
         (server.done     ? "done"
          : server.failed ? "failed"
                          : "pending") +
         " " + server.error;
}

void link(SSL* client, SSL* server) {
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
}

HandshakeResult handshake(SSL* client, SSL* server) {
  link(client, server);
  HandshakeResult result;
  for (int round = 0; round < 32; ++round) {
    step(client, result.client);
    step(server, result.server);
    const bool client_settled = result.client.done || result.client.failed;
    const bool server_settled = result.server.done || result.server.failed;
    if (client_settled && server_settled) break;
  }
  return result;
}

int readOnce(SSL* ssl, unsigned long& error) {  // NOLINT(runtime/int)
  char buf[64];
  const int r = SSL_read(ssl, buf, sizeof(buf));
  const int e = SSL_get_error(ssl, r);
  error = ERR_peek_error();
  ossl::drainErrors();
  return e;
}

int renegotiate(SSL* initiator, SSL* responder) {
  if (SSL_renegotiate(initiator) != 1) return -1;
  const auto failure = [](SSL* ssl, int r) {
    if (r > 0 || SSL_get_error(ssl, r) != SSL_ERROR_SSL) return 0;
    const int reason = ERR_GET_REASON(ERR_peek_error());
    ossl::drainErrors();
    return reason != 0 ? reason : -3;
  };
  char buf[16];
  for (int round = 0; round < 16; ++round) {
    const int r = SSL_do_handshake(initiator);
    if (const int reason = failure(initiator, r)) return reason;
    if (r == 1 && SSL_renegotiate_pending(initiator) == 0) return 0;
    // Handshake records arriving after the first flight are handled inside reads, on both ends.
    if (const int reason = failure(initiator, SSL_read(initiator, buf, sizeof(buf)))) {
      return reason;
    }
    SSL_read(responder, buf, sizeof(buf));
    ossl::drainErrors();
  }
  return -2;
}

RawClient::RawClient(TlsVersion min, TlsVersion max) : ctx(SSL_CTX_new(TLS_client_method())) {
  SSL_CTX_set_min_proto_version(ctx.get(), opensslVersion(min));
  SSL_CTX_set_max_proto_version(ctx.get(), opensslVersion(max));
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
}

void RawClient::offerOnly(const char* tls12, const char* tls13) const {
  if (tls12 != nullptr) SSL_CTX_set_cipher_list(ctx.get(), tls12);
  if (tls13 != nullptr) SSL_CTX_set_ciphersuites(ctx.get(), tls13);
}

ossl::SslPtr RawClient::session(const char* sni,
                                std::initializer_list<std::string_view> alpn) const {
  ossl::SslPtr ssl(SSL_new(ctx.get()));
  SSL_set_connect_state(ssl.get());
  if (sni != nullptr) SSL_set_tlsext_host_name(ssl.get(), sni);
  std::string wire;
  for (auto p : alpn) {
    wire += static_cast<char>(p.size());
    wire += p;
  }
  if (!wire.empty()) {
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned int>(wire.size()));
  }
  return ssl;
}

}  // namespace vtps::tls::testing
