#include "dataplane/proxy/splice_relay.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vtps::proxy {
namespace {

constexpr unsigned kSpliceFlags = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;

}  // namespace

Result<std::unique_ptr<SpliceRelay>> SpliceRelay::create() {
  std::unique_ptr<SpliceRelay> relay(new SpliceRelay);
  for (Channel* ch : {&relay->up_, &relay->down_}) {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      return makeError(fmt::format("open splice pipe: pipe2: {}", std::strerror(errno)));
    }
    ch->read_end.reset(fds[0]);
    ch->write_end.reset(fds[1]);
    int size = ::fcntl(fds[1], F_GETPIPE_SZ);
    ch->capacity = size > 0 ? static_cast<size_t>(size) : 65536;
  }
  return relay;
}

SpliceRelay::Step SpliceRelay::pumpChannel(Channel& ch, Leg& from, Leg& to, uint64_t& delivered,
                                           int& error) {
  Step step = Step::kIdle;
  for (bool progressed = true; progressed;) {
    progressed = false;
    if (ch.buffered > 0 && to.writable) {
      ssize_t n =
          ::splice(ch.read_end.get(), nullptr, to.fd.get(), nullptr, ch.buffered, kSpliceFlags);
      if (n > 0) {
        ch.buffered -= static_cast<size_t>(n);
        delivered += static_cast<uint64_t>(n);
        progressed = true;
      } else if (errno == EAGAIN) {
        to.writable = false;
      } else {
        error = errno;
        return Step::kReset;
      }
    }
    if (!ch.eof && ch.buffered < ch.capacity && from.readable) {
      ssize_t n = ::splice(from.fd.get(), nullptr, ch.write_end.get(), nullptr,
                           ch.capacity - ch.buffered, kSpliceFlags);
      if (n > 0) {
        ch.buffered += static_cast<size_t>(n);
        progressed = true;
      } else if (n == 0) {
        ch.eof = true;
        progressed = true;
      } else if (errno == EAGAIN) {
        // With bytes in the pipe, EAGAIN may mean the pipe's slots are full rather than the
        // socket empty; only an empty pipe proves the socket has nothing more.
        if (ch.buffered == 0) from.readable = false;
      } else {
        error = errno;
        return Step::kReset;
      }
    }
    if (ch.eof && ch.buffered == 0 && !ch.shut_down) {
      ::shutdown(to.fd.get(), SHUT_WR);
      ch.shut_down = true;
    }
    if (progressed) step = Step::kProgress;
  }
  return step;
}

SpliceRelay::Outcome SpliceRelay::pump(Leg& client, Leg& server, uint64_t& client_to_server,
                                       uint64_t& server_to_client, int& error) {
  // The directions use disjoint flags (client.readable/server.writable and the reverse), so
  // one pass over each finds everything that can move now.
  if (pumpChannel(up_, client, server, client_to_server, error) == Step::kReset) {
    return Outcome::kReset;
  }
  if (pumpChannel(down_, server, client, server_to_client, error) == Step::kReset) {
    return Outcome::kReset;
  }
  return up_.shut_down && down_.shut_down ? Outcome::kDone : Outcome::kOpen;
}

}  // namespace vtps::proxy
