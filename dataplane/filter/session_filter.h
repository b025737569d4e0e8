// SessionFilter: one session's pass through the pipeline. The 5-tuple stages (bypass, traffic
// management, IP/DNS reputation, quarantine block) are decided when the session opens; each
// piece of cleartext then goes through the HTTP parsers (URL and Host reputation, quarantine
// redirect, HTTP signature rules per message) and the stream signature rules. Once a stage
// blocks, every later call returns the same block.
//
// Used only on the worker thread that owns the session; allocation-free in the steady state
// except where a buffer first grows to its bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/filter/http_parser.h"
#include "dataplane/filter/matcher.h"
#include "dataplane/filter/pcap_writer.h"
#include "dataplane/filter/pipeline.h"

namespace vtps::filter {

enum class FilterAction : uint8_t { kPass, kBlock };

struct SessionVerdict {
  FilterAction action = FilterAction::kPass;
  bool reset = false;  // the deciding filter asks for a TCP reset (reject, reputation, ...)
  bool trace = false;  // a packet trace of the session is being recorded
  std::string reason;  // for the session log: "signature 1000001", "traffic-management web"
  // Bytes to send to the client before closing (quarantine redirect); empty otherwise.
  std::string client_response;
  // Rate limit: how long the caller should wait before reading more of this session.
  std::chrono::nanoseconds throttle{0};
};

class SessionFilter {
 public:
  SessionFilter(std::shared_ptr<const Pipeline> pipeline, std::shared_ptr<FilterRuntime> runtime,
                FlowInfo flow);
  ~SessionFilter();
  SessionFilter(const SessionFilter&) = delete;
  SessionFilter& operator=(const SessionFilter&) = delete;

  // Inspects the next piece of one direction's cleartext.
  const SessionVerdict& inspect(bool client_to_server, std::span<const uint8_t> data);

  bool bypassed() const { return mode_ == Mode::kBypassed; }
  bool trusted() const { return mode_ == Mode::kTrusted; }
  // Whether anything of this snapshot looks at the session's cleartext: a signature rule, a URL
  // or (before decryption) DNS reputation entry, a quarantine redirect or a rate limit. When
  // nothing does, the verdict made at open is final and inspect() returns it at once: callers
  // may stop handing over the payload (the dpdk lcores then skip reassembly too).
  bool wantsCleartext() const { return wants_cleartext_; }
  const SessionVerdict& verdict() const { return verdict_; }
  const FlowInfo& flow() const { return flow_; }

 private:
  enum class Mode : uint8_t { kInspect, kBypassed, kTrusted, kBlocked };
  class HttpSide;
  friend class HttpSide;

  void openStages();
  void applyTrafficManagement();
  // Session-level decisions (at open) have no direction: to_server is nullopt.
  void blockQuarantined(std::optional<bool> to_server);
  void checkIpAndDns();
  void inspectStream(bool to_server, std::span<const uint8_t> data);
  void inspectHttp(bool to_server, std::span<const uint8_t> data);
  bool onHttpHeaders(bool to_server, const HttpMessage& m);
  bool onHttpBody(bool to_server, const HttpMessage& m);
  bool checkReputation(std::optional<ReputationHit> hit, std::optional<bool> to_server,
                       const HttpMessage* m);
  void applySignatures(bool to_server, const HttpMessage* m);
  void recordTrace(bool to_server, std::span<const uint8_t> data);
  void startTrace(uint32_t sid);
  void finishTrace();
  void block(std::string reason, bool reset);
  FilterEvent baseEvent(FilterLog log, FilterStage stage, std::optional<bool> to_server,
                        const HttpMessage* m) const;
  void emit(const FilterEvent& e);

  std::shared_ptr<const Pipeline> pipeline_;
  std::shared_ptr<FilterRuntime> runtime_;
  FlowInfo flow_;
  FlowTraits traits_;
  Mode mode_ = Mode::kInspect;
  SessionVerdict verdict_;
  std::shared_ptr<RateLimiter> limiter_;
  bool signatures_off_ = false;       // a pass rule matched
  bool quarantine_redirect_ = false;  // redirect the first cleartext HTTP request
  bool wants_cleartext_ = false;      // see wantsCleartext()
  std::optional<SignatureMatcher> matcher_;
  std::vector<uint32_t> matched_;
  std::vector<uint32_t> fired_;        // rules already acted on in this session (one event each)
  std::vector<std::string> notified_;  // reputation entries already notified

  // Stream windows per direction (0: client to server).
  struct Stream {
    std::vector<uint8_t> window;
    uint64_t offset = 0;  // stream position of window[0]
  };
  Stream streams_[2];
  size_t overlap_ = 0;

  std::unique_ptr<HttpSide> http_[2];
  bool http_detected_ = false;

  // Packet trace: recent cleartext kept while the rule set has trace rules, then the pcap.
  struct Piece {
    bool to_server;
    std::chrono::system_clock::time_point when;
    std::vector<uint8_t> bytes;
  };
  std::deque<Piece> history_;
  size_t history_bytes_ = 0;
  std::unique_ptr<PcapWriter> pcap_;
  uint32_t trace_sid_ = 0;
  bool trace_done_ = false;
};

}  // namespace vtps::filter
