#!/bin/bash
# Mobile Prefix Solicitation (RFC 6275 11.4.2, 10.6; RFC 3776 3.3): after
# registering, the MN asks the HA for its home prefixes; the MPS (ICMPv6
# 146) and the MPA (147) travel in ESP transport mode over the mps-mpa SAs
# (0x1005 MN -> HA, 0x1006 back). tshark, given the keys, finds them
# inside ESP with good ICVs, the MPA carries fd6d:1::/64, and the MN
# counts a received MPA. Waits up to 12 s after registration.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need dumpcap tshark
lab_up
lab_capture_r "$LAB_TMP/r.pcapng"
lab_register_on a
mapfile -t prefs < <(lab_tshark_prefs "$LAB_TMP/ha/m6.conf")
mps_mpa() {
	tshark -n -r "$LAB_TMP/r.pcapng" "${prefs[@]}" -Y "esp && (icmpv6.type == 146 || icmpv6.type == 147)" -T fields \
		-e esp.spi -e esp.icv_good -e icmpv6.type -e icmpv6.opt.prefix 2>/dev/null >"$LAB_TMP/mpd.txt"
	grep -qP "^0x00001005\t(1|True)\t146" "$LAB_TMP/mpd.txt" && grep -P "^0x00001006\t(1|True)\t147" "$LAB_TMP/mpd.txt" | grep -q "fd6d:1::"
}
t0=$(lab_ms)
until mps_mpa; do
	[ $(($(lab_ms) - t0)) -lt 12000 ] || lab_fail "no protected MPS/MPA exchange within 12 s of registering: $(cat "$LAB_TMP/mpd.txt")"
	sleep 0.5
done
sort -u "$LAB_TMP/mpd.txt"
lab_json mn status "{k: v for k, v in d.get('counters', {}).items() if 'mp' in k.lower() or 'prefix' in k.lower()}"
lab_capture_stop
lab_finish
echo "PASS: MPS and MPA exchanged in ESP"
