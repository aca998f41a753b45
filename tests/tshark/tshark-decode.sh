#!/usr/bin/env bash
# tshark, an independent decoder, reads one packet of every Mobile IPv6 kind our
# builders produce (BU, BA, HoTI, HoT, CoTI, CoT, BE, BRR, DHAAD, MPS/MPA, RA,
# NS/NA) and must name each as we do, with no malformed packet and no expert
# warning or error (issue 2; R6275-6.1.1.*, wire-formats.md §B-§F).
set -euo pipefail
tshark=${TSHARK:-$(command -v tshark || true)}
[ -n "$tshark" ] && [ -x "$tshark" ] || { echo "SKIP: tshark not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top_builddir/tests/tshark/m6pcap" gen "$tmp/ours.pcap" >"$tmp/kinds"
n=$(wc -l <"$tmp/kinds")
[ "$n" -ge 18 ] || { echo "FAIL: only $n packets generated"; exit 1; }

# What tshark calls each packet: the MH type or the ICMPv6 type.
"$tshark" -r "$tmp/ours.pcap" -T fields -e frame.number -e mip6.mhtype -e icmpv6.type \
	-E separator=' ' 2>/dev/null >"$tmp/fields"
declare -A mh=([BRR]=0 [HoTI]=1 [CoTI]=2 [HoT]=3 [CoT]=4 [BU]=5 [BA]=6 [BE]=7)
declare -A icmp=([DHAAD-Request]=144 [DHAAD-Reply]=145 [MPS]=146 [MPA]=147 [RA]=134 [NS]=135 [NA]=136)
fail=0
while read -r num kind; do
	line=$(awk -v n="$num" '$1 == n' "$tmp/fields")
	if [ -n "${mh[$kind]:-}" ]; then want="$num ${mh[$kind]}"; else want="$num ${icmp[$kind]}"; fi
	# Collapse the empty column tshark prints for the field that is absent.
	got=$(echo $line)
	if [ "$got" != "$want" ]; then
		echo "FAIL: packet $num ($kind): tshark says '$got', want '$want'"
		fail=1
	fi
done <"$tmp/kinds"

# No malformed packets, no expert warnings or errors.
"$tshark" -r "$tmp/ours.pcap" -q -z expert,warn 2>/dev/null >"$tmp/expert"
if grep -qE '^(Errors|Warns) \(' "$tmp/expert"; then
	echo "FAIL: tshark expert findings:"; cat "$tmp/expert"; fail=1
fi
if "$tshark" -r "$tmp/ours.pcap" -V 2>/dev/null | grep -qi 'malformed'; then
	echo "FAIL: tshark reports a malformed packet"; fail=1
fi
# tshark checks ICMPv6 checksums (with the RH2/HAO pseudo-header): every one good.
bad=$("$tshark" -r "$tmp/ours.pcap" -Y 'icmpv6.checksum.status == "Bad"' 2>/dev/null | wc -l)
[ "$bad" -eq 0 ] || { echo "FAIL: $bad ICMPv6 checksums rejected by tshark"; fail=1; }
[ $fail -eq 0 ] && echo "tshark decoded $n packets cleanly"
exit $fail
