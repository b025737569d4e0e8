// vtpsd's control socket: a UNIX stream socket (device.control-socket, mode 0600) over which
// vtpsctl sends requests, one JSON object per line, and reads one JSON object per line back.
//
//   request:  {"method": "status"}            (methods: docs/cli-reference.md, control_protocol.h)
//   response: {...} on success, {"error": "what is wrong", ...} on refusal
//
// The server is driven by the owner's event loop: pollFd() becomes readable when something is
// pending and dispatch() does all the non-blocking work, calling the handler on that thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/result.h"

namespace vtps::mgmt {

using Json = nlohmann::ordered_json;

// Answers one request. Runs on the thread that calls dispatch(); may throw nlohmann::json
// exceptions on a malformed request (answered as a bad request).
using RequestHandler = std::function<Json(const Json& request)>;

struct ControlServerLimits {
  size_t max_request_bytes = 16 * 1024 * 1024;  // one line, inline YAML included
  size_t max_clients = 16;
};

class ControlServer {
 public:
  // Creates the parent directory when missing, removes a stale socket left by a dead daemon,
  // binds, restricts the socket to its owner (0600) and listens. Refuses when another process
  // is listening on `path` or when `path` exists and is not a socket.
  static Result<std::unique_ptr<ControlServer>> create(const std::string& path,
                                                       RequestHandler handler,
                                                       ControlServerLimits limits = {});
  // Closes every connection and removes the socket file (if it is still this server's).
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // An epoll descriptor: readable when a connection or request is pending.
  int pollFd() const;
  // Accepts, reads, answers and writes whatever is ready, without blocking.
  void dispatch();
  const std::string& path() const;
  size_t clientCount() const;

  class Impl;

 private:
  explicit ControlServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// {"error": message}
Json errorResponse(std::string message);

}  // namespace vtps::mgmt
