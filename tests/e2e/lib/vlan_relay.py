#!/usr/bin/env python3
"""An 802.1Q access port in userspace, for the inline e2e mode with a VLAN (E2E_INLINE_VLAN).

This test kernel has neither VLAN interfaces (8021q) nor tc's vlan action, so hosts cannot send
tagged frames themselves. The relay stands between a host's veth (HOST, untagged) and the
segment port's veth (TRUNK): frames from HOST leave on TRUNK with the tag (VLAN id VID, priority
PCP); frames from TRUNK tagged with VID reach HOST untagged, anything else is dropped. The kernel
takes the tag off received frames before packet sockets see them, so the tag of a TRUNK frame
is read from PACKET_AUXDATA. Standard library only; runs until killed.

usage: vlan_relay.py HOST TRUNK VID [PCP]
"""
import select
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 1 << 4


def open_port(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((name, 0))
    return s


def main():
    host_name, trunk_name, vid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pcp = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    tci = (pcp << 13) | vid
    host, trunk = open_port(host_name), open_port(trunk_name)
    tag = struct.pack("!HH", 0x8100, tci)
    while True:
        ready, _, _ = select.select([host, trunk], [], [])
        for s in ready:
            frame, anc, _, addr = s.recvmsg(65535, socket.CMSG_SPACE(20))
            if addr[2] == PACKET_OUTGOING or len(frame) < 14:
                continue  # our own transmissions, seen again
            if s is host:
                trunk.send(frame[:12] + tag + frame[12:])
                continue
            frame_vid = None
            for level, kind, data in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= 18:
                    status, _, _, _, _, aux_tci = struct.unpack("IIIHHH", data[:18])
                    if status & TP_STATUS_VLAN_VALID:
                        frame_vid = aux_tci & 0x0FFF
            if frame_vid is None and frame[12:14] == b"\x81\x00":  # tag left in the frame
                frame_vid = struct.unpack("!H", frame[14:16])[0] & 0x0FFF
                frame = frame[:12] + frame[16:]
            if frame_vid == vid:
                host.send(frame)


if __name__ == "__main__":
    main()
