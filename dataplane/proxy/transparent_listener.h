// TransparentListener: one worker's listening socket for the TPROXY-ed SSL tuples, and the
// transparent upstream connect that keeps the client's address towards the server.
//
// nftables' `tproxy to 127.0.0.1:PORT` delivers connections whose destination is some other host;
// the socket accepts them because it has IP_TRANSPARENT, and the accepted socket's local address
// (getsockname) is the destination the client asked for. Every worker opens its own listener on
// the same port with SO_REUSEPORT, so the kernel spreads connections over the workers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crypto/result.h"
#include "dataplane/proxy/unique_fd.h"

namespace vtps::proxy {

// An IPv4 endpoint, host byte order.
struct Endpoint4 {
  uint32_t address = 0;
  uint16_t port = 0;
  std::string addressString() const;  // "10.10.1.2"
  std::string str() const;            // "10.10.1.2:443"
  bool operator==(const Endpoint4&) const = default;
};

struct AcceptedConnection {
  UniqueFd fd;                     // non-blocking, close-on-exec, TCP_NODELAY
  Endpoint4 client;                // the peer
  Endpoint4 original_destination;  // getsockname(): the server the client asked for
};

class TransparentListener {
 public:
  // Opens a non-blocking listening socket on 127.0.0.1:`port` (0: the kernel picks one) with
  // SO_REUSEPORT and IP_TRANSPARENT. Errors name the step and errno, e.g.
  // "open transparent listener 127.0.0.1:15443: setsockopt(IP_TRANSPARENT): Operation not
  // permitted (needs CAP_NET_ADMIN)".
  static Result<TransparentListener> open(uint16_t port, int backlog = 4096);

  int fd() const { return fd_.get(); }
  uint16_t port() const { return port_; }
  void close() { fd_.reset(); }

  // Accepts one pending connection. nullopt when none is pending (EAGAIN) or on a transient
  // error, which `error` then holds (errno); the caller counts it and moves on.
  std::optional<AcceptedConnection> acceptOne(int& error);

 private:
  TransparentListener(UniqueFd fd, uint16_t port) : fd_(std::move(fd)), port_(port) {}
  UniqueFd fd_;
  uint16_t port_ = 0;
};

// How the upstream socket is bound beyond the client's address. The dpdk dataplane's exception
// path needs both: the upstream leg keeps the client's port, so that its packets are the client
// flow's own and the dataplane restores the flow's MAC addresses on them; and it carries the
// mark of the accepted socket (the exception port it came in by), so that policy routing sends
// it back out through that port.
struct UpstreamBinding {
  bool keep_port = false;  // bind source.port too (SO_REUSEADDR), not a port picked at connect()
  uint32_t mark = 0;       // SO_MARK; 0: none
};

// Opens a non-blocking TCP socket with IP_TRANSPARENT bound to `source`'s address (any port,
// unless `binding` keeps it) and starts connecting it to `destination`: the server sees the
// client's address. Returns the socket with the connect in progress (completion: EPOLLOUT,
// then SO_ERROR). Errors name the step and errno.
Result<UniqueFd> connectTransparent(const Endpoint4& source, const Endpoint4& destination,
                                    const UpstreamBinding& binding = {});

// Sets SO_LINGER {on, 0} so that close() sends a TCP RST instead of a FIN.
void setResetOnClose(int fd);

}  // namespace vtps::proxy
