#!/usr/bin/env bash
# tshark, an independent decoder, reads the IKEv2 messages our codec builds
# (src/wire/ike.c, issue 5): IKE_SA_INIT request and response (SA, KE, Nonce,
# N(NAT_DETECTION_*), N(IKEV2_FRAGMENTATION_SUPPORTED), V), IKE_AUTH with an
# SK payload on port 500 and on 4500 behind the Non-ESP Marker, an SKF
# fragment (RFC 7383 §2.5), and one message holding every other payload type.
# Each must have the exchange type, outer payload list and notify types our
# own parser reports, the right key length, KE group and SKF numbering, and
# no malformed packet or expert warning/error (wire-formats.md §I).
set -euo pipefail
tshark=${TSHARK:-$(command -v tshark || true)}
[ -n "$tshark" ] && [ -x "$tshark" ] || { echo "SKIP: tshark not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${top_builddir:-.}/tests/tshark/ikepcap" "$tmp/ike.pcap" >"$tmp/ours"
n=$(wc -l <"$tmp/ours")
[ "$n" -ge 6 ] || { echo "FAIL: only $n messages generated"; exit 1; }

# tshark lists Proposal (2) and Transform (3) substructures among the
# payloads; our list is the chain of payloads only.
"$tshark" -r "$tmp/ike.pcap" -T fields -E separator=' ' -e frame.number -e isakmp.exchangetype \
	-e isakmp.typepayload -e isakmp.notify.msgtype 2>/dev/null |
	awk '{ split($3, t, ","); s = "";
	       for (i = 1; i in t; i++) if (t[i] != 2 && t[i] != 3) s = s (s == "" ? "" : ",") t[i];
	       print $1, $2, (s == "" ? "-" : s), ($4 == "" ? "-" : $4) }' >"$tmp/theirs"
fail=0
if ! diff -u "$tmp/ours" "$tmp/theirs"; then
	echo "FAIL: tshark's exchange/payload/notify lists differ from ours (- ours, + tshark)"
	fail=1
fi

# Field values in the request: Key Length 256 then 128, KE group 19;
# the SKF header: fragment 1 of 2.
field() { "$tshark" -r "$tmp/ike.pcap" -Y "frame.number == $1" -T fields -e "$2" 2>/dev/null; }
[ "$(field 1 isakmp.ike2.attr.key_length)" = "256,128" ] ||
	{ echo "FAIL: key lengths '$(field 1 isakmp.ike2.attr.key_length)'"; fail=1; }
[ "$(field 1 isakmp.key_exchange.dh_group)" = "19" ] ||
	{ echo "FAIL: KE group '$(field 1 isakmp.key_exchange.dh_group)'"; fail=1; }
[ "$(field 5 isakmp.frag.number) $(field 5 isakmp.frag.total)" = "1 2" ] ||
	{ echo "FAIL: SKF numbering '$(field 5 isakmp.frag.number) $(field 5 isakmp.frag.total)'"; fail=1; }
[ "$(field 6 isakmp.ts.start_port)" = "1280,1280" ] ||
	{ echo "FAIL: TS start ports '$(field 6 isakmp.ts.start_port)'"; fail=1; }
# Port 4500 frames are IKE behind the marker, not ESP.
esp=$("$tshark" -r "$tmp/ike.pcap" -Y esp 2>/dev/null | wc -l)
[ "$esp" -eq 0 ] || { echo "FAIL: $esp frames decoded as ESP"; fail=1; }

"$tshark" -r "$tmp/ike.pcap" -q -z expert,warn 2>/dev/null >"$tmp/expert"
if grep -qE '^(Errors|Warns) \(' "$tmp/expert"; then
	echo "FAIL: tshark expert findings:"; cat "$tmp/expert"; fail=1
fi
if "$tshark" -r "$tmp/ike.pcap" -V 2>/dev/null | grep -qi 'malformed'; then
	echo "FAIL: tshark reports a malformed packet"; fail=1
fi
bad=$("$tshark" -r "$tmp/ike.pcap" -o udp.check_checksum:TRUE -Y 'udp.checksum.status == "Bad"' 2>/dev/null | wc -l)
[ "$bad" -eq 0 ] || { echo "FAIL: $bad UDP checksums rejected by tshark"; fail=1; }
[ $fail -eq 0 ] && echo "tshark decoded $n IKEv2 messages as we built them"
exit $fail
