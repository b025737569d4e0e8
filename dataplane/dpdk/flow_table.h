// One lcore's flow table: preallocated buckets of eight entries, found by the symmetric flow
// hash. Lookups and inserts never allocate and never lock (one lcore owns a table). A full
// bucket gives up its stalest entry; an entry idle for longer than the idle timeout is free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "dataplane/dpdk/flow_key.h"

namespace vtps::dpdk {

// A flow's filter state (flow_inspection.cc): its pipeline session and reassembly windows.
struct FlowInspection;
struct FlowInspectionDeleter {
  void operator()(FlowInspection* f) const;
};

// A steered flow's way back (exception_steering.h): its client and the MAC addresses of its
// frames on the wire.
struct FlowException {
  uint32_t client_ip = 0;    // host order
  uint16_t client_port = 0;  // the segment port (ethdev id) the client is on
  uint8_t client_mac[6] = {};
  uint8_t peer_mac[6] = {};  // the destination MAC of the client's frames (server or router)
  uint16_t vlan_tci = 0;     // the flow's 802.1Q tag control (tagged only)
  bool tagged = false;       // the flow's frames carry one 802.1Q tag
};

// FlowEntry::steer of a flow steered through a segment's exception port (SteerState::kSteered
// in exception_steering.h): such an entry is the proxied session's way back, and lives by the
// table's long idle timeout.
inline constexpr uint8_t kFlowSteered = 1;
// FlowEntry::steer of the untagged alias of a steered VLAN-tagged flow (SteerState::kAlias): the
// key the kernel's frames of that flow carry out of the exception port. Long-lived too.
inline constexpr uint8_t kFlowAlias = 4;

struct FlowEntry {
  FlowKey key;
  uint64_t last_seen = 0;        // caller's clock (TSC cycles on the lcore)
  uint64_t packets[2] = {0, 0};  // [0]: lo -> hi, [1]: hi -> lo
  uint64_t bytes[2] = {0, 0};
  bool in_profile = false;  // the segment's VLAN/CIDR map put this flow under its profile
  uint8_t filter = 0;       // FlowFilterState (flow_inspection.h)
  uint8_t steer = 0;        // SteerState (exception_steering.h)
  FlowException exception;  // set when steer is kSteered
  // Allocated per inspected flow; freed when the flow's slot is reused or the table goes.
  std::unique_ptr<FlowInspection, FlowInspectionDeleter> inspection;
};

class FlowTable {
 public:
  static constexpr std::size_t kBucketEntries = 8;

  // `capacity` is rounded up to a power of two of at least one bucket. `idle_timeout` is in the
  // caller's clock units; 0 means entries never expire (only eviction frees them). Steered
  // entries (kFlowSteered, kFlowAlias) expire after `steered_idle_timeout` instead (0: the same): a
  // proxied session may idle longer than a bridged flow, and its packets need the entry to find
  // their way back.
  FlowTable(std::size_t capacity, uint64_t idle_timeout, uint64_t steered_idle_timeout = 0);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // The entry of `key`, created (zeroed, `created` set) when absent. The hit path is inline:
  // it runs for nearly every packet.
  FlowEntry& findOrInsert(const FlowKey& key, uint64_t hash, uint64_t now, bool& created) {
    Bucket& b = buckets_[hash & (bucket_count_ - 1)];
    uint32_t sig = signatureOf(hash);
    for (std::size_t i = 0; i < kBucketEntries; ++i) {
      if (b.signature[i] == sig && b.entries[i].key == key && !expired(b.entries[i], now)) {
        created = false;
        return b.entries[i];
      }
    }
    created = true;
    return insert(b, key, sig, now);
  }
  // The live entry of `key`, or nullptr.
  const FlowEntry* find(const FlowKey& key, uint64_t hash, uint64_t now) const;
  FlowEntry* find(const FlowKey& key, uint64_t hash, uint64_t now) {
    return const_cast<FlowEntry*>(std::as_const(*this).find(key, hash, now));
  }

  std::size_t capacity() const { return bucket_count_ * kBucketEntries; }
  std::size_t live() const { return live_; }  // entries in use, idle ones included
  uint64_t evictions() const { return evictions_; }
  uint64_t expirations() const { return expirations_; }

 private:
  // Signatures first, so a miss scans one cache line; 0 marks a free slot.
  struct alignas(64) Bucket {
    uint32_t signature[kBucketEntries] = {};
    FlowEntry entries[kBucketEntries];
  };
  static uint32_t signatureOf(uint64_t hash) {
    auto sig = static_cast<uint32_t>(hash >> 32);
    return sig == 0 ? 1 : sig;
  }
  FlowEntry& insert(Bucket& b, const FlowKey& key, uint32_t sig, uint64_t now);
  bool expired(const FlowEntry& e, uint64_t now) const {
    bool steered = e.steer == kFlowSteered || e.steer == kFlowAlias;
    uint64_t timeout = steered ? steered_idle_timeout_ : idle_timeout_;
    return timeout != 0 && now - e.last_seen > timeout;
  }

  std::unique_ptr<Bucket[]> buckets_;
  std::size_t bucket_count_ = 0;
  uint64_t idle_timeout_ = 0;
  uint64_t steered_idle_timeout_ = 0;
  std::size_t live_ = 0;
  uint64_t evictions_ = 0;
  uint64_t expirations_ = 0;
};

}  // namespace vtps::dpdk
