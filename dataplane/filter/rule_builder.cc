#include "dataplane/filter/rule_builder.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <string>

#include "dataplane/filter/hyperscan_databases.h"
#include "dataplane/filter/quoted.h"

namespace vtps::filter::detail {
namespace {

// Suricata's classification.config: classtype -> default priority.
constexpr std::array<std::pair<std::string_view, uint32_t>, 43> kClasstypes{{
    {"not-suspicious", 3},
    {"unknown", 3},
    {"bad-unknown", 2},
    {"attempted-recon", 2},
    {"successful-recon-limited", 2},
    {"successful-recon-largescale", 2},
    {"attempted-dos", 2},
    {"successful-dos", 2},
    {"attempted-user", 1},
    {"unsuccessful-user", 1},
    {"successful-user", 1},
    {"attempted-admin", 1},
    {"successful-admin", 1},
    {"rpc-portmap-decode", 2},
    {"shellcode-detect", 1},
    {"string-detect", 3},
    {"suspicious-filename-detect", 2},
    {"suspicious-login", 2},
    {"system-call-detect", 2},
    {"tcp-connection", 4},
    {"trojan-activity", 1},
    {"unusual-client-port-connection", 2},
    {"network-scan", 3},
    {"denial-of-service", 2},
    {"non-standard-protocol", 2},
    {"protocol-command-decode", 3},
    {"web-application-activity", 2},
    {"web-application-attack", 1},
    {"misc-activity", 3},
    {"misc-attack", 2},
    {"icmp-event", 3},
    {"inappropriate-content", 1},
    {"policy-violation", 1},
    {"default-login-attempt", 2},
    {"targeted-activity", 1},
    {"exploit-kit", 1},
    {"external-ip-check", 2},
    {"domain-c2", 1},
    {"pup-activity", 2},
    {"credential-theft", 1},
    {"social-engineering", 2},
    {"coin-mining", 2},
    {"command-and-control", 1},
}};

struct StickyBuffer {
  std::string_view name;
  BufferKind buffer;
};
constexpr std::array<StickyBuffer, 9> kStickyBuffers{{
    {"pkt_data", BufferKind::kStream},
    {"http.method", BufferKind::kHttpMethod},
    {"http.uri", BufferKind::kHttpUri},
    {"http.uri.raw", BufferKind::kHttpUriRaw},
    {"http.host", BufferKind::kHttpHost},
    {"http.header", BufferKind::kHttpHeader},
    {"http.request_body", BufferKind::kHttpRequestBody},
    {"http.response_body", BufferKind::kHttpResponseBody},
    {"tls.sni", BufferKind::kTlsSni},
}};

// Snort-style content modifiers that move the preceding content into an HTTP buffer.
constexpr std::array<StickyBuffer, 7> kLegacyModifiers{{
    {"http_method", BufferKind::kHttpMethod},
    {"http_uri", BufferKind::kHttpUri},
    {"http_raw_uri", BufferKind::kHttpUriRaw},
    {"http_host", BufferKind::kHttpHost},
    {"http_header", BufferKind::kHttpHeader},
    {"http_client_body", BufferKind::kHttpRequestBody},
    {"http_server_body", BufferKind::kHttpResponseBody},
}};

// Keywords operators' rule files carry that do not change matching here.
constexpr std::array<std::string_view, 3> kIgnoredKeywords{"reference", "metadata", "gid"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

Result<int64_t> parseInteger(std::string_view name, std::optional<std::string_view> value,
                             int64_t min, int64_t max) {
  std::string_view text = value ? trim(*value) : std::string_view{};
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return makeError(quoted(name) + " needs a number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got " + quoted(text));
  }
  return v;
}

// The body of a quoted value with \" \; \\ unescaped. Used for msg.
Result<std::string> unquote(std::string_view name, std::optional<std::string_view> value) {
  std::string_view text = value ? trim(*value) : std::string_view{};
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') {
    return makeError(quoted(name) + " needs a quoted string");
  }
  text = text.substr(1, text.size() - 2);
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      if (i + 1 == text.size() ||
          (text[i + 1] != '"' && text[i + 1] != ';' && text[i + 1] != '\\')) {
        return makeError("bad escape in " + std::string(name) + " " + quoted(text));
      }
      ++i;
    }
    out.push_back(text[i]);
  }
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes a content string's body: literal bytes, \" \; \\ escapes and |41 42| hex runs.
Result<std::string> decodeContent(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\') {
      if (i + 1 == text.size() ||
          (text[i + 1] != '"' && text[i + 1] != ';' && text[i + 1] != '\\')) {
        return makeError("bad escape in content " + quoted(text));
      }
      out.push_back(text[i + 1]);
      i += 2;
    } else if (c == '|') {
      size_t close = text.find('|', i + 1);
      if (close == std::string_view::npos) return makeError("unterminated hex in content");
      std::string_view hex = text.substr(i + 1, close - i - 1);
      int high = -1;
      for (char h : hex) {
        if (h == ' ') continue;
        int d = hexDigit(h);
        if (d < 0) return makeError("bad hex " + quoted(hex) + " in content");
        if (high < 0) {
          high = d;
        } else {
          out.push_back(static_cast<char>(high * 16 + d));
          high = -1;
        }
      }
      if (high >= 0) return makeError("bad hex " + quoted(hex) + " in content");
      i = close + 1;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// Splits an optional leading "!" off a keyword value and returns the quoted body.
Result<std::string_view> quotedBody(std::string_view name, std::optional<std::string_view> value,
                                    bool& negated) {
  std::string_view text = value ? trim(*value) : std::string_view{};
  negated = !text.empty() && text.front() == '!';
  if (negated) text = trim(text.substr(1));
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') {
    return makeError(quoted(name) + " needs a quoted string");
  }
  return text.substr(1, text.size() - 2);
}

