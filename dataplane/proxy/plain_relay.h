// PlainRelay: relays a session of a cleartext inspection tuple through its inspector, both ways,
// with recv/send on the session's Legs. It is the cleartext counterpart of TlsSession::pump():
// the same outcomes, the same inspector calls, without TLS records in between.
//
// Backpressure: each direction holds at most one read's worth of bytes the other side could not
// take yet, and reads nothing more from its source until they are written. Half-closes are
// passed on (a FIN from one side becomes shutdown(SHUT_WR) on the other once its bytes are out).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/proxy/proxy_engine.h"
#include "dataplane/proxy/relay_leg.h"

namespace vtps::proxy {

class PlainRelay {
 public:
  // kBlocked: the inspector said block (nothing of that chunk was forwarded). kReset: a socket
  // error, `error` holds the errno. kThrottled: the inspector asked to stop reading for a while
  // (the chunk that caused it was forwarded).
  enum class Outcome { kOpen, kDone, kBlocked, kReset, kThrottled };

  // Moves what it can in both directions through `inspector` (null: not inspected), reading
  // into `scratch`; delivered bytes are added to the counters.
  Outcome pump(Leg& client, Leg& server, Inspector* inspector, std::span<uint8_t> scratch,
               uint64_t& client_to_server, uint64_t& server_to_client, int& error);

  // Writes `bytes` to the client once, best effort (a block page before closing); what the
  // socket does not take at once is dropped.
  static void sendToClient(const Leg& client, std::string_view bytes);

 private:
  struct Flow {
    explicit Flow(Direction d) : direction(d) {}
    Direction direction;
    PendingBytes pending;    // read and inspected, not yet written
    bool eof = false;        // the source sent FIN
    bool shut_down = false;  // FIN passed on to the destination
  };
  enum class Step { kOk, kBlocked, kError, kThrottled };

  static Step pumpFlow(Flow& flow, Leg& from, Leg& to, Inspector* inspector,
                       std::span<uint8_t> scratch, uint64_t& delivered, int& error);
  // Sends `data`; what the socket does not take is kept in flow.pending.
  static Step writeOut(Flow& flow, Leg& to, const uint8_t* data, size_t size, uint64_t& delivered,
                       int& error);

  Flow up_{Direction::kClientToServer};
  Flow down_{Direction::kServerToClient};
};

}  // namespace vtps::proxy
