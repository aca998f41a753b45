#!/usr/bin/env bash
# tshark, an independent decoder, reads the traffic selectors of the lab
# mobile node's RFC 4877 plan (src/ike/mip6ike.c) as tests/tshark/
# mip6ike_tspcap writes them (in the clear, one frame per CHILD_SA request).
# The expected values are written out by hand from RFC 7296 3.13.1 /
# RFC 4301 4.4.1.1 (R7296-3.13.1.a, R4877-4.3.a/b): the port is the MH type
# times 256 (BU 5 -> 1280, BA 6 -> 1536, HoTI 1 -> 256, HoT 3 -> 768) or
# ICMPv6 type*256+code (MPS 146/0 -> 37376, MPA 147/0 -> 37632); TSi is the
# home address fd6d:1::100 (R4877-7.3.f), TSr the HA fd6d:1::1 or any;
# N(USE_TRANSPORT_MODE) (16391) with BU/BA and MPS/MPA only; BU/BA in
# IKE_AUTH (35), the rest CREATE_CHILD_SA (36) (R4877-7.3.c/e).
set -euo pipefail
tshark=${TSHARK:-$(command -v tshark || true)}
[ -n "$tshark" ] && [ -x "$tshark" ] || { echo "SKIP: tshark not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${top_builddir:-.}/tests/tshark/mip6ike_tspcap" "${top_srcdir:-..}/etc/examples/lab/mobile-node.conf" \
	"$tmp/ts.pcap" >"$tmp/slots"
printf '1 BU/BA\n2 MPS/MPA\n3 HoTI/HoT\n4 payload\n' | diff -u - "$tmp/slots"

any=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
cat >"$tmp/want" <<WANT
35|16391|135,135|1280,1280|1536,1536|fd6d:1::100,fd6d:1::1|fd6d:1::100,fd6d:1::1
36|16391|58,58,58,58|37376,37632,37376,37632|37376,37632,37376,37632|fd6d:1::100,fd6d:1::100,fd6d:1::1,fd6d:1::1|fd6d:1::100,fd6d:1::100,fd6d:1::1,fd6d:1::1
36||135,135,135,135|256,768,256,768|256,768,256,768|fd6d:1::100,fd6d:1::100,::,::|fd6d:1::100,fd6d:1::100,$any,$any
36||0,0|0,0|65535,65535|fd6d:1::100,::|fd6d:1::100,$any
WANT
"$tshark" -r "$tmp/ts.pcap" -T fields -E separator='|' -E aggregator=, -e isakmp.exchangetype \
	-e isakmp.notify.msgtype -e isakmp.ts.protoid -e isakmp.ts.start_port -e isakmp.ts.end_port \
	-e isakmp.ts.start_ipv6 -e isakmp.ts.end_ipv6 2>/dev/null >"$tmp/got"
diff -u "$tmp/want" "$tmp/got" || { echo "FAIL: tshark reads other selectors"; exit 1; }
# tshark names the protocol of the BU/BA selectors and finds nothing malformed.
"$tshark" -r "$tmp/ts.pcap" -V -Y 'frame.number == 1' 2>/dev/null | grep -q 'Protocol ID: Mobile IPv6 (135)' ||
	{ echo "FAIL: no 'Protocol ID: Mobile IPv6 (135)' in frame 1"; exit 1; }
if "$tshark" -r "$tmp/ts.pcap" -V 2>/dev/null | grep -qiE 'malformed|expert info \(error'; then
	echo "FAIL: tshark reports a malformed packet"
	exit 1
fi
echo "PASS: tshark reads the four CHILD_SA requests' selectors as RFC 4877 / RFC 7296 3.13.1 encode them"
