#!/bin/bash
# The wire format as tshark sees it (RFC 3776 3.1, 3.2; RFC 6275 6.1, 6.3,
# 6.4): R captures registration at a, the handover to b and the return
# home (deregistration). With the lab's manual keys as its esp_sa table,
# tshark decodes every ESP and MH packet without malformed packets or
# expert errors, authenticates and decrypts every ESP packet of our SAs,
# and each BU is IPv6 . Destination Options (HAO) . ESP . MH BU (from the
# home address at home: IPv6 . ESP . MH BU), each BA IPv6 . type 2
# Routing header . ESP . MH BA (lab_tshark.py).
. "$(dirname "$0")/lab.sh"
lab_init
lab_need dumpcap tshark
lab_up
lab_capture_r "$LAB_TMP/r.pcapng"
lab_register_on a
lab_move a b
lab_wait 10 "registration at $COA_B" lab_is_registered $COA_B
lab_move b home
lab_wait 10 "deregistration" lab_bce_gone
sleep 0.5
lab_capture_stop
"$LAB_PY" "$LAB_SRC/tests/mobility/lab_tshark.py" "$LAB_TMP/r.pcapng" $HOA "$LAB_TMP/ha/m6.conf" --min-bu 3 --min-ba 3 ||
	lab_fail "tshark check of the capture"
lab_finish
echo "PASS: tshark decodes and decrypts every MIPv6/ESP packet in RFC 3776 order"
