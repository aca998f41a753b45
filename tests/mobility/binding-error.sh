#!/bin/bash
# Binding Errors from the home agent (RFC 6275 9.3.3, R6275-9.3.3.a/b): from
# R, scapy (an independent builder) sends the HA
#  1. a Mobility Header of an unknown type (100): the HA answers status 2
#     (unrecognized MH Type), from the address it was sent to;
#  2. a UDP packet with a Home Address option for fd6d:1::333, which has no
#     binding: status 1 (unknown binding for the HAO), with that home
#     address in the BE's Home Address field, to the packet's source as on
#     the wire;
# and neither creates state. A registered MN's binding is untouched.
. "$(dirname "$0")/lab.sh"
lab_init
lab_up
lab_register_on a
SRC=fd6d:a::fe # R on link a
lab_need dumpcap tshark
lab_capture_r "$LAB_TMP/be.pcapng"
in_ns "$NS_R" "$LAB_PY" - "$SRC" "$HA_ADDR" <<'EOP' >"$LAB_TMP/be.out" 2>&1 || lab_fail "scapy: $(cat "$LAB_TMP/be.out")"
import sys
from scapy.all import send, conf
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, HAO, UDP, MIP6MH_Generic
conf.verb = 0
src, ha = sys.argv[1], sys.argv[2]
send(IPv6(src=src, dst=ha) / MIP6MH_Generic(mhtype=100, msg=b"\x00" * 10))
send(IPv6(src=src, dst=ha) / IPv6ExtHdrDestOpt(options=[HAO(hoa="fd6d:1::333")]) / UDP(sport=9, dport=9) / b"x")
EOP
sleep 1
lab_capture_stop
# "status home-address source destination", one line per distinct BE.
bes=$(tshark -n -r "$LAB_TMP/be.pcapng" -Y "mip6.mhtype == 7" -T fields -E separator=' ' \
	-e mip6.be.status -e mip6.be.haddr -e ipv6.src -e ipv6.dst 2>/dev/null | sort -u)
echo "$bes"
echo "$bes" | grep -qx "2 :: $HA_ADDR $SRC" || lab_fail "no BE status 2 from $HA_ADDR to $SRC: '$bes'"
echo "$bes" | grep -qx "1 fd6d:1::333 $HA_ADDR $SRC" || lab_fail "no BE status 1 for fd6d:1::333: '$bes'"
[ "$(lab_json ha bindings "len(d)")" = 1 ] || lab_fail "bindings: $(lab_ctl ha bindings)"
lab_is_registered $COA_A || lab_fail "mn1 not registered at $COA_A any more"
lab_finish
echo "PASS: Binding Errors status 2 (unknown MH type) and 1 (HAO without binding)"
