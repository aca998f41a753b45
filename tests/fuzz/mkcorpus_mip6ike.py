#!/usr/bin/env python3
"""Seed tests/fuzz/corpus/mip6ike/ (input layout: tests/fuzz/fuzz_mip6ike.c).

One file per case, named after what it asks: each slot of the RFC 4877 plan
for mn1 (accepted), the same with mn2's home address or by an unknown peer
(refused), wider proposals the policy narrows, the wrong modes, and
CFG_REQUESTs for INTERNAL_IP6_ADDRESS / MIP6_HOME_PREFIX. Run from anywhere:
    python3 tests/fuzz/mkcorpus_mip6ike.py
"""
import ipaddress
import os
import struct

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = os.path.join(top, "tests/fuzz/corpus/mip6ike")
os.makedirs(out, exist_ok=True)

ANY = ("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
HA = "2001:db8:1::1"
PEERS = {"mn1": 0, "mn2": 1, "v6": 2, "unknown": 3}


def sel(proto, p0, p1, lo, hi=None):
    a = ipaddress.IPv6Address(lo).packed
    b = ipaddress.IPv6Address(hi or lo).packed
    return struct.pack("!BBHHH", 8, proto, 40, p0, p1) + a + b


def ts_body(*sels):
    return struct.pack("!B3x", len(sels)) + b"".join(sels)


def shape(slot, hoa):
    if slot == "bu":
        return [sel(135, 0x500, 0x600, hoa)], [sel(135, 0x500, 0x600, HA)], True
    if slot == "mpd":
        return ([sel(58, 0x9200, 0x9200, hoa), sel(58, 0x9300, 0x9300, hoa)],
                [sel(58, 0x9200, 0x9200, HA), sel(58, 0x9300, 0x9300, HA)], True)
    if slot == "rr":
        return ([sel(135, 0x100, 0x100, hoa), sel(135, 0x300, 0x300, hoa)],
                [sel(135, 0x100, 0x100, *ANY), sel(135, 0x300, 0x300, *ANY)], False)
    return [sel(0, 0, 0xffff, hoa)], [sel(0, 0, 0xffff, *ANY)], False


def policy_case(name, peer, transport, tsi, tsr):
    i = ts_body(*tsi)
    data = bytes([(PEERS[peer] << 1) | int(transport)]) + struct.pack("!H", len(i)) + i + ts_body(*tsr)
    open(os.path.join(out, name), "wb").write(data)


def cp_case(name, peer, attrs, cfg=1):
    body = struct.pack("!B3x", cfg) + b"".join(struct.pack("!HH", t, len(v)) + v for t, v in attrs)
    # Octets 1-2 read as a TSi length past the end: the CP path is taken.
    data = bytes([PEERS[peer] << 1]) + body
    assert struct.unpack("!H", data[1:3])[0] > len(data) - 3
    open(os.path.join(out, name), "wb").write(data)


for slot in ("bu", "mpd", "rr", "payload"):
    tsi, tsr, tr = shape(slot, "2001:db8:1::100")
    policy_case(f"{slot}-mn1", "mn1", tr, tsi, tsr)
    policy_case(f"{slot}-mn1-other-mode", "mn1", not tr, tsi, tsr)
    policy_case(f"{slot}-unknown", "unknown", tr, tsi, tsr)
    tsi2, tsr2, _ = shape(slot, "2001:db8:1::200")
    policy_case(f"{slot}-mn1-asks-mn2", "mn1", tr, tsi2, tsr2)
    tsi3, tsr3, _ = shape(slot, "2001:db8:1::300")
    policy_case(f"{slot}-v6", "v6", tr, tsi3, tsr3)
policy_case("wide-prefix-transport", "mn1", True, [sel(0, 0, 0xffff, "2001:db8:1::", "2001:db8:1::ffff")],
            [sel(0, 0, 0xffff, HA)])
policy_case("wide-all-tunnel", "mn2", False, [sel(0, 0, 0xffff, *ANY)], [sel(0, 0, 0xffff, *ANY)])
policy_case("mh-any-type", "mn1", True, [sel(135, 0, 0xffff, "2001:db8:1::101")], [sel(135, 0, 0xffff, *ANY)])
policy_case("own-and-foreign", "mn1", True, [sel(135, 0x500, 0x600, "2001:db8:1::100"),
                                             sel(135, 0x500, 0x600, "2001:db8:1::200")],
            [sel(135, 0x500, 0x600, HA)])

hoa = ipaddress.IPv6Address("2001:db8:1::200").packed
cp_case("cp-empty-addr-prefix", "mn1", [(8, b""), (16, b"")])
cp_case("cp-suggest-foreign", "mn1", [(8, hoa + b"\x40")])
cp_case("cp-suggest-own", "mn2", [(8, hoa + b"\x40"), (10, b"")])
cp_case("cp-unknown", "unknown", [(8, b"")])
cp_case("cp-set", "mn1", [(8, b"")], cfg=3)
