// The identity of a flow as the dataplane sees it: VLAN, IP version, protocol and both
// endpoints, stored in canonical order (the lower endpoint first) so that both directions of a
// flow have one key and one hash. Pure code: no DPDK types, so it is tested without an EAL.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vtps::dpdk {

struct FlowKey {
  // IPv6 addresses as two big-endian 64-bit halves; IPv4 addresses in lo[1]'s low 32 bits
  // (host order) with lo[0] zero.
  uint64_t lo[2] = {0, 0};
  uint64_t hi[2] = {0, 0};
  uint16_t lo_port = 0;
  uint16_t hi_port = 0;
  uint16_t vlan = 0;  // outer 802.1Q id; 0 untagged
  uint8_t protocol = 0;
  uint8_t ip_version = 0;  // 4 or 6

  bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof(*this)) == 0; }
};
static_assert(sizeof(FlowKey) == 40, "FlowKey is compared and hashed as five 64-bit words");
static_assert(offsetof(FlowKey, lo_port) == 32 && offsetof(FlowKey, hi_port) == 34 &&
                  offsetof(FlowKey, vlan) == 36 && offsetof(FlowKey, protocol) == 38 &&
                  offsetof(FlowKey, ip_version) == 39 && std::endian::native == std::endian::little,
              "makeFlowKey stores the ports, VLAN, protocol and version as one little-endian word");

// One IP endpoint (address + port) of a packet, before canonical ordering.
struct Endpoint {
  uint64_t addr[2] = {0, 0};
  uint16_t port = 0;
};

// Builds the canonical key from a packet's source and destination. `reversed` is set when the
// packet travels from the key's hi endpoint to its lo endpoint.
inline FlowKey makeFlowKey(const Endpoint& src, const Endpoint& dst, uint8_t protocol,
                           uint8_t ip_version, uint16_t vlan, bool& reversed) {
  // Branch-free: which endpoint is lower is data-dependent and mispredicts when taken as a branch.
  bool hi_lt = dst.addr[0] < src.addr[0];
  bool hi_eq = dst.addr[0] == src.addr[0];
  bool lo_lt = dst.addr[1] < src.addr[1];
  bool lo_eq = dst.addr[1] == src.addr[1];
  reversed = hi_lt | (hi_eq & (lo_lt | (lo_eq & (dst.port < src.port))));
  FlowKey key;
  key.lo[0] = reversed ? dst.addr[0] : src.addr[0];
  key.lo[1] = reversed ? dst.addr[1] : src.addr[1];
  key.hi[0] = reversed ? src.addr[0] : dst.addr[0];
  key.hi[1] = reversed ? src.addr[1] : dst.addr[1];
  // The last word in one store: flowHash and operator== read it as one 64-bit load, which
  // waits for the stores it overlaps to retire when it spans several narrower ones (a
  // store-forwarding stall: a third of the lcore's time per packet when the fields were stored
  // one by one).
  uint64_t lo_port = reversed ? dst.port : src.port;
  uint64_t hi_port = reversed ? src.port : dst.port;
  uint64_t tail = lo_port | hi_port << 16 | uint64_t{vlan} << 32 | uint64_t{protocol} << 48 |
                  uint64_t{ip_version} << 56;
  std::memcpy(&key.lo_port, &tail, sizeof(tail));
  return key;
}

// A 64-bit hash of the canonical key: equal for both directions of a flow by construction.
// The five words are multiplied independently (no serial dependency chain on the packet path),
// then mixed once.
inline uint64_t flowHash(const FlowKey& key) {
  uint64_t w[5];
  std::memcpy(w, &key, sizeof(w));
  uint64_t h = (w[0] * 0x9e3779b97f4a7c15ULL) ^ (w[1] * 0xc2b2ae3d27d4eb4fULL) ^
               (w[2] * 0x165667b19e3779f9ULL) ^ (w[3] * 0xd6e8feb86659fd93ULL) ^
               ((w[4] + 0x243f6a8885a308d3ULL) * 0xff51afd7ed558ccdULL);
  h ^= h >> 32;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 29;
  return h;
}

}  // namespace vtps::dpdk
