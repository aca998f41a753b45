#!/bin/bash
# The wire format as tshark sees it (RFC 3776 3.1, 3.2; RFC 6275 6.1, 6.3,
# 6.4): R captures registration at a, the handover to b and the return
# home (deregistration). With the lab's manual keys as its esp_sa table,
# tshark decodes every ESP and MH packet without malformed packets or
# expert errors, authenticates and decrypts every ESP packet of our SAs,
# and each BU is IPv6 . Destination Options (HAO) . ESP . MH BU (from the
# home address at home: IPv6 . ESP . MH BU), each BA IPv6 . type 2
# Routing header . ESP . MH BA (lab_tshark.py). A ping from the MN to the CN
# runs throughout: with LAB_PAYLOAD=esp (tshark-mip6-esp.sh) tshark must find
# its echoes inside the payload SAs (0x1007 up, 0x1008 down), authenticated
# and decrypted, else inside IPv6-in-IPv6.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need dumpcap tshark
lab_up
lab_capture_r "$LAB_TMP/r.pcapng"
lab_register_on a
lab_bg "$NS_MN" "$LAB_TMP/ping.out" ping -6 -i 0.05 -W 1 $CN_ADDR
PING=$LAB_BG_PID
sleep 0.5
lab_move a b
lab_wait 10 "registration at $COA_B" lab_is_registered $COA_B
lab_move b home
lab_wait 10 "deregistration" lab_bce_gone
sleep 0.5
kill -INT $PING
lab_capture_stop
"$LAB_PY" "$LAB_SRC/tests/mobility/lab_tshark.py" "$LAB_TMP/r.pcapng" $HOA "$LAB_TMP/ha/m6.conf" --min-bu 3 --min-ba 3 ||
	lab_fail "tshark check of the capture"
mapfile -t prefs < <(lab_tshark_prefs "$LAB_TMP/ha/m6.conf")
if [ "${LAB_PAYLOAD:-}" = esp ]; then
	up="esp.spi == 0x1007 && esp.icv_good == 1 && icmpv6.type == 128"
	down="esp.spi == 0x1008 && esp.icv_good == 1 && icmpv6.type == 129"
else
	up="ipv6.nxt == 41 && icmpv6.type == 128" down="ipv6.nxt == 41 && icmpv6.type == 129"
fi
n_up=$(tshark -n -r "$LAB_TMP/r.pcapng" "${prefs[@]}" -Y "$up" 2>/dev/null | wc -l)
n_down=$(tshark -n -r "$LAB_TMP/r.pcapng" "${prefs[@]}" -Y "$down" 2>/dev/null | wc -l)
echo "tunnelled echoes seen by tshark: $n_up up, $n_down down (${LAB_PAYLOAD:-ip6ip6})"
[ "$n_up" -ge 10 ] && [ "$n_down" -ge 10 ] || lab_fail "too few tunnelled echoes decoded: $n_up up, $n_down down"
lab_finish
echo "PASS: tshark decodes and decrypts every MIPv6/ESP packet in RFC 3776 order"
