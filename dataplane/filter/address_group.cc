#include "dataplane/filter/address_group.h"

#include <charconv>

#include "dataplane/filter/quoted.h"

namespace vtps::filter {
namespace {

// Variables may reference variables; a chain deeper than this is a definition loop.
constexpr int kMaxVariableDepth = 16;

using detail::quoted;

std::optional<uint32_t> parseDecimal(std::string_view s, uint32_t max) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

Result<AddressSet> parseAddressAtom(std::string_view token) {
  if (token.find(':') != std::string_view::npos) {
    return makeError("IPv6 address " + quoted(token) + " is not supported (IPv4 only)");
  }
  AddressSet set;
  if (size_t dash = token.find('-'); dash != std::string_view::npos) {
    auto lo = parseIpv4(token.substr(0, dash));
    auto hi = parseIpv4(token.substr(dash + 1));
    if (!lo || !hi) return makeError("bad address range " + quoted(token));
    if (*lo > *hi) return makeError("address range " + quoted(token) + " is reversed");
    set.add(*lo, *hi);
    return set;
  }
  std::string_view addr = token;
  uint32_t prefix = 32;
  if (size_t slash = token.find('/'); slash != std::string_view::npos) {
    auto p = parseDecimal(token.substr(slash + 1), 32);
    if (!p) return makeError("bad prefix length in " + quoted(token));
    prefix = *p;
    addr = token.substr(0, slash);
  }
  auto a = parseIpv4(addr);
  if (!a) return makeError("bad address " + quoted(token));
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  set.add(*a & mask, (*a & mask) | ~mask);
  return set;
}

Result<PortSet> parsePortAtom(std::string_view token) {
  PortSet set;
  size_t colon = token.find(':');
  if (colon == std::string_view::npos) {
    auto p = parseDecimal(token, 65535);
    if (!p) return makeError("bad port " + quoted(token));
    set.add(static_cast<uint16_t>(*p), static_cast<uint16_t>(*p));
    return set;
  }
  std::string_view lo_text = token.substr(0, colon);
  std::string_view hi_text = token.substr(colon + 1);
  auto lo = lo_text.empty() ? std::optional<uint32_t>(0) : parseDecimal(lo_text, 65535);
  auto hi = hi_text.empty() ? std::optional<uint32_t>(65535) : parseDecimal(hi_text, 65535);
  if (!lo || !hi || (lo_text.empty() && hi_text.empty())) {
    return makeError("bad port range " + quoted(token));
  }
  if (*lo > *hi) return makeError("port range " + quoted(token) + " is reversed");
  set.add(static_cast<uint16_t>(*lo), static_cast<uint16_t>(*hi));
  return set;
}

// Recursive-descent parser over one group's text; variables are parsed by a nested instance.
template <typename T>
class GroupParser {
 public:
  using Set = IntervalSet<T>;
  using AtomFn = Result<Set> (*)(std::string_view);

  GroupParser(std::string_view kind, const std::map<std::string, std::string, std::less<>>& vars,
              AtomFn atom, int depth)
      : kind_(kind), vars_(vars), atom_(atom), depth_(depth) {}

  Result<Set> parseAll(std::string_view text) {
    text_ = text;
    pos_ = 0;
    skipSpace();
    if (pos_ == text_.size()) return makeError("empty " + std::string(kind_) + " group");
    auto set = parseItem();
    if (!set.ok()) return set;
    skipSpace();
    if (pos_ != text_.size()) {
      return makeError("unexpected " + quoted(text_.substr(pos_)) + " in " + std::string(kind_) +
                       " group " + quoted(text_));
    }
    return set;
  }

 private:
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  Result<Set> parseItem() {
    skipSpace();
    if (peek('!')) {
      ++pos_;
      auto inner = parseItem();
      if (!inner.ok()) return inner;
      return inner->complement();
    }
    if (peek('[')) return parseList();
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ']' && text_[pos_] != '[' &&
           text_[pos_] != ' ' && text_[pos_] != '\t') {
      ++pos_;
    }
    std::string_view token = text_.substr(start, pos_ - start);
    if (token.empty()) {
      return makeError("missing " + std::string(kind_) + " in group " + quoted(text_));
    }
    if (token == "any") return Set::all();
    if (token.front() == '$') return parseVariable(token.substr(1));
    return atom_(token);
  }