Status hyperscanAccepts(const PcreMatch& pcre) {
  hs_database_t* raw_db = nullptr;
  hs_compile_error_t* raw_err = nullptr;
  hs_error_t rc =
      hs_compile(pcre.expression.c_str(), pcre.hs_flags, HS_MODE_BLOCK, nullptr, &raw_db, &raw_err);
  hs::DatabasePtr db(raw_db);
  hs::CompileErrorPtr err(raw_err);
  if (rc != HS_SUCCESS) {
    return makeError("pcre " + quoted(pcre.text) + " is not supported by Hyperscan: " +
                     (err ? err->message : "error " + std::to_string(rc)));
  }
  return {};
}

bool isRequestBuffer(BufferKind b) {
  return b == BufferKind::kHttpMethod || b == BufferKind::kHttpUri ||
         b == BufferKind::kHttpUriRaw || b == BufferKind::kHttpHost ||
         b == BufferKind::kHttpRequestBody;
}

bool isHttpBuffer(BufferKind b) {
  return b != BufferKind::kStream && b != BufferKind::kTlsSni;
}

}  // namespace

Status RuleBuilder::apply(std::string_view name, std::optional<std::string_view> value) {
  bool handled = false;
  VTPS_RETURN_IF_ERROR(applyMeta(name, value, handled));
  if (handled) return {};
  VTPS_RETURN_IF_ERROR(applyModifier(name, value, handled));
  if (handled) return {};
  if (name == "content") return applyContent(value);
  if (name == "pcre") return applyPcre(value);
  if (name == "flow") return applyFlow(value);
  if (name == "tag") return applyTag(value);
  for (const auto& sticky : kStickyBuffers) {
    if (name == sticky.name) {
      if (value) return makeError(quoted(name) + " takes no value");
      sticky_ = sticky.buffer;
      return {};
    }
  }
  for (const auto& legacy : kLegacyModifiers) {
    if (name == legacy.name) return applyBufferModifier(name, legacy.buffer);
  }
  for (auto ignored : kIgnoredKeywords) {
    if (name == ignored) return {};
  }
  return makeError("unsupported keyword " + quoted(name));
}

Status RuleBuilder::applyMeta(std::string_view name, Value value, bool& handled) {
  handled = true;
  if (name == "msg") {
    auto msg = unquote(name, value);
    if (!msg.ok()) return msg.error();
    rule_.msg = std::move(*msg);
    return {};
  }
  if (name == "sid" || name == "rev") {
    auto v = parseInteger(name, value, name == "sid" ? 1 : 0, UINT32_MAX);
    if (!v.ok()) return v.error();
    (name == "sid" ? rule_.sid : rule_.rev) = static_cast<uint32_t>(*v);
    has_sid_ = has_sid_ || name == "sid";
    return {};
  }
  if (name == "priority") {
    auto v = parseInteger(name, value, 1, 255);
    if (!v.ok()) return v.error();
    rule_.priority = static_cast<uint32_t>(*v);
    has_priority_ = true;
    return {};
  }
  if (name == "classtype") return applyClasstype(value);
  handled = false;
  return {};
}

