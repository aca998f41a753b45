#!/usr/bin/env python3
"""Write the seed corpus of fuzz_fwdpath (tests/fuzz/corpus/fwdpath/) from the
inputs of tests/unit/test_fwdpath.c. Byte 0 = udp << 2 | mode (fuzz_fwdpath.c).

Inner packets: the ICMPv6 Echo Request of the unit tests (RFC 4443 4.1) from
fd00:a::1 to fd00:b::1, a TCP SYN, one behind a Hop-by-Hop header, and the
refused ones of the out_refused table (version 4, lying payload length,
outside the prefixes, link scope). Outer datagrams: ESP headers with the
tunnel's SPIs, RFC 3948 keepalive and Non-ESP Marker, short stubs.
Run from anywhere: python3 tests/fuzz/mkcorpus_fwdpath.py
"""
import ipaddress
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fwdpath")


def a(s):
    return ipaddress.IPv6Address(s).packed


def cksum(src, dst, nh, msg):
    data = src + dst + struct.pack(">IxxxB", len(msg), nh) + msg
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip6(src, dst, nh, payload, hlim=63):
    return struct.pack(">IHBB", 0x60000000, len(payload), nh, hlim) + a(src) + a(dst) + payload


def echo(src, dst, n=16):
    msg = bytearray(struct.pack(">BBHHH", 128, 0, 0, 0x1234, 1) + bytes(i & 0xFF for i in range(n)))
    struct.pack_into(">H", msg, 2, cksum(a(src), a(dst), 58, bytes(msg)))
    return ip6(src, dst, 58, bytes(msg))


def syn(src, dst):
    tcp = bytearray(struct.pack(">HHIIBBHHH", 40000, 5001, 1, 0, 5 << 4, 0x02, 65535, 0, 0))
    struct.pack_into(">H", tcp, 16, cksum(a(src), a(dst), 6, bytes(tcp)))
    return ip6(src, dst, 6, bytes(tcp))


def hbh(src, dst):
    inner = echo(src, dst)
    ext = bytes([58, 0, 1, 4, 0, 0, 0, 0])  # Next Header ICMPv6, PadN
    return ip6(src, dst, 0, ext + inner[40:])


good = echo("fd00:a::1", "fd00:b::1")
inners = {
    "echo": good,
    "echo-big": echo("fd00:a::1", "fd00:b::1", 1300),
    "syn": syn("fd00:a::1", "fd00:b::1"),
    "hbh": hbh("fd00:a::1", "fd00:b::1"),
    "v4": b"\x40" + good[1:],
    "plen-big": good[:5] + bytes([good[5] + 1]) + good[6:],
    "plen-small": good[:5] + bytes([good[5] - 1]) + good[6:],
    "cut": good[:39],
    "outside-dst": echo("fd00:a::1", "fd00:c::1"),
    "outside-src": echo("fd00:9::1", "fd00:b::1"),
    "mld": ip6("::", "ff02::16", 58, bytes([143, 0, 0, 0, 0, 0, 0, 0])),
}

esp_hdr = struct.pack(">II", 0x1001, 1)
outers = {
    "esp-junk": esp_hdr + bytes(16) + bytes(range(64)) + bytes(16),
    "esp-short": esp_hdr + bytes(4),
    "esp-unknown-spi": struct.pack(">II", 0x7777, 1) + bytes(64),
    "esp-reserved-spi": struct.pack(">II", 7, 1) + bytes(64),
}
udp_outers = {
    "keepalive": b"\xff",
    "ike": bytes(4) + bytes(28),
    "stub": b"\x00\x00\x10",
    "esp": esp_hdr + bytes(16) + bytes(48) + bytes(16),
}


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.unlink(os.path.join(OUT, f))
for name, d in outers.items():
    write("m0-" + name, bytes([0]) + d)
for name, d in udp_outers.items():
    write("m1-" + name, bytes([1 | 4]) + d)
for name, d in inners.items():
    write("m2-esp-" + name, bytes([2]) + d)
for name in ("echo", "syn", "hbh"):
    write("m2-udp-" + name, bytes([2 | 4]) + inners[name])
for name in ("echo", "outside-src", "outside-dst", "plen-big"):
    write("m3-" + name, bytes([3, 41]) + inners[name])
write("m3-ipv4", bytes([3, 4]) + bytes([0x45, 0, 0, 20]) + bytes(16))
write("m3-dummy", bytes([3 | 4, 59]))
