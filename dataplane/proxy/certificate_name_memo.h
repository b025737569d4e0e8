// CertificateNameMemo: destinations (address:port) that were reached without SNI and whose
// server certificate names a domain that is not decrypted. The first such session has already
// been proxied (its upstream handshake was the only way to learn the names) and goes on
// decrypted but not inspected; later SNI-less sessions to the same destination are spliced
// without a handshake. One per worker (no sharing, no locks), bounded, entries expire; the
// worker clears it whenever the config or the exclusions change.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace vtps::proxy {

class CertificateNameMemo {
 public:
  static constexpr size_t kMaxEntries = 4096;
  static constexpr int64_t kTtlMs = 3600 * 1000;

  void remember(uint32_t address, uint16_t port, std::string reason, int64_t now_ms) {
    if (entries_.size() >= kMaxEntries) {
      std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires_ms <= now_ms; });
      // Still full: forget everything rather than track ages; entries are only a shortcut.
      if (entries_.size() >= kMaxEntries) entries_.clear();
    }
    entries_.insert_or_assign(key(address, port), Entry{std::move(reason), now_ms + kTtlMs});
  }
  // The reason recorded for the destination, or nullptr (also once expired).
  const std::string* find(uint32_t address, uint16_t port, int64_t now_ms) const {
    auto it = entries_.find(key(address, port));
    if (it == entries_.end() || it->second.expires_ms <= now_ms) return nullptr;
    return &it->second.reason;
  }
  void clear() { entries_.clear(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string reason;
    int64_t expires_ms = 0;
  };
  static uint64_t key(uint32_t address, uint16_t port) { return (uint64_t{address} << 16) | port; }
  std::unordered_map<uint64_t, Entry> entries_;
};

}  // namespace vtps::proxy
