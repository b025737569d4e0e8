#include "dataplane/proxy/client_hello.h"

#include <algorithm>

namespace vtps::proxy {
namespace {

constexpr uint8_t kContentHandshake = 0x16;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr size_t kHandshakeHeaderBytes = 4;
constexpr size_t kMaxSessionIdBytes = 32;
constexpr size_t kMaxHostNameBytes = 255;
// No client sends more than a few dozen extensions; the cap bounds the duplicate check.
constexpr size_t kMaxExtensions = 128;

enum ExtensionType : uint16_t {
  kServerName = 0,
  kSupportedGroups = 10,
  kEcPointFormats = 11,
  kSignatureAlgorithms = 13,
  kAlpn = 16,
  kSessionTicket = 35,
  kPreSharedKey = 41,
  kSupportedVersions = 43,
  kKeyShare = 51,
};

// Bounds-checked cursor over untrusted bytes: every read either succeeds whole or returns false
// and leaves the output untouched.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t remaining() const { return bytes_.size() - pos_; }
  bool empty() const { return remaining() == 0; }

  bool u8(uint8_t& out) {
    if (remaining() < 1) return false;
    out = bytes_[pos_++];
    return true;
  }
  bool u16(uint16_t& out) {
    if (remaining() < 2) return false;
    out = static_cast<uint16_t>(bytes_[pos_] << 8 | bytes_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool take(size_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    std::span<const uint8_t> ignored;
    return take(n, ignored);
  }
  // A vector with a 1- or 2-byte length prefix (RFC 8446 3.4).
  bool vec8(std::span<const uint8_t>& out) {
    uint8_t n = 0;
    return u8(n) && take(n, out);
  }
  bool vec16(std::span<const uint8_t>& out) {
    uint16_t n = 0;
    return u16(n) && take(n, out);
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

HelloParse needMore(size_t needed) {
  return {HelloStatus::kNeedMore, needed, 0, {}};
}
HelloParse notTls(std::string_view reason) {
  return {HelloStatus::kNotTls, 0, 0, reason};
}
HelloParse malformed(std::string_view reason) {
  return {HelloStatus::kMalformed, 0, 0, reason};
}

uint16_t load16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

// Reads a list of uint16 values that must be non-empty and of even length.
bool readU16List(std::span<const uint8_t> bytes, std::vector<uint16_t>& out) {
  if (bytes.empty() || bytes.size() % 2 != 0) return false;
  out.reserve(out.size() + bytes.size() / 2);
  for (size_t i = 0; i < bytes.size(); i += 2)
    out.push_back(load16(&bytes[i]));
  return true;
}

// RFC 6066 host_name: LDH labels (underscore tolerated, it occurs in the wild), at most 255
// bytes, no empty label. One trailing dot is dropped so that "a.example." matches "a.example".
std::string_view normalizeHostName(std::span<const uint8_t> raw, std::string& out) {
  size_t n = raw.size();
  if (n > 0 && raw[n - 1] == '.') --n;
  if (n == 0) return "SNI host_name is empty";
  if (n > kMaxHostNameBytes) return "SNI host_name is longer than 255 bytes";
  out.resize(n);
  char prev = '.';
  for (size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(raw[i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return "SNI host_name has a character outside [A-Za-z0-9._-]";
    if (c == '.' && prev == '.') return "SNI host_name has an empty label";
    out[i] = c;
    prev = c;
  }
  return {};
}

std::string_view parseServerName(std::span<const uint8_t> data, ClientHello& hello) {
  Reader r(data);
  std::span<const uint8_t> list;
  if (!r.vec16(list) || !r.empty() || list.empty()) return "server_name list length is invalid";
  Reader entries(list);
  bool seen_host_name = false;
  while (!entries.empty()) {
    uint8_t name_type = 0;
    std::span<const uint8_t> name;
    if (!entries.u8(name_type) || !entries.vec16(name)) return "server_name entry is truncated";
    if (name_type != 0) continue;  // unknown name types are skipped (RFC 6066 section 3)
    if (seen_host_name) return "server_name has more than one host_name";
    seen_host_name = true;
    if (auto bad = normalizeHostName(name, hello.sni); !bad.empty()) return bad;
  }
  return {};
}

std::string_view parseAlpn(std::span<const uint8_t> data, ClientHello& hello) {
  Reader r(data);
  std::span<const uint8_t> list;
  if (!r.vec16(list) || !r.empty() || list.empty()) return "ALPN list length is invalid";
  Reader entries(list);
  while (!entries.empty()) {
    std::span<const uint8_t> name;
    if (!entries.vec8(name) || name.empty()) return "ALPN protocol name is empty or truncated";
    hello.alpn.emplace_back(name.begin(), name.end());
  }
  return {};
}

std::string_view parseKeyShare(std::span<const uint8_t> data, ClientHello& hello) {
  Reader r(data);
  std::span<const uint8_t> list;
  // An empty client_shares list is legal: the client asks the server to pick (HelloRetryRequest).
  if (!r.vec16(list) || !r.empty()) return "key_share list length is invalid";
  hello.has_key_share = true;
  Reader entries(list);
  while (!entries.empty()) {
    uint16_t group = 0;
    std::span<const uint8_t> key;
    if (!entries.u16(group) || !entries.vec16(key) || key.empty()) {
      return "key_share entry is empty or truncated";
    }
    hello.key_share_groups.push_back(group);
  }
  return {};
}

// A list extension whose body is exactly one length-prefixed vector of uint16 values.
std::string_view parseU16ListExtension(std::span<const uint8_t> data, bool one_byte_length,
                                       std::vector<uint16_t>& out, std::string_view error) {
  Reader r(data);
  std::span<const uint8_t> list;
  bool read = one_byte_length ? r.vec8(list) : r.vec16(list);
  if (!read || !r.empty() || !readU16List(list, out)) return error;
  return {};
}

std::string_view parseExtension(uint16_t type, std::span<const uint8_t> data, ClientHello& hello) {
  switch (type) {
    case kServerName:
      return parseServerName(data, hello);
    case kSupportedGroups:
      return parseU16ListExtension(data, false, hello.supported_groups,
                                   "supported_groups length is invalid");
    case kEcPointFormats: {
      Reader r(data);
      std::span<const uint8_t> list;
      if (!r.vec8(list) || !r.empty() || list.empty()) return "ec_point_formats length is invalid";
      hello.ec_point_formats.assign(list.begin(), list.end());
      return {};
    }
    case kSignatureAlgorithms:
      return parseU16ListExtension(data, false, hello.signature_algorithms,
                                   "signature_algorithms length is invalid");
    case kAlpn:
      return parseAlpn(data, hello);
    case kSessionTicket:
      hello.has_session_ticket = true;
      return {};
    case kPreSharedKey:
      hello.has_pre_shared_key = true;
      return {};
    case kSupportedVersions:
      return parseU16ListExtension(data, true, hello.supported_versions,
                                   "supported_versions length is invalid");
    case kKeyShare:
      return parseKeyShare(data, hello);
    default:
      return {};
  }
}

std::string_view parseExtensions(std::span<const uint8_t> block, ClientHello& hello) {
  Reader r(block);
  while (!r.empty()) {
    uint16_t type = 0;
    std::span<const uint8_t> data;
    if (!r.u16(type) || !r.vec16(data)) return "extension is truncated";
    if (hello.extensions.size() == kMaxExtensions) return "more than 128 extensions";
    if (std::find(hello.extensions.begin(), hello.extensions.end(), type) !=
        hello.extensions.end()) {
      return "extension appears twice";
    }
    if (hello.has_pre_shared_key) return "pre_shared_key is not the last extension";
    hello.extensions.push_back(type);
    if (auto bad = parseExtension(type, data, hello); !bad.empty()) return bad;
  }
  return {};
}

// Checks the record header bytes present in `rest` (possibly fewer than 5). The first record
// decides between "not TLS" and "TLS"; a bad header after that is a malformed hello.
std::string_view checkRecordHeader(std::span<const uint8_t> rest, bool first, bool& not_tls) {
  not_tls = first;
  if (!rest.empty() && rest[0] != kContentHandshake) {
    return first ? "first byte is not a TLS handshake record (0x16)"
                 : "ClientHello is interleaved with a non-handshake record";
  }
  if (rest.size() >= 2 && rest[1] != 3) return "record version major is not 3";
  if (rest.size() >= 3 && rest[2] > 4) return "record version minor is above 4";
  not_tls = false;
  if (rest.size() >= ClientHelloParser::kRecordHeaderBytes) {
    size_t len = load16(&rest[3]);
    if (len == 0) return "handshake record is empty";
    if (len > ClientHelloParser::kMaxRecordPayload) return "record is longer than 16384 bytes";
  }
  return {};
}

}  // namespace

std::string_view toString(HelloStatus status) {
  switch (status) {
    case HelloStatus::kNeedMore:
      return "need more";
    case HelloStatus::kNotTls:
      return "not TLS";
    case HelloStatus::kSslV2Compat:
      return "SSLv2-compatible hello";
    case HelloStatus::kMalformed:
      return "malformed";
    case HelloStatus::kOk:
      return "ok";
  }
  return "unknown";
}

void ClientHello::clear() {
  record_version = 0;
  legacy_version = 0;
  supported_versions.clear();
  cipher_suites.clear();
  compression_methods.clear();
  sni.clear();
  alpn.clear();
  signature_algorithms.clear();
  supported_groups.clear();
  ec_point_formats.clear();
  key_share_groups.clear();
  has_key_share = false;
  has_session_ticket = false;
  has_pre_shared_key = false;
  extensions.clear();
}

HelloParse ClientHelloParser::parse(std::span<const uint8_t> bytes) {
  hello_.clear();
  reassembly_.clear();
  if (bytes.empty()) return needMore(kRecordHeaderBytes);
  if ((bytes[0] & 0x80) != 0) return parseSslV2Compat(bytes);

  std::span<const uint8_t> message;  // the handshake bytes gathered so far
  size_t message_bytes = 0;          // 4 + body length, once the handshake header is known
  size_t off = 0;
  for (size_t records = 0;; ++records) {
    std::span<const uint8_t> rest = bytes.subspan(off);
    bool not_tls = false;
    if (auto bad = checkRecordHeader(rest, records == 0, not_tls); !bad.empty()) {
      return not_tls ? notTls(bad) : malformed(bad);
    }
    if (records == kMaxHelloRecords) return malformed("ClientHello spans more than 16 records");
    if (rest.size() < kRecordHeaderBytes) {
      size_t want = message_bytes != 0 ? message_bytes - message.size() : 1;
      return needMore(off + kRecordHeaderBytes + want);
    }
    if (records == 0) hello_.record_version = load16(&rest[1]);
    size_t len = load16(&rest[3]);
    std::span<const uint8_t> frag =
        rest.subspan(kRecordHeaderBytes, std::min(len, rest.size() - kRecordHeaderBytes));
    size_t before = message.size();
    if (records == 0) {
      message = frag;
    } else {
      if (records == 1) reassembly_.assign(message.begin(), message.end());
      reassembly_.insert(reassembly_.end(), frag.begin(), frag.end());
      message = reassembly_;
    }
    if (message_bytes == 0 && message.size() >= kHandshakeHeaderBytes) {
      if (message[0] != kHandshakeClientHello) {
        return malformed("first handshake message is not a ClientHello");
      }
      message_bytes = kHandshakeHeaderBytes + (size_t{message[1]} << 16 | load16(&message[2]));
      if (message_bytes > kMaxHelloMessageBytes) {
        return malformed("ClientHello is longer than 16 KiB");
      }
    }
    if (message_bytes != 0 && message.size() >= message_bytes) {
      size_t consumed = off + kRecordHeaderBytes + (message_bytes - before);
      return parseMessage(message.first(message_bytes), consumed);
    }
    if (frag.size() < len) {
      // Records arrive whole, so the rest of this one is safe to wait for; once the hello's size
      // is known, ask only for what it still needs (the record may carry more than the hello).
      size_t want = message_bytes != 0 ? std::min(len, message_bytes - before) : len;
      return needMore(off + kRecordHeaderBytes + want);
    }
    off += kRecordHeaderBytes + len;
  }
}

HelloParse ClientHelloParser::parseMessage(std::span<const uint8_t> message, size_t consumed) {
  Reader r(message.subspan(kHandshakeHeaderBytes));
  std::span<const uint8_t> session_id;
  std::span<const uint8_t> suites;
  std::span<const uint8_t> compression;
  if (!r.u16(hello_.legacy_version)) return malformed("ClientHello is truncated");
  if (hello_.legacy_version >> 8 != 3) return malformed("legacy_version major is not 3");
  if (!r.skip(32)) return malformed("ClientHello random is truncated");
  if (!r.vec8(session_id) || session_id.size() > kMaxSessionIdBytes) {
    return malformed("legacy_session_id length is invalid");
  }
  if (!r.vec16(suites) || !readU16List(suites, hello_.cipher_suites)) {
    return malformed("cipher_suites length is invalid");
  }
  if (!r.vec8(compression) || compression.empty()) {
    return malformed("compression_methods length is invalid");
  }
  hello_.compression_methods.assign(compression.begin(), compression.end());
  if (!r.empty()) {  // extensions are optional before TLS 1.3
    std::span<const uint8_t> block;
    if (!r.vec16(block) || !r.empty()) return malformed("extensions length is invalid");
    if (auto bad = parseExtensions(block, hello_); !bad.empty()) return malformed(bad);
  }
  return {HelloStatus::kOk, 0, consumed, {}};
}

// SSLv2 record header (2 bytes, high bit set) carrying CLIENT-HELLO with a 3.x version
// (RFC 5246 appendix E.2). Pure SSLv2 (version 0x0002) is not TLS.
HelloParse ClientHelloParser::parseSslV2Compat(std::span<const uint8_t> bytes) {
  constexpr size_t kV2HeaderBytes = 2;
  constexpr size_t kV2FixedBytes = 9;  // msg_type, version, three lengths
  if (bytes.size() >= 3 && bytes[2] != 1) return notTls("SSLv2 record is not a CLIENT-HELLO");
  if (bytes.size() >= 4 && bytes[3] != 3) return notTls("SSLv2 CLIENT-HELLO offers no TLS version");
  if (bytes.size() < kV2HeaderBytes + kV2FixedBytes) {
    return needMore(kV2HeaderBytes + kV2FixedBytes);
  }
  size_t len = (size_t{bytes[0]} & 0x7f) << 8 | bytes[1];
  size_t total = kV2HeaderBytes + len;
  if (len < kV2FixedBytes || total > kMaxPeekBytes) {
    return malformed("SSLv2-compatible hello length is invalid");
  }
  if (bytes.size() < total) return needMore(total);
  const uint8_t* p = &bytes[kV2HeaderBytes];
  size_t specs = load16(p + 3);
  size_t session_id = load16(p + 5);
  size_t challenge = load16(p + 7);
  if (specs == 0 || specs % 3 != 0 || session_id > kMaxSessionIdBytes || challenge < 16 ||
      challenge > 32 || kV2FixedBytes + specs + session_id + challenge != len) {
    return malformed("SSLv2-compatible hello field lengths are invalid");
  }
  hello_.record_version = 0x0002;
  hello_.legacy_version = load16(p + 1);
  for (size_t i = 0; i < specs; i += 3) {
    const uint8_t* spec = p + kV2FixedBytes + i;
    if (spec[0] == 0) hello_.cipher_suites.push_back(load16(spec + 1));  // TLS suites only
  }
  return {HelloStatus::kSslV2Compat, 0, total, {}};
}

uint16_t highestOfferedVersion(const ClientHello& hello) {
  uint16_t best = 0;
  for (uint16_t v : hello.supported_versions) {
    if (!isGrease(v)) best = std::max(best, v);
  }
  return best != 0 ? best : hello.legacy_version;
}

namespace {

template <typename T>
void appendJa3List(std::string& out, const std::vector<T>& values) {
  bool first = true;
  for (T v : values) {
    if constexpr (sizeof(T) == 2) {
      if (isGrease(v)) continue;
    }
    if (!first) out += '-';
    out += std::to_string(v);
    first = false;
  }
}

}  // namespace

std::string ja3String(const ClientHello& hello) {
  std::string out = std::to_string(hello.legacy_version);
  out += ',';
  appendJa3List(out, hello.cipher_suites);
  out += ',';
  appendJa3List(out, hello.extensions);
  out += ',';
  appendJa3List(out, hello.supported_groups);
  out += ',';
  appendJa3List(out, hello.ec_point_formats);
  return out;
}

}  // namespace vtps::proxy
