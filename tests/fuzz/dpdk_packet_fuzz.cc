// Fuzzes the dpdk dataplane's packet path up to the filters: a stream of frames (each a 2-byte
// little-endian length, then the bytes; the first byte of the input picks which frames count as
// in the segment's profile) through the frame parser, a flow table and a LcoreInspector with a
// small rule set, as the lcore loop runs them. Checked beyond memory safety:
//   - parsePacket: a tunnel's inner header lies after its outer one, inside the frame;
//   - parseTcpSegment: offsets and payload inside the frame and the IP packet;
//   - a block's resets: each is a TCP RST that parses back with the flow's ports; a tunnelled
//     flow is never reset (its reset would need the tunnel's headers rewritten);
//   - TcpStreamWindow: it never delivers more bytes than it was given, nor holds more than its
//     window.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <span>
#include <vector>

#include "dataplane/dpdk/flow_inspection.h"
#include "dataplane/dpdk/tcp_segment.h"
#include "dataplane/dpdk/tcp_stream_window.h"
#include "dataplane/filter/filter_inspector.h"

using namespace vtps::dpdk;

namespace {

uint64_t g_cycles = 0;
uint64_t fakeCycles() {
  return ++g_cycles;
}

std::shared_ptr<vtps::filter::FilterEngine> engine() {
  static std::shared_ptr<vtps::filter::FilterEngine> e = [] {
    char path[] = "/tmp/vtps-dpdk-fuzz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) __builtin_trap();
    close(fd);
    std::ofstream(path)
        << "reject http any any -> any any (http.uri; content:\"/attack\"; sid:1;)\n"
           "drop tcp any any -> any any (content:\"SECRET\"; sid:2;)\n"
           "alert tcp any any -> any any (content:\"GET\"; sid:3;)\n";
    vtps::filter::FilterSettings s;
    s.signatures.rules = path;
    s.limits.stream_window_bytes = 4096;
    auto built = vtps::filter::FilterEngine::create(s, nullptr);
    unlink(path);
    if (!built.ok()) __builtin_trap();
    return *built;
  }();
  return e;
}

void checkSegment(const uint8_t* frame, size_t length, const ParsedPacket& p) {
  if (p.l3_offset + size_t{20} > length) __builtin_trap();
  if (p.tunnel != Tunnel::kNone && p.l3_offset < p.outer_l3_offset + size_t{20}) __builtin_trap();
  TcpSegment seg;
  if (!parseTcpSegment(frame, length, p.l3_offset, seg)) return;
  if (seg.l4_offset < seg.l3_offset + 20 || seg.payload_offset < seg.l4_offset + 20 ||
      size_t{seg.payload_offset} + seg.payload_length > length) {
    __builtin_trap();
  }
  uint8_t out[64 + 40];
  if (seg.l3_offset > 64 || p.tunnel != Tunnel::kNone) return;
  for (bool back : {false, true}) {
    size_t n = buildTcpReset(frame, seg, back, out);
    TcpSegment rst;
    if (n != size_t{seg.l3_offset} + 40 || !parseTcpSegment(out, n, seg.l3_offset, rst) ||
        (rst.flags & kTcpRst) == 0 || rst.payload_length != 0) {
      __builtin_trap();
    }
  }
}

void checkWindow(std::span<const uint8_t> data) {
  TcpStreamWindow w;
  size_t given = 0, delivered = 0;
  for (size_t i = 0; i + 3 <= data.size();) {
    uint32_t seq = data[i] | uint32_t{data[i + 1]} << 8;
    size_t len = data[i + 2] % 64;
    i += 3;
    len = std::min(len, data.size() - i);
    given += len;
    w.push(seq * 16, false, data.subspan(i, len),
           [&](std::span<const uint8_t> d) { delivered += d.size(); });
    if (delivered > given || w.heldBytes() > TcpStreamWindow::kWindowBytes) __builtin_trap();
    i += len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t profile_bits = data[0];
  std::span<const uint8_t> in(data + 1, size - 1);
  checkWindow(in);
  InspectionOptions o;
  o.engine = engine();
  o.cycles = fakeCycles;
  o.cycles_per_second = 1'000'000;
  LcoreInspector inspector(1, o);
  FlowTable table(64, 0);
  for (int n = 0; in.size() >= 2; ++n) {
    size_t len = std::min<size_t>(in[0] | size_t{in[1]} << 8, in.size() - 2);
    // Frames live in their own buffer, so that reading past one is caught.
    std::vector<uint8_t> frame(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    in = in.subspan(2 + len);
    ParsedPacket p;
    if (parsePacket(frame.data(), frame.size(), p) != ParseOutcome::kFlow) continue;
    checkSegment(frame.data(), frame.size(), p);
    bool created = false;
    FlowEntry& e = table.findOrInsert(p.key, flowHash(p.key), static_cast<uint64_t>(n), created);
    if (created) {
      e.in_profile = (profile_bits >> (n % 8)) & 1;
      inspector.flowCreated(e, p);
    }
    PacketAction action = inspector.onPacket(e, p, frame.data(), frame.size(), "fuzz", "");
    if (action == PacketAction::kDropAndReset && p.tunnel != Tunnel::kNone) __builtin_trap();
    inspector.tick(g_cycles);
  }
  return 0;
}
