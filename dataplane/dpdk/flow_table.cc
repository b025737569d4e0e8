#include "dataplane/dpdk/flow_table.h"

#include <bit>

namespace vtps::dpdk {

FlowTable::FlowTable(std::size_t capacity, uint64_t idle_timeout, uint64_t steered_idle_timeout)
    : bucket_count_(std::bit_ceil(std::max<std::size_t>(capacity / kBucketEntries, 1))),
      idle_timeout_(idle_timeout),
      steered_idle_timeout_(steered_idle_timeout != 0 ? steered_idle_timeout : idle_timeout) {
  buckets_ = std::make_unique<Bucket[]>(bucket_count_);
}

FlowTable::~FlowTable() = default;

FlowEntry& FlowTable::insert(Bucket& b, const FlowKey& key, uint32_t sig, uint64_t now) {
  std::size_t free_slot = kBucketEntries;
  std::size_t stalest = 0;
  for (std::size_t i = 0; i < kBucketEntries; ++i) {
    if (free_slot == kBucketEntries && (b.signature[i] == 0 || expired(b.entries[i], now)))
      free_slot = i;
    if (b.entries[i].last_seen < b.entries[stalest].last_seen) stalest = i;
  }
  std::size_t slot = free_slot;
  if (slot == kBucketEntries) {
    slot = stalest;
    ++evictions_;
  } else if (b.signature[slot] != 0) {
    ++expirations_;
  } else {
    ++live_;
  }
  b.signature[slot] = sig;
  b.entries[slot] = FlowEntry{};  // frees an evicted or expired flow's filter state
  b.entries[slot].key = key;
  b.entries[slot].last_seen = now;
  return b.entries[slot];
}

const FlowEntry* FlowTable::find(const FlowKey& key, uint64_t hash, uint64_t now) const {
  const Bucket& b = buckets_[hash & (bucket_count_ - 1)];
  uint32_t sig = signatureOf(hash);
  for (std::size_t i = 0; i < kBucketEntries; ++i) {
    if (b.signature[i] == sig && b.entries[i].key == key && !expired(b.entries[i], now))
      return &b.entries[i];
  }
  return nullptr;
}

}  // namespace vtps::dpdk
