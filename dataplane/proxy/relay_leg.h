// Leg: one socket of a proxied session (client side or server side) and what epoll last said
// about it. Sockets are registered edge-triggered for both directions once; a flag is set by an
// event and cleared only when an operation on the socket returns EAGAIN, so a relay that stopped
// for backpressure resumes without waiting for an edge that will not come.
#pragma once

#include <sys/epoll.h>

#include <cstdint>

#include "dataplane/proxy/unique_fd.h"

namespace vtps::proxy {

struct Leg {
  UniqueFd fd;
  bool readable = false;
  bool writable = false;

  void onEvents(uint32_t events) {
    // Errors and hang-ups make both directions "ready" so the next operation reports them.
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable = true;
  }
};

}  // namespace vtps::proxy
