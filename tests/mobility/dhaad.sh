#!/bin/bash
# Dynamic Home Agent Address Discovery (RFC 6275 10.5, 11.4.1): the MN is
# configured with ha-address "::" and dhaad = true. From its care-of
# address it asks the Home Agents anycast address of its home prefix
# (RFC 2526: fd6d:1::fdff:ffff:ffff:fffe) with an ICMPv6 type 144 request;
# the HA answers with a type 145 reply listing fd6d:1::1, and the MN
# registers with that home agent.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need dumpcap tshark
lab_up
ANYCAST=fd6d:1::fdff:ffff:ffff:fffe
lab_capture_r "$LAB_TMP/r.pcapng"
lab_register_on a --set 'mobile-node.ha-address="::"' --set mobile-node.dhaad=true
[ "$(lab_mn home-agent)" = $HA_ADDR ] || lab_fail "MN home-agent $(lab_mn home-agent), want $HA_ADDR"
lab_capture_stop
tshark -n -r "$LAB_TMP/r.pcapng" -Y "icmpv6.type == 144 || icmpv6.type == 145" -T fields \
	-e frame.time_relative -e ipv6.src -e ipv6.dst -e icmpv6.type -e icmpv6.mip6.home_agent_address 2>/dev/null | sort -u -k2 >"$LAB_TMP/dhaad.txt"
cat "$LAB_TMP/dhaad.txt"
grep -qP "\t$COA_A\t$ANYCAST\t144" "$LAB_TMP/dhaad.txt" || lab_fail "no DHAAD request from $COA_A to $ANYCAST"
grep -P "\t$HA_ADDR\t$COA_A\t145" "$LAB_TMP/dhaad.txt" | grep -q "$HA_ADDR\$" ||
	lab_fail "no DHAAD reply from $HA_ADDR listing $HA_ADDR"
lab_finish
echo "PASS: DHAAD found $HA_ADDR"
