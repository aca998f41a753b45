#!/bin/sh
# Mobile IPv6 packets through io/mip6sock between two namespaces (topology
# in mip6io-lib.sh): A sends, through IPPROTO_RAW, a BU with a Home Address
# option and a BA with a type 2 Routing Header, built by src/wire with the
# checksum over the home address (R6275-6.1.1.d); B receives each on the
# Next Header 60 / 43 raw socket with source, destination and hop limit
# from the control messages, and the bytes parse with exthdr_parse (raw
# mode) and mh_parse with the checksum verified. tshark on vb decodes both
# with no expert warning, and scapy's checksum (which applies the HAO and
# RH2 itself) agrees with ours. Needs root; skips (77) otherwise.
. "${top_srcdir:-.}/tests/netns/mip6io-lib.sh"
[ -n "$TSHARK" ] || skip "no tshark"
PY=/usr/bin/python3
ml_setup
ml_capture sendrecv

ml_recv hao dstopt 1 10
ml_send bu $HOA
ml_recv_wait
ml_expect hao "^got kind=dstopts len=40 src=$A dst=$B hlim=64 parse=ok hao=$HOA upper=Mobility Header mh=Binding Update seq=7 cksum=ok$"

ml_recv rh2 rh 1 10
ml_send ba $HOB
ml_recv_wait
ml_expect rh2 "^got kind=routing len=40 src=$A dst=$B hlim=64 parse=ok rh2=$HOB upper=Mobility Header mh=Binding Acknowledgement seq=7 cksum=ok$"
ml_capture_stop

# tshark: both decoded as MIPv6 with the option / header we put there.
ml_tshark -Y "mip6.mhtype == 5 && ipv6.opt.mipv6.home_address == $HOA && ipv6.src == $A" | grep -q "Binding Update" ||
	fail "tshark: no BU with HAO $HOA"
ml_tshark -Y "mip6.mhtype == 6 && ipv6.routing.mipv6.home_address == $HOB && ipv6.dst == $B" |
	grep -q "Binding Acknowledgement" || fail "tshark: no BA with RH2 $HOB"
n=$(ml_tshark -Y "mip6 && _ws.expert" | wc -l)
[ "$n" = 0 ] || fail "tshark: $n MIPv6 frames with expert info: $(ml_tshark -Y 'mip6 && _ws.expert' -T fields -e _ws.expert.message)"

# scapy decodes both and recomputes the MH checksum over the pseudo-header
# RFC 6275 §6.1.1 names (home address from the HAO as source, from the RH2
# as destination). Its own in6_chksum applies the HAO only when it is the
# sole option (ours follows a PadN, RFC 6275 §6.3 alignment), so the
# pseudo-header is spelled out here.
if [ -x "$PY" ] && "$PY" -c "import scapy" 2>/dev/null; then
	"$PY" - "$cap_file" <<'PYEOF' || fail "scapy disagrees with our MH checksums"
import socket, struct, sys
from scapy.all import rdpcap, checksum
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, HAO,
                                MIP6MH_BU, MIP6MH_BA)
n = 0
for p in rdpcap(sys.argv[1]):
    ip = p[IPv6]
    if ip.nh == 58:  # the kernel's Parameter Problem quoting our packet
        continue
    for cls in (MIP6MH_BU, MIP6MH_BA):
        if cls not in p:
            continue
        src, dst = ip.src, ip.dst
        if IPv6ExtHdrDestOpt in p:
            src = [o for o in p[IPv6ExtHdrDestOpt].options if isinstance(o, HAO)][0].hoa
        if IPv6ExtHdrRouting in p:
            assert p[IPv6ExtHdrRouting].type == 2 and p[IPv6ExtHdrRouting].segleft == 1
            dst = p[IPv6ExtHdrRouting].addresses[0]
        mh = bytes(p[cls])
        zeroed = mh[:4] + b"\0\0" + mh[6:]
        ph = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) +
              struct.pack("!I3xB", len(mh), 135))
        want = checksum(ph + zeroed)
        print(cls.__name__, src, dst, hex(p[cls].cksum), hex(want))
        if p[cls].cksum != want:
            sys.exit(1)
        n += 1
sys.exit(0 if n == 2 else 1)
PYEOF
fi
echo "PASS: BU+HAO and BA+RH2 sent raw, received on NH 60 / 43 with cmsgs, parsed, checksums verified"
