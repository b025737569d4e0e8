// Full TLS 1.2 and 1.3 sessions with AES-GCM suites where one side's library context prefers the
// vtps-ipsecmb provider: in memory against plain OpenSSL, and on loopback against the openssl
// command-line tool (s_server and s_client), which runs OpenSSL's default implementation.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include "crypto/accel/ipsecmb_provider.h"
#include "tls_test_peer.h"

namespace vtps::accel::testing {
namespace {

struct Suite {
  int version;
  const char* name;  // OpenSSL's name, as SSL_get_cipher_name reports it
};

const Suite kSuites[] = {
    {TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256"},
    {TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384"},
};

std::string testData(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s)
    c = static_cast<char>(rng());
  return s;
}

// Provider-side library context: provider loaded and preferred. Plain side: default context.
class AccelTls {
 public:
  explicit AccelTls(bool prefer = true) : libctx_(OSSL_LIB_CTX_new()), id_(makeSelfSigned()) {
    EXPECT_TRUE(loadIpsecMbProvider(libctx_.get()).ok());
    if (prefer) {
      EXPECT_TRUE(preferIpsecMbProvider(libctx_.get()).ok());
    }
  }

  ~AccelTls() { unloadIpsecMbProvider(libctx_.get()); }
  AccelTls(const AccelTls&) = delete;
  AccelTls& operator=(const AccelTls&) = delete;

  ossl::SslCtxPtr context(bool accelerated, bool server, const Suite& suite) const {
    OSSL_LIB_CTX* libctx = accelerated ? libctx_.get() : nullptr;
    ossl::SslCtxPtr ctx(
        SSL_CTX_new_ex(libctx, nullptr, server ? TLS_server_method() : TLS_client_method()));
    SSL_CTX_set_min_proto_version(ctx.get(), suite.version);
    SSL_CTX_set_max_proto_version(ctx.get(), suite.version);
    bool ok = suite.version == TLS1_3_VERSION ? SSL_CTX_set_ciphersuites(ctx.get(), suite.name)
                                              : SSL_CTX_set_cipher_list(ctx.get(), suite.name);
    EXPECT_TRUE(ok) << suite.name;
    if (server) {
      EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), id_.cert.get()), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), id_.key.get()), 1);
    } else {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), id_.cert.get());
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    }
    return ctx;
  }
  const TestIdentity& identity() const { return id_; }

 private:
  ossl::OsslLibCtxPtr libctx_;
  TestIdentity id_;
};

struct Delta {
  IpsecMbCounters before = ipsecMbCounters();
  IpsecMbCounters now() const {
    IpsecMbCounters a = ipsecMbCounters();
    return {a.contexts - before.contexts, a.bytesSealed - before.bytesSealed,
            a.bytesOpened - before.bytesOpened, a.tlsRecords - before.tlsRecords,
            a.tagFailures - before.tagFailures};
  }
};

class InMemoryTlsTest : public ::testing::TestWithParam<std::tuple<Suite, bool>> {};

TEST_P(InMemoryTlsTest, SessionRunsThroughTheProviderOnOneSide) {
  const auto& [suite, provider_on_server] = GetParam();
  constexpr size_t kBytes = 300000;
  Delta delta;
  {
    AccelTls tls;
    ossl::SslCtxPtr server_ctx = tls.context(provider_on_server, true, suite);
    ossl::SslCtxPtr client_ctx = tls.context(!provider_on_server, false, suite);
    ossl::SslPtr server(SSL_new(server_ctx.get())), client(SSL_new(client_ctx.get()));
    ASSERT_TRUE(handshakeInMemory(client.get(), server.get())) << ossl::drainErrors();
    EXPECT_EQ(SSL_version(client.get()), suite.version);
    EXPECT_STREQ(SSL_get_cipher_name(server.get()), suite.name);

    std::string up = testData(kBytes, 1), down = testData(kBytes, 2);
    EXPECT_TRUE(transferInMemory(client.get(), server.get(), up) == up);
    EXPECT_TRUE(transferInMemory(server.get(), client.get(), down) == down);
  }
  IpsecMbCounters d = delta.now();
  EXPECT_GE(d.contexts, 2u);  // read and write protection of the provider's side
  EXPECT_GE(d.bytesSealed, kBytes);
  EXPECT_GE(d.bytesOpened, kBytes);
  EXPECT_EQ(d.tagFailures, 0u);
  if (suite.version == TLS1_2_VERSION) {
    EXPECT_GT(d.tlsRecords, 2 * kBytes / 16384);
  } else {
    EXPECT_EQ(d.tlsRecords, 0u);  // TLS 1.3 uses the plain AEAD interface
  }
}

INSTANTIATE_TEST_SUITE_P(Suites, InMemoryTlsTest,
                         ::testing::Combine(::testing::ValuesIn(kSuites), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<Suite, bool>>& p) {
                           std::string name = std::get<0>(p.param).name;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name +
                                  (std::get<1>(p.param) ? "_ProviderServer" : "_ProviderClient");
                         });

TEST(InMemoryTlsControlTest, LoadedButNotPreferredLeavesTlsOnTheDefaultProvider) {
  Delta delta;
  {
    AccelTls tls(/*prefer=*/false);
    const Suite& suite = kSuites[3];
    ossl::SslCtxPtr server_ctx = tls.context(true, true, suite);
    ossl::SslCtxPtr client_ctx = tls.context(false, false, suite);
    ossl::SslPtr server(SSL_new(server_ctx.get())), client(SSL_new(client_ctx.get()));
    ASSERT_TRUE(handshakeInMemory(client.get(), server.get()));
    std::string up = testData(10000, 3);
    EXPECT_TRUE(transferInMemory(client.get(), server.get(), up) == up);
  }
  EXPECT_EQ(delta.now().contexts, 0u);
}

