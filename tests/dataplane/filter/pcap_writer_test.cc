#include "dataplane/filter/pcap_writer.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/filter/address_group.h"
#include "dataplane/filter/filter_event.h"
#include "tests/dataplane/filter/filter_test_util.h"

namespace vtps::filter {
namespace {

using testing::bytes;
using testing::TempDir;

uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(be16(p)) << 16 | be16(p + 2);
}

uint16_t checksum(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2)
    acc += be16(p + i);
  if (n % 2) acc += static_cast<uint32_t>(p[n - 1]) << 8;
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

struct Packet {
  std::vector<uint8_t> ip;
};

// A minimal pcap reader: checks the file header and returns the raw IPv4 packets.
std::vector<Packet> readPcap(const std::vector<uint8_t>& f) {
  std::vector<Packet> out;
  EXPECT_GE(f.size(), 24u);
  EXPECT_EQ(get32(f.data()), 0xa1b2c3d4u);
  EXPECT_EQ(get32(f.data() + 20), PcapWriter::kLinktypeRaw);
  size_t pos = 24;
  while (pos + 16 <= f.size()) {
    uint32_t incl = get32(f.data() + pos + 8);
    EXPECT_EQ(incl, get32(f.data() + pos + 12));
    pos += 16;
    EXPECT_LE(pos + incl, f.size());
    out.push_back({std::vector<uint8_t>(f.begin() + static_cast<long>(pos),
                                        f.begin() + static_cast<long>(pos + incl))});
    pos += incl;
  }
  EXPECT_EQ(pos, f.size());
  return out;
}

TEST(PcapWriterTest, WritesHandshakeAndSegmentsWithValidChecksums) {
  auto start = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  uint32_t client = *parseIpv4("10.10.1.5"), server = *parseIpv4("10.10.2.2");
  PcapWriter w(client, 40001, server, 443, 1 << 20, start);
  std::string request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string response(3000, 'r');
  ASSERT_TRUE(w.append(true, bytes(request), start));
  ASSERT_TRUE(w.append(false, bytes(response), start + std::chrono::milliseconds(5)));
  auto packets = readPcap(w.bytes());
  ASSERT_EQ(packets.size(), 3u + 1 + 3);  // handshake, request, 3000 bytes in 1460-byte segments
  EXPECT_EQ(w.packets(), packets.size());
  uint32_t client_seq = 0;
  std::string server_payload;
  for (size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i].ip;
    ASSERT_GE(p.size(), 40u);
    EXPECT_EQ(p[0], 0x45);
    EXPECT_EQ(be16(p.data() + 2), p.size());
    EXPECT_EQ(checksum(p.data(), 20), 0xffff) << "IP checksum of packet " << i;
    std::array<uint8_t, 12> pseudo{};
    std::memcpy(pseudo.data(), p.data() + 12, 8);
    pseudo[9] = 6;
    pseudo[10] = static_cast<uint8_t>((p.size() - 20) >> 8);
    pseudo[11] = static_cast<uint8_t>(p.size() - 20);
    EXPECT_EQ(checksum(p.data() + 20, p.size() - 20, checksum(pseudo.data(), 12)), 0xffff)
        << "TCP checksum of packet " << i;
    bool from_client = be32(p.data() + 12) == client;
    if (i == 0) {
      EXPECT_EQ(p[33], 0x02);  // SYN
      client_seq = be32(p.data() + 24) + 1;
    }
    if (i == 1) {
      EXPECT_EQ(be32(p.data() + 28), client_seq);  // SYN-ACK acknowledges the SYN
    }
    if (i == 3) {
      EXPECT_TRUE(from_client);
      EXPECT_EQ(be32(p.data() + 24), client_seq);
      EXPECT_EQ(std::string(p.begin() + 40, p.end()), request);
    }
    if (i >= 4) {
      EXPECT_FALSE(from_client);
      EXPECT_EQ(be16(p.data() + 20), 443);
      EXPECT_EQ(be32(p.data() + 28), client_seq + request.size());  // acks the request
      server_payload.append(p.begin() + 40, p.end());
    }
  }
  EXPECT_EQ(server_payload, response);
}

TEST(PcapWriterTest, StopsAtTheSizeCap) {
  auto now = std::chrono::system_clock::now();
  PcapWriter w(1, 2, 3, 4, 4096, now);
  std::string chunk(1000, 'x');
  int accepted = 0;
  while (w.append(true, bytes(chunk), now))
    ++accepted;
  EXPECT_EQ(accepted, 3);  // 24 + 3*56 + 3*1056 < 4096 < + another 1056
  EXPECT_TRUE(w.truncated());
  EXPECT_LE(w.bytes().size(), 4096u);
  EXPECT_EQ(readPcap(w.bytes()).size(), 6u);
}

// The file is read by tcpdump, the tool operators use (installed by ci/setup).
TEST(PcapWriterTest, TcpdumpReadsTheTrace) {
  TempDir dir;
  auto now = std::chrono::system_clock::now();
  PcapWriter w(*parseIpv4("10.10.1.5"), 40001, *parseIpv4("10.10.2.2"), 443, 1 << 20, now);
  w.append(true, bytes("GET /attack HTTP/1.1\r\nHost: a\r\n\r\n"), now);
  TraceCapture capture{"t.pcap", w.bytes(), 1, false};
  ASSERT_TRUE(writeTraceFile(dir.path(), capture).ok());
  // -vv makes tcpdump verify the IP and TCP checksums.
  std::string cmd = "tcpdump -nn -vv -A -r " + dir.path() + "/t.pcap 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe))
    out.append(buf, n);
  ASSERT_EQ(pclose(pipe), 0) << out;
  EXPECT_NE(out.find("10.10.1.5.40001 > 10.10.2.2.443: Flags [S], cksum"), std::string::npos)
      << out;
  EXPECT_NE(out.find("(correct), seq 1:34, ack 1, win 65535, length 33"), std::string::npos) << out;
  EXPECT_NE(out.find("GET /attack HTTP/1.1"), std::string::npos) << out;
  EXPECT_EQ(out.find("incorrect"), std::string::npos) << out;
  EXPECT_EQ(out.find("bad"), std::string::npos) << out;
}

TEST(PcapWriterTest, RefusesTraceFileNamesWithSlashes) {
  TempDir dir;
  TraceCapture capture{"../escape.pcap", {}, 1, false};
  Status s = writeTraceFile(dir.path(), capture);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "write trace: bad file name \"../escape.pcap\"");
}

}  // namespace
}  // namespace vtps::filter
