#include "dataplane/filter/http_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace vtps::filter {
namespace {

// Chunk-size lines ("1a;ext=1\r\n") are short; a long one is an attack, not HTTP.
constexpr size_t kMaxChunkLineBytes = 1024;
// Body lengths above this are refused rather than trusted (no real message is 2^60 bytes).
constexpr uint64_t kMaxBodyLength = uint64_t{1} << 60;

bool isTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTchar);
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool isHttpVersion(std::string_view v) {
  return v.size() == 8 && v.substr(0, 7) == "HTTP/1." && v[7] >= '0' && v[7] <= '9';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void percentDecode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hexValue(in[i + 1]) >= 0 && hexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
}

// "Example.COM:8080" -> "example.com"; "[::1]:80" -> "[::1]".
void normalizeHost(std::string_view in, std::string& out) {
  size_t colon = in.rfind(':');
  if (colon != std::string_view::npos && in.find(']', colon) == std::string_view::npos) {
    in = in.substr(0, colon);
  }
  out.assign(in.begin(), in.end());
  std::transform(out.begin(), out.end(), out.begin(), lower);
}

// Parses a decimal Content-Length value, possibly a list of identical values ("5, 5").
bool parseContentLength(std::string_view value, uint64_t& out) {
  bool any = false;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trimOws(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() ||
        v > kMaxBodyLength || (any && v != out)) {
      return false;
    }
    out = v;
    any = true;
  }
  return any;
}

}  // namespace

void HttpMessage::clear() {
  method.clear();
  uri_raw.clear();
  uri.clear();
  version.clear();
  status = 0;
  host.clear();
  headers.clear();
  body.clear();
  body_bytes = 0;
  body_truncated = false;
}

HttpParser::HttpParser(Kind kind, HttpLimits limits, Listener& listener)
    : kind_(kind), limits_(limits), listener_(listener) {
  msg_.request = kind == Kind::kRequest;
}

void HttpParser::expectResponseTo(std::string_view method) {
  if (pending_methods_.size() >= limits_.max_pending_requests)
    pending_methods_.erase(pending_methods_.begin());
  pending_methods_.emplace_back(method);
}

void HttpParser::feed(std::span<const uint8_t> data) {
  bool until_close = false;
  while (!data.empty() && state_ == State::kHttp) {
    size_t used = 0;
    switch (phase_) {
      case Phase::kBodyLength:
      case Phase::kChunkData:
      case Phase::kBodyUntilClose:
        until_close = phase_ == Phase::kBodyUntilClose;
        used = feedBody(data);
        break;
      default:
        used = feedLine(data);
        break;
    }
    data = data.subspan(used);
  }
  // A body that ends with the connection is offered after every piece that extends it.
  if (until_close && state_ == State::kHttp && phase_ == Phase::kBodyUntilClose &&
      !body_reported_ && !listener_.onBody(msg_)) {
    state_ = State::kStopped;
  }
}

void HttpParser::finish() {
  if (state_ == State::kHttp && phase_ == Phase::kBodyUntilClose) messageComplete();
}

size_t HttpParser::lineBudget() const {
  if (phase_ == Phase::kChunkSize || phase_ == Phase::kChunkDataEnd) {
    return kMaxChunkLineBytes - std::min(kMaxChunkLineBytes, line_.size());
  }
  return limits_.max_header_bytes - std::min(limits_.max_header_bytes, section_bytes_);
}

size_t HttpParser::feedLine(std::span<const uint8_t> data) {
  const auto* nl = static_cast<const uint8_t*>(std::memchr(data.data(), '\n', data.size()));
  size_t take = nl != nullptr ? static_cast<size_t>(nl - data.data()) + 1 : data.size();
  if (take > lineBudget()) {
    fail(phase_ == Phase::kChunkSize || phase_ == Phase::kChunkDataEnd
             ? "chunk size line too long"
             : "header section too large");
    return data.size();
  }
  if (phase_ != Phase::kChunkSize && phase_ != Phase::kChunkDataEnd) section_bytes_ += take;
  line_.append(reinterpret_cast<const char*>(data.data()), take);
  if (nl == nullptr) return take;
  std::string_view line(line_);
  line.remove_suffix(1);  // '\n'
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  processLine(line);
  line_.clear();
  return take;
}

