// The global SSL client domain exclusions: domains that no client policy decrypts (a profile's
// decryption policy still takes precedence). Three sources:
//   config     ssl.domain-exclusions.domains, read-only here;
//   manual     added with `vtpsctl exclusions add`;
//   automatic  added by the proxy when a domain cannot be inspected: the server asked for a
//              client certificate, or clients rejected the minted certificate with alert 46
//              (certificate_unknown) `auto-failure-threshold` times within
//              `auto-failure-window` seconds.
// Manual and automatic entries persist in a JSON state file (docs/client-inspection.md has the
// schema), written atomically (temp file, fsync, rename) under an flock(2) on FILE.lock, so the
// daemon and vtpsctl can both edit it.
//
// Threading: workers read through version() (one atomic load) and current() (a shared_ptr copy
// under a mutex, taken only when the version moved), so the session path holds no lock in the
// common case. recordFailure()/excludeNow() run on workers when a handshake fails: they take the
// mutex, never touch the file, and publish a new immutable ExclusionSet at once. The file is
// written by sync(), which the daemon runs on the store's own thread (startSync): it persists the
// new entries and picks up edits that vtpsctl made to the file.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"
#include "dataplane/proxy/domain_matcher.h"

namespace vtps::proxy {

enum class ExclusionSource { kConfig, kManual, kAutomatic };
std::string_view toString(ExclusionSource source);  // "config", "manual", "automatic"

struct ExclusionEntry {
  std::string domain;  // a host name or "*." wildcard, normalized
  ExclusionSource source = ExclusionSource::kManual;
  std::string reason;
  std::string added;  // RFC 3339 UTC; empty for config entries
  bool operator==(const ExclusionEntry&) const = default;
};

// One immutable generation of the exclusions, shared by the workers.
class ExclusionSet {
 public:
  ExclusionSet() = default;
  explicit ExclusionSet(std::vector<ExclusionEntry> entries);
  // The most specific entry covering `host` (lowercase), or nullptr.
  const ExclusionEntry* match(std::string_view host) const;
  const std::vector<ExclusionEntry>& entries() const { return entries_; }

 private:
  std::vector<ExclusionEntry> entries_;
  DomainMatcher matcher_;  // tag: index into entries_
};

struct ExclusionSettings {
  bool automatic = true;
  int failure_threshold = 3;
  int failure_window_s = 300;
  std::vector<std::string> config_domains;

  static ExclusionSettings from(const config::DomainExclusions& config);
};

// The state file a config uses: ssl.domain-exclusions.state-file, else
// <device.keystore>/domain-exclusions.json.
std::string exclusionStatePath(const config::Config& config);

class ExclusionStore {
 public:
  static constexpr size_t kMaxEntries = 65536;         // manual + automatic
  static constexpr size_t kMaxTrackedDomains = 16384;  // domains with failures being counted

  enum class FailureOutcome {
    kCounted,          // below the threshold so far
    kExcluded,         // this failure excluded the domain
    kAlreadyExcluded,  // an entry already covers the domain
    kAutomaticOff,     // automatic exclusions are disabled: nothing recorded
    kFull,             // kMaxEntries reached: not excluded
  };

  // Reads `path` (absent: no persisted entries). Errors: "domain exclusions FILE: <cause>" for
  // an unreadable file, malformed JSON or an invalid entry ("exclusions[2].domain: ...").
  static Result<std::unique_ptr<ExclusionStore>> open(std::string path, ExclusionSettings settings);
  ~ExclusionStore();  // stops the sync thread after a last sync
  ExclusionStore(const ExclusionStore&) = delete;
  ExclusionStore& operator=(const ExclusionStore&) = delete;

  const std::string& path() const { return path_; }

  // Readers. version() changes whenever current() would return a new set.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  std::shared_ptr<const ExclusionSet> current() const;

  // New config: the config entries and the automatic-exclusion settings.
  void configure(ExclusionSettings settings);

  // Automatic exclusions (any thread). recordFailure counts one failure of `domain` at
  // `now_ms` (a monotonic clock) and excludes it once `failure_threshold` failures fall within
  // `failure_window_s`. excludeNow excludes at once (a server that asks for a client
  // certificate can never be inspected).
  FailureOutcome recordFailure(std::string_view domain, std::string_view reason, int64_t now_ms);
  FailureOutcome excludeNow(std::string_view domain, std::string_view reason);

  // Persists new entries and picks up external edits of the file (under the file lock).
  Status sync();
  // Runs sync() every `interval` and whenever an entry is added, on a thread of its own;
  // failures go to `on_error` (called on that thread).
  void startSync(std::chrono::milliseconds interval, std::function<void(std::string)> on_error);

  // vtpsctl, offline: each locks the file, reads it, changes it and writes it. add() errors:
  // not a domain pattern, already excluded by the config or the file, kMaxEntries reached;
  // remove() errors: only in the config, not excluded.
  Status add(std::string_view domain, std::string_view reason);
  Status remove(std::string_view domain);
  // Config entries, then the persisted and pending ones, in the order they were added.
  std::vector<ExclusionEntry> list() const;

 private:
  struct FileStamp {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  };

  ExclusionStore(std::string path, ExclusionSettings settings);
  Result<std::vector<ExclusionEntry>> readFile() const;
  Status writeFile(const std::vector<ExclusionEntry>& entries) const;
  FileStamp stamp() const;
  // Locks FILE.lock (exclusive flock); the descriptor releases it when closed.
  Result<int> lockFile() const;
  FailureOutcome exclude(std::string_view domain, std::string_view reason);
  bool coveredLocked(std::string_view domain) const;
  void publishLocked();  // requires mu_
  void syncLoop(std::chrono::milliseconds interval, std::function<void(std::string)> on_error);

  const std::string path_;
  mutable std::mutex mu_;
  ExclusionSettings settings_;                   // guarded by mu_
  std::vector<ExclusionEntry> file_entries_;     // as last read or written; guarded by mu_
  std::vector<ExclusionEntry> pending_;          // added here, not yet written; guarded by mu_
  FileStamp file_stamp_;                         // of the file at that time; guarded by mu_
  std::shared_ptr<const ExclusionSet> current_;  // guarded by mu_
  std::unordered_map<std::string, std::deque<int64_t>> failures_;  // guarded by mu_
  std::atomic<uint64_t> version_{1};

  std::condition_variable sync_cv_;  // wakes the sync thread (with mu_)
  bool sync_wanted_ = false;         // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  std::thread sync_thread_;
};

}  // namespace vtps::proxy
