#include "dataplane/proxy/transparent_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vtps::proxy {
namespace {

sockaddr_in toSockaddr(const Endpoint4& e) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(e.address);
  sa.sin_port = htons(e.port);
  return sa;
}

Endpoint4 fromSockaddr(const sockaddr_in& sa) {
  return Endpoint4{ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port)};
}

std::string errnoText(int err) {
  std::string text = std::strerror(err);
  if (err == EPERM) text += " (needs CAP_NET_ADMIN)";
  return text;
}

bool setInt(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

}  // namespace

std::string Endpoint4::addressString() const {
  char text[INET_ADDRSTRLEN] = {};
  in_addr a{htonl(address)};
  ::inet_ntop(AF_INET, &a, text, sizeof text);
  return text;
}

std::string Endpoint4::str() const {
  return fmt::format("{}:{}", addressString(), port);
}

Result<TransparentListener> TransparentListener::open(uint16_t port, int backlog) {
  const std::string what = fmt::format("open transparent listener 127.0.0.1:{}", port);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return makeError(fmt::format("{}: socket: {}", what, errnoText(errno)));
  struct Option {
    int level, name;
    const char* text;
  };
  for (const Option& o : {Option{SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"},
                          Option{SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT"},
                          Option{SOL_IP, IP_TRANSPARENT, "IP_TRANSPARENT"}}) {
    if (!setInt(fd.get(), o.level, o.name, 1)) {
      return makeError(fmt::format("{}: setsockopt({}): {}", what, o.text, errnoText(errno)));
    }
  }
  sockaddr_in sa = toSockaddr(Endpoint4{INADDR_LOOPBACK, port});
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    return makeError(fmt::format("{}: bind: {}", what, errnoText(errno)));
  }
  if (::listen(fd.get(), backlog) != 0) {
    return makeError(fmt::format("{}: listen: {}", what, errnoText(errno)));
  }
  socklen_t len = sizeof sa;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return makeError(fmt::format("{}: getsockname: {}", what, errnoText(errno)));
  }
  return TransparentListener(std::move(fd), ntohs(sa.sin_port));
}

std::optional<AcceptedConnection> TransparentListener::acceptOne(int& error) {
  error = 0;
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int fd =
      ::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
    return std::nullopt;
  }
  AcceptedConnection c{UniqueFd(fd), fromSockaddr(peer), {}};
  sockaddr_in local{};
  len = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    error = errno;
    return std::nullopt;
  }
  c.original_destination = fromSockaddr(local);
  setInt(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  return c;
}

Result<UniqueFd> connectTransparent(const Endpoint4& source, const Endpoint4& destination,
                                    const UpstreamBinding& binding) {
  const std::string what =
      fmt::format("connect {} to {} transparently",
                  binding.keep_port ? source.str() : source.addressString(), destination.str());
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return makeError(fmt::format("{}: socket: {}", what, errnoText(errno)));
  if (!setInt(fd.get(), SOL_IP, IP_TRANSPARENT, 1)) {
    return makeError(fmt::format("{}: setsockopt(IP_TRANSPARENT): {}", what, errnoText(errno)));
  }
  if (binding.mark != 0 &&
      ::setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &binding.mark, sizeof binding.mark) != 0) {
    return makeError(
        fmt::format("{}: setsockopt(SO_MARK {:#x}): {}", what, binding.mark, errnoText(errno)));
  }
  if (binding.keep_port) {
    // A previous upstream leg of the same client port may linger in TIME_WAIT.
    setInt(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
  } else {
    // The port is chosen at connect() time, per destination, so the proxy can hold more
    // upstream connections from one client address than there are ephemeral ports.
    setInt(fd.get(), SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1);
  }
  setInt(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1);
  sockaddr_in src =
      toSockaddr(Endpoint4{source.address, binding.keep_port ? source.port : uint16_t{0}});
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
    return makeError(fmt::format("{}: bind: {}", what, errnoText(errno)));
  }
  sockaddr_in dst = toSockaddr(destination);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0 &&
      errno != EINPROGRESS) {
    return makeError(fmt::format("{}: connect: {}", what, errnoText(errno)));
  }
  return fd;
}

void setResetOnClose(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace vtps::proxy