Status RuleBuilder::applyClasstype(Value value) {
  std::string_view name = value ? trim(*value) : std::string_view{};
  for (const auto& [type, priority] : kClasstypes) {
    if (type == name) {
      rule_.classtype = std::string(type);
      classtype_priority_ = priority;
      return {};
    }
  }
  return makeError("unknown classtype " + quoted(name));
}

Status RuleBuilder::applyContent(Value value) {
  bool negated = false;
  auto body = quotedBody("content", value, negated);
  if (!body.ok()) return body.error();
  auto bytes = decodeContent(*body);
  if (!bytes.ok()) return bytes.error();
  if (bytes->empty()) return makeError("content is empty");
  if (bytes->size() > kMaxContentBytes) {
    return makeError("content is longer than " + std::to_string(kMaxContentBytes) + " bytes");
  }
  PayloadMatch m;
  m.buffer = sticky_;
  m.content.pattern = std::move(*bytes);
  m.content.negated = negated;
  rule_.matches.push_back(std::move(m));
  last_content_ = rule_.matches.size() - 1;
  return {};
}

Status RuleBuilder::applyPcre(Value value) {
  bool negated = false;
  auto body = quotedBody("pcre", value, negated);
  if (!body.ok()) return body.error();
  // Only \" and \; are escapes of the rule syntax; other backslashes belong to the regex.
  std::string text;
  for (size_t i = 0; i < body->size(); ++i) {
    char c = (*body)[i];
    if (c == '\\' && i + 1 < body->size() && ((*body)[i + 1] == '"' || (*body)[i + 1] == ';')) {
      c = (*body)[++i];
    }
    text.push_back(c);
  }
  size_t last = text.rfind('/');
  if (text.size() < 3 || text.front() != '/' || last == 0) {
    return makeError("pcre needs \"/regex/flags\", got " + quoted(text));
  }
  PayloadMatch m;
  m.is_pcre = true;
  m.buffer = sticky_;
  m.pcre.text = text;
  m.pcre.negated = negated;
  m.pcre.expression = text.substr(1, last - 1);
  for (char f : std::string_view(text).substr(last + 1)) {
    switch (f) {
      case 'i':
        m.pcre.hs_flags |= HS_FLAG_CASELESS;
        break;
      case 's':
        m.pcre.hs_flags |= HS_FLAG_DOTALL;
        break;
      case 'm':
        m.pcre.hs_flags |= HS_FLAG_MULTILINE;
        break;
      case 'x':
        m.pcre.expression = "(?x)" + m.pcre.expression;
        break;
      case 'R':
        m.pcre.relative = true;
        break;
      case 'U':
        m.buffer = BufferKind::kHttpUri;
        break;
      case 'I':
        m.buffer = BufferKind::kHttpUriRaw;
        break;
      case 'H':
        m.buffer = BufferKind::kHttpHeader;
        break;
      case 'M':
        m.buffer = BufferKind::kHttpMethod;
        break;
      case 'P':
        m.buffer = BufferKind::kHttpRequestBody;
        break;
      case 'W':
        m.buffer = BufferKind::kHttpHost;
        break;
      default:
        return makeError("unsupported pcre modifier " + quoted(std::string(1, f)) + " in " +
                         quoted(text));
    }
  }
  VTPS_RETURN_IF_ERROR(hyperscanAccepts(m.pcre));
  rule_.matches.push_back(std::move(m));
  return {};
}

ContentMatch* RuleBuilder::lastContent(std::string_view keyword, Status& status) {
  if (!last_content_) {
    status = makeError(quoted(keyword) + " needs a preceding content");
    return nullptr;
  }
  return &rule_.matches[*last_content_].content;
}

