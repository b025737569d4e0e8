#include "dataplane/filter/pcap_writer.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace vtps::filter {
namespace {

constexpr uint8_t kFin = 0x01;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kPsh = 0x08;
constexpr uint8_t kAck = 0x10;
constexpr size_t kIpHeader = 20;
constexpr size_t kTcpHeader = 20;
constexpr size_t kRecordHeader = 16;
// Initial sequence numbers of the synthetic handshake.
constexpr uint32_t kClientIsn = 0x10000000;
constexpr uint32_t kServerIsn = 0x20000000;

void putHost32(uint8_t* p, uint32_t v) {
  std::memcpy(p, &v, 4);
}
void putHost16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, 2);
}
void putBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void putBe32(uint8_t* p, uint32_t v) {
  putBe16(p, static_cast<uint16_t>(v >> 16));
  putBe16(p + 2, static_cast<uint16_t>(v));
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc) {
  for (size_t i = 0; i + 1 < n; i += 2)
    acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 == 1) acc += static_cast<uint32_t>(p[n - 1] << 8);
  return acc;
}
uint16_t fold(uint32_t acc) {
  while ((acc >> 16) != 0)
    acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

}  // namespace

PcapWriter::PcapWriter(uint32_t client_ip, uint16_t client_port, uint32_t server_ip,
                       uint16_t server_port, size_t max_bytes,
                       std::chrono::system_clock::time_point start)
    : client_{client_ip, client_port, kClientIsn},
      server_{server_ip, server_port, kServerIsn},
      max_bytes_(max_bytes) {
  // The pcap file header, in the writer's byte order (readers detect it from the magic).
  std::array<uint8_t, 24> header{};
  putHost32(header.data(), 0xa1b2c3d4);  // microsecond timestamps
  putHost16(header.data() + 4, 2);
  putHost16(header.data() + 6, 4);
  putHost32(header.data() + 16, 65535);  // snaplen; thiszone and sigfigs stay 0
  putHost32(header.data() + 20, kLinktypeRaw);
  bytes_.assign(header.begin(), header.end());
  writePacket(client_, server_, kSyn, {}, start);
  writePacket(server_, client_, kSyn | kAck, {}, start);
  writePacket(client_, server_, kAck, {}, start);
}

bool PcapWriter::append(bool client_to_server, std::span<const uint8_t> payload,
                        std::chrono::system_clock::time_point when) {
  Side& from = client_to_server ? client_ : server_;
  const Side& to = client_to_server ? server_ : client_;
  while (!payload.empty()) {
    size_t n = std::min(payload.size(), kMss);
    if (!writePacket(from, to, kPsh | kAck, payload.first(n), when)) return false;
    payload = payload.subspan(n);
  }
  return !truncated_;
}

bool PcapWriter::writePacket(Side& from, const Side& to, uint8_t flags,
                             std::span<const uint8_t> payload,
                             std::chrono::system_clock::time_point when) {
  size_t ip_len = kIpHeader + kTcpHeader + payload.size();
  if (truncated_ || bytes_.size() + kRecordHeader + ip_len > max_bytes_) {
    truncated_ = true;
    return false;
  }
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
  size_t at = bytes_.size();
  bytes_.resize(at + kRecordHeader + ip_len);
  uint8_t* record = bytes_.data() + at;
  putHost32(record, static_cast<uint32_t>(us / 1'000'000));
  putHost32(record + 4, static_cast<uint32_t>(us % 1'000'000));
  putHost32(record + 8, static_cast<uint32_t>(ip_len));
  putHost32(record + 12, static_cast<uint32_t>(ip_len));
  uint8_t* ip = record + kRecordHeader;
  ip[0] = 0x45;
  putBe16(ip + 2, static_cast<uint16_t>(ip_len));
  putBe16(ip + 4, ip_id_++);
  putBe16(ip + 6, 0x4000);  // DF
  ip[8] = 64;
  ip[9] = 6;  // TCP
  putBe32(ip + 12, from.ip);
  putBe32(ip + 16, to.ip);
  putBe16(ip + 10, fold(sum16(ip, kIpHeader, 0)));
  uint8_t* tcp = ip + kIpHeader;
  putBe16(tcp, from.port);
  putBe16(tcp + 2, to.port);
  putBe32(tcp + 4, from.seq);
  putBe32(tcp + 8, (flags & kAck) != 0 ? to.seq : 0);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  putBe16(tcp + 14, 65535);
  uint8_t pseudo[12];
  putBe32(pseudo, from.ip);
  putBe32(pseudo + 4, to.ip);
  pseudo[8] = 0;
  pseudo[9] = 6;
  putBe16(pseudo + 10, static_cast<uint16_t>(kTcpHeader + payload.size()));
  uint32_t acc = sum16(pseudo, sizeof pseudo, 0);
  acc = sum16(tcp, kTcpHeader, acc);
  // The payload continues the 16-bit word stream after the 20-byte (even) header.
  acc = sum16(payload.data(), payload.size(), acc);
  putBe16(tcp + 16, fold(acc));
  if (!payload.empty()) std::memcpy(tcp + kTcpHeader, payload.data(), payload.size());
  from.seq += static_cast<uint32_t>(payload.size()) + ((flags & (kSyn | kFin)) != 0 ? 1 : 0);
  ++packets_;
  return true;
}

}  // namespace vtps::filter
