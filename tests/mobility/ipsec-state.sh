#!/bin/bash
# The IPsec state that follows the binding (RFC 3776 3.2, 4.2, 7), with
# payload SAs (ESP tunnel mode for the data):
#  - after the registration at a, the HA's tunnel-mode SAs for mn1 (HoTI/HoT
#    and payload, out and in) name the care-of address as their outer
#    remote address, and the MN's name it as their local one;
#  - an unprotected BU for mn1 claiming another care-of address does not
#    move them (only an accepted protected BU does, RFC 3776 3.2);
#  - after the move to b they name b's care-of address;
#  - the MN's `bindings` lists its Binding Update List entry;
#  - at home the MN's tunnel policies (HoTI/HoT and payload) are inactive
#    while the transport policies stay active and every manual SA is kept
#    (R3776-4.2.e, R3776-4.2.f, R3776-4.2.g); the HA's are inactive too once
#    the binding is deleted; leaving home makes them active again.
LAB_PAYLOAD=esp
. "$(dirname "$0")/lab.sh"
lab_init
lab_up
lab_register_on a

# sa_end ROLE NAME FIELD: source / destination of a named SA.
sa_end() { lab_json "$1" sas "[s['$3'] for s in d if s.get('name') == '$2'][0]"; }
check_sas() { # COA
	local name
	for name in mn1-hot-out mn1-data-out; do
		[ "$(sa_end ha $name destination)" = "$1" ] || lab_fail "HA $name destination $(sa_end ha $name destination), want $1"
		[ "$(sa_end ha $name source)" = "$HA_ADDR" ] || lab_fail "HA $name source $(sa_end ha $name source)"
		[ "$(sa_end mn $name source)" = "$1" ] || lab_fail "MN $name source $(sa_end mn $name source), want $1"
	done
	for name in mn1-hot-in mn1-data-in; do
		[ "$(sa_end ha $name source)" = "$1" ] || lab_fail "HA $name source $(sa_end ha $name source), want $1"
		[ "$(sa_end mn $name destination)" = "$1" ] || lab_fail "MN $name destination $(sa_end mn $name destination), want $1"
	done
}
# The set of "active" flags of mn1's PROTECT policies in one mode, e.g.
# "[True]" (bu/mpd: transport; hot/data: tunnel).
pol_active() { # ROLE MODE
	lab_json "$1" policies "sorted(set(p['active'] for p in d if p.get('sa') and p['sa']['mode'] == '$2' and str(p['sa'].get('name')).startswith('mn1-')))"
}
tunnel_active() { pol_active "$1" tunnel; }
transport_active() { pol_active "$1" transport; }
nsas() { lab_json "$1" sas "len([s for s in d if str(s.get('name', '')).startswith('mn1-')])"; }

check_sas $COA_A
# The MN's Binding Update List as `bindings` shows it.
bul=$(lab_json mn bindings "[(b['destination'], b['home-address'], b['care-of-address'], b['state'], b['lifetime-left'] > 0) for b in d]")
[ "$bul" = "[('$HA_ADDR', '$HOA', '$COA_A', 'registered', True)]" ] || lab_fail "MN bindings: $bul"
[ "$(tunnel_active mn)" = "[True]" ] || lab_fail "MN tunnel policies away: $(tunnel_active mn)"
[ "$(tunnel_active ha)" = "[True]" ] || lab_fail "HA tunnel policies with a binding: $(tunnel_active ha)"

# An unprotected BU moving mn1 elsewhere changes nothing (RFC 3776 3.2).
seq=$(lab_bce sequence)
in_ns "$NS_R" "$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" bu "$LAB_TMP/ha/m6.conf" none fd6d:b::200 $HOA $HA_ADDR \
	$(((seq + 1) % 65536)) 60 2>&1 | grep -v WARNING
sleep 1
check_sas $COA_A

lab_move a b
lab_wait 10 "registration at $COA_B" lab_is_registered $COA_B
check_sas $COA_B

n_mn=$(nsas mn) n_ha=$(nsas ha)
[ "$n_mn" = 8 ] && [ "$n_ha" = 8 ] || lab_fail "mn1 SAs: MN $n_mn, HA $n_ha, want 8 each"
lab_move b home
lab_wait 10 "the HA to delete the entry" lab_bce_gone
lab_wait 5 "MN tunnel policies inactive at home" eval '[ "$(tunnel_active mn)" = "[False]" ]'
[ "$(transport_active mn)" = "[True]" ] || lab_fail "MN transport policies at home: $(transport_active mn)"
[ "$(tunnel_active ha)" = "[False]" ] || lab_fail "HA tunnel policies without a binding: $(tunnel_active ha)"
[ "$(nsas mn)" = 8 ] && [ "$(nsas ha)" = 8 ] || lab_fail "manual SAs not kept at home: MN $(nsas mn), HA $(nsas ha)"

lab_move home a
lab_wait 10 "registration at $COA_A after leaving home" lab_is_registered $COA_A
[ "$(tunnel_active mn)" = "[True]" ] || lab_fail "MN tunnel policies after leaving home: $(tunnel_active mn)"
[ "$(tunnel_active ha)" = "[True]" ] || lab_fail "HA tunnel policies after re-registration: $(tunnel_active ha)"
check_sas $COA_A
lab_finish
echo "PASS: tunnel SAs follow the accepted BUs only; tunnel policies inactive at home with the SAs kept"
