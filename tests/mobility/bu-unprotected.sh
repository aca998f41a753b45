#!/bin/bash
# Unprotected and wrongly protected BUs are dropped and counted, never
# processed (RFC 3776 3.1, 4.2; RFC 6275 10.3.1: a home registration must be
# protected by IPsec). mn1 is registered at a; from R, scapy sends BUs for
# mn1's home address with a newer sequence number moving it to a fake
# care-of address:
#  1. without ESP;
#  2. in ESP with mn1's SPI 0x1001 but other keys (ICV fails).
# Neither changes the binding, and each moves a drop counter.
. "$(dirname "$0")/lab.sh"
lab_init
lab_up
lab_register_on a
FAKE_COA=fd6d:b::200
# A copy of the HA's config whose mn1 keys are wrong: only lab_pkt.py reads it.
sed -E 's/(integrity-key = ")[0-9a-f]{8}/\1deadbeef/' "$LAB_TMP/ha/m6.conf" >"$LAB_TMP/wrong-keys.conf"
for how in none wrong-keys; do
	seq=$(lab_bce sequence)
	lab_json ha status "d" >"$LAB_TMP/status.before"
	if [ $how = none ]; then conf=$LAB_TMP/ha/m6.conf sa=none; else conf=$LAB_TMP/wrong-keys.conf sa=mn1-bu-in; fi
	in_ns "$NS_R" "$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" bu "$conf" $sa $FAKE_COA $HOA $HA_ADDR \
		$(((seq + 1) % 65536)) 60 2>&1 | grep -v WARNING
	sleep 1
	lab_json ha status "d" >"$LAB_TMP/status.after"
	[ "$(lab_bce care-of-address)" = $COA_A ] || lab_fail "$how BU moved the binding to $(lab_bce care-of-address)"
	[ "$(lab_bce sequence)" = "$seq" ] || lab_fail "$how BU changed the sequence $seq -> $(lab_bce sequence)"
	lab_drops "$LAB_TMP/status.before" "$LAB_TMP/status.after" || lab_fail "$how BU not counted as dropped"
done
lab_is_registered $COA_A || lab_fail "mn1 not registered at $COA_A any more"
lab_finish
echo "PASS: unprotected and wrongly keyed BUs dropped and counted"