Status RuleBuilder::applyModifier(std::string_view name, Value value, bool& handled) {
  handled = name == "nocase" || name == "depth" || name == "offset" || name == "distance" ||
            name == "within" || name == "fast_pattern";
  if (!handled) return {};
  Status status;
  ContentMatch* c = lastContent(name, status);
  if (c == nullptr) return status;
  if (name == "fast_pattern") return applyFastPattern(value);
  if (name == "nocase") {
    if (value) return makeError("\"nocase\" takes no value");
    c->nocase = true;
    return {};
  }
  bool absolute = name == "depth" || name == "offset";
  bool twice = (name == "depth" && c->depth) || (name == "offset" && c->offset) ||
               (name == "distance" && c->distance) || (name == "within" && c->within);
  if (twice) return makeError(quoted(name) + " given twice for one content");
  if ((absolute && c->relative()) || (!absolute && (c->depth || c->offset))) {
    return makeError(
        "\"depth\" and \"offset\" cannot be combined with \"distance\" or \"within\" on one "
        "content");
  }
  auto v = parseInteger(name, value, name == "distance" ? -65535 : 0, 65535);
  if (!v.ok()) return v.error();
  size_t len = c->pattern.size();
  if ((name == "depth" || name == "within") && static_cast<size_t>(*v) < len) {
    return makeError(std::string(name) + " " + std::to_string(*v) +
                     " is shorter than the content (" + std::to_string(len) + " bytes)");
  }
  if (name == "depth") c->depth = static_cast<uint32_t>(*v);
  if (name == "offset") c->offset = static_cast<uint32_t>(*v);
  if (name == "distance") c->distance = static_cast<int32_t>(*v);
  if (name == "within") c->within = static_cast<uint32_t>(*v);
  return {};
}

Status RuleBuilder::applyFastPattern(Value value) {
  ContentMatch& c = rule_.matches[*last_content_].content;
  if (value && trim(*value) != "only") {
    return makeError("\"fast_pattern\" with offset and length is not supported");
  }
  if (has_fast_pattern_) return makeError("fast_pattern given twice");
  if (c.negated) return makeError("fast_pattern cannot be used on a negated content");
  c.fast_pattern = true;
  has_fast_pattern_ = true;
  return {};
}

Status RuleBuilder::applyBufferModifier(std::string_view name, BufferKind buffer) {
  Status status;
  if (lastContent(name, status) == nullptr) return status;
  PayloadMatch& m = rule_.matches[*last_content_];
  if (m.buffer != BufferKind::kStream) {
    return makeError(quoted(name) + " cannot move a content that follows the sticky buffer " +
                     std::string(toString(m.buffer)));
  }
  m.buffer = buffer;
  return {};
}

Status RuleBuilder::applyFlow(Value value) {
  if (!value) return makeError("\"flow\" needs options");
  if (has_flow_) return makeError("\"flow\" given twice");
  has_flow_ = true;
  std::string_view rest = *value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view opt = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    FlowDirection dir = FlowDirection::kAny;
    if (opt == "to_server" || opt == "from_client") {
      dir = FlowDirection::kToServer;
    } else if (opt == "to_client" || opt == "from_server") {
      dir = FlowDirection::kToClient;
    } else if (opt == "established" || opt == "stateless") {
      continue;  // the proxy only sees payload of established connections
    } else {
      return makeError("unsupported flow option " + quoted(opt));
    }
    if (rule_.flow != FlowDirection::kAny && rule_.flow != dir) {
      return makeError("flow has both to_server and to_client");
    }
    rule_.flow = dir;
  }
  return {};
}

Status RuleBuilder::applyTag(Value value) {
  std::string_view text = value ? trim(*value) : std::string_view{};
  std::string_view kind = trim(text.substr(0, text.find(',')));
  if (kind != "session") {
    return makeError("only tag:session is supported, got " + quoted(kind));
  }
  rule_.trace = true;
  return {};
}

Status RuleBuilder::finish() {
  if (!has_sid_) return makeError("rule has no sid");
  if (!has_priority_ && classtype_priority_) rule_.priority = *classtype_priority_;
  VTPS_RETURN_IF_ERROR(checkRelative());
  VTPS_RETURN_IF_ERROR(checkHostCase());
  VTPS_RETURN_IF_ERROR(deriveUnit());
  VTPS_RETURN_IF_ERROR(deriveDirection());
  return chooseFastPattern();
}

