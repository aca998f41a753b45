#!/bin/bash
# Home registration away from home (RFC 6275 10.3.1, 11.7.1; RFC 3776 3.1):
# the MN starts detached, link a comes up, the MN registers its care-of
# address (movement from rtnetlink, no RA in the lab) and:
#  - the HA's binding cache holds one valid entry for the home address at
#    the care-of address, accepted over mn1's SA (R3776-4.2.k), flags A and H;
#  - the MN's status says registered, away, on mn-a, with the lifetime left;
#  - the HA intercepts the home address: proxy ND on the home link and a
#    /128 route into its TUN m6ha0;
#  - an application on the MN that does not bind reaches the CN with the
#    home address as its source (TCP peer address seen by the CN) and ping
#    works;
#  - both daemons stop cleanly and leave nothing behind.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping
lab_up
lab_conf ha
lab_conf mn
lab_start ha
lab_start mn

loc=$(lab_mn location)
case $loc in detached | start) ;; *) lab_fail "MN location '$loc' with no link attached, want detached" ;; esac
[ "$(lab_mn care-of-address)" = None ] || lab_fail "MN has a care-of address while detached: $(lab_mn care-of-address)"

lab_attach a
lab_wait 10 "registration at $COA_A" lab_is_registered $COA_A
echo "registered $LAB_WAITED_MS ms after link a came up"

# The binding cache entry.
lab_json ha bindings "d" >"$LAB_TMP/bindings.txt" || lab_fail "bindings --json"
"$LAB_PY" - "$LAB_TMP/bindings.txt" <<EOP || lab_fail "binding cache entry: $(cat "$LAB_TMP/bindings.txt")"
import ast, sys
d = ast.literal_eval(open(sys.argv[1]).read())
e = [b for b in d if b["home-address"] == "$HOA"]
assert len(e) == 1, "one entry for the home address"
e = e[0]
assert e["care-of-address"] == "$COA_A", e
assert e["state"] == "valid", e
assert 0 < e["lifetime"] <= 120, "granted lifetime within the MN's 120 s"
assert 0 < e["lifetime-left"] <= e["lifetime"], e
assert "A" in e["flags"] and "H" in e["flags"], e
assert e["sa"] == "mn1-bu-in", e
assert isinstance(e["sequence"], int), e
EOP
lab_ctl ha bindings >"$LAB_TMP/bindings.table" || lab_fail "bindings (table)"
grep "$HOA" "$LAB_TMP/bindings.table" | grep -q "$COA_A" || lab_fail "bindings table: $(cat "$LAB_TMP/bindings.table")"
[ "$(lab_json ha status "d['home-agent']['bindings']")" = 1 ] || lab_fail "HA status bindings != 1"
[ "$(lab_json ha status "d['home-agent']['bu-received'] >= 1")" = True ] || lab_fail "HA status bu-received"

# The MN's view.
[ "$(lab_mn home-address)" = $HOA ] || lab_fail "MN home-address $(lab_mn home-address)"
[ "$(lab_mn home-agent)" = $HA_ADDR ] || lab_fail "MN home-agent $(lab_mn home-agent)"
[ "$(lab_mn location)" = away ] || lab_fail "MN location $(lab_mn location), want away"
[ "$(lab_mn interface)" = mn-a ] || lab_fail "MN interface $(lab_mn interface), want mn-a"
[ "$(lab_mn registrations)" -ge 1 ] || lab_fail "MN registrations $(lab_mn registrations)"
left=$(lab_mn lifetime-left)
[ "$left" -gt 0 ] && [ "$left" -le 120 ] || lab_fail "MN lifetime-left $left"
in_ns "$NS_MN" ip -6 addr show dev m6mn0 | grep -q "$HOA" || lab_fail "MN: home address not on m6mn0"

# Interception on the home link.
lab_proxy_present || lab_fail "HA: no proxy ND entry for $HOA"
ip -n "$NS_HA" -6 route show "$HOA/128" | grep -q "dev m6ha0" || lab_fail "HA: no /128 route into m6ha0"

# Traffic from the home address without binding to it.
in_ns "$NS_MN" ping -6 -c 3 -i 0.2 -W 2 $CN_ADDR >"$LAB_TMP/ping.out" 2>&1 ||
	lab_fail "ping CN from the MN: $(cat "$LAB_TMP/ping.out")"
lab_tcp_start "$NS_MN" $CN_ADDR 5001 65536 1000000
lab_tcp_check
[ "$LAB_TCP_PEER" = $HOA ] || lab_fail "CN saw the MN's TCP connection from $LAB_TCP_PEER, want the home address"

lab_finish
echo "PASS: registration at $COA_A in $LAB_WAITED_MS ms; binding, status, interception, traffic from the home address"
