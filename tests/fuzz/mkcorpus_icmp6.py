#!/usr/bin/python3
"""Reference ICMPv6 messages for tests/unit/test_icmp6.c and the fuzz seeds.

Each message is built by scapy (python3-scapy 2.5.0), an encoder independent
of src/wire/icmp6.c and nd.c. `--hex` prints the ICMPv6 bytes (checksum over
the IPv6 pseudo-header) that test_icmp6.c pastes as known answers; without it
the script (re)writes tests/fuzz/corpus/icmp6/ with those messages plus a few
malformed variants from the unit tests' malformed table.

    /usr/bin/python3 tests/fuzz/mkcorpus_icmp6.py --hex
    /usr/bin/python3 tests/fuzz/mkcorpus_icmp6.py [OUTDIR]
"""
import os
import sys

from scapy.layers.inet6 import (IPv6, ICMPv6HAADReply, ICMPv6HAADRequest, ICMPv6MPAdv,
                                ICMPv6MPSol, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA,
                                ICMPv6ND_RS, ICMPv6NDOptAdvInterval, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptHAInfo, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptSrcLLAddr, ICMPv6ParamProblem)
from scapy.packet import Raw

HA = "2001:db8:1::1"
HA2 = "2001:db8:1::2"
HOA = "2001:db8:1::100"
COA = "2001:db8:2::100"
ANYCAST = "2001:db8:1:0:fdff:ffff:ffff:fffe"
RTR_LL = "fe80::1"
MN_LL = "fe80::200"
MAC = "00:11:22:33:44:55"
MAC2 = "02:00:00:00:02:00"

# The invoking packet of the Parameter Problem: an MH with Payload Proto 6
# (R6275-9.2.c), pointer 40 = its Payload Proto field.
INVOKING = IPv6(src=COA, dst=HA, nh=135) / Raw(bytes.fromhex("0601050000000000"))

CASES = [
    ("dhaad_req", IPv6(src=COA, dst=ANYCAST) / ICMPv6HAADRequest(id=0x1234, R=0)),
    ("dhaad_rep", IPv6(src=HA, dst=COA) / ICMPv6HAADReply(id=0x1234, R=0, addresses=[HA, HA2])),
    ("mps", IPv6(src=HOA, dst=HA) / ICMPv6MPSol(id=0xbeef)),
    ("mpa", IPv6(src=HA, dst=HOA) / ICMPv6MPAdv(id=0xbeef, flags=2)
     / ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, R=1, validlifetime=86400,
                             preferredlifetime=14400, prefix=HA)),
    ("ra", IPv6(src=RTR_LL, dst="ff02::1", hlim=255)
     / ICMPv6ND_RA(chlim=64, H=1, prf=0, routerlifetime=1800, reachabletime=30000,
                   retranstimer=1000)
     / ICMPv6NDOptSrcLLAddr(lladdr=MAC)
     / ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, R=1, validlifetime=2592000,
                             preferredlifetime=604800, prefix=HA)
     / ICMPv6NDOptMTU(mtu=1500) / ICMPv6NDOptAdvInterval(advint=3000)
     / ICMPv6NDOptHAInfo(pref=10, lifetime=1800)),
    ("rs", IPv6(src=MN_LL, dst="ff02::2", hlim=255) / ICMPv6ND_RS()
     / ICMPv6NDOptSrcLLAddr(lladdr=MAC2)),
    ("ns", IPv6(src=RTR_LL, dst="ff02::1:ff00:100", hlim=255) / ICMPv6ND_NS(tgt=HOA)
     / ICMPv6NDOptSrcLLAddr(lladdr=MAC)),
    ("dad_ns", IPv6(src="::", dst="ff02::1:ff00:100", hlim=255) / ICMPv6ND_NS(tgt=HOA)),
    ("proxy_na", IPv6(src=HA, dst="ff02::1", hlim=255) / ICMPv6ND_NA(R=0, S=0, O=1, tgt=HOA)
     / ICMPv6NDOptDstLLAddr(lladdr=MAC)),
    ("param_prob", IPv6(src=HA, dst=COA) / ICMPv6ParamProblem(code=0, ptr=40) / INVOKING),
]


def icmp_bytes(pkt):
    """The ICMPv6 message with scapy's checksum, cut from the whole packet."""
    return bytes(IPv6(bytes(pkt)).payload)


def malformed(msgs):
    """Variants from the malformed table: the fuzz target re-checksums them."""
    ra = msgs["ra"]
    return {
        "bad_trunc_ra": ra[:15],
        "bad_dhaad_rep_15": msgs["dhaad_rep"][:-1],
        "bad_opt_len0": ra[:17] + b"\x00" + ra[18:],
        "bad_opt_overrun": ra[:17] + b"\x09" + ra[18:],
        "bad_pio_len3": ra[:25] + b"\x03" + ra[26:],
        "bad_hainfo_lifetime0": ra[:-2] + b"\x00\x00",
        "bad_code": msgs["ns"][:1] + b"\x01" + msgs["ns"][2:],
    }


def main():
    msgs = {name: icmp_bytes(pkt) for name, pkt in CASES}
    if sys.argv[1:] == ["--hex"]:
        for name, data in msgs.items():
            print(f"{name}: {data.hex()}")
        return
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                             "corpus", "icmp6")
    os.makedirs(out, exist_ok=True)
    for name, data in {**msgs, **malformed(msgs)}.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
