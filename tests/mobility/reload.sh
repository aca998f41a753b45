#!/bin/bash
# Reloading a running home agent and mobile node (SIGHUP / `mip6sec
# reload`), with payload SAs (ESP tunnel mode for the data):
#  - a reload of either side with the same role keeps the binding, and the
#    new SAs are pointed at the current care-of address at once: the MN
#    still reaches the CN through the tunnel, in ESP;
#  - a reload that would change the role's addresses (the MN's home
#    address) is refused whole: exit 1 with the reason, the running
#    configuration (generation) stays and the MN stays registered.
LAB_PAYLOAD=esp
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping
lab_up
lab_register_on a
ping_cn() { in_ns "$NS_MN" ping -6 -c 3 -i 0.2 -W 2 $CN_ADDR >"$LAB_TMP/ping.out" 2>&1; }
ping_cn || lab_fail "ping before the reloads: $(cat "$LAB_TMP/ping.out")"

for r in ha mn; do
	gen=$(lab_json $r status "d['config']['generation']")
	lab_ctl $r reload >"$LAB_TMP/reload.out" 2>&1 || lab_fail "$r reload: $(cat "$LAB_TMP/reload.out")"
	[ "$(lab_json $r status "d['config']['generation']")" = $((gen + 1)) ] || lab_fail "$r generation did not advance"
	lab_is_registered $COA_A || lab_fail "not registered at $COA_A after the $r reload"
	[ "$(lab_json $r sas "[s['destination'] for s in d if s.get('name') == 'mn1-data-out'][0]")" = \
		"$([ $r = ha ] && echo $COA_A || echo $HA_ADDR)" ] || lab_fail "$r: mn1-data-out not pointed at the tunnel end after the reload"
	before=$(lab_json $r sas "[s['packets'] for s in d if s.get('name') == 'mn1-data-in'][0]")
	ping_cn || lab_fail "ping after the $r reload: $(cat "$LAB_TMP/ping.out")"
	after=$(lab_json $r sas "[s['packets'] for s in d if s.get('name') == 'mn1-data-in'][0]")
	[ "$after" -ge $((before + 3)) ] || lab_fail "$r: replies did not come through the new payload SA ($before -> $after)"
done

gen=$(lab_json mn status "d['config']['generation']")
sed -i "s/fd6d:1::100\b/fd6d:1::101/g" "$LAB_TMP/mn/m6.conf" # a valid config for another home address
grep -q 'fd6d:1::101' "$LAB_TMP/mn/m6.conf" || lab_fail "could not edit the MN config"
if lab_ctl mn reload >"$LAB_TMP/reload.out" 2>&1; then lab_fail "a reload changing the home address was accepted"; fi
grep -q "change only at restart" "$LAB_TMP/reload.out" || lab_fail "reload refusal without the reason: $(cat "$LAB_TMP/reload.out")"
[ "$(lab_json mn status "d['config']['generation']")" = "$gen" ] || lab_fail "the refused reload changed the generation"
[ "$(lab_json mn status "d['reload']['last_result']")" = failed ] || lab_fail "last reload result not 'failed'"
lab_is_registered $COA_A || lab_fail "not registered after the refused reload"
ping_cn || lab_fail "ping after the refused reload: $(cat "$LAB_TMP/ping.out")"
lab_finish
echo "PASS: reloads keep the binding and re-point the new SAs; a home address change is refused whole"
