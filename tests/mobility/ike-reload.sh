#!/bin/bash
# Reloading both daemons with IKEv2-keyed MN-HA SAs (LAB_KEYING=ike): the
# CHILD_SAs move into the new SAD with their counters, sequence numbers and
# replay windows (ipsecdb_children_move), so that:
#  - after `mip6sec reload` of the HA and of the MN, both list the same
#    CHILD_SA SPIs as before, and the BU/BA SAs' packet counters did not
#    restart;
#  - the MN's next refresh BUs (8 s lifetime) are accepted over the same
#    BU/BA SA (a re-install from the keys would restart the sequence
#    numbers and the HA's anti-replay window would drop them), the binding
#    stays valid with an advancing sequence number;
#  - the MN still reaches the CN from its home address.
export LAB_KEYING=ike
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping
lab_up
lab_register_on a --set mobile-node.binding-lifetime=8
spis() { lab_json "$1" sas "sorted('%x/%s' % (s['spi'], s['direction']) for s in d)"; }
bu_pkts() { lab_json "$1" sas "sum(s['packets'] for s in d if s['mode'] == 'transport' and s['direction'] == '$2')"; }
ha_before=$(spis ha) mn_before=$(spis mn)
sleep 4 # at least one refresh on the SAs before the reloads
for r in ha mn; do
	out_before=$(bu_pkts $r out)
	gen=$(lab_json $r status "d['config']['generation']")
	lab_ctl $r reload >"$LAB_TMP/reload.out" 2>&1 || lab_fail "$r reload: $(cat "$LAB_TMP/reload.out")"
	[ "$(lab_json $r status "d['config']['generation']")" = $((gen + 1)) ] || lab_fail "$r generation did not advance"
	[ "$(bu_pkts $r out)" -ge "$out_before" ] || lab_fail "$r: transport SA counters restarted"
done
[ "$(spis ha)" = "$ha_before" ] || lab_fail "HA SPIs changed across the reload: $ha_before -> $(spis ha)"
[ "$(spis mn)" = "$mn_before" ] || lab_fail "MN SPIs changed across the reload: $mn_before -> $(spis mn)"
seq0=$(lab_bce sequence)
bu0=$(lab_json ha status "d['home-agent']['bu-received']")
sleep 9 # more than one lifetime: the binding lives only on refreshes
lab_is_registered $COA_A || lab_fail "not registered after the reloads and a lifetime"
seq1=$(lab_bce sequence)
d=$(((seq1 - seq0 + 65536) % 65536))
[ $d -ge 1 ] && [ $d -lt 32768 ] || lab_fail "no accepted refresh after the reloads: sequence $seq0 -> $seq1"
[ "$(lab_json ha status "d['home-agent']['bu-received']")" -gt "$bu0" ] || lab_fail "no BU received after the reloads"
[ "$(lab_bce sa)" = mnha0-bu-ba-ike-in ] || lab_fail "binding SA '$(lab_bce sa)'"
in_ns "$NS_MN" ping -6 -c 3 -i 0.2 -W 2 $CN_ADDR >"$LAB_TMP/ping.out" 2>&1 || lab_fail "ping after the reloads: $(cat "$LAB_TMP/ping.out")"
lab_finish
echo "PASS: reloads keep the IKE-keyed MN-HA SAs (same SPIs, counters), refreshes accepted after them (sequence $seq0 -> $seq1)"
