#!/bin/bash
# A BU for another MN's home address is rejected (RFC 3776 4.2,
# R3776-4.2.k: the SA must be the one configured for that home address).
# mn1 (the MN daemon) is registered at a. From R, scapy sends BUs
# protected with mn2's own valid SA (keys from the HA's config):
#  1. for mn2's home address fd6d:1::200: accepted (the control: these
#     packets are well formed and mn2's SA works), an entry appears;
#  2. for mn1's home address: dropped; mn1's entry keeps its care-of
#     address and sequence number, and a drop counter moves.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need dumpcap tshark
lab_up
lab_register_on a
HOA2=fd6d:1::200 FAKE_COA=fd6d:b::200
bu() { in_ns "$NS_R" "$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" bu "$LAB_TMP/ha/m6.conf" "$@" 2>&1 | grep -v WARNING; }
bce2() { lab_json ha bindings "([b for b in d if b['home-address'] == '$HOA2'] or [{}])[0].get('$1', '')"; }
bu mn2-bu-in $FAKE_COA $HOA2 $HA_ADDR 100 60
lab_wait 5 "mn2's own registration (the control)" eval '[ "$(bce2 state)" = valid ]'
[ "$(bce2 care-of-address)" = $FAKE_COA ] || lab_fail "mn2 entry at $(bce2 care-of-address)"
[ "$(bce2 sa)" = mn2-bu-in ] || lab_fail "mn2 entry over SA $(bce2 sa)"

seq=$(lab_bce sequence)
lab_json ha status "d" >"$LAB_TMP/status.before"
bu mn2-bu-in $FAKE_COA $HOA $HA_ADDR $(((seq + 1) % 65536)) 60
sleep 1
lab_json ha status "d" >"$LAB_TMP/status.after"
[ "$(lab_bce care-of-address)" = $COA_A ] || lab_fail "mn2's SA moved mn1's binding to $(lab_bce care-of-address)"
[ "$(lab_bce sequence)" = "$seq" ] || lab_fail "mn2's SA changed mn1's sequence $seq -> $(lab_bce sequence)"
[ "$(lab_bce sa)" = mn1-bu-in ] || lab_fail "mn1's entry now over SA $(lab_bce sa)"
lab_drops "$LAB_TMP/status.before" "$LAB_TMP/status.after" || lab_fail "the HA did not count the foreign BU as dropped"
lab_is_registered $COA_A || lab_fail "mn1 not registered at $COA_A any more"
lab_finish
echo "PASS: mn2's SA registers mn2's home address and not mn1's"
