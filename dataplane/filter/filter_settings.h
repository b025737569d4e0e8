// What the filter engine is configured with: one struct per TPS filter stage, in the order of
// precedence. These mirror the `filters:` config keys proposed in docs/filters.md; the appliance
// maps its config snapshot onto them. Texts (addresses, ports, files) are validated when the
// pipeline is built, and every rejection names the field.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dataplane/filter/address_group.h"
#include "dataplane/filter/http_parser.h"

namespace vtps::filter {

// A 5-tuple match in the session's client -> server orientation, in address/port group notation
// ("10.0.0.0/8", "[80,443]", "!$HOME_NET", "any"). The protocol is TCP: the proxy carries TCP.
struct FiveTupleSpec {
  std::string name;
  std::string source = "any";
  std::string source_ports = "any";
  std::string destination = "any";
  std::string destination_ports = "any";
};

enum class TrafficAction : uint8_t {
  kBlock,      // close the session (block log)
  kAllow,      // continue with reputation, quarantine and signatures
  kTrust,      // no further inspection; an SSL session stays proxied
  kRateLimit,  // allow, but hold the matching sessions together under rate_limit_kbps
};

struct TrafficFilterSpec {
  FiveTupleSpec match;
  TrafficAction action = TrafficAction::kAllow;
  uint64_t rate_limit_kbps = 0;  // kRateLimit only; > 0
};

struct ReputationSettings {
  std::string ip_list;        // "ADDRESS[/LEN] SCORE" per line
  std::string dns_list;       // "NAME SCORE" or "*.NAME SCORE" per line
  std::string url_list;       // "HOST/PATH-PREFIX SCORE" per line
  int block_threshold = 80;   // score >= this: block
  int notify_threshold = 50;  // score >= this (and below block): permit + notify
};

enum class QuarantineAction : uint8_t { kBlock, kRedirect };

struct QuarantineSettings {
  std::vector<std::string> hosts;  // quarantined client addresses (address groups)
  QuarantineAction action = QuarantineAction::kBlock;
  std::string redirect_url;  // kRedirect: where a quarantined host's HTTP requests are sent
  std::vector<std::string> allowed_destinations;  // reachable while quarantined
};

struct SignatureSettings {
  std::string rules;                                 // glob of rule files (config filters.rules)
  std::map<std::string, std::string> profile_rules;  // profile name -> glob overriding `rules`
  RuleVariables variables = RuleVariables::defaults();
  std::string cache_dir;  // serialized Hyperscan databases; empty: no cache
};

struct InspectionLimits {
  HttpLimits http;
  size_t stream_window_bytes = 65536;     // most stream bytes scanned in one piece
  size_t stream_overlap_bytes = 1024;     // bytes re-scanned across chunk boundaries (at least
                                          // the longest stream content - 1)
  size_t trace_max_bytes = 1 << 20;       // pcap size cap per traced session
  size_t trace_history_bytes = 64 << 10;  // cleartext kept per session for a trace's start
};

struct FilterSettings {
  std::vector<FiveTupleSpec> inspection_bypass;
  std::vector<TrafficFilterSpec> traffic_management;  // first match wins
  ReputationSettings reputation;
  QuarantineSettings quarantine;
  SignatureSettings signatures;
  InspectionLimits limits;
};

}  // namespace vtps::filter
