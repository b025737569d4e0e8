// SpliceRelay: relays a session that is not decrypted (or bypassed) byte for byte with splice(2),
// socket -> pipe -> socket in each direction, so the payload never enters user space. The
// ClientHello the proxy peeked at is still in the client socket (MSG_PEEK) and goes first.
//
// Backpressure: each direction holds at most one pipe's worth of bytes; a side is not read while
// its pipe still holds bytes the other side could not take. Half-closes are propagated (a FIN
// from one side becomes shutdown(SHUT_WR) on the other once the pipe is empty).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "crypto/result.h"
#include "dataplane/proxy/relay_leg.h"

namespace vtps::proxy {

class SpliceRelay {
 public:
  enum class Outcome {
    kOpen,   // waiting for readiness
    kDone,   // both directions saw EOF and were delivered
    kReset,  // a peer reset its connection (or another socket error): close both sides
  };

  // Opens the two pipes. Errors name the call and errno.
  static Result<std::unique_ptr<SpliceRelay>> create();

  // Moves what it can in both directions; bytes delivered are added to the counters.
  // On kReset, `error` holds the errno.
  Outcome pump(Leg& client, Leg& server, uint64_t& client_to_server, uint64_t& server_to_client,
               int& error);

 private:
  struct Channel {
    UniqueFd read_end, write_end;
    size_t buffered = 0;
    size_t capacity = 0;
    bool eof = false;        // the source sent FIN
    bool shut_down = false;  // FIN passed on to the destination
  };
  enum class Step { kIdle, kProgress, kReset };

  SpliceRelay() = default;
  static Step pumpChannel(Channel& ch, Leg& from, Leg& to, uint64_t& delivered, int& error);

  Channel up_;    // client -> server
  Channel down_;  // server -> client
};

}  // namespace vtps::proxy
