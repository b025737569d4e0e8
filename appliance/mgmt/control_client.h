// The client side of vtpsd's control socket (control_server.h), used by vtpsctl: connect, send
// one JSON request line, read one JSON response line.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/result.h"

namespace vtps::mgmt {

using Json = nlohmann::ordered_json;

class ControlClient {
 public:
  // Errors say which socket and why, with a hint when no daemon is there:
  // "connect to vtpsd control socket /run/vtps/vtpsd.sock: No such file or directory (is vtpsd
  // running?)".
  static Result<ControlClient> connect(const std::string& path);

  ControlClient(ControlClient&&) noexcept;
  ControlClient& operator=(ControlClient&&) noexcept;
  ~ControlClient();

  // Sends `request` and returns the daemon's response object as it came, {"error": ...}
  // included. Fails on I/O errors, a timeout, a closed connection or a response that is not a
  // JSON object.
  Result<Json> call(const Json& request, int timeout_ms = 60000);

 private:
  ControlClient(int fd, std::string path);
  int fd_ = -1;
  std::string path_;
  std::string buffered_;  // bytes read past the last response line
};

}  // namespace vtps::mgmt
