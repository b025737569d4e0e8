// NetnsLab: the engine tests' private network. Three namespaces joined by veth pairs, as the e2e
// topology in DESIGN.md (client 10.10.1.2 -> appliance 10.10.1.1 | 10.10.2.1 -> server
// 10.10.2.2), with TPROXY for 10.10.2.2:443 to the engine's port and policy routing in the
// appliance namespace. Names carry the test's pid so parallel runs never collide; everything is
// deleted by the destructor, also when a test fails.
//
// A socket belongs to the namespace it was created in, so tests create sockets inside a namespace
// (socketIn) and use them from any thread. Code that creates sockets on its own threads (the
// engine's workers) is started by a thread that entered the namespace (runIn).
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ossl.h"
#include "dataplane/proxy/proxy_engine.h"
#include "dataplane/proxy/unique_fd.h"

namespace vtps::proxy::testing {

inline constexpr const char* kClientIp = "10.10.1.2";
inline constexpr const char* kServerIp = "10.10.2.2";
inline constexpr uint16_t kTlsPort = 443;

char patternByte(size_t offset);

// Runs `command` with /bin/sh; returns its exit status and (merged) output.
int shell(const std::string& command, std::string* output = nullptr);

class NetnsLab {
 public:
  // Builds the namespaces and links. Returns an empty lab (ok() false, why() says why) when the
  // process may not (not root, no `ip`).
  NetnsLab();
  ~NetnsLab();
  bool ok() const { return ok_; }
  const std::string& why() const { return why_; }

  std::string client() const { return prefix_ + "c"; }
  std::string appliance() const { return prefix_ + "a"; }
  std::string server() const { return prefix_ + "s"; }

  // nft + ip rule/route in the appliance namespace sending 10.10.2.2:443 to 127.0.0.1:port.
  bool installTproxy(uint16_t port, std::string* error);
  // Runs `fn` on a thread that entered namespace `ns`, and waits for it.
  static void runIn(const std::string& ns, const std::function<void()>& fn);
  // A TCP socket created inside `ns`.
  static UniqueFd socketIn(const std::string& ns);

 private:
  std::string prefix_;
  bool ok_ = false;
  std::string why_;
};

// A self-signed certificate and key (PEM) made with the openssl command.
struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};
TestCert makeCert(const std::string& dir, const std::string& cn, const std::string& key_type);

// The origin server: TLS on 10.10.2.2:443 in the server namespace; echoes what it reads, except
// "SEND n", which it answers with n bytes of patternByte(). It selects "h2" when offered (so
// HTTP/2 reaches the origin unless the proxy downgrades).
class EchoOrigin {
 public:
  EchoOrigin(const NetnsLab& lab, const TestCert& cert);
  ~EchoOrigin();
  bool ok() const { return listener_.valid(); }
  std::vector<std::string> peers();  // client addresses seen, "a.b.c.d"
  int resetsSeen() const { return resets_.load(); }
  int accepted() const { return accepted_.load(); }
  // Waits until `n` connections ended with a reset, up to `timeout_ms`.
  bool waitResets(int n, int timeout_ms);

 private:
  void acceptLoop();
  void serve(UniqueFd fd);

  ossl::SslCtxPtr ctx_;
  UniqueFd listener_;
  std::atomic<bool> stop_{false};
  std::atomic<int> resets_{0};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::string> peers_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// A blocking TLS client in the client namespace towards 10.10.2.2:443 (5 s timeouts).
class TlsClient {
 public:
  TlsClient(const NetnsLab& lab, const std::string& sni, std::vector<std::string> alpn = {});
  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }
  std::string peerCommonName() const;
  std::string alpn() const;
  // Writes `data` and reads back as many bytes; returns what was read ("" on failure).
  std::string roundTrip(const std::string& data);
  bool write(const std::string& data);
  // Reads until `size` bytes arrived or the connection ends.
  std::string readExactly(size_t size);
  // Reads once: >0 bytes, 0 on close_notify/EOF, -1 on error (errno kept in lastErrno()).
  int readOnce();
  int lastErrno() const { return last_errno_; }

 private:
  UniqueFd fd_;
  ossl::SslCtxPtr ctx_;
  ossl::SslPtr ssl_;
  bool connected_ = false;
  std::string error_;
  int last_errno_ = 0;
};

// Collects what the engine reports.
class RecordingSink : public EventSink {
 public:
  void sessionClosed(const SessionRecord& record) override;
  void failedConnection(const FailedConnectionRecord& record) override;
  void systemLog(std::string_view severity, std::string message) override;
  // Waits until at least `n` records arrived (up to `timeout_ms`); returns a copy.
  std::vector<SessionRecord> waitRecords(size_t n, int timeout_ms = 5000);
  std::vector<std::string> systemLines();
  // Waits until at least `n` failed connection records arrived; returns a copy.
  std::vector<FailedConnectionRecord> waitFailures(size_t n, int timeout_ms = 5000);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SessionRecord> records_;
  std::vector<FailedConnectionRecord> failures_;
  std::vector<std::string> system_;
};

uint64_t counterValue(const std::vector<CounterGroup>& groups, std::string_view group,
                      std::string_view name);

}  // namespace vtps::proxy::testing
