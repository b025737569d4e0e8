// ClientHelloParser: decodes the first bytes of an accepted connection, read with MSG_PEEK, so
// that the proxy can decide (decrypt, splice, block, drop) before any byte is consumed. The input
// comes from the network, so the parser is strict about lengths, never reads past the span it is
// given, and keeps its state in reusable vectors (a worker keeps one parser and calls parse()
// again with a longer peek after kNeedMore).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vtps::proxy {

enum class HelloStatus : uint8_t {
  kNeedMore,  // the bytes are a valid prefix; peek at least HelloParse::needed bytes and retry
  kNotTls,    // not TLS at all (cleartext, garbage, pure SSLv2): drop and count
  // An SSLv2-compatible ClientHello (2-byte SSLv2 header, TLS version inside). Old clients send
  // it; it has no extensions (no SNI), so it gets its own state and the caller decides. Only
  // legacy_version, record_version (0x0002) and cipher_suites are filled.
  kSslV2Compat,
  kMalformed,  // starts as TLS but violates the ClientHello grammar or the size caps
  kOk,
};

std::string_view toString(HelloStatus status);

// What the client offered. List fields keep the wire order and GREASE values (RFC 8701) as sent;
// helpers below skip GREASE where a decision is made.
struct ClientHello {
  uint16_t record_version = 0;  // version of the first record header
  uint16_t legacy_version = 0;  // ClientHello.legacy_version (client_version before TLS 1.3)
  std::vector<uint16_t> supported_versions;  // extension 43
  std::vector<uint16_t> cipher_suites;
  std::vector<uint8_t> compression_methods;
  std::string sni;  // server_name host_name: validated, lowercased, no trailing dot; "" if absent
  std::vector<std::string> alpn;               // extension 16, raw protocol names
  std::vector<uint16_t> signature_algorithms;  // extension 13
  std::vector<uint16_t> supported_groups;      // extension 10
  std::vector<uint8_t> ec_point_formats;       // extension 11
  std::vector<uint16_t> key_share_groups;      // extension 51, one per KeyShareEntry
  bool has_key_share = false;
  bool has_session_ticket = false;   // extension 35
  bool has_pre_shared_key = false;   // extension 41
  std::vector<uint16_t> extensions;  // extension types in wire order

  void clear();  // empties every field, keeping the vectors' capacity
};

// Outcome of one parse() call.
struct HelloParse {
  HelloStatus status = HelloStatus::kNeedMore;
  // kNeedMore: the total number of bytes (from the start of the stream) to peek before another
  // parse can progress. Always > the size given, and never above ClientHelloParser::kMaxPeekBytes.
  size_t needed = 0;
  // kOk / kSslV2Compat: bytes from the start of the stream up to the end of the ClientHello.
  size_t consumed = 0;
  // kNotTls / kMalformed: what was wrong (a static string, e.g. "cipher_suites length is odd").
  std::string_view reason;
};

class ClientHelloParser {
 public:
  static constexpr size_t kRecordHeaderBytes = 5;
  static constexpr size_t kMaxRecordPayload = 16384;  // RFC 8446 5.1, plaintext records
  // Cap on the ClientHello handshake message (4-byte header + body). Real hellos, post-quantum
  // key shares included, stay under 3 KiB; larger ones are refused rather than buffered.
  static constexpr size_t kMaxHelloMessageBytes = 16384 + 4;
  // Cap on the records one hello may be fragmented into (each costs a 5-byte header).
  static constexpr size_t kMaxHelloRecords = 16;
  // The most bytes a caller ever needs to peek to get a final answer.
  static constexpr size_t kMaxPeekBytes =
      kMaxHelloMessageBytes + kMaxHelloRecords * kRecordHeaderBytes;

  // Parses `bytes`, the first bytes of the stream. On kOk / kSslV2Compat, hello() holds the
  // result until the next call.
  HelloParse parse(std::span<const uint8_t> bytes);
  const ClientHello& hello() const { return hello_; }

 private:
  HelloParse parseSslV2Compat(std::span<const uint8_t> bytes);
  HelloParse parseMessage(std::span<const uint8_t> message, size_t consumed);

  ClientHello hello_;
  std::vector<uint8_t> reassembly_;  // the hello's fragments when it spans several records
};

// True for the GREASE code points 0x0a0a, 0x1a1a, ... 0xfafa (RFC 8701).
constexpr bool isGrease(uint16_t value) {
  return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

// The highest non-GREASE version offered: from supported_versions when present, else
// legacy_version. 0x0304 is TLS 1.3, 0x0303 TLS 1.2, ... 0x0300 SSL 3.0.
uint16_t highestOfferedVersion(const ClientHello& hello);

// The JA3 fingerprint input (the text that JA3 hashes with MD5):
// "legacy_version,ciphers,extensions,groups,point_formats", decimal values joined by '-',
// GREASE values left out.
std::string ja3String(const ClientHello& hello);

}  // namespace vtps::proxy