void HttpParser::processLine(std::string_view line) {
  switch (phase_) {
    case Phase::kStartLine:
      processStartLine(line);
      break;
    case Phase::kHeaderLine:
      processHeaderLine(line);
      break;
    case Phase::kChunkSize:
      processChunkSize(line);
      break;
    case Phase::kChunkDataEnd:
      if (!line.empty()) return fail("missing CRLF after chunk data");
      phase_ = Phase::kChunkSize;
      break;
    case Phase::kTrailer:
      if (line.empty()) messageComplete();
      break;
    default:
      break;
  }
}

void HttpParser::processStartLine(std::string_view line) {
  // Empty lines before a message are tolerated (RFC 9112 2.2); they count against the budget.
  if (line.empty()) return;
  msg_.clear();
  msg_.request = kind_ == Kind::kRequest;
  header_lines_.clear();
  bool ok = kind_ == Kind::kRequest ? parseRequestLine(line) : parseResponseLine(line);
  if (!ok) return fail(kind_ == Kind::kRequest ? "bad request line" : "bad status line");
  phase_ = Phase::kHeaderLine;
}

bool HttpParser::parseRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return false;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method) || target.empty() || !isHttpVersion(version)) return false;
  if (std::any_of(target.begin(), target.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return false;
  }
  msg_.method.assign(method);
  msg_.uri_raw.assign(target);
  percentDecode(target, msg_.uri);
  msg_.version.assign(version);
  return true;
}

bool HttpParser::parseResponseLine(std::string_view line) {
  if (line.size() < 12 || !isHttpVersion(line.substr(0, 8)) || line[8] != ' ') return false;
  std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  if (line.size() > 12 && line[12] != ' ') return false;
  msg_.version.assign(line.substr(0, 8));
  msg_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  return msg_.status >= 100;
}

void HttpParser::processHeaderLine(std::string_view line) {
  if (line.empty()) return headersComplete();
  if (line.front() == ' ' || line.front() == '\t') {
    // obs-fold: a continuation of the previous header's value (RFC 9112 5.2).
    if (header_lines_.empty()) return fail("header continuation without a header");
    std::string& value = header_lines_.back().second;
    value.push_back(' ');
    value.append(trimOws(line));
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !isToken(line.substr(0, colon))) {
    return fail("bad header line");
  }
  if (header_lines_.size() >= limits_.max_headers) return fail("too many header lines");
  header_lines_.emplace_back(std::string(line.substr(0, colon)),
                             std::string(trimOws(line.substr(colon + 1))));
}

bool HttpParser::collectHeaders(uint64_t& content_length, bool& has_length, bool& chunked,
                                bool& te_other, bool& upgrade) {
  for (const auto& [name, value] : header_lines_) {
    msg_.headers.append(name).append(": ").append(value).append("\r\n");
    if (iequals(name, "host") && msg_.host.empty()) {
      normalizeHost(value, msg_.host);
    } else if (iequals(name, "content-length")) {
      uint64_t v = 0;
      if (!parseContentLength(value, v) || (has_length && v != content_length)) {
        fail("bad or conflicting Content-Length");
        return false;
      }
      content_length = v;
      has_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      std::string_view codings = value;
      size_t comma = codings.rfind(',');
      std::string_view last =
          trimOws(comma == std::string_view::npos ? codings : codings.substr(comma + 1));
      chunked = iequals(last, "chunked");
      te_other = !chunked;
    } else if (iequals(name, "upgrade")) {
      upgrade = true;
    }
  }
  return true;
}

void HttpParser::headersComplete() {
  uint64_t content_length = 0;
  bool has_length = false, chunked = false, te_other = false, upgrade = false;
  if (!collectHeaders(content_length, has_length, chunked, te_other, upgrade)) return;
  section_bytes_ = 0;
  tunnel_after_ = false;
  if (kind_ == Kind::kRequest) {
    // Absolute-form targets carry the authority; without a Host header it names the host.
    if (msg_.host.empty() && msg_.uri_raw.find("://") != std::string::npos) {
      std::string_view rest = std::string_view(msg_.uri_raw).substr(msg_.uri_raw.find("://") + 3);
      normalizeHost(rest.substr(0, rest.find('/')), msg_.host);
    }
    tunnel_after_ = iequals(msg_.method, "CONNECT") || upgrade;
    if (te_other) return fail("unsupported Transfer-Encoding in a request");
  } else if (msg_.status >= 200 || msg_.status == 101) {
    response_to_ = pending_methods_.empty() ? std::string() : std::move(pending_methods_.front());
    if (!pending_methods_.empty()) pending_methods_.erase(pending_methods_.begin());
    tunnel_after_ = msg_.status == 101 ||
                    (iequals(response_to_, "CONNECT") && msg_.status >= 200 && msg_.status < 300);
  }
  if (!listener_.onHeaders(msg_)) {
    state_ = State::kStopped;
    return;
  }
  startBody(content_length, has_length, chunked, te_other);
}