class OpensslToolTlsTest : public ::testing::TestWithParam<Suite> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vtps-accel-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    writePem(tls_.identity(), cert(), key());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }
  std::vector<std::string> suiteArgs(const Suite& s) const {
    if (s.version == TLS1_3_VERSION) return {"-tls1_3", "-ciphersuites", s.name};
    return {"-tls1_2", "-cipher", s.name};
  }

  AccelTls tls_;
  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

TEST_P(OpensslToolTlsTest, ProviderClientAgainstOpensslServer) {
  const Suite& suite = GetParam();
  std::vector<std::string> argv = {"openssl",  "s_server", "-accept", "127.0.0.1:0",
                                   "-cert",    cert(),     "-key",    key(),
                                   "-naccept", "1",        "-rev"};
  for (const std::string& a : suiteArgs(suite))
    argv.push_back(a);
  Delta delta;
  std::unique_ptr<ChildProcess> server = ChildProcess::spawn(argv);
  ASSERT_TRUE(server);
  uint16_t port = 0;
  for (std::string line; port == 0;) {
    line = server->readLine(std::chrono::seconds(10));
    ASSERT_FALSE(line.empty()) << "s_server did not report its port";
    if (line.rfind("ACCEPT 127.0.0.1:", 0) == 0)
      port = static_cast<uint16_t>(std::stoi(line.substr(17)));
  }
  {
    ossl::SslCtxPtr ctx = tls_.context(true, false, suite);
    ossl::SslPtr ssl(SSL_new(ctx.get()));
    int fd = connectLoopback(port);
    ASSERT_GE(fd, 0);
    SSL_set_fd(ssl.get(), fd);
    ASSERT_EQ(SSL_connect(ssl.get()), 1) << ossl::drainErrors();
    EXPECT_STREQ(SSL_get_cipher_name(ssl.get()), suite.name);
    // s_server -rev answers each line with the line reversed.
    std::string pending;
    char buf[16384];
    for (size_t len = 100; len < 10000; len += 700) {
      std::string line = testData(len, len);
      for (char& c : line)
        c = static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
      std::string msg = line + "\n";
      ASSERT_EQ(SSL_write(ssl.get(), msg.data(), static_cast<int>(msg.size())),
                static_cast<int>(msg.size()));
      while (pending.find('\n') == std::string::npos) {
        int n = SSL_read(ssl.get(), buf, sizeof(buf));
        ASSERT_GT(n, 0) << ossl::drainErrors();
        pending.append(buf, static_cast<size_t>(n));
      }
      std::string reply = pending.substr(0, pending.find('\n'));
      pending.erase(0, reply.size() + 1);
      EXPECT_EQ(reply, std::string(line.rbegin(), line.rend())) << "line of " << len;
    }
    ASSERT_EQ(SSL_write(ssl.get(), "CLOSE\n", 6), 6);
    SSL_shutdown(ssl.get());
    ssl.reset();
    ::close(fd);
  }
  EXPECT_EQ(server->wait(std::chrono::seconds(10)), 0);
  IpsecMbCounters d = delta.now();
  EXPECT_GE(d.bytesSealed, 70000u);
  EXPECT_GE(d.bytesOpened, 70000u);
  EXPECT_EQ(d.tagFailures, 0u);
}

TEST_P(OpensslToolTlsTest, ProviderServerAgainstOpensslClient) {
  const Suite& suite = GetParam();
  uint16_t port = 0;
  int listener = listenLoopback(&port);
  ASSERT_GE(listener, 0);
  const std::string upload = testData(200000, 4), response = testData(250000, 5);
  std::string received;
  Delta delta;
  std::thread server([&] {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ossl::SslCtxPtr ctx = tls_.context(true, true, suite);
    ossl::SslPtr ssl(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    if (SSL_accept(ssl.get()) == 1) {
      char buf[16384];
      while (received.size() < upload.size()) {
        int n = SSL_read(ssl.get(), buf, sizeof(buf));
        if (n <= 0) break;
        received.append(buf, static_cast<size_t>(n));
      }
      SSL_write(ssl.get(), response.data(), static_cast<int>(response.size()));
      SSL_shutdown(ssl.get());
    }
    ssl.reset();
    ::close(fd);
  });
  std::vector<std::string> argv = {"openssl",
                                   "s_client",
                                   "-connect",
                                   "127.0.0.1:" + std::to_string(port),
                                   "-CAfile",
                                   cert(),
                                   "-verify_return_error",
                                   "-verify_hostname",
                                   "localhost",
                                   "-quiet",
                                   "-nocommands"};
  for (const std::string& a : suiteArgs(suite))
    argv.push_back(a);
  std::unique_ptr<ChildProcess> client = ChildProcess::spawn(argv);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->writeStdin(upload));
  std::string output = client->readAll(std::chrono::seconds(20));
  server.join();
  ::close(listener);
  EXPECT_TRUE(received == upload) << "server received " << received.size() << " bytes";
  EXPECT_TRUE(output == response) << "client printed " << output.size() << " bytes";
  EXPECT_EQ(client->wait(std::chrono::seconds(10)), 0);
  IpsecMbCounters d = delta.now();
  EXPECT_GE(d.bytesOpened, upload.size());
  EXPECT_GE(d.bytesSealed, response.size());
}

INSTANTIATE_TEST_SUITE_P(Suites, OpensslToolTlsTest, ::testing::ValuesIn(kSuites),
                         [](const ::testing::TestParamInfo<Suite>& p) {
                           std::string name = p.param.name;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace vtps::accel::testing
