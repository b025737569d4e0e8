#include "dataplane/filter/rule_parser.h"

#include <glob.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>

#include "dataplane/filter/quoted.h"
#include "dataplane/filter/rule_builder.h"

namespace vtps::filter {
namespace {

using detail::quoted;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits the rule header on whitespace, keeping bracketed groups ("[1.2.3.4, 5.6.7.8]") whole.
Result<std::vector<std::string_view>> splitHeader(std::string_view header) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t'))
      ++i;
    if (i == header.size()) break;
    size_t start = i;
    int depth = 0;
    while (i < header.size() && (depth > 0 || (header[i] != ' ' && header[i] != '\t'))) {
      if (header[i] == '[') ++depth;
      if (header[i] == ']') --depth;
      if (depth < 0) return makeError("unbalanced brackets in rule header");
      ++i;
    }
    if (depth != 0) return makeError("unbalanced brackets in rule header");
    fields.push_back(header.substr(start, i - start));
  }
  if (fields.size() != 7) {
    return makeError(
        "rule header needs 7 fields (action protocol source ports direction destination ports), "
        "got " +
        std::to_string(fields.size()));
  }
  return fields;
}

struct Option {
  std::string_view name;
  std::optional<std::string_view> value;
};

// Splits "name:value; name; ..." on semicolons that are neither escaped nor inside quotes.
Result<std::vector<Option>> splitOptions(std::string_view text) {
  std::vector<Option> options;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    if (i == text.size()) break;
    size_t start = i;
    while (i < text.size() && text[i] != ':' && text[i] != ';')
      ++i;
    Option opt{trim(text.substr(start, i - start)), std::nullopt};
    if (opt.name.empty()) return makeError("empty keyword in rule options");
    if (i < text.size() && text[i] == ':') {
      size_t vstart = ++i;
      bool in_quotes = false;
      while (i < text.size() && (in_quotes || text[i] != ';')) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          i += 2;
          continue;
        }
        if (text[i] == '"') in_quotes = !in_quotes;
        ++i;
      }
      if (in_quotes) return makeError("unterminated quote in option " + quoted(opt.name));
      opt.value = trim(text.substr(vstart, i - vstart));
    }
    if (i < text.size()) ++i;  // ';'
    options.push_back(opt);
  }
  return options;
}

Status parseHeader(const std::vector<std::string_view>& f, const RuleVariables& vars, Rule& rule) {
  static constexpr std::array<std::pair<std::string_view, RuleAction>, 4> kActions{{
      {"alert", RuleAction::kAlert},
      {"drop", RuleAction::kDrop},
      {"reject", RuleAction::kReject},
      {"pass", RuleAction::kPass},
  }};
  static constexpr std::array<std::pair<std::string_view, RuleProtocol>, 3> kProtocols{{
      {"tcp", RuleProtocol::kTcp},
      {"http", RuleProtocol::kHttp},
      {"tls", RuleProtocol::kTls},
  }};
  const auto* action = std::find_if(kActions.begin(), kActions.end(),
                                    [&](const auto& a) { return a.first == f[0]; });
  if (action == kActions.end()) {
    return makeError("unknown action " + quoted(f[0]) + " (expected alert, drop, reject or pass)");
  }
  rule.action = action->second;
  const auto* proto = std::find_if(kProtocols.begin(), kProtocols.end(),
                                   [&](const auto& p) { return p.first == f[1]; });
  if (proto == kProtocols.end()) {
    return makeError("unsupported protocol " + quoted(f[1]) + " (expected tcp, http or tls)");
  }
  rule.protocol = proto->second;
  if (f[4] != "->" && f[4] != "<>") {
    return makeError("bad direction " + quoted(f[4]) + " (expected -> or <>)");
  }
  rule.bidirectional = f[4] == "<>";
  auto src = parseAddressGroup(f[2], vars);
  if (!src.ok()) return makeError("source: " + src.message());
  auto sport = parsePortGroup(f[3], vars);
  if (!sport.ok()) return makeError("source port: " + sport.message());
  auto dst = parseAddressGroup(f[5], vars);
  if (!dst.ok()) return makeError("destination: " + dst.message());
  auto dport = parsePortGroup(f[6], vars);
  if (!dport.ok()) return makeError("destination port: " + dport.message());
  rule.source = std::move(*src);
  rule.source_ports = std::move(*sport);
  rule.destination = std::move(*dst);
  rule.destination_ports = std::move(*dport);
  return {};
}

}  // namespace

std::string RuleError::toString() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

void RuleSet::add(Rule rule) {
  auto [it, inserted] = sid_index_.emplace(rule.sid, rules.size());
  if (!inserted) {
    const Rule& first = rules[it->second];
    addError(rule.file, rule.line,
             "duplicate sid " + std::to_string(rule.sid) + " (first defined at " + first.file +
                 ":" + std::to_string(first.line) + ")");
    return;
  }
  rules.push_back(std::move(rule));
}

