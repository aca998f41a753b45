#!/usr/bin/python3
"""scapy, an independent Mobile IPv6 implementation, checks our codecs both ways.

1. Packets our builders made (m6pcap gen): scapy must dissect each into the
   expected class with no undecoded bytes, and the checksum we wrote must equal
   the one scapy computes (scapy builds the pseudo-header from the HAO and the
   RH2 itself, R6275-6.1.1.d).
2. Packets scapy builds: our parsers (m6pcap parse) must decode them to the
   values scapy was given, and reject the ones scapy was told to corrupt.
"""
import os
import subprocess
import sys
import tempfile

try:
    from scapy.all import rdpcap, wrpcap, Raw, Padding
    from scapy.layers.inet6 import (
        IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, HAO, PadN,
        MIP6MH_BU, MIP6MH_BA, MIP6MH_BE, MIP6MH_BRR, MIP6MH_HoTI, MIP6MH_CoTI, MIP6MH_HoT,
        MIP6MH_CoT, MIP6OptAltCoA, MIP6OptBRAdvice, MIP6OptNonceIndices, MIP6OptBindingAuthData,
        ICMPv6HAADRequest, ICMPv6HAADReply, ICMPv6MPSol, ICMPv6MPAdv, ICMPv6ND_RA, ICMPv6ND_NS,
        ICMPv6ND_NA, ICMPv6NDOptPrefixInfo, ICMPv6NDOptHAInfo, ICMPv6NDOptAdvInterval,
        ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr)
except ImportError:
    print("SKIP: python3-scapy not installed")
    sys.exit(77)

M6PCAP = os.path.join(os.environ.get("top_builddir", "."), "tests/tshark/m6pcap")

EXPECT_CLASS = {
    "BU": MIP6MH_BU, "BA": MIP6MH_BA, "BE": MIP6MH_BE, "BRR": MIP6MH_BRR, "HoTI": MIP6MH_HoTI,
    "CoTI": MIP6MH_CoTI, "HoT": MIP6MH_HoT, "CoT": MIP6MH_CoT,
    "DHAAD-Request": ICMPv6HAADRequest, "DHAAD-Reply": ICMPv6HAADReply, "MPS": ICMPv6MPSol,
    "MPA": ICMPv6MPAdv, "RA": ICMPv6ND_RA, "NS": ICMPv6ND_NS, "NA": ICMPv6ND_NA,
}

MH_KINDS = {"BU", "BA", "BE", "BRR", "HoTI", "CoTI", "HoT", "CoT"}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def check_ours(tmp):
    path = os.path.join(tmp, "ours.pcap")
    out = subprocess.run([M6PCAP, "gen", path], check=True, capture_output=True, text=True).stdout
    kinds = [line.split()[1] for line in out.splitlines()]
    pkts = rdpcap(path)
    if len(pkts) != len(kinds):
        fail(f"{len(pkts)} packets in pcap, {len(kinds)} announced")
    for i, (kind, raw) in enumerate(zip(kinds, pkts), 1):
        p = IPv6(bytes(raw))
        cls = EXPECT_CLASS[kind]
        if cls not in p:
            fail(f"packet {i} ({kind}): scapy sees {p.summary()}")
            continue
        layer = p[cls]
        if Raw in p or Padding in p:
            fail(f"packet {i} ({kind}): scapy left undecoded bytes: {p.summary()}")
        # Recompute the checksum with scapy: rebuild the packet without it.
        # scapy takes the pseudo-header source from a HAO only when the HAO is
        # the header's sole option in its model, so keep just the HAO and let
        # scapy lay out the 8n+6 padding itself: the bytes must come out the
        # same as ours (wire-formats.md §D.1), checksum aside.
        wrote = layer.cksum
        q = IPv6(bytes(raw))
        if IPv6ExtHdrDestOpt in q:
            d = q[IPv6ExtHdrDestOpt]
            d.options = [o for o in d.options if isinstance(o, HAO)]
            d.len = None
        del q[cls].cksum
        rebuilt = bytes(q)
        redone = IPv6(rebuilt)[cls].cksum
        ours = bytes(raw)
        at = len(ours) - len(bytes(layer)) + (4 if kind in MH_KINDS else 2)
        if len(rebuilt) != len(ours) or rebuilt[:at] != ours[:at] or rebuilt[at + 2:] != ours[at + 2:]:
            fail(f"packet {i} ({kind}): scapy lays it out differently:\n ours  {ours.hex()}\n scapy {rebuilt.hex()}")
        if wrote != redone:
            fail(f"packet {i} ({kind}): our checksum {wrote:#06x}, scapy computes {redone:#06x}")
    print(f"scapy dissected {len(pkts)} packets of ours")


