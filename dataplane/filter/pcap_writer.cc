#include "dataplane/filter/pcap_writer.h"

#include <algorithm>
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

void putHost32(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t b[4];
  std::memcpy(b, &v, 4);
  out.insert(out.end(), b, b + 4);
}
void putHost16(std::vector<uint8_t>& out, uint16_t v) {
  uint8_t b[2];
  std::memcpy(b, &v, 2);
  out.insert(out.end(), b, b + 2);
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
  for (size_t i = 0; i + 1 < n; i += 2) acc += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 == 1) acc += static_cast<uint32_t>(p[n - 1] << 8);
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

}  // namespace

PcapWriter::PcapWriter(uint32_t client_ip, uint16_t client_port, uint32_t server_ip,
                       uint16_t server_port, size_t max_bytes,
                       std::chrono::system_clock::time_point start)
    : client_{client_ip, client_port, kClientIsn},
      server_{server_ip, server_port, kServerIsn},
      max_bytes_(max_bytes) {
  putHost32(bytes_, 0xa1b2c3d4);  // microsecond timestamps, writer's byte order
  putHost16(bytes_, 2);
  putHost16(bytes_, 4);
  putHost32(bytes_, 0);  // thiszone
  putHost32(bytes_, 0);  // sigfigs
  putHost32(bytes_, 65535);
  putHost32(bytes_, kLinktypeRaw);
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
  putHost32(bytes_, static_cast<uint32_t>(us / 1'000'000));
  putHost32(bytes_, static_cast<uint32_t>(us % 1'000'000));
  putHost32(bytes_, static_cast<uint32_t>(ip_len));
  putHost32(bytes_, static_cast<uint32_t>(ip_len));
  size_t at = bytes_.size();
  bytes_.resize(at + kIpHeader + kTcpHeader);
  uint8_t* ip = bytes_.data() + at;
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
  bytes_.insert(bytes_.end(), payload.begin(), payload.end());
  from.seq += static_cast<uint32_t>(payload.size()) + ((flags & (kSyn | kFin)) != 0 ? 1 : 0);
  ++packets_;
  return true;
}

}  // namespace vtps::filter