void RuleSet::addError(std::string file, int line, std::string message) {
  errors.push_back(RuleError{std::move(file), line, std::move(message)});
}

RuleParser::RuleParser(RuleVariables vars) : vars_(std::move(vars)) {}

Result<Rule> RuleParser::parse(std::string_view text) const {
  text = trim(text);
  if (text.size() > kMaxRuleBytes) {
    return makeError("rule is longer than " + std::to_string(kMaxRuleBytes) + " bytes");
  }
  size_t open = std::string_view::npos;
  int depth = 0;
  for (size_t i = 0; i < text.size() && open == std::string_view::npos; ++i) {
    if (text[i] == '[') ++depth;
    if (text[i] == ']') --depth;
    if (text[i] == '(' && depth == 0) open = i;
  }
  if (open == std::string_view::npos) return makeError("missing \"(\" before the rule options");
  if (text.back() != ')') return makeError("missing \")\" at the end of the rule options");
  auto fields = splitHeader(text.substr(0, open));
  if (!fields.ok()) return fields.error();
  Rule rule;
  VTPS_RETURN_IF_ERROR(parseHeader(*fields, vars_, rule));
  auto options = splitOptions(text.substr(open + 1, text.size() - open - 2));
  if (!options.ok()) return options.error();
  detail::RuleBuilder builder(rule);
  for (const Option& opt : *options)
    VTPS_RETURN_IF_ERROR(builder.apply(opt.name, opt.value));
  VTPS_RETURN_IF_ERROR(builder.finish());
  return rule;
}

void RuleParser::parseText(std::string_view text, std::string_view file, RuleSet& set) const {
  std::string pending;
  bool too_long = false;
  int pending_line = 0;
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (pending.empty() && (line.empty() || line.front() == '#')) continue;
    if (pending.empty()) pending_line = line_no;
    bool continued = !line.empty() && line.back() == '\\';
    if (continued) line.remove_suffix(1);
    // A rule over the cap is not accumulated further: the file's size never sets memory use.
    too_long = too_long || pending.size() + line.size() > kMaxRuleBytes;
    if (!too_long) pending.append(line);
    if (continued && !text.empty()) continue;
    auto rule = too_long ? Result<Rule>(makeError("rule is longer than " +
                                                  std::to_string(kMaxRuleBytes) + " bytes"))
                         : parse(pending);
    too_long = false;
    if (rule.ok()) {
      rule->file = std::string(file);
      rule->line = pending_line;
      set.add(std::move(*rule));
    } else {
      set.addError(std::string(file), pending_line, rule.message());
    }
    pending.clear();
  }
}

Status RuleParser::parseFile(const std::string& path, RuleSet& set) const {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("read rule file " + path + ": " + std::generic_category().message(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    return makeError("read rule file " + path + ": " + std::generic_category().message(errno));
  set.files.push_back(path);
  parseText(buf.str(), path, set);
  return {};
}

Result<RuleSet> RuleParser::loadGlob(const std::string& pattern) const {
  RuleSet set;
  glob_t g{};
  // glob() is not thread-safe; rule sets are loaded on the control thread only.
  int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);  // NOLINT(concurrency-mt-unsafe)
  std::unique_ptr<glob_t, decltype(&globfree)> owner(&g, &globfree);
  if (rc == GLOB_NOMATCH) return set;
  if (rc != 0) return makeError("list rule files " + quoted(pattern) + ": glob failed");
  std::vector<std::string> paths(g.gl_pathv, g.gl_pathv + g.gl_pathc);
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths)
    VTPS_RETURN_IF_ERROR(parseFile(path, set));
  return set;
}

std::string_view toString(RuleAction a) {
  switch (a) {
    case RuleAction::kAlert:
      return "alert";
    case RuleAction::kDrop:
      return "drop";
    case RuleAction::kReject:
      return "reject";
    case RuleAction::kPass:
      return "pass";
  }
  return "?";
}

std::string_view toString(RuleProtocol p) {
  switch (p) {
    case RuleProtocol::kTcp:
      return "tcp";
    case RuleProtocol::kHttp:
      return "http";
    case RuleProtocol::kTls:
      return "tls";
  }
  return "?";
}

std::string_view toString(BufferKind b) {
  switch (b) {
    case BufferKind::kStream:
      return "stream";
    case BufferKind::kHttpMethod:
      return "http.method";
    case BufferKind::kHttpUri:
      return "http.uri";
    case BufferKind::kHttpUriRaw:
      return "http.uri.raw";
    case BufferKind::kHttpHost:
      return "http.host";
    case BufferKind::kHttpHeader:
      return "http.header";
    case BufferKind::kHttpRequestBody:
      return "http.request_body";
    case BufferKind::kHttpResponseBody:
      return "http.response_body";
    case BufferKind::kTlsSni:
      return "tls.sni";
  }
  return "?";
}

}  // namespace vtps::filter
