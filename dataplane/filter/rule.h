// A signature rule as loaded from a rule file: the parsed form of one line of the supported
// Suricata/Snort subset (docs/filters.md). Rules are immutable once a rule set is compiled; the
// compiler refers to them by index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/filter/address_group.h"

namespace vtps::filter {

// Longest content a rule may carry.
inline constexpr size_t kMaxContentBytes = 4096;

enum class RuleAction : uint8_t { kAlert, kDrop, kReject, kPass };
enum class RuleProtocol : uint8_t { kTcp, kHttp, kTls };

// The buffer a content or pcre inspects (the sticky buffer it follows, or the stream).
enum class BufferKind : uint8_t {
  kStream,            // the reassembled cleartext of one direction (bounded window)
  kHttpMethod,        // http.method
  kHttpUri,           // http.uri: request target, percent-decoded
  kHttpUriRaw,        // http.uri.raw: request target as sent
  kHttpHost,          // http.host: Host header value, lower-cased, without port
  kHttpHeader,        // http.header: "Name: value\r\n" per header (request or response)
  kHttpRequestBody,   // http.request_body (http_client_body): de-chunked, first window bytes
  kHttpResponseBody,  // http.response_body: de-chunked, first window bytes
  kTlsSni,            // tls.sni: the SNI of the session's ClientHello
};
inline constexpr size_t kBufferKindCount = 9;

// What a rule is evaluated on, derived from its buffers.
enum class InspectionUnit : uint8_t {
  kStream,  // every chunk of a direction's stream (content without a sticky buffer)
  kHttp,    // each HTTP request or response, once its headers (and, if needed, body) are in
  kTlsSni,  // once per session, on the SNI
};

enum class FlowDirection : uint8_t { kAny, kToServer, kToClient };

struct ContentMatch {
  std::string pattern;  // raw bytes, |hex| decoded
  bool negated = false;
  bool nocase = false;
  bool fast_pattern = false;
  std::optional<uint32_t> offset;
  std::optional<uint32_t> depth;
  std::optional<int32_t> distance;
  std::optional<uint32_t> within;
  bool relative() const { return distance.has_value() || within.has_value(); }
};

struct PcreMatch {
  std::string text;        // as written, for messages: "/a.c/i"
  std::string expression;  // the regex given to Hyperscan
  unsigned hs_flags = 0;   // HS_FLAG_CASELESS / DOTALL / MULTILINE
  bool negated = false;
  bool relative = false;  // R: matched from the end of the previous match in the same buffer
};

// One content or pcre keyword, in rule order.
struct PayloadMatch {
  BufferKind buffer = BufferKind::kStream;
  bool is_pcre = false;
  ContentMatch content;  // when !is_pcre
  PcreMatch pcre;        // when is_pcre
};

struct Rule {
  RuleAction action = RuleAction::kAlert;
  RuleProtocol protocol = RuleProtocol::kTcp;
  AddressSet source;
  PortSet source_ports;
  AddressSet destination;
  PortSet destination_ports;
  bool bidirectional = false;  // "<>"
  FlowDirection flow = FlowDirection::kAny;

  uint32_t sid = 0;
  uint32_t rev = 0;
  uint32_t priority = 3;
  std::string msg;
  std::string classtype;
  bool trace = false;  // tag:session -> packet trace of the session

  std::vector<PayloadMatch> matches;
  InspectionUnit unit = InspectionUnit::kStream;
  bool needs_body = false;        // some match inspects an HTTP body buffer
  size_t fast_pattern_index = 0;  // index into `matches` used as the prefilter

  std::string file;  // where it was defined, for messages
  int line = 0;
};

std::string_view toString(RuleAction a);
std::string_view toString(RuleProtocol p);
std::string_view toString(BufferKind b);

}  // namespace vtps::filter