Status RuleBuilder::checkRelative() {
  std::array<bool, kBufferKindCount> seen{};
  for (const auto& m : rule_.matches) {
    bool relative = m.is_pcre ? m.pcre.relative : m.content.relative();
    if (relative && !seen[static_cast<size_t>(m.buffer)]) {
      std::string_view what = m.is_pcre ? "pcre /R" : m.content.distance ? "distance" : "within";
      return makeError(quoted(what) + " needs a previous content or pcre in " +
                       std::string(toString(m.buffer)));
    }
    seen[static_cast<size_t>(m.buffer)] = true;
  }
  return {};
}

// http.host is lower-cased before matching (as in Suricata), so an upper-case content there can
// never match; refusing it beats a rule that silently never fires.
Status RuleBuilder::checkHostCase() {
  for (const auto& m : rule_.matches) {
    if (m.buffer != BufferKind::kHttpHost || m.is_pcre || m.content.nocase) continue;
    const std::string& p = m.content.pattern;
    if (std::any_of(p.begin(), p.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return makeError("http.host content " + quoted(p) +
                       " has upper-case letters but the buffer is lower-cased; use nocase or "
                       "lower case");
    }
  }
  return {};
}

Status RuleBuilder::deriveUnit() {
  std::optional<BufferKind> first;
  for (const auto& m : rule_.matches) {
    bool http = isHttpBuffer(m.buffer);
    if (http && rule_.protocol == RuleProtocol::kTls) {
      return makeError(std::string(toString(m.buffer)) + " cannot be used in a tls rule");
    }
    if (m.buffer == BufferKind::kTlsSni && rule_.protocol == RuleProtocol::kHttp) {
      return makeError("tls.sni cannot be used in an http rule");
    }
    InspectionUnit unit = http                              ? InspectionUnit::kHttp
                          : m.buffer == BufferKind::kTlsSni ? InspectionUnit::kTlsSni
                                                            : InspectionUnit::kStream;
    if (first && unit != rule_.unit) {
      return makeError("rule mixes " + std::string(toString(*first)) + " with " +
                       std::string(toString(m.buffer)) + " (not supported)");
    }
    if (!first) first = m.buffer;
    rule_.unit = unit;
    if (m.buffer == BufferKind::kHttpRequestBody || m.buffer == BufferKind::kHttpResponseBody) {
      rule_.needs_body = true;
    }
  }
  // A tcp rule with HTTP buffers is an HTTP rule, as in Suricata.
  if (rule_.unit == InspectionUnit::kHttp) rule_.protocol = RuleProtocol::kHttp;
  if (rule_.unit == InspectionUnit::kTlsSni) rule_.protocol = RuleProtocol::kTls;
  return {};
}

Status RuleBuilder::deriveDirection() {
  for (const auto& m : rule_.matches) {
    FlowDirection needed = isRequestBuffer(m.buffer)                   ? FlowDirection::kToServer
                           : m.buffer == BufferKind::kHttpResponseBody ? FlowDirection::kToClient
                           : m.buffer == BufferKind::kTlsSni           ? FlowDirection::kToServer
                                                                       : FlowDirection::kAny;
    if (needed == FlowDirection::kAny) continue;
    if (rule_.flow != FlowDirection::kAny && rule_.flow != needed) {
      bool requests = needed == FlowDirection::kToServer;
      return makeError(std::string(toString(m.buffer)) + " inspects " +
                       (requests ? "requests" : "responses") + "; it cannot be used with " +
                       (requests ? "flow:to_client" : "flow:to_server"));
    }
    rule_.flow = needed;
  }
  return {};
}

Status RuleBuilder::chooseFastPattern() {
  std::optional<size_t> best;
  for (size_t i = 0; i < rule_.matches.size(); ++i) {
    const auto& m = rule_.matches[i];
    if (m.is_pcre || m.content.negated) continue;
    if (m.content.fast_pattern) {
      best = i;
      break;
    }
    if (!best || m.content.pattern.size() > rule_.matches[*best].content.pattern.size()) best = i;
  }
  for (size_t i = 0; !best && i < rule_.matches.size(); ++i) {
    if (rule_.matches[i].is_pcre && !rule_.matches[i].pcre.negated) best = i;
  }
  if (!best) return makeError("rule needs a content or pcre that is not negated");
  rule_.fast_pattern_index = *best;
  return {};
}

}  // namespace vtps::filter::detail
