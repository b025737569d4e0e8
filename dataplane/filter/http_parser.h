// HttpParser: an incremental HTTP/1.x parser for one direction of a session (requests from the
// client, responses from the server). It takes the cleartext in whatever pieces the proxy reads
// it (a message may be split at any byte, several pipelined messages may share one piece) and
// produces the buffers the signature rules inspect: method, URI (raw and percent-decoded), host,
// header block and a bounded window of the de-chunked body.
//
// The input is attacker-controlled, so every buffer is bounded (HttpLimits), lengths are checked
// for overflow, and anything outside the grammar stops the parser in kError with a reason; the
// session's stream rules still see the bytes. After CONNECT, an Upgrade request, or a 101/2xx
// CONNECT response the stream is no longer HTTP and the parser goes to kTunnel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vtps::filter {

struct HttpLimits {
  size_t max_header_bytes = 16384;    // start line + header lines (and, separately, trailers)
  size_t max_body_bytes = 65536;      // body window kept for inspection; the rest is skipped
  size_t max_headers = 256;           // header lines per message
  size_t max_pending_requests = 256;  // pipelined requests whose responses are outstanding
};

// One request or response, as far as it has been parsed.
struct HttpMessage {
  bool request = true;
  std::string method;           // request method token
  std::string uri_raw;          // request-target as sent
  std::string uri;              // request-target with %XX decoded
  std::string version;          // "HTTP/1.1"
  int status = 0;               // response status code
  std::string host;             // Host header (or absolute-form authority), lower-cased, no port
  std::string headers;          // "Name: value\r\n" for every header line, in order, unfolded
  std::string body;             // de-chunked body, at most HttpLimits::max_body_bytes
  uint64_t body_bytes = 0;      // body bytes seen, including those past the window
  bool body_truncated = false;  // the body is longer than the window

  void clear();  // empties every field, keeping capacity
};

class HttpParser {
 public:
  enum class Kind : uint8_t { kRequest, kResponse };
  enum class State : uint8_t {
    kHttp,     // parsing messages
    kTunnel,   // the connection switched protocols; later bytes are not HTTP
    kError,    // the bytes are not valid HTTP/1.x; error() says why
    kStopped,  // the listener asked to stop
  };

  // Receives each message twice: when its headers are complete, and when its body is available
  // for inspection (complete, window full, or — for a body that ends with the connection — after
  // every piece). Returning false stops the parser (kStopped).
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual bool onHeaders(const HttpMessage& message) = 0;
    virtual bool onBody(const HttpMessage& message) = 0;
  };

  HttpParser(Kind kind, HttpLimits limits, Listener& listener);

  // Parses the next bytes of the stream.
  void feed(std::span<const uint8_t> data);
  // The stream ended: completes a body delimited by the connection's close.
  void finish();
  // Response parsers: the method of the next request awaiting a response, in request order (a
  // HEAD response has no body; a 2xx response to CONNECT starts a tunnel).
  void expectResponseTo(std::string_view method);

  State state() const { return state_; }
  std::string_view error() const { return error_; }
  uint64_t messages() const { return messages_; }  // messages completed
  const HttpMessage& message() const { return msg_; }

 private:
  enum class Phase : uint8_t {
    kStartLine,
    kHeaderLine,
    kBodyLength,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailer,
    kBodyUntilClose,
  };

  size_t feedLine(std::span<const uint8_t> data);
  size_t feedBody(std::span<const uint8_t> data);
  void processLine(std::string_view line);
  void processStartLine(std::string_view line);
  bool parseRequestLine(std::string_view line);
  bool parseResponseLine(std::string_view line);
  void processHeaderLine(std::string_view line);
  void processChunkSize(std::string_view line);
  void headersComplete();
  bool collectHeaders(uint64_t& content_length, bool& has_length, bool& chunked, bool& te_other,
                      bool& upgrade);
  void startBody(uint64_t content_length, bool has_length, bool chunked, bool te_other);
  void appendBody(std::span<const uint8_t> data);
  void messageComplete();
  void fail(std::string_view reason);
  size_t lineBudget() const;

  Kind kind_;
  HttpLimits limits_;
  Listener& listener_;
  State state_ = State::kHttp;
  Phase phase_ = Phase::kStartLine;
  std::string_view error_;
  std::string line_;
  size_t section_bytes_ = 0;  // bytes of the current header or trailer section
  std::vector<std::pair<std::string, std::string>> header_lines_;
  HttpMessage msg_;
  uint64_t remaining_ = 0;      // body or chunk bytes still expected
  bool body_reported_ = false;  // onBody called for msg_
  bool tunnel_after_ = false;   // switch to kTunnel once msg_ completes
  // Methods of requests still unanswered, oldest first (a vector: a deque allocates even empty).
  std::vector<std::string> pending_methods_;
  std::string response_to_;  // method of the request the current response answers
  uint64_t messages_ = 0;
};

std::string_view toString(HttpParser::State s);

}  // namespace vtps::filter
