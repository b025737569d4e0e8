// Helpers for the provider's TLS tests: a throwaway certificate, in-memory TLS over a BIO pair,
// loopback sockets (port 0) and a child process (the openssl command-line tool) with pipes.
#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/ossl.h"

namespace vtps::accel::testing {

struct TestIdentity {
  ossl::EvpPkeyPtr key;
  ossl::X509Ptr cert;
};

// EC P-256 key and a self-signed certificate for CN=localhost, valid for a day.
TestIdentity makeSelfSigned();
void writePem(const TestIdentity& id, const std::string& cert_path, const std::string& key_path);

// Runs both handshakes over a BIO pair until they finish; false on failure or no progress.
bool handshakeInMemory(SSL* client, SSL* server);

// Sends `data` from `from` to `to` over the BIO pair in writes of varying size, draining as it
// goes; returns what `to` read.
std::string transferInMemory(SSL* from, SSL* to, const std::string& data);

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
int listenLoopback(uint16_t* port);
int connectLoopback(uint16_t port);

// A child process with stdin and stdout on pipes (stderr is inherited). The destructor kills it
// (by its PID) if it is still running and reaps it.
class ChildProcess {
 public:
  static std::unique_ptr<ChildProcess> spawn(const std::vector<std::string>& argv);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool writeStdin(const std::string& data);
  // One line of stdout (without the newline), or "" after `timeout` or at EOF.
  std::string readLine(std::chrono::milliseconds timeout);
  // Everything on stdout until EOF or `timeout`.
  std::string readAll(std::chrono::milliseconds timeout);
  // Exit status, or -1 when it did not exit within `timeout`.
  int wait(std::chrono::milliseconds timeout);

 private:
  ChildProcess() = default;
  bool fillBuffer(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  bool reaped_ = false;
  std::string buffer_;
};

}  // namespace vtps::accel::testing
