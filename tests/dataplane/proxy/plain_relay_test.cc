// PlainRelay on socketpairs: the cleartext relay of cleartext inspection tuples, without the
// kernel's TPROXY (tests/e2e/filter_cleartext.sh covers that path end to end).
#include "dataplane/proxy/plain_relay.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace vtps::proxy {
namespace {

using namespace std::chrono_literals;

// Records what it saw; blocks a chunk that contains "attack"; may ask for a pause.
class FakeInspector final : public Inspector {
 public:
  Verdict inspect(Direction direction, std::span<const uint8_t> data) override {
    std::string chunk(data.begin(), data.end());
    (direction == Direction::kClientToServer ? up : down) += chunk;
    return chunk.find("attack") != std::string::npos ? Verdict::kBlock : Verdict::kPass;
  }
  std::chrono::nanoseconds throttleDelay() const override { return throttle; }

  std::string up, down;
  std::chrono::nanoseconds throttle{0};
};

UniqueFd nonBlocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return UniqueFd(fd);
}

// client_peer <-> client leg [relay] server leg <-> server_peer
struct Pipes {
  Pipes() {
    int a[2], b[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    client_peer = nonBlocking(a[0]);
    client.fd = nonBlocking(a[1]);
    server.fd = nonBlocking(b[0]);
    server_peer = nonBlocking(b[1]);
    client.readable = client.writable = server.readable = server.writable = true;
  }
  PlainRelay::Outcome pump(Inspector* inspector) {
    client.readable = client.writable = server.readable = server.writable = true;
    int error = 0;
    return relay.pump(client, server, inspector, scratch, up, down, error);
  }

  UniqueFd client_peer, server_peer;
  Leg client, server;
  PlainRelay relay;
  std::vector<uint8_t> scratch = std::vector<uint8_t>(4096);
  uint64_t up = 0, down = 0;
};

void sendAll(const UniqueFd& fd, std::string_view text) {
  ASSERT_EQ(::send(fd.get(), text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
}

std::string readAll(const UniqueFd& fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n <= 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

bool atEof(const UniqueFd& fd) {
  char c;
  return ::recv(fd.get(), &c, 1, 0) == 0;
}

TEST(PlainRelayTest, RelaysBothWaysThroughTheInspectorAndPassesHalfCloses) {
  Pipes p;
  FakeInspector inspector;
  sendAll(p.client_peer, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(p.pump(&inspector), PlainRelay::Outcome::kOpen);
  EXPECT_EQ(readAll(p.server_peer), "GET / HTTP/1.1\r\n\r\n");
  sendAll(p.server_peer, "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(p.pump(&inspector), PlainRelay::Outcome::kOpen);
  EXPECT_EQ(readAll(p.client_peer), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(inspector.up, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(inspector.down, "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(p.up, 18u);
  EXPECT_EQ(p.down, 27u);

  ::shutdown(p.client_peer.get(), SHUT_WR);
  EXPECT_EQ(p.pump(&inspector), PlainRelay::Outcome::kOpen);
  EXPECT_TRUE(atEof(p.server_peer));  // the client's FIN reached the server
  sendAll(p.server_peer, "late");     // the other direction still flows
  ::shutdown(p.server_peer.get(), SHUT_WR);
  EXPECT_EQ(p.pump(&inspector), PlainRelay::Outcome::kDone);
  EXPECT_EQ(readAll(p.client_peer), "late");
}

TEST(PlainRelayTest, ABlockForwardsNothingOfTheChunk) {
  Pipes p;
  FakeInspector inspector;
  sendAll(p.client_peer, "GET /attack HTTP/1.1\r\n\r\n");
  EXPECT_EQ(p.pump(&inspector), PlainRelay::Outcome::kBlocked);
  EXPECT_EQ(readAll(p.server_peer), "");
  EXPECT_EQ(p.up, 0u);
}

TEST(PlainRelayTest, WithoutAnInspectorEverythingPasses) {
  Pipes p;
  sendAll(p.client_peer, "attack");
  EXPECT_EQ(p.pump(nullptr), PlainRelay::Outcome::kOpen);
  EXPECT_EQ(readAll(p.server_peer), "attack");
}

TEST(PlainRelayTest, HoldsWhatTheServerCannotTakeAndReadsNothingMoreUntilItIsWritten) {
  Pipes p;
  FakeInspector inspector;
  int small = 4096;
  ::setsockopt(p.server.fd.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ::setsockopt(p.server_peer.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const std::string block(1 << 20, 'x');
  size_t sent = 0;
  std::string received;
  bool backpressure = false;  // the server leg refused bytes at least once
  // The client writes 1 MiB as fast as its socket takes it; the server reads in between pumps.
  for (int round = 0; round < 10000 && received.size() < block.size(); ++round) {
    if (sent < block.size()) {
      ssize_t n = ::send(p.client_peer.get(), block.data() + sent, block.size() - sent, 0);
      if (n > 0) sent += static_cast<size_t>(n);
    }
    ASSERT_EQ(p.pump(&inspector), PlainRelay::Outcome::kOpen);
    backpressure = backpressure || !p.server.writable;
    received += readAll(p.server_peer);
  }
  EXPECT_TRUE(backpressure);
  EXPECT_EQ(received.size(), block.size());
  EXPECT_EQ(received, block);
  EXPECT_EQ(inspector.up.size(), block.size());  // each byte inspected once
  EXPECT_EQ(p.up, block.size());
}

TEST(PlainRelayTest, ARateLimitStopsReadingAfterTheChunkThatUsedItUp) {
  Pipes p;
  FakeInspector inspector;
  inspector.throttle = 5ms;
  sendAll(p.client_peer, "first");
  EXPECT_EQ(p.pump(&inspector), PlainRelay::Outcome::kThrottled);
  EXPECT_EQ(readAll(p.server_peer), "first");  // forwarded before the pause
}

TEST(PlainRelayTest, SendsABlockPageToTheClient) {
  Pipes p;
  PlainRelay::sendToClient(p.client, "HTTP/1.1 302 Found\r\nLocation: http://x/\r\n\r\n");
  EXPECT_EQ(readAll(p.client_peer), "HTTP/1.1 302 Found\r\nLocation: http://x/\r\n\r\n");
}

TEST(PlainRelayTest, APeerResetEndsTheRelayWithTheErrno) {
  Pipes p;
  FakeInspector inspector;
  sendAll(p.server_peer, "data");
  p.client_peer.reset();  // unread data in a closed AF_UNIX peer: the relay's send fails
  int error = 0;
  p.client.readable = p.client.writable = p.server.readable = p.server.writable = true;
  PlainRelay::Outcome outcome =
      p.relay.pump(p.client, p.server, &inspector, p.scratch, p.up, p.down, error);
  EXPECT_EQ(outcome, PlainRelay::Outcome::kReset);
  EXPECT_EQ(error, EPIPE);
}

}  // namespace
}  // namespace vtps::proxy
