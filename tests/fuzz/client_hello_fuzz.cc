// Fuzzes ClientHelloParser with arbitrary peeked bytes. Besides memory safety (ASan/UBSan), it
// checks the parser's contract: kNeedMore asks for more than it was given and never more than
// kMaxPeekBytes, and every strict prefix of an accepted hello is kNeedMore (a worker that peeks
// in pieces reaches the same verdict as one that peeks everything at once).
#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/proxy/client_hello.h"

using vtps::proxy::ClientHelloParser;
using vtps::proxy::HelloParse;
using vtps::proxy::HelloStatus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ClientHelloParser parser;  // reused, as a worker does
  std::span<const uint8_t> bytes(data, size);
  HelloParse r = parser.parse(bytes);
  switch (r.status) {
    case HelloStatus::kNeedMore:
      if (r.needed <= size || r.needed > ClientHelloParser::kMaxPeekBytes) __builtin_trap();
      break;
    case HelloStatus::kOk:
    case HelloStatus::kSslV2Compat: {
      if (r.consumed == 0 || r.consumed > size) __builtin_trap();
      (void)vtps::proxy::ja3String(parser.hello());
      (void)vtps::proxy::highestOfferedVersion(parser.hello());
      size_t consumed = r.consumed;
      if (parser.parse(bytes.first(consumed - 1)).status != HelloStatus::kNeedMore) {
        __builtin_trap();
      }
      if (parser.parse(bytes.first(consumed)).status != r.status) __builtin_trap();
      break;
    }
    case HelloStatus::kNotTls:
    case HelloStatus::kMalformed:
      if (r.reason.empty()) __builtin_trap();
      break;
  }
  return 0;
}
