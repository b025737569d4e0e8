#!/usr/bin/env python3
"""Writes the pcap the net_pcap replay e2e (dpdk_pcap_replay.sh) sends through a segment: six
TCP flows between 10.40.1.x clients and 10.40.2.2:80, complete with handshakes and valid IPv4
and TCP checksums, built with the standard library only (no scapy).

  flow A 10.40.1.1:41000  "GET /attack"      reject rule: the request and all after it dropped
  flow B 10.40.1.1:41001  "GET /probe"       alert rule: every packet passes
  flow C 10.40.1.1:41002  "GET /index.html"  no rule: every packet passes
  flow D 10.40.1.2:41003  response with "TOPSECRET" split over two segments sent in reverse
                          order: the later half passes (held), the earlier one completes the
                          match and is dropped with all after it (drop rule: no resets)
  flow E 10.40.1.4:41004  "GET /attack" in GRE (key and checksum) between 192.0.2.1 and
                          192.0.2.2: the reject rule drops the request and all after it, without
                          resets (a tunnelled flow is not reset)
  flow F 10.40.1.5:41005  "GET /attack" in IP-in-IP (IPv4 in IPv4) between the same: the same
The tunnel endpoints are outside the segment's sources (10.40.1.0/24): the inner addresses are
what the segment's map and the filters see.

Usage: make_replay_pcap.py OUT.pcap EMPTY.pcap MANIFEST.json
The manifest lists, per flow, the packets in order with a tag each, so the test can tell which
ones must appear in the output pcap.

       make_replay_pcap.py --bulk SEGMENTS OUT.pcap
One HTTP download of SEGMENTS segments of 1400 bytes (10.40.1.3:41100 from 10.40.2.2:80): enough
payload for the filters to go over a small inspection budget (the fallback phase of the test).
"""
import json
import struct
import sys

CLIENT_MAC = bytes.fromhex("020000000a01")
SERVER_MAC = bytes.fromhex("020000000a02")
SERVER = "10.40.2.2"


def ip_bytes(a):
    return bytes(int(x) for x in a.split("."))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


TUNNEL_CLIENT = "192.0.2.1"
TUNNEL_SERVER = "192.0.2.2"


def ipv4_header(src, dst, protocol, payload_length, ident=1, flags=0x4000):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_length, ident, flags, 64, protocol, 0,
                     ip_bytes(src), ip_bytes(dst))
    return ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]


def encapsulate(tunnel, f, to_server):
    """The Ethernet frame f with its IP packet put in GRE (key 100, checksum) or IP-in-IP."""
    inner = f[14:]
    if tunnel == "gre":
        header = struct.pack("!HHHHI", 0xA000, 0x0800, 0, 0, 100)
        csum = checksum(header + inner)
        payload, protocol = header[:4] + struct.pack("!H", csum) + header[6:] + inner, 47
    else:
        payload, protocol = inner, 4
    src, dst = (TUNNEL_CLIENT, TUNNEL_SERVER) if to_server else (TUNNEL_SERVER, TUNNEL_CLIENT)
    return f[:14] + ipv4_header(src, dst, protocol, len(payload), 7, 0) + payload


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp + payload)) + tcp[18:]
    ip = ipv4_header(src, dst, 6, len(tcp) + len(payload))
    to_server = dst == SERVER
    eth = (SERVER_MAC + CLIENT_MAC) if to_server else (CLIENT_MAC + SERVER_MAC)
    return eth + b"\x08\x00" + ip + tcp + payload


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


class Flow:
    def __init__(self, name, client, sport, tunnel=None):
        self.name, self.client, self.sport, self.tunnel = name, client, sport, tunnel
        self.cseq, self.sseq = 1000, 50000
        self.packets = []

    def add(self, tag, from_client, flags, payload=b"", seq=None):
        if from_client:
            f = frame(self.client, SERVER, self.sport, 80, self.cseq if seq is None else seq,
                      self.sseq if flags & ACK else 0, flags, payload)
        else:
            f = frame(SERVER, self.client, 80, self.sport, self.sseq if seq is None else seq,
                      self.cseq, flags, payload)
        if self.tunnel:
            f = encapsulate(self.tunnel, f, from_client)
        self.packets.append((tag, f))

    def handshake(self):
        self.add("syn", True, SYN)
        self.cseq += 1
        self.add("syn-ack", False, SYN | ACK)
        self.sseq += 1
        self.add("ack", True, ACK)

    def send(self, tag, from_client, payload, flags=PSH | ACK):
        self.add(tag, from_client, flags, payload)
        if from_client:
            self.cseq += len(payload)
        else:
            self.sseq += len(payload)


def request(path):
    return ("GET %s HTTP/1.1\r\nHost: replay.test\r\nUser-Agent: replay\r\n\r\n" % path).encode()


def response(body):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def build():
    flows = []
    a = Flow("A", "10.40.1.1", 41000)
    a.handshake()
    a.send("request", True, request("/attack"))
    a.send("response", False, response(b"should never arrive\n"))
    a.send("ack-after", True, b"", flags=ACK)
    flows.append(a)
    for name, sport, path in (("B", 41001, "/probe"), ("C", 41002, "/index.html")):
        f = Flow(name, "10.40.1.1", sport)
        f.handshake()
        f.send("request", True, request(path))
        f.send("response", False, response(b"hello from %s\n" % name.encode()))
        f.send("ack-after", True, b"", flags=ACK)
        flows.append(f)
    d = Flow("D", "10.40.1.2", 41003)
    d.handshake()
    d.send("request", True, request("/report"))
    body = response(b"xxxxxxxxTOPSECRETyyyyyyyy\n")
    cut = body.index(b"TOPSECRET") + 4
    first, second = body[:cut], body[cut:]
    d.add("late-half", False, PSH | ACK, second, seq=d.sseq + len(first))
    d.add("gap-filler", False, PSH | ACK, first, seq=d.sseq)
    d.sseq += len(body)
    d.send("ack-after", True, b"", flags=ACK)
    flows.append(d)
    for name, client, sport, tunnel in (("E", "10.40.1.4", 41004, "gre"),
                                        ("F", "10.40.1.5", 41005, "ipip")):
        f = Flow(name, client, sport, tunnel)
        f.handshake()
        f.send("request", True, request("/attack"))
        f.send("response", False, response(b"should never arrive\n"))
        f.send("ack-after", True, b"", flags=ACK)
        flows.append(f)
    return flows


def write_pcap(path, frames):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            out.write(struct.pack("<IIII", 1700000000, i, len(f), len(f)))
            out.write(f)


def bulk(segments):
    f = Flow("bulk", "10.40.1.3", 41100)
    f.handshake()
    f.send("request", True, request("/big"))
    chunk = bytes((i * 7) % 251 for i in range(1400))
    f.send("header", False, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (segments * 1400))
    for _ in range(segments):
        f.send("data", False, chunk)
    return [fr for _, fr in f.packets]


def main():
    if sys.argv[1] == "--bulk":
        write_pcap(sys.argv[3], bulk(int(sys.argv[2])))
        return
    out, empty, manifest = sys.argv[1:4]
    flows = build()
    # Flows one after the other, so that each flow's packets keep their order on the wire.
    frames, listing = [], []
    for f in flows:
        for tag, fr in f.packets:
            listing.append({"flow": f.name, "tag": tag, "hex": fr.hex()})
            frames.append(fr)
    write_pcap(out, frames)
    write_pcap(empty, [])
    with open(manifest, "w") as m:
        json.dump(listing, m)


if __name__ == "__main__":
    main()
