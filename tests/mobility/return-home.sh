#!/bin/bash
# Returning home (RFC 6275 11.5.5, 10.3.2): registered at a, the MN moves
# to the home link. It deregisters (BU with lifetime 0 from the home
# address); the HA deletes the entry and stops intercepting (proxy ND entry
# and /128 route gone); the MN says home; its traffic to the CN flows
# natively on the home link (no tunnelled packet crosses R while it pings),
# and R reaches the home address at the MN's own link-layer address (the
# MN's unsolicited Neighbor Advertisement overrode the HA's proxy answer).
# Then it leaves home again for b and registers there.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping dumpcap tshark
lab_up
lab_register_on a
t=$(lab_ms)
lab_move a home
lab_wait 10 "the HA to delete the entry" lab_bce_gone
echo "deregistered $(($(lab_ms) - t)) ms after arriving home"
lab_wait 2 "the interception to end" lab_intercept_gone
lab_wait 5 "MN location home" eval '[ "$(lab_mn location)" = home ]'
reg=$(lab_mn registration)
case $reg in idle | deregistering) ;; *) lab_fail "MN registration '$reg' at home" ;; esac
[ "$(lab_mn care-of-address)" = None ] || lab_fail "MN care-of address at home: $(lab_mn care-of-address)"
grep -q "binding deleted: hoa $HOA" "$LAB_TMP/ha/daemon.log" || lab_fail "no 'binding deleted' log line"

lab_capture_r "$LAB_TMP/home.pcapng"
in_ns "$NS_MN" ping -6 -c 5 -i 0.1 -W 2 $CN_ADDR >"$LAB_TMP/ping.out" 2>&1 || lab_fail "ping CN from home: $(cat "$LAB_TMP/ping.out")"
in_ns "$NS_H" ping -6 -c 3 -i 0.1 -W 2 $HOA >/dev/null 2>&1 || lab_fail "H cannot reach the MN at home"
lab_capture_stop
tun=$(tshark -n -r "$LAB_TMP/home.pcapng" -Y "ipv6.nxt == 41 || esp.spi == 0x1007 || esp.spi == 0x1008" 2>/dev/null | wc -l)
native=$(tshark -n -r "$LAB_TMP/home.pcapng" -Y "ipv6.src == $HOA && icmpv6.type == 128 && !(ipv6.nxt == 41)" 2>/dev/null | wc -l)
[ "$tun" = 0 ] || lab_fail "$tun tunnelled packets at home"
[ "$native" -ge 5 ] || lab_fail "only $native native echo requests from the home address"
mac_mn=$(in_ns "$NS_MN" cat /sys/class/net/mn-home/address)
in_ns "$NS_R" ip -6 neigh show $HOA | grep -q "lladdr $mac_mn" ||
	lab_fail "R reaches $HOA at '$(in_ns "$NS_R" ip -6 neigh show $HOA)', want the MN's $mac_mn"

lab_move home b
lab_wait 10 "registration at $COA_B after leaving home" lab_is_registered $COA_B
lab_finish
echo "PASS: deregistered at home, native traffic, away again at $COA_B"
