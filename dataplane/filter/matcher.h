// SignatureMatcher: evaluates a compiled rule set against one session's inspection units. Each
// buffer is scanned once with its Hyperscan prefilter database (the rules' fast patterns); every
// candidate rule is then verified in full: header (addresses, ports, direction, protocol), then
// every content and pcre with nocase/offset/depth/distance/within, backtracking over earlier
// occurrences when a relative match needs another position (bounded per rule).
//
// One matcher per session, used only on the session's worker thread. Hyperscan scratch space is
// per worker thread (cloned from the rule set's prototype on first use), so matchers never share
// mutable state.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/filter/http_parser.h"
#include "dataplane/filter/rule_compiler.h"

namespace vtps::filter {

// The session facts a rule header and the flow keyword test.
struct FlowTraits {
  uint32_t client_ip = 0;
  uint16_t client_port = 0;
  uint32_t server_ip = 0;
  uint16_t server_port = 0;
  bool http = false;  // the session carries HTTP/1.x (http rules apply)
  bool tls = false;   // the session is TLS (tls rules apply)
};

struct MatchStats {
  uint64_t scans = 0;             // Hyperscan scans of a buffer
  uint64_t candidates = 0;        // rules whose fast pattern matched
  uint64_t budget_exhausted = 0;  // verifications abandoned at the backtracking bound
  uint64_t scan_errors = 0;       // scratch allocation or scan failures
};

class SignatureMatcher {
 public:
  // Steps (occurrences tried, pcre scans) one rule's verification may take before it is
  // abandoned as not matching: a hostile payload cannot make verification quadratic.
  static constexpr int kVerifyBudget = 4096;

  explicit SignatureMatcher(std::shared_ptr<const CompiledRuleSet> rules);

  const CompiledRuleSet& rules() const { return *rules_; }

  // Stream rules over a window of one direction's stream. `stream_offset` is the position of
  // window[0] in that stream (offset/depth of stream contents are stream positions).
  // Appends the indexes of the rules that match to `matched`, ascending.
  void matchStream(const FlowTraits& flow, bool to_server, std::span<const uint8_t> window,
                   uint64_t stream_offset, std::vector<uint32_t>& matched);

  // HTTP rules once a message's headers are in: rules without body keywords are decided now;
  // candidates that also need the body are kept for matchHttpBody of the same message.
  void matchHttpHeaders(const FlowTraits& flow, bool to_server, const HttpMessage& message,
                        std::vector<uint32_t>& matched);
  // HTTP rules with body keywords, once the body window is available.
  void matchHttpBody(const FlowTraits& flow, bool to_server, const HttpMessage& message,
                     std::vector<uint32_t>& matched);

  // tls.sni rules, once per session.
  void matchTlsSni(const FlowTraits& flow, std::string_view sni, std::vector<uint32_t>& matched);

  const MatchStats& stats() const { return stats_; }

 private:
  struct Buffers;
  bool scan(BufferKind kind, std::span<const uint8_t> data);
  void verifyCandidates(const FlowTraits& flow, bool to_server, const Buffers& buffers,
                        std::vector<uint32_t>& matched, std::vector<uint32_t>* defer_body);

  std::shared_ptr<const CompiledRuleSet> rules_;
  std::vector<uint32_t> candidates_;
  std::vector<uint32_t> deferred_[2];  // per direction (0: to server)
  MatchStats stats_;
};

}  // namespace vtps::filter
