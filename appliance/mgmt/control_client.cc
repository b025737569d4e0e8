#include "appliance/mgmt/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace vtps::mgmt {
namespace {

std::string errnoText(int err) {
  return std::strerror(err);
}

int remainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on fd until the deadline; false on timeout.
Result<bool> waitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, remainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return makeError(std::string("poll: ") + errnoText(errno));
    return n > 0;
  }
}

}  // namespace

Result<ControlClient> ControlClient::connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return makeError("vtpsd control socket path '" + path + "' is empty or too long");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return makeError("socket(): " + errnoText(errno));
  ControlClient client(fd, path);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    std::string hint = (err == ENOENT || err == ECONNREFUSED) ? " (is vtpsd running?)" : "";
    return makeError("connect to vtpsd control socket " + path + ": " + errnoText(err) + hint);
  }
  return client;
}

ControlClient::ControlClient(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

ControlClient::ControlClient(ControlClient&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)), buffered_(std::move(o.buffered_)) {}

ControlClient& ControlClient::operator=(ControlClient&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    path_ = std::move(o.path_);
    buffered_ = std::move(o.buffered_);
  }
  return *this;
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Json> ControlClient::call(const Json& request, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string out = request.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  size_t sent = 0;
  while (sent < out.size()) {
    auto ready = waitFor(fd_, POLLOUT, deadline);
    if (!ready.ok()) return ready.error();
    if (!*ready) return makeError("vtpsd control socket " + path_ + ": timed out sending");
    ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return makeError("vtpsd control socket " + path_ + ": send: " + errnoText(errno));
    sent += static_cast<size_t>(n);
  }
  size_t nl = buffered_.find('\n');
  while (nl == std::string::npos) {
    auto ready = waitFor(fd_, POLLIN, deadline);
    if (!ready.ok()) return ready.error();
    if (!*ready) {
      std::string limit = timeout_ms % 1000 == 0 ? std::to_string(timeout_ms / 1000) + " s"
                                                 : std::to_string(timeout_ms) + " ms";
      return makeError("vtpsd control socket " + path_ + ": no answer within " + limit);
    }
    std::array<char, 65536> buf{};
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return makeError("vtpsd control socket " + path_ + ": recv: " + errnoText(errno));
    if (n == 0) return makeError("vtpsd control socket " + path_ + ": closed by vtpsd");
    size_t old = buffered_.size();
    buffered_.append(buf.data(), static_cast<size_t>(n));
    nl = buffered_.find('\n', old);
  }
  Json response = Json::parse(std::string_view(buffered_).substr(0, nl), nullptr, false);
  buffered_.erase(0, nl + 1);
  if (response.is_discarded() || !response.is_object()) {
    return makeError("vtpsd control socket " + path_ + ": answer is not a JSON object");
  }
  return response;
}

}  // namespace vtps::mgmt
