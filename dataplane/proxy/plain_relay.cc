#include "dataplane/proxy/plain_relay.h"

#include <sys/socket.h>

#include <cerrno>

namespace vtps::proxy {

PlainRelay::Step PlainRelay::writeOut(Flow& flow, Leg& to, const uint8_t* data, size_t size,
                                      uint64_t& delivered, int& error) {
  while (size > 0) {
    ssize_t n = ::send(to.fd.get(), data, size, MSG_NOSIGNAL);
    if (n > 0) {
      delivered += static_cast<uint64_t>(n);
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      to.writable = false;
      break;
    }
    error = n < 0 ? errno : EPIPE;
    return Step::kError;
  }
  flow.pending.keep(data, size);
  return Step::kOk;
}

PlainRelay::Step PlainRelay::pumpFlow(Flow& flow, Leg& from, Leg& to, Inspector* inspector,
                                      std::span<uint8_t> scratch, uint64_t& delivered, int& error) {
  for (;;) {
    if (!flow.pending.empty()) {
      if (!to.writable) return Step::kOk;
      Step s = writeOut(flow, to, flow.pending.data(), flow.pending.size(), delivered, error);
      if (s != Step::kOk || !flow.pending.empty()) return s;
    }
    if (flow.eof) {
      if (!flow.shut_down) {
        ::shutdown(to.fd.get(), SHUT_WR);
        flow.shut_down = true;
      }
      return Step::kOk;
    }
    if (!from.readable) return Step::kOk;
    ssize_t n = ::recv(from.fd.get(), scratch.data(), scratch.size(), 0);
    if (n > 0) {
      auto chunk = scratch.first(static_cast<size_t>(n));
      if (inspector != nullptr && inspector->inspect(flow.direction, chunk) == Verdict::kBlock) {
        return Step::kBlocked;
      }
      Step s = writeOut(flow, to, chunk.data(), chunk.size(), delivered, error);
      if (s != Step::kOk) return s;
      if (inspector != nullptr && inspector->throttleDelay().count() > 0) return Step::kThrottled;
      continue;
    }
    if (n == 0) {
      flow.eof = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      from.readable = false;
      return Step::kOk;
    }
    error = errno;
    return Step::kError;
  }
}

PlainRelay::Outcome PlainRelay::pump(Leg& client, Leg& server, Inspector* inspector,
                                     std::span<uint8_t> scratch, uint64_t& client_to_server,
                                     uint64_t& server_to_client, int& error) {
  Step up = pumpFlow(up_, client, server, inspector, scratch, client_to_server, error);
  if (up == Step::kOk) {
    Step down = pumpFlow(down_, server, client, inspector, scratch, server_to_client, error);
    if (down != Step::kOk) up = down;
  }
  switch (up) {
    case Step::kBlocked:
      return Outcome::kBlocked;
    case Step::kError:
      return Outcome::kReset;
    case Step::kThrottled:
      return Outcome::kThrottled;
    case Step::kOk:
      break;
  }
  return up_.shut_down && down_.shut_down ? Outcome::kDone : Outcome::kOpen;
}

void PlainRelay::sendToClient(const Leg& client, std::string_view bytes) {
  if (!client.fd || bytes.empty()) return;
  [[maybe_unused]] ssize_t n = ::send(client.fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

}  // namespace vtps::proxy
