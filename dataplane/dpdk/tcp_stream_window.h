// One direction of a TCP flow put back in order for the filters, bounded. In-order payload is
// handed on at once, without a copy. A segment that arrives ahead of the next expected byte
// (reordering, a loss upstream) is still forwarded on the wire, and a copy is held in a window
// of kWindowBytes after the next expected byte; when the gap is filled the held bytes follow in
// order. So the filters always see the byte stream the receiver will see, and a segment that
// completes a match is the one dropped: the receiver cannot assemble the stream past it.
//
//   - A segment that starts more than kWindowBytes ahead is not held: the caller drops it
//     (counted) and the sender retransmits it once the gap is filled.
//   - Bytes seen before (retransmissions) are not inspected again, nor compared: a
//     retransmission with different bytes goes unseen. A segment that overlaps the next
//     expected byte is trimmed to its new bytes. Held bytes are replaced by a later copy of the
//     same range.
//   - The window's two buffers (bytes, and which bytes are present) are allocated on the
//     first out-of-order segment of the direction, once per flow; in-order flows allocate none.
//
// The first segment seen in a direction starts it (a SYN at its sequence + 1): a flow picked up
// in the middle is inspected from there on. Not thread-safe: one lcore owns a flow.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

namespace vtps::dpdk {

class TcpStreamWindow {
 public:
  static constexpr uint32_t kWindowBytes = 32 * 1024;

  enum class Outcome : uint8_t {
    kInOrder,  // delivered (with any held bytes it made contiguous)
    kHeld,     // ahead of the stream: copied into the window, nothing delivered
    kOld,      // retransmission of bytes already delivered (or no payload)
    kBeyond,   // too far ahead to hold: drop it
  };

  // Calls `deliver(std::span<const uint8_t>)` with the bytes that became in order, if any.
  template <typename Deliver>
  Outcome push(uint32_t seq, bool syn, std::span<const uint8_t> payload, Deliver&& deliver) {
    uint32_t data_seq = seq + (syn ? 1u : 0u);
    if (!started_) {
      started_ = true;
      next_ = data_seq;
    }
    if (payload.empty()) return Outcome::kOld;
    auto offset = static_cast<int32_t>(data_seq - next_);
    auto length = static_cast<int64_t>(payload.size());
    if (offset + length <= 0) return Outcome::kOld;
    if (offset < 0) {
      payload = payload.subspan(static_cast<std::size_t>(-offset));
      offset = 0;
    }
    if (offset > 0) {
      if (static_cast<int64_t>(offset) + static_cast<int64_t>(payload.size()) > kWindowBytes)
        return Outcome::kBeyond;
      hold(static_cast<uint32_t>(offset), payload);
      return Outcome::kHeld;
    }
    if (held_end_ == 0) {
      next_ += static_cast<uint32_t>(payload.size());
      deliver(payload);
      return Outcome::kInOrder;
    }
    if (payload.size() > kWindowBytes) payload = payload.first(kWindowBytes);
    hold(0, payload);
    drainHeld(deliver);
    return Outcome::kInOrder;
  }

  uint32_t next() const { return next_; }
  uint32_t heldBytes() const;  // bytes copied in the window now (tests)

 private:
  void hold(uint32_t offset, std::span<const uint8_t> payload);
  // The length of the window's contiguous prefix; consume() removes it (shifting the rest down).
  uint32_t contiguousPrefix() const;
  void consume(uint32_t n);

  template <typename Deliver>
  void drainHeld(Deliver&& deliver) {
    uint32_t n = contiguousPrefix();
    if (n == 0) return;
    next_ += n;
    deliver(std::span<const uint8_t>(bytes_.get(), n));
    consume(n);
  }

  bool started_ = false;
  uint32_t next_ = 0;      // sequence number of the next byte to deliver
  uint32_t held_end_ = 0;  // window offset after the last held byte; 0: nothing held
  std::unique_ptr<uint8_t[]> bytes_;
  std::unique_ptr<uint8_t[]> present_;
};

}  // namespace vtps::dpdk
