// Leg: one socket of a proxied session (client side or server side) and what epoll last said
// about it. Sockets are registered edge-triggered for both directions once; a flag is set by an
// event and cleared only when an operation on the socket returns EAGAIN, so a relay that stopped
// for backpressure resumes without waiting for an edge that will not come.
#pragma once

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <vector>

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

// Bytes a relay direction read (and inspected) but the other socket has not taken yet.
struct PendingBytes {
  std::vector<uint8_t> bytes;
  size_t offset = 0;

  bool empty() const { return offset >= bytes.size(); }
  const uint8_t* data() const { return bytes.data() + offset; }
  size_t size() const { return bytes.size() - offset; }
  // After a write from `data` stopped with `size` bytes not taken: keeps them. `data` may point
  // into these bytes (a retried write) or elsewhere (a fresh chunk, copied).
  void keep(const uint8_t* data, size_t size) {
    const uint8_t* begin = bytes.data();
    if (size == 0) {
      bytes.clear();
      offset = 0;
    } else if (data >= begin && data < begin + bytes.size()) {
      offset = static_cast<size_t>(data - begin);
    } else {
      bytes.assign(data, data + size);
      offset = 0;
    }
  }
};

}  // namespace vtps::proxy
