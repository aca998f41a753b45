#!/usr/bin/python3
"""Send Mobile IPv6 packets built by scapy (an independent builder), for
tests/netns/mip6io-scapy.sh: run inside namespace A.

    mip6io_scapy.py bu SRC DST HOME SEQ   IPv6 / DestOpt{HAO} / MH BU
    mip6io_scapy.py ba SRC DST HOME SEQ   IPv6 / RH2 / MH BA
    mip6io_scapy.py unknown SRC DST - SEQ IPv6 / DestOpt{PadN(2), option 0xDE
                                          where the HAO would be} / MH BU

scapy computes the MH checksum itself (RFC 6275 6.1.1 pseudo-header: it
takes the home address from a HAO that is the only option, and the final
destination from the routing header) and pads the HAO to 8n+6 itself.
"""
import sys

from scapy.all import conf, send
from scapy.layers.inet6 import (HAO, HBHOptUnknown, IPv6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrRouting, MIP6MH_BA, MIP6MH_BU, PadN)


def main():
    shape, src, dst, home, seq = sys.argv[1:6]
    seq = int(seq)
    if shape == "bu":
        pkt = (IPv6(src=src, dst=dst) / IPv6ExtHdrDestOpt(options=[HAO(hoa=home)]) /
               MIP6MH_BU(seq=seq, flags=0x60, mhtime=25))  # A and H set
    elif shape == "ba":
        pkt = (IPv6(src=src, dst=dst) / IPv6ExtHdrRouting(type=2, segleft=1, addresses=[home]) /
               MIP6MH_BA(status=0, seq=seq, mhtime=25))
    elif shape == "unknown":
        # The HAO's layout with another option type (action 11: the kernel
        # sends a Parameter Problem): io/nft must not silence this one.
        opts = [PadN(optdata=b"\0\0"), HBHOptUnknown(otype=0xDE, optdata=b"\0" * 16)]
        pkt = (IPv6(src=src, dst=dst) / IPv6ExtHdrDestOpt(options=opts) /
               MIP6MH_BU(seq=seq, flags=0x60, mhtime=25))
    else:
        sys.exit("unknown shape " + shape)
    conf.verb = 0
    raw = bytes(pkt)
    print(shape, raw.hex())
    send(IPv6(raw))


if __name__ == "__main__":
    main()
