#!/usr/bin/env bash
# tshark, an independent implementation, decrypts the IKE SAs our two
# engines negotiate (src/ike/ikesa.c, issue 5): tests/tshark/ikesapcap runs an
# AES-GCM-256 and an AES-CBC-256/HMAC-SHA2-256-128 handshake with a liveness
# INFORMATIONAL each and prints tshark's ikev2_decryption_table records from
# the engine's debug key dump. With them tshark must find every SK payload's
# ICV correct and, inside the IKE_AUTH request, IDi, IDr, AUTH (PSK), SA,
# TSi, TSr (R7296-1.2); inside the response IDr, AUTH, SA, TSi, TSr; the
# INFORMATIONALs empty (R7296-1.4); no malformed packet or expert error.
set -euo pipefail
tshark=${TSHARK:-$(command -v tshark || true)}
[ -n "$tshark" ] && [ -x "$tshark" ] || { echo "SKIP: tshark not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t recs < <("${top_builddir:-.}/tests/tshark/ikesapcap" "$tmp/ikesa.pcap")
[ ${#recs[@]} -eq 2 ] || { echo "FAIL: ikesapcap printed ${#recs[@]} key records"; exit 1; }
keys=()
for r in "${recs[@]}"; do keys+=(-o "uat:ikev2_decryption_table:$r"); done

# One line per frame: number, exchange, the payload types inside the SK
# payload (Proposal 2 and Transform 3 substructures left out).
inner() {
	"$tshark" -r "$tmp/ikesa.pcap" "${keys[@]}" -V -Y "frame.number == $1" 2>/dev/null |
		sed -n '/Decrypted Data/,$p' |
		sed -nE 's/^ +Payload: .* \(([0-9]+)\)( # [0-9]+)?$/\1/p' | { grep -vxE '2|3' || true; } | paste -sd, -
}
fail=0
want=(35,36,39,33,44,45 36,39,33,44,45 "" "")
for base in 0 6; do
	for i in 0 1 2 3; do
		n=$((base + 3 + i))
		got=$(inner "$n")
		[ "$got" = "${want[$i]}" ] || { echo "FAIL: frame $n: inner payloads '$got', want '${want[$i]}'"; fail=1; }
	done
done
# Every SK payload (IKE_AUTH and INFORMATIONAL, both suites) verifies.
correct=$("$tshark" -r "$tmp/ikesa.pcap" "${keys[@]}" -V 2>/dev/null | grep -c 'Integrity Checksum Data: .*\[correct\]' || true)
[ "$correct" -eq 8 ] || { echo "FAIL: $correct of 8 SK payloads verified by tshark"; fail=1; }
idi=$("$tshark" -r "$tmp/ikesa.pcap" "${keys[@]}" -V -Y 'frame.number == 3' 2>/dev/null | grep -c 'mn1@example.net' || true)
[ "$idi" -ge 1 ] || { echo "FAIL: IDi mn1@example.net not seen in the decrypted IKE_AUTH"; fail=1; }
if "$tshark" -r "$tmp/ikesa.pcap" "${keys[@]}" -V 2>/dev/null | grep -qi 'malformed'; then
	echo "FAIL: tshark reports a malformed packet"; fail=1
fi
"$tshark" -r "$tmp/ikesa.pcap" "${keys[@]}" -q -z expert,warn 2>/dev/null >"$tmp/expert"
if grep -qE '^(Errors|Warns) \(' "$tmp/expert"; then
	echo "FAIL: tshark expert findings:"; cat "$tmp/expert"; fail=1
fi
[ $fail -eq 0 ] && echo "tshark decrypted both IKE SAs our engines negotiated and found IKE_AUTH complete"
exit $fail
