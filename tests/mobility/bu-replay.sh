#!/bin/bash
# A replayed old BU is rejected (RFC 6275 9.5.1, 10.3.1: sequence number
# not newer modulo 2^16; the manual SAs run without ESP anti-replay, so the
# MH sequence number is the guard). The MN registers at a (R captures that
# BU), moves to b and registers there; then the BU from a is sent again,
# byte for byte, from R (an on-path attacker). The HA must not move the
# binding back: care-of address b and sequence number unchanged; it answers
# with a BA with status 135 (sequence number out of window) and counts the
# rejection (bu-rejected, or a drop counter).
. "$(dirname "$0")/lab.sh"
lab_init
lab_need dumpcap tshark
lab_up
lab_capture_r "$LAB_TMP/r.pcapng"
lab_register_on a
lab_move a b
lab_wait 10 "registration at $COA_B" lab_is_registered $COA_B
sleep 0.3
lab_capture_stop
seq=$(lab_bce sequence)
lab_json ha status "d" >"$LAB_TMP/status.before"
lab_capture_r "$LAB_TMP/replay.pcapng"
in_ns "$NS_R" "$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" replay "$LAB_TMP/r.pcapng" 0x1001 0 2>&1 | grep -v WARNING ||
	lab_fail "replay"
sleep 1
lab_capture_stop
lab_json ha status "d" >"$LAB_TMP/status.after"
[ "$(lab_bce care-of-address)" = $COA_B ] || lab_fail "replayed BU moved the binding to $(lab_bce care-of-address)"
[ "$(lab_bce sequence)" = "$seq" ] || lab_fail "replayed BU changed the sequence $seq -> $(lab_bce sequence)"
[ "$(lab_bce state)" = valid ] || lab_fail "binding state $(lab_bce state) after the replay"
mapfile -t prefs < <(lab_tshark_prefs "$LAB_TMP/ha/m6.conf")
ba135=$(tshark -n -r "$LAB_TMP/replay.pcapng" "${prefs[@]}" -Y "mip6.ba.status == 135" 2>/dev/null | wc -l)
echo "BAs with status 135 (sequence number out of window) after the replay: $ba135"
[ "$ba135" -ge 1 ] || lab_fail "no BA with status 135 for the replayed BU (R6275-9.5.1)"
lab_drops "$LAB_TMP/status.before" "$LAB_TMP/status.after" || lab_fail "the HA did not count the replayed BU"
sleep 0.5
lab_is_registered $COA_B || lab_fail "MN not registered at $COA_B after the replay"
lab_finish
echo "PASS: replayed BU from $COA_A rejected, binding stays at $COA_B (sequence $seq)"
