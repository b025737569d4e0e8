#include "dataplane/dpdk/tcp_stream_window.h"

#include <algorithm>
#include <cstring>

namespace vtps::dpdk {

void TcpStreamWindow::hold(uint32_t offset, std::span<const uint8_t> payload) {
  if (!bytes_) {
    // Once per flow direction, on its first out-of-order segment.
    bytes_ = std::make_unique<uint8_t[]>(kWindowBytes);
    present_ = std::make_unique<uint8_t[]>(kWindowBytes);
  }
  std::memcpy(bytes_.get() + offset, payload.data(), payload.size());
  std::memset(present_.get() + offset, 1, payload.size());
  held_end_ = std::max(held_end_, offset + static_cast<uint32_t>(payload.size()));
}

uint32_t TcpStreamWindow::contiguousPrefix() const {
  uint32_t n = 0;
  while (n < held_end_ && present_[n] != 0)
    ++n;
  return n;
}

void TcpStreamWindow::consume(uint32_t n) {
  uint32_t rest = held_end_ - n;
  std::memmove(bytes_.get(), bytes_.get() + n, rest);
  std::memmove(present_.get(), present_.get() + n, rest);
  std::memset(present_.get() + rest, 0, n);
  // The new end is after the last present byte that is left.
  held_end_ = rest;
  while (held_end_ > 0 && present_[held_end_ - 1] == 0)
    --held_end_;
}

uint32_t TcpStreamWindow::heldBytes() const {
  uint32_t n = 0;
  for (uint32_t i = 0; i < held_end_; ++i)
    n += present_[i];
  return n;
}

}  // namespace vtps::dpdk
