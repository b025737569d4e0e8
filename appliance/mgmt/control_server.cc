#include "appliance/mgmt/control_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "dataplane/proxy/unique_fd.h"

namespace vtps::mgmt {
namespace {

using proxy::UniqueFd;

std::string errnoText(int err) {
  return std::strerror(err);
}

Result<sockaddr_un> unixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return makeError("control socket: empty path");
  if (path.size() >= sizeof(addr.sun_path)) {
    return makeError("control socket " + path + ": path longer than " +
                     std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// A socket file nobody listens on is what a crashed daemon leaves behind; remove it. A live one
// means another vtpsd owns the path.
Status clearStaleSocket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return makeError("control socket " + path + ": " + errnoText(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return makeError("control socket " + path + ": exists and is not a socket");
  }
  UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return makeError("control socket: socket(): " + errnoText(errno));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
    return makeError("control socket " + path +
                     ": another process is listening on it (is vtpsd already running?)");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return makeError("control socket " + path + ": remove stale socket: " + errnoText(errno));
  }
  return {};
}

struct Client {
  UniqueFd fd;
  std::string in;
  std::string out;
  bool close_after_write = false;
};

}  // namespace

class ControlServer::Impl {
 public:
  Impl(std::string path, RequestHandler handler, ControlServerLimits limits)
      : path_(std::move(path)), handler_(std::move(handler)), limits_(limits) {}

  ~Impl() {
    clients_.clear();
    listen_.reset();
    // Only remove the file if it is still ours: a successor may already have replaced it.
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == inode_ && st.st_dev == device_) {
      ::unlink(path_.c_str());
    }
  }

  Status open() {
    auto addr = unixAddress(path_);
    if (!addr.ok()) return addr.error();
    std::error_code ec;
    auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return makeError("control socket " + path_ + ": create directory: " + ec.message());
    VTPS_RETURN_IF_ERROR(clearStaleSocket(path_, *addr));

    listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listen_) return makeError("control socket: socket(): " + errnoText(errno));
    if (::bind(listen_.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
      return makeError("control socket " + path_ + ": bind: " + errnoText(errno));
    }
    // Nobody can connect before listen(), so tightening the mode here leaves no window.
    struct stat st {};
    if (::chmod(path_.c_str(), 0600) != 0 || ::lstat(path_.c_str(), &st) != 0) {
      int err = errno;
      ::unlink(path_.c_str());
      return makeError("control socket " + path_ + ": chmod 0600: " + errnoText(err));
    }
    inode_ = st.st_ino;
    device_ = st.st_dev;
    if (::listen(listen_.get(), 64) != 0) {
      return makeError("control socket " + path_ + ": listen: " + errnoText(errno));
    }
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) return makeError("control socket: epoll_create1: " + errnoText(errno));
    return watch(listen_.get(), EPOLLIN);
  }

  int pollFd() const { return epoll_.get(); }
  const std::string& path() const { return path_; }
  size_t clientCount() const { return clients_.size(); }

  void dispatch() {
    std::array<epoll_event, 32> events{};
    int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 0);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_.get()) {
        acceptAll();
        continue;
      }
      auto it = clients_.find(fd);
      if (it == clients_.end()) continue;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) readFrom(it->second);
      if (events[i].events & EPOLLOUT) writeTo(it->second);
      finish(fd);
    }
  }

 private:
  Status watch(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      return makeError("control socket: epoll_ctl: " + errnoText(errno));
    }
    return {};
  }

  void acceptAll() {
    for (;;) {
      UniqueFd fd(::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd) return;  // EAGAIN, or an error the next readiness retries
      int raw = fd.get();
      Client client;
      client.fd = std::move(fd);
      if (clients_.size() >= limits_.max_clients) {
        client.out = errorResponse("too many control connections (limit " +
                                   std::to_string(limits_.max_clients) + ")")
                         .dump() +
                     "\n";
        client.close_after_write = true;
      }
      if (!watch(raw, EPOLLIN).ok()) continue;
      auto& added = clients_.emplace(raw, std::move(client)).first->second;
      if (!added.out.empty()) writeTo(added);
      finish(raw);
    }
  }

  void readFrom(Client& c) {
    std::array<char, 16384> buf{};
    for (;;) {
      ssize_t n = ::read(c.fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) {  // EOF or error: answer what is complete, then close
        c.close_after_write = true;
        break;
      }
      if (c.close_after_write) continue;  // refusing this client; discard its input
      c.in.append(buf.data(), static_cast<size_t>(n));
      answerCompleteLines(c);
    }
    writeTo(c);
  }

  void answerCompleteLines(Client& c) {
    size_t start = 0;
    for (size_t nl = c.in.find('\n'); nl != std::string::npos; nl = c.in.find('\n', start)) {
      std::string_view line(c.in.data() + start, nl - start);
      start = nl + 1;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      c.out += answer(line).dump(-1, ' ', false, Json::error_handler_t::replace);
      c.out += '\n';
    }
    c.in.erase(0, start);
    if (c.in.size() > limits_.max_request_bytes) {
      c.out += errorResponse("request longer than " + std::to_string(limits_.max_request_bytes) +
                             " bytes")
                   .dump() +
               "\n";
      c.in.clear();
      c.close_after_write = true;
    }
  }

  Json answer(std::string_view line) {
    Json request = Json::parse(line, nullptr, false);
    if (request.is_discarded()) return errorResponse("request is not valid JSON");
    if (!request.is_object()) return errorResponse("request is not a JSON object");
    if (!request.contains("method") || !request.at("method").is_string()) {
      return errorResponse("request has no \"method\" string");
    }
    try {
      return handler_(request);
    } catch (const nlohmann::json::exception& e) {
      return errorResponse(std::string("bad request: ") + e.what());
    }
  }

  void writeTo(Client& c) {
    while (!c.out.empty()) {
      ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n <= 0) {  // the peer went away; nothing more to deliver
        c.out.clear();
        c.close_after_write = true;
        break;
      }
      c.out.erase(0, static_cast<size_t>(n));
    }
  }

  // Closes a finished client, or re-arms it for EPOLLOUT while output is pending.
  void finish(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    Client& c = it->second;
    if (c.out.empty() && c.close_after_write) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      clients_.erase(it);
      return;
    }
    epoll_event ev{};
    ev.events = c.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT);
    ev.data.fd = fd;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev);
  }

  std::string path_;
  RequestHandler handler_;
  ControlServerLimits limits_;
  UniqueFd listen_;
  UniqueFd epoll_;
  ino_t inode_ = 0;
  dev_t device_ = 0;
  std::map<int, Client> clients_;
};

Result<std::unique_ptr<ControlServer>> ControlServer::create(const std::string& path,
                                                             RequestHandler handler,
                                                             ControlServerLimits limits) {
  auto impl = std::make_unique<Impl>(path, std::move(handler), limits);
  VTPS_RETURN_IF_ERROR(impl->open());
  return std::unique_ptr<ControlServer>(new ControlServer(std::move(impl)));
}

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlServer::~ControlServer() = default;
int ControlServer::pollFd() const {
  return impl_->pollFd();
}
void ControlServer::dispatch() {
  impl_->dispatch();
}
const std::string& ControlServer::path() const {
  return impl_->path();
}
size_t ControlServer::clientCount() const {
  return impl_->clientCount();
}

Json errorResponse(std::string message) {
  Json j;
  j["error"] = std::move(message);
  return j;
}

}  // namespace vtps::mgmt
