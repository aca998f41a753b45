#!/usr/bin/env python3
"""Write the seed corpus of fuzz_spd (tests/fuzz/corpus/spd/) from the
selector kinds of tests/unit/test_spd.c: the HA signalling layout (BU per
home address, MPS, echo bypass, a DISCARD catch), a tunnel layout with
interface ids, port selectors, and a few deterministic random sets. The input
format is described at the top of fuzz_spd.c.
Run from anywhere: python3 tests/fuzz/mkcorpus_spd.py
"""
import os
import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "spd")
PROTO = {"any": 0, "tcp": 1, "udp": 2, "icmpv6": 3, "mh": 4, "esp": 5, "sctp": 6, "ipv6": 7}
ACT = {"discard": 0, "bypass": 1, "protect": 2}


def addr(a, b, c):
    """2001:db8:a:b::c as the one-byte address code."""
    return (a & 3) | (b & 3) << 2 | (c & 15) << 4


def entry(dir_in, action, prio, src, slen, dst, dlen, proto, sport=None, dport=None,
          mh=None, itype=None, icode=None, ifid=0, sa=0, active=True, delete=False):
    flags = (1 if dir_in else 0) | (2 if active else 0) | ACT[action] << 2 | (16 if delete else 0)
    code = PROTO[proto]
    a = b = c = 0
    if sport is not None:
        code |= 0x08
        a = sport
    if dport is not None:
        code |= 0x10
        b = dport
    if mh is not None:
        code |= 0x20
        a = mh
    if itype is not None:
        code |= 0x40
        b = itype - 128
        if icode is not None:
            c = 1 | icode << 1
    return bytes([flags, prio, src, slen, dst, dlen, code, a, b, c, ifid, sa, 0])


def pkt(proto, src, dst, ifid, l4):
    return bytes([proto, src, dst, ifid, len(l4)]) + (l4 + b"\0" * 4)[:4]


def write(name, entries, packets):
    data = bytes([len(entries)]) + b"".join(entries) + b"".join(packets)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    ha, mn1, mn2, mn3 = addr(1, 0, 1), addr(1, 0, 2), addr(1, 0, 3), addr(1, 0, 4)
    signalling = [
        entry(True, "protect", 1, mn1, 128, ha, 128, "mh", mh=5, sa=0),
        entry(True, "protect", 1, mn2, 128, ha, 128, "mh", mh=5, sa=1),
        entry(True, "protect", 1, mn1, 128, ha, 128, "icmpv6", itype=146, sa=0),
        entry(True, "bypass", 1, 0, 0, ha, 128, "icmpv6", itype=128, icode=0),
        entry(True, "discard", 3, ha, 64, ha, 128, "mh", mh=5, delete=True),
        entry(False, "protect", 2, 0, 0, mn1, 128, "mh", mh=3, ifid=3, sa=2),
    ]
    mh_bu, mh_ba = bytes.fromhex("3b030500"), bytes.fromhex("3b030600")
    pk = [pkt(135, mn1, ha, 0, mh_bu), pkt(135, mn2, ha, 0, mh_bu), pkt(135, mn3, ha, 0, mh_bu),
          pkt(135, mn1, ha, 0, mh_ba), pkt(135, mn1, ha, 0, mh_bu[:2]), pkt(58, mn1, ha, 0, b"\x92\0"),
          pkt(58, mn3, ha, 0, b"\x80\0"), pkt(58, mn3, ha, 0, b"\x80\1"), pkt(135, 0, mn1, 3, b"\0\0\3\0")]
    write("signalling", signalling, pk)
    a, b = addr(0, 1, 0), addr(0, 2, 0)
    tunnel = [
        entry(False, "bypass", 0, addr(0, 0, 1), 128, addr(0, 0, 2), 128, "esp"),
        entry(False, "bypass", 0, addr(0, 0, 1), 128, 0, 0, "udp", sport=2, dport=2),
        entry(False, "protect", 2, a, 48, b, 48, "any", ifid=1, sa=1),
        entry(False, "discard", 2, a, 48, b, 48, "any", ifid=1),
        entry(False, "discard", 1, addr(0, 1, 5), 128, 0, 0, "tcp", active=False),
        entry(True, "protect", 2, b, 48, a, 48, "any", ifid=1, sa=3),
        entry(True, "protect", 2, b, 48, a, 48, "any", ifid=1, sa=1),
    ]
    pk = [pkt(6, addr(0, 1, 5), b, 1, b"\0\1\0\2"), pkt(17, addr(0, 0, 1), b, 0, b"\0\2\0\2"),
          pkt(17, addr(0, 0, 1), b, 0, b"\0\2"), pkt(50, addr(0, 0, 1), addr(0, 0, 2), 0, b""),
          pkt(6, b, a, 1, b"\0\1\0\2"), pkt(6, b, a, 2, b"")]
    write("tunnel", tunnel, pk)
    write("empty", [], [pkt(135, 0, 0, 0, mh_bu)])
    write("refused", [entry(False, "bypass", 0, 0, 0, 0, 0, "mh", sport=1)[:6] + b"\x8b" +
                      bytes(6)], [pkt(17, 0, 0, 0, b"\0\1\0\1")])
    rng = random.Random(3776)
    for i in range(8):
        ents = []
        for _ in range(rng.randrange(1, 40)):
            e = bytearray(rng.randbytes(13))
            e[3] = rng.choice([0, 0, 32, 48, 64, 128])
            e[5] = rng.choice([0, 0, 32, 48, 64, 128])
            e[6] &= 0x7f
            ents.append(bytes(e))
        pk = [rng.randbytes(9) for _ in range(rng.randrange(4, 30))]
        write("random-%d" % i, ents, pk)


if __name__ == "__main__":
    main()
