// Drives a client SSL and a server SSL against each other over an in-memory BIO pair, on one
// thread, so handshake tests need no sockets.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "crypto/ossl.h"
#include "crypto/tls/tls_options.h"

namespace vtps::tls::testing {

struct SideResult {
  bool done = false;       // SSL_do_handshake returned 1
  bool failed = false;     // it failed with a fatal error
  unsigned long code = 0;  // first queued OpenSSL error when it failed  NOLINT(runtime/int)
  int reason = 0;          // ERR_GET_REASON(code)
  std::string error;       // the whole queue, for test failure messages
};

struct HandshakeResult {
  SideResult client;
  SideResult server;
  bool ok() const { return client.done && server.done; }
  std::string describe() const;
};

// Connects `client` and `server` (both already in connect / accept state) with a BIO pair.
void link(SSL* client, SSL* server);
// link() + handshake until both sides finished or one failed and the other has no more to do.
HandshakeResult handshake(SSL* client, SSL* server);
// One SSL_read on `ssl` after the handshake (lets a TLS 1.3 client see a post-handshake alert);
// returns SSL_get_error's code, and the first queued OpenSSL error in `error`.
int readOnce(SSL* ssl, unsigned long& error);  // NOLINT(runtime/int)

// Renegotiation started by `initiator` on an established TLS 1.2 pair, `responder` reading.
// Returns 0 when it completed, else the initiator's error reason (SSL_R_NO_RENEGOTIATION when
// the responder refused); -1 if it could not start, -2 if it never settled.
int renegotiate(SSL* initiator, SSL* responder);

// A plain OpenSSL client (no verification) to probe server contexts with. Security level 0 so
// the probe itself never limits which versions and suites the server can show.
struct RawClient {
  explicit RawClient(TlsVersion min = TlsVersion::kTls10, TlsVersion max = TlsVersion::kTls13);
  // Restricts the offered suites (OpenSSL names; TLS 1.3 and older lists separately).
  void offerOnly(const char* tls12, const char* tls13) const;
  // A connect-state session sending `sni` (nullptr: none) and offering `alpn` (none if empty).
  ossl::SslPtr session(const char* sni = nullptr,
                       std::initializer_list<std::string_view> alpn = {}) const;

  ossl::SslCtxPtr ctx;
};

}  // namespace vtps::tls::testing
