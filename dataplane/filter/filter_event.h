// What the filter engine reports: one FilterEvent per block or permit+notify decision (the block
// and alert logs, each with an "SSL Inspect" field), packet traces, and counters per action and
// stage. Events are produced on worker threads; the sink hands them to the control thread, which
// writes the JSON lines (toJsonLine) and the pcap files (writeTraceFile).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/result.h"

namespace vtps::filter {

enum class FilterLog : uint8_t { kBlock, kAlert };
enum class FilterStage : uint8_t { kTrafficManagement, kReputation, kQuarantine, kSignature };

struct FilterEvent {
  int64_t time_unix_ms = 0;
  FilterLog log = FilterLog::kBlock;
  FilterStage stage = FilterStage::kSignature;
  std::string action;  // "block", "reject", "permit+notify", "redirect"
  std::string reason;  // one line for operators: "signature 1000001: SQL injection in URI"
  // Signature filters.
  uint32_t sid = 0;
  uint32_t rev = 0;
  uint32_t priority = 0;
  std::string msg;
  std::string classtype;
  // Traffic management filter name, reputation list entry, or quarantine.
  std::string filter;
  int score = -1;  // reputation score, -1 when not a reputation event
  // The session.
  bool ssl_inspect = false;  // the event comes from a decrypted SSL session
  std::string profile, policy, proxy;
  std::string client_address;
  uint16_t client_port = 0;
  std::string server_address;
  uint16_t server_port = 0;
  std::string direction;  // "client-to-server" | "server-to-client" | "" (session-level)
  std::string http_method, http_host, http_uri;
  bool traced = false;  // a packet trace of the session was started
};

// A finished packet trace: a complete pcap file's bytes.
struct TraceCapture {
  std::string
      file_name;  // suggested name, unique per session: "trace-<ms>-<client>-<server>-<sid>.pcap"
  std::vector<uint8_t> pcap;
  uint32_t sid = 0;
  bool truncated = false;  // the trace hit its size cap
};

// Receives events from worker threads. Implementations must not block (queue and return).
class FilterEventSink {
 public:
  virtual ~FilterEventSink() = default;
  virtual void filterEvent(const FilterEvent& event) = 0;
  virtual void traceCaptured(TraceCapture capture) = 0;
};

// One JSON object (no trailing newline), keys in snake_case: {"time":...,"log":"block",
// "stage":"signature","action":"block","ssl_inspect":true,...}.
std::string toJsonLine(const FilterEvent& event);
// Writes a trace into `dir` (created if missing) under its file name, atomically.
Status writeTraceFile(const std::string& dir, const TraceCapture& capture);

std::string_view toString(FilterLog log);
std::string_view toString(FilterStage stage);

// Counters per action and per stage, summed over workers (relaxed atomics: they change on
// session and event boundaries, not per byte).
class FilterCounters {
 public:
  enum Id : uint8_t {
    kSessions,       // sessions opened through the pipeline
    kBypassed,       // inspection bypass rule matched
    kTmBlocked,      // traffic management: block
    kTmAllowed,      // traffic management: allow
    kTmTrusted,      // traffic management: trust
    kTmRateLimited,  // traffic management: rate limit matched
    kTmThrottled,    // pieces the rate limit asked to delay
    kReputationBlocked,
    kReputationNotified,
    kQuarantineBlocked,
    kQuarantineRedirected,
    kSignatureBlocked,    // drop/reject rules
    kSignatureNotified,   // alert rules
    kSignaturePassed,     // pass rules (inspection of the session stopped)
    kActionBlock,         // every block, whatever the stage
    kActionPermitNotify,  // every permit+notify
    kActionTrace,         // sessions traced
    kTracesWritten,       // traces handed to the sink
    kTracesTruncated,
    kHttpParseErrors,  // directions whose HTTP parsing stopped on invalid input
    kVerifyBudgetExhausted,
    kScanErrors,
    kCount
  };

  void add(Id id, uint64_t n = 1) { values_[id].fetch_add(n, std::memory_order_relaxed); }
  uint64_t get(Id id) const { return values_[id].load(std::memory_order_relaxed); }
  // (name, value) in enum order, names in snake_case ("signature_blocked").
  std::vector<std::pair<std::string, uint64_t>> snapshot() const;
  static std::string_view name(Id id);

 private:
  std::array<std::atomic<uint64_t>, kCount> values_{};
};

}  // namespace vtps::filter