def check_theirs(tmp):
    ha, hoa, coa, cn = "2001:db8:1::1", "2001:db8:1::100", "2001:db8:2::100", "2001:db8:3::5"
    cases = [
        # (packet, expected line from m6pcap parse, without the leading number)
        (IPv6(src=coa, dst=ha) / IPv6ExtHdrDestOpt(options=[HAO(hoa=hoa)]) /
         MIP6MH_BU(seq=77, flags="AH", mhtime=300, options=[MIP6OptAltCoA(acoa=coa)]),
         f"BU seq=77 flags=0xc000 lifetime=300 alt_coa={coa} hao={hoa}"),
        (IPv6(src=ha, dst=coa) / IPv6ExtHdrRouting(type=2, addresses=[hoa], segleft=1) /
         MIP6MH_BA(status=0, seq=77, mhtime=300, options=[MIP6OptBRAdvice(rinter=200)]),
         f"BA status=0 seq=77 lifetime=300 bra=200 rh2={hoa}"),
        (IPv6(src=ha, dst=coa) / IPv6ExtHdrRouting(type=2, addresses=[hoa], segleft=1) /
         MIP6MH_BA(status=129, seq=9), f"BA status=129 seq=9 lifetime=0 rh2={hoa}"),
        (IPv6(src=cn, dst=coa) / MIP6MH_BE(status=2, ha=hoa), f"BE status=2 hoa={hoa}"),
        (IPv6(src=cn, dst=hoa) / MIP6MH_BRR(), "BRR"),
        (IPv6(src=hoa, dst=cn) / MIP6MH_HoTI(cookie=b"abcdefgh"), "HoTI"),
        (IPv6(src=coa, dst=cn) / MIP6MH_CoTI(cookie=b"abcdefgh"), "CoTI"),
        (IPv6(src=cn, dst=hoa) / MIP6MH_HoT(index=5, cookie=b"abcdefgh", token=b"12345678"),
         "HoT nonce_idx=5"),
        (IPv6(src=cn, dst=coa) / MIP6MH_CoT(index=6, cookie=b"abcdefgh", token=b"12345678"),
         "CoT nonce_idx=6"),
        (IPv6(src=coa, dst=ha) / ICMPv6HAADRequest(id=0x99), "DHAAD-Request id=0x0099 n_ha=0"),
        (IPv6(src=ha, dst=coa) / ICMPv6HAADReply(id=0x99, addresses=[ha, "2001:db8:1::2"]),
         f"DHAAD-Reply id=0x0099 n_ha=2 ha={ha} ha=2001:db8:1::2"),
        (IPv6(src=coa, dst=ha) / IPv6ExtHdrDestOpt(options=[HAO(hoa=hoa)]) / ICMPv6MPSol(id=7),
         "MPS id=0x0007 flags=0x0000 n_pio=0"),
        (IPv6(src=ha, dst=coa) / IPv6ExtHdrRouting(type=2, addresses=[hoa], segleft=1) /
         ICMPv6MPAdv(id=7, flags=2) /
         ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, R=1, prefix=ha, validlifetime=600,
                               preferredlifetime=300),
         f"MPA id=0x0007 flags=0x8000 n_pio=1 pio={ha}/64,0xe0"),
        (IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA(H=1, prf=0, routerlifetime=900) /
         ICMPv6NDOptHAInfo(pref=3, lifetime=900) / ICMPv6NDOptAdvInterval(advint=2000),
         "RA flags=0x20 lifetime=900 ha_info=1 ha_pref=3 ha_lifetime=900 n_pio=0"),
        (IPv6(src=ha, dst="ff02::1", hlim=255) / ICMPv6ND_NA(R=0, S=0, O=1, tgt=hoa) /
         ICMPv6NDOptDstLLAddr(lladdr="02:00:5e:00:53:01"), f"NA flags=0x20 target={hoa}"),
        (IPv6(src="::", dst="ff02::1:ff00:100", hlim=255) / ICMPv6ND_NS(tgt=hoa),
         f"NS target={hoa}"),
        # Corrupted: our parsers must refuse these.
        (IPv6(src=cn, dst=coa) / MIP6MH_BE(status=2, ha=hoa, cksum=0x1234), "DROP mh:bad checksum"),
        (IPv6(src=coa, dst=ha) / ICMPv6HAADRequest(id=1, cksum=0x1234), "DROP icmp6:"),
        (IPv6(src=coa, dst=ha) / MIP6MH_BU(seq=1, len=0), "DROP mh:"),
    ]
    path = os.path.join(tmp, "theirs.pcap")
    wrpcap(path, [c[0] for c in cases])
    out = subprocess.run([M6PCAP, "parse", path], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    if len(lines) != len(cases):
        fail(f"m6pcap parsed {len(lines)} of {len(cases)} packets")
    for (pkt, want), line in zip(cases, lines):
        got = line.split(" ", 1)[1]
        ok = got.startswith(want) if want.endswith(":") else got == want
        if want.startswith("DROP") and not want.endswith(":"):
            ok = got.startswith("DROP mh:")
        if not ok:
            fail(f"{pkt.summary()}: we parsed '{got}', want '{want}'")
    print(f"we parsed {len(lines)} packets scapy built")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_ours(tmp)
        check_theirs(tmp)
    if failures:
        print(f"{len(failures)} failures")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