  Result<Set> parseList() {
    ++pos_;  // '['
    Set positive;
    Set negative;
    bool any_positive = false;
    for (;;) {
      skipSpace();
      bool negated = peek('!');
      if (negated) ++pos_;
      auto item = parseItem();
      if (!item.ok()) return item;
      if (negated) {
        negative.unite(*item);
      } else {
        positive.unite(*item);
        any_positive = true;
      }
      skipSpace();
      if (peek(',')) {
        ++pos_;
        continue;
      }
      if (peek(']')) {
        ++pos_;
        break;
      }
      return makeError("unbalanced brackets in " + std::string(kind_) + " group " + quoted(text_));
    }
    // A list of only negations means "everything but these", as in Suricata.
    return (any_positive ? positive : Set::all()).minus(negative);
  }

  Result<Set> parseVariable(std::string_view name) {
    auto it = vars_.find(name);
    if (it == vars_.end()) {
      return makeError("undefined " + std::string(kind_) + " variable $" + std::string(name));
    }
    if (depth_ >= kMaxVariableDepth) {
      return makeError(std::string(kind_) + " variable $" + std::string(name) +
                       " is defined recursively");
    }
    GroupParser nested(kind_, vars_, atom_, depth_ + 1);
    return nested.parseAll(it->second);
  }

  std::string_view kind_;
  const std::map<std::string, std::string, std::less<>>& vars_;
  AtomFn atom_;
  int depth_;
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

RuleVariables RuleVariables::defaults() {
  RuleVariables v;
  v.addresses = {
      {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
      {"EXTERNAL_NET", "!$HOME_NET"},
      {"HTTP_SERVERS", "$HOME_NET"},
      {"SMTP_SERVERS", "$HOME_NET"},
      {"SQL_SERVERS", "$HOME_NET"},
      {"DNS_SERVERS", "$HOME_NET"},
      {"TELNET_SERVERS", "$HOME_NET"},
      {"AIM_SERVERS", "$EXTERNAL_NET"},
      {"DC_SERVERS", "$HOME_NET"},
      {"DNP3_SERVER", "$HOME_NET"},
      {"DNP3_CLIENT", "$HOME_NET"},
      {"MODBUS_CLIENT", "$HOME_NET"},
      {"MODBUS_SERVER", "$HOME_NET"},
      {"ENIP_CLIENT", "$HOME_NET"},
      {"ENIP_SERVER", "$HOME_NET"},
  };
  v.ports = {
      {"HTTP_PORTS", "80"},     {"SHELLCODE_PORTS", "!80"},
      {"ORACLE_PORTS", "1521"}, {"SSH_PORTS", "22"},
      {"DNP3_PORTS", "20000"},  {"MODBUS_PORTS", "502"},
      {"FTP_PORTS", "21"},      {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
      {"GENEVE_PORTS", "6081"}, {"VXLAN_PORTS", "4789"},
      {"TEREDO_PORTS", "3544"},
  };
  return v;
}

Result<AddressSet> parseAddressGroup(std::string_view text, const RuleVariables& vars) {
  GroupParser<uint32_t> parser("address", vars.addresses, &parseAddressAtom, 0);
  auto set = parser.parseAll(text);
  if (set.ok() && set->empty()) {
    return makeError("address group " + quoted(text) + " matches nothing");
  }
  return set;
}

Result<PortSet> parsePortGroup(std::string_view text, const RuleVariables& vars) {
  GroupParser<uint16_t> parser("port", vars.ports, &parsePortAtom, 0);
  auto set = parser.parseAll(text);
  if (set.ok() && set->empty()) return makeError("port group " + quoted(text) + " matches nothing");
  return set;
}

std::optional<uint32_t> parseIpv4(std::string_view text) {
  uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = i < 3 ? text.find('.') : text.size();
    if (dot == std::string_view::npos || dot == 0 || dot > 3) return std::nullopt;
    auto octet = parseDecimal(text.substr(0, dot), 255);
    if (!octet) return std::nullopt;
    out = (out << 8) | *octet;
    text = i < 3 ? text.substr(dot + 1) : std::string_view{};
  }
  return out;
}

std::string formatIpv4(uint32_t a) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    if (shift != 24) out.push_back('.');
    out.append(std::to_string((a >> shift) & 0xff));
  }
  return out;
}

}  // namespace vtps::filter