void HttpParser::startBody(uint64_t content_length, bool has_length, bool chunked, bool te_other) {
  body_reported_ = false;
  bool no_body = false;
  if (kind_ == Kind::kResponse) {
    no_body = msg_.status < 200 || msg_.status == 204 || msg_.status == 304 ||
              iequals(response_to_, "HEAD") || tunnel_after_;
  }
  if (no_body) return messageComplete();
  if (chunked) {
    phase_ = Phase::kChunkSize;
  } else if (kind_ == Kind::kResponse && (te_other || !has_length)) {
    phase_ = Phase::kBodyUntilClose;
  } else if (content_length > 0) {
    remaining_ = content_length;
    phase_ = Phase::kBodyLength;
  } else {
    messageComplete();
  }
}

void HttpParser::processChunkSize(std::string_view line) {
  size_t end = line.find(';');
  std::string_view digits = trimOws(line.substr(0, end));
  uint64_t size = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
  if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() ||
      size > kMaxBodyLength) {
    return fail("bad chunk size");
  }
  if (size == 0) {
    phase_ = Phase::kTrailer;
    section_bytes_ = 0;
    return;
  }
  remaining_ = size;
  phase_ = Phase::kChunkData;
}

size_t HttpParser::feedBody(std::span<const uint8_t> data) {
  size_t take = data.size();
  if (phase_ != Phase::kBodyUntilClose)
    take = static_cast<size_t>(std::min<uint64_t>(take, remaining_));
  appendBody(data.first(take));
  if (state_ != State::kHttp || phase_ == Phase::kBodyUntilClose) return take;
  remaining_ -= take;
  if (remaining_ == 0) {
    if (phase_ == Phase::kChunkData) {
      phase_ = Phase::kChunkDataEnd;
    } else {
      messageComplete();
    }
  }
  return take;
}

void HttpParser::appendBody(std::span<const uint8_t> data) {
  msg_.body_bytes += data.size();
  if (msg_.body_truncated) return;
  size_t room = limits_.max_body_bytes - std::min(limits_.max_body_bytes, msg_.body.size());
  size_t keep = std::min(room, data.size());
  msg_.body.append(reinterpret_cast<const char*>(data.data()), keep);
  if (keep < data.size()) {
    // The window is full: inspect what it holds now, skip the rest of this body.
    msg_.body_truncated = true;
    body_reported_ = true;
    if (!listener_.onBody(msg_)) state_ = State::kStopped;
  }
}

void HttpParser::messageComplete() {
  if (!body_reported_) {
    body_reported_ = true;
    if (!listener_.onBody(msg_)) {
      state_ = State::kStopped;
      return;
    }
  }
  ++messages_;
  phase_ = Phase::kStartLine;
  section_bytes_ = 0;
  if (tunnel_after_) state_ = State::kTunnel;
  // Between messages the parser holds nothing: a kept-alive connection may idle for long, and
  // thousands of them would each keep the last message's header and body copies.
  msg_ = HttpMessage{};
  msg_.request = kind_ == Kind::kRequest;
  header_lines_ = {};
  line_ = std::string();
}

void HttpParser::fail(std::string_view reason) {
  state_ = State::kError;
  error_ = reason;
}

std::string_view toString(HttpParser::State s) {
  switch (s) {
    case HttpParser::State::kHttp:
      return "http";
    case HttpParser::State::kTunnel:
      return "tunnel";
    case HttpParser::State::kError:
      return "error";
    case HttpParser::State::kStopped:
      return "stopped";
  }
  return "?";
}

}  // namespace vtps::filter
