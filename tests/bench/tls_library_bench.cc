// What one TLS 1.3 handshake costs each side in a TLS library, without sockets: a server and a
// client SSL joined by a memory BIO pair, an ECDSA P-256 server certificate, X25519 then P-256
// (the key share is X25519 in every library, as vtps sets it; OpenSSL 3.5's default would add a
// hybrid post-quantum share), TLS_AES_128_GCM_SHA256, the server's session tickets read by the
// client as a proxy's client would. CPU time of the thread (CLOCK_THREAD_CPUTIME_ID) spent inside
// each side's calls, freeing the SSL included. Two series: full handshakes (the client offers no
// session), then handshakes that resume the newest ticket the client got (PSK with X25519, as
// vtpsd's upstream leg resumes), each one checked to have resumed.
//
// Built by tests/bench/run_tls_library_bench.sh once per library (OpenSSL 3.0; BoringSSL from
// Debian's android-libboringssl-dev when installed; Debian 13's OpenSSL 3.5 when
// build_openssl_trixie.sh has built it), from this one source: only the common libssl API is used.
// Not part of the CMake build, which links OpenSSL only.
//   tls_library_bench CERT KEY HANDSHAKES
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace {

// The newest session ticket the client received (the new-session callback works the same way in
// OpenSSL and BoringSSL, where a TLS 1.3 ticket comes only after the handshake).
SSL_SESSION* latest_ticket = nullptr;

int keepTicket(SSL*, SSL_SESSION* session) {
  if (latest_ticket != nullptr) SSL_SESSION_free(latest_ticket);
  latest_ticket = session;
  return 1;  // the reference is ours
}

double threadSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct Costs {
  double server = 0;
  double client = 0;
  const char* cipher = "";  // the suite the first handshake agreed on
};

// One handshake and the first record after it; false when it did not complete, or when `resume`
// was asked for and the handshake did not resume the newest ticket.
bool handshake(SSL_CTX* sctx, SSL_CTX* cctx, bool resume, Costs& costs) {
  SSL* s = SSL_new(sctx);
  SSL* c = SSL_new(cctx);
  BIO* bs = nullptr;
  BIO* bc = nullptr;
  if (s == nullptr || c == nullptr || BIO_new_bio_pair(&bs, 0, &bc, 0) != 1) return false;
  if (resume) {
    double t0 = threadSeconds();
    bool set = latest_ticket != nullptr && SSL_set_session(c, latest_ticket) == 1;
    costs.client += threadSeconds() - t0;
    if (!set) return false;
  }
  SSL_set_bio(s, bs, bs);
  SSL_set_bio(c, bc, bc);
  SSL_set_accept_state(s);
  SSL_set_connect_state(c);
  SSL_set_tlsext_host_name(c, "bench.test");
  bool server_done = false;
  bool client_done = false;
  for (int flight = 0; flight < 20 && !(server_done && client_done); ++flight) {
    double t0 = threadSeconds();
    if (!client_done) client_done = SSL_do_handshake(c) == 1;
    double t1 = threadSeconds();
    if (!server_done) server_done = SSL_do_handshake(s) == 1;
    double t2 = threadSeconds();
    costs.client += t1 - t0;
    costs.server += t2 - t1;
  }
  bool ok = server_done && client_done && (!resume || SSL_session_reused(c) == 1);
  if (ok && costs.cipher[0] == '\0') costs.cipher = SSL_get_cipher_name(s);
  // The server's first record; the client reads it, and the session tickets before it.
  char byte = 'x';
  double t0 = threadSeconds();
  ok = ok && SSL_write(s, &byte, 1) == 1;
  double t1 = threadSeconds();
  ok = ok && SSL_read(c, &byte, 1) == 1;
  double t2 = threadSeconds();
  SSL_free(s);
  double t3 = threadSeconds();
  // As if the connection had closed cleanly: OpenSSL marks the session of an SSL freed without
  // a shutdown as not resumable, and that session is the newest ticket.
  SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(c);
  double t4 = threadSeconds();
  costs.server += (t1 - t0) + (t3 - t2);
  costs.client += (t2 - t1) + (t4 - t3);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tls_library_bench CERT KEY HANDSHAKES\n");
    return 2;
  }
  int n = std::atoi(argv[3]);
  SSL_CTX* sctx = SSL_CTX_new(TLS_method());
  SSL_CTX* cctx = SSL_CTX_new(TLS_method());
  if (sctx == nullptr || cctx == nullptr || n <= 0 ||
      SSL_CTX_set_min_proto_version(sctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set1_curves_list(sctx, "X25519:P-256") != 1 ||
      SSL_CTX_set1_curves_list(cctx, "X25519:P-256") != 1 ||
      SSL_CTX_use_certificate_chain_file(sctx, argv[1]) != 1 ||
      SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  // The client keeps tickets only through the callback (no internal cache to search).
  SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(cctx, keepTicket);
#ifndef OPENSSL_IS_BORINGSSL
  // BoringSSL's TLS 1.3 suites are fixed, and with AES hardware it picks AES-128-GCM-SHA256;
  // OpenSSL would pick AES-256-GCM-SHA384. The same suite on both sides of the comparison.
  if (SSL_CTX_set_ciphersuites(sctx, "TLS_AES_128_GCM_SHA256") != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
#endif
  Costs full;
  Costs resumed;
  for (int pass = 0; pass < 2; ++pass) {
    Costs& costs = pass == 0 ? full : resumed;
    for (int i = 0; i < n; ++i) {
      if (!handshake(sctx, cctx, pass == 1, costs)) {
        std::fprintf(stderr, "tls_library_bench: %s handshake %d failed\n",
                     pass == 0 ? "full" : "resumed", i);
        ERR_print_errors_fp(stderr);
        return 1;
      }
    }
  }
  std::printf("%s: %d TLS 1.3 handshakes (%s), server %.1f us, client %.1f us of CPU each\n",
              OpenSSL_version(OPENSSL_VERSION), n, full.cipher, full.server / n * 1e6,
              full.client / n * 1e6);
  std::printf(
      "%s: %d resumed TLS 1.3 handshakes (%s), resumed-server %.1f us, resumed-client "
      "%.1f us of CPU each\n",
      OpenSSL_version(OPENSSL_VERSION), n, resumed.cipher, resumed.server / n * 1e6,
      resumed.client / n * 1e6);
  if (latest_ticket != nullptr) SSL_SESSION_free(latest_ticket);
  SSL_CTX_free(sctx);
  SSL_CTX_free(cctx);
  return 0;
}
