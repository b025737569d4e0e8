// PcapWriter: builds a packet trace of a session's cleartext in memory, as a classic pcap file
// (LINKTYPE_RAW, IPv4) with synthetic TCP/IP headers: a three-way handshake, then each piece of
// cleartext as MSS-sized segments with consistent sequence and acknowledgement numbers and valid
// checksums, so that tcpdump and Wireshark reassemble the decrypted stream. The proxy terminates
// TCP, so the real packets carry ciphertext; the trace shows what the filters saw.
//
// Bounded: once the file would exceed max_bytes, further segments are dropped and truncated()
// is set. No I/O here; the caller hands bytes() to the control thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vtps::filter {

class PcapWriter {
 public:
  static constexpr size_t kMss = 1460;
  static constexpr uint32_t kLinktypeRaw = 101;

  // Endpoints in host byte order. Writes the file header and the synthetic handshake.
  PcapWriter(uint32_t client_ip, uint16_t client_port, uint32_t server_ip, uint16_t server_port,
             size_t max_bytes, std::chrono::system_clock::time_point start);

  // Appends `payload` sent in one direction. Returns false once the size cap was reached.
  bool append(bool client_to_server, std::span<const uint8_t> payload,
              std::chrono::system_clock::time_point when);

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  bool truncated() const { return truncated_; }
  size_t packets() const { return packets_; }

 private:
  struct Side {
    uint32_t ip;
    uint16_t port;
    uint32_t seq;  // next sequence number this side sends
  };
  bool writePacket(Side& from, const Side& to, uint8_t flags, std::span<const uint8_t> payload,
                   std::chrono::system_clock::time_point when);

  Side client_;
  Side server_;
  size_t max_bytes_;
  std::vector<uint8_t> bytes_;
  bool truncated_ = false;
  size_t packets_ = 0;
  uint16_t ip_id_ = 1;
};

}  // namespace vtps::filter
