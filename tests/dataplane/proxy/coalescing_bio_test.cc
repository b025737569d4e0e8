// The coalescing write BIO of decrypted legs (coalescing_bio.h) on Unix socketpairs: records
// wait for a flush, a full socket asks for a retry without losing or reordering bytes, a closed
// peer is an error, and OpenSSL's handshakes and records go through it unchanged.
#include "dataplane/proxy/coalescing_bio.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>

#include "crypto/ossl.h"
#include "tests/crypto/accel/tls_test_peer.h"

namespace vtps::proxy {
namespace {

using ossl::BioPtr;

// A non-blocking socketpair: [0] is written through the BIO, [1] is the peer.
struct Pair {
  int fd[2] = {-1, -1};
  Pair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
    for (int f : fd)
      ::fcntl(f, F_SETFL, ::fcntl(f, F_GETFL) | O_NONBLOCK);
  }
  ~Pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  // Everything the peer can read now.
  std::string drainPeer() {
    std::string got;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd[1], buf, sizeof(buf), 0);
      if (n <= 0) return got;
      got.append(buf, static_cast<size_t>(n));
    }
  }
};

TEST(CoalescingBioTest, RecordsWaitForTheFlushAndLeaveTogether) {
  Pair p;
  BioPtr bio(newCoalescingBio(p.fd[0]));
  ASSERT_NE(bio, nullptr);
  EXPECT_EQ(BIO_write(bio.get(), "first,", 6), 6);
  EXPECT_EQ(BIO_write(bio.get(), "second", 6), 6);
  EXPECT_EQ(BIO_wpending(bio.get()), 12u);
  EXPECT_EQ(p.drainPeer(), "");  // nothing sent yet
  EXPECT_EQ(BIO_flush(bio.get()), 1);
  EXPECT_EQ(BIO_wpending(bio.get()), 0u);
  EXPECT_EQ(p.drainPeer(), "first,second");
  EXPECT_EQ(BIO_flush(bio.get()), 1);  // nothing to send is done at once
}

TEST(CoalescingBioTest, AFullBufferIsSentBeforeTheNextRecordIsTaken) {
  Pair p;
  BioPtr bio(newCoalescingBio(p.fd[0]));
  std::string record(16 * 1024, 'r');
  for (size_t sent = 0; sent + record.size() <= kCoalescingBioBytes; sent += record.size())
    ASSERT_EQ(BIO_write(bio.get(), record.data(), static_cast<int>(record.size())), 16 * 1024);
  EXPECT_EQ(p.drainPeer().size(), 0u);
  // The fifth record does not fit: the buffer goes to the socket first.
  ASSERT_EQ(BIO_write(bio.get(), record.data(), static_cast<int>(record.size())), 16 * 1024);
  EXPECT_EQ(BIO_wpending(bio.get()), 16u * 1024);
  EXPECT_EQ(p.drainPeer().size(), kCoalescingBioBytes);
}

TEST(CoalescingBioTest, AFullSocketAsksForARetryAndKeepsEveryByteInOrder) {
  Pair p;
  int small = 4096;
  ASSERT_EQ(::setsockopt(p.fd[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
  BioPtr bio(newCoalescingBio(p.fd[0]));
  std::string accepted;
  bool retried = false;
  for (int i = 0; i < 1000 && !retried; ++i) {
    std::string chunk(1000, static_cast<char>('a' + i % 26));
    int n = BIO_write(bio.get(), chunk.data(), static_cast<int>(chunk.size()));
    if (n < 0) {
      EXPECT_TRUE(BIO_should_retry(bio.get()));
      EXPECT_TRUE(BIO_should_write(bio.get()));
      retried = true;
      break;
    }
    ASSERT_EQ(n, 1000);  // all of a record or nothing
    accepted += chunk;
  }
  ASSERT_TRUE(retried) << "the socket never filled";
  std::string received;
  for (int round = 0; round < 10000 && BIO_wpending(bio.get()) > 0; ++round) {
    int rc = BIO_flush(bio.get());
    if (rc != 1) {
      EXPECT_TRUE(BIO_should_retry(bio.get()));
    }
    received += p.drainPeer();
  }
  received += p.drainPeer();
  EXPECT_EQ(BIO_wpending(bio.get()), 0u);
  EXPECT_EQ(received, accepted);
}

TEST(CoalescingBioTest, AClosedPeerIsAnErrorNotARetry) {
  Pair p;
  BioPtr bio(newCoalescingBio(p.fd[0]));
  ::close(p.fd[1]);
  p.fd[1] = -1;
  ASSERT_EQ(BIO_write(bio.get(), "lost", 4), 4);
  errno = 0;
  EXPECT_LE(BIO_flush(bio.get()), 0);
  EXPECT_FALSE(BIO_should_retry(bio.get()));
  EXPECT_EQ(errno, EPIPE);
}

// OpenSSL flushes its handshake flights itself; the application's records leave on its flush.
TEST(CoalescingBioTest, TlsHandshakeAndRecordsGoThroughIt) {
  Pair p;
  auto id = accel::testing::makeSelfSigned();
  ossl::SslCtxPtr server_ctx(SSL_CTX_new(TLS_server_method()));
  ossl::SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  ASSERT_EQ(SSL_CTX_use_certificate(server_ctx.get(), id.cert.get()), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(server_ctx.get(), id.key.get()), 1);
  ossl::SslPtr server(SSL_new(server_ctx.get()));
  ossl::SslPtr client(SSL_new(client_ctx.get()));
  SSL_set_bio(server.get(), BIO_new_socket(p.fd[0], BIO_NOCLOSE), newCoalescingBio(p.fd[0]));
  SSL_set_bio(client.get(), BIO_new_socket(p.fd[1], BIO_NOCLOSE), newCoalescingBio(p.fd[1]));
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());
  bool server_done = false, client_done = false;
  for (int round = 0; round < 100 && !(server_done && client_done); ++round) {
    if (!client_done) {
      int rc = SSL_do_handshake(client.get());
      client_done = rc == 1;
      if (rc != 1) {
        ASSERT_EQ(SSL_get_error(client.get(), rc), SSL_ERROR_WANT_READ);
      }
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server.get());
      server_done = rc == 1;
      if (rc != 1) {
        ASSERT_EQ(SSL_get_error(server.get(), rc), SSL_ERROR_WANT_READ);
      }
    }
  }
  ASSERT_TRUE(server_done && client_done);
  EXPECT_EQ(SSL_version(client.get()), TLS1_3_VERSION);

  std::string body;
  for (int i = 0; i < 100 * 1024; ++i)
    body += static_cast<char>('0' + i % 10);
  std::string got;
  size_t offset = 0;
  char buf[16384];
  for (int round = 0; round < 10000 && got.size() < body.size(); ++round) {
    while (offset < body.size()) {
      int n = SSL_write(client.get(), body.data() + offset,
                        static_cast<int>(std::min<size_t>(body.size() - offset, 5000)));
      if (n <= 0) {
        ASSERT_EQ(SSL_get_error(client.get(), n), SSL_ERROR_WANT_WRITE);
        break;
      }
      offset += static_cast<size_t>(n);
    }
    BIO_flush(SSL_get_wbio(client.get()));
    for (;;) {
      int n = SSL_read(server.get(), buf, sizeof(buf));
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
  }
  EXPECT_EQ(got, body);
  EXPECT_EQ(BIO_wpending(SSL_get_wbio(client.get())), 0u);
}

}  // namespace
}  // namespace vtps::proxy
