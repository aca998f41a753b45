#!/bin/bash
# A host on the home link reaches the MN's home address while it is away
# (RFC 6275 10.4.1, 10.4.2): H's Neighbor Solicitation for the home address
# is answered by the HA (proxy ND: H resolves it to the HA's link-layer
# address), the HA tunnels H's echo requests to the care-of address and
# the MN's replies come back through the reverse tunnel; every ping is
# answered. Counted on R: at least one tunnelled packet per echo each way.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping dumpcap tshark
lab_up
lab_register_on a
lab_capture_r "$LAB_TMP/r.pcapng"
in_ns "$NS_H" ping -6 -c 10 -i 0.1 -W 2 $HOA >"$LAB_TMP/ping.out" 2>&1 || lab_fail "H -> $HOA: $(cat "$LAB_TMP/ping.out")"
grep -q " 0% packet loss" "$LAB_TMP/ping.out" || lab_fail "H -> $HOA lost pings: $(tail -2 "$LAB_TMP/ping.out")"
lab_capture_stop
mac_ha=$(in_ns "$NS_HA" cat /sys/class/net/$HA_IF/address)
in_ns "$NS_H" ip -6 neigh show $HOA | grep -q "lladdr $mac_ha" ||
	lab_fail "H resolved $HOA to '$(in_ns "$NS_H" ip -6 neigh show $HOA)', want the HA's $mac_ha"
tunnel="(ipv6.nxt == 41 || esp.spi == 0x1007 || esp.spi == 0x1008)"
down=$(tshark -n -r "$LAB_TMP/r.pcapng" -Y "sll.pkttype == 4 && $tunnel && ipv6.src == $HA_ADDR && ipv6.dst == $COA_A" 2>/dev/null | wc -l)
up=$(tshark -n -r "$LAB_TMP/r.pcapng" -Y "sll.pkttype != 4 && $tunnel && ipv6.src == $COA_A && ipv6.dst == $HA_ADDR" 2>/dev/null | wc -l)
[ "$down" -ge 10 ] && [ "$up" -ge 10 ] || lab_fail "tunnelled packets on link a: $down HA -> CoA, $up CoA -> HA, want >= 10 each"
lab_finish
echo "PASS: H reached the home address through the HA ($down packets tunnelled down, $up up)"
