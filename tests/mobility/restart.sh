#!/bin/bash
# Daemon restarts (RFC 6275 11.7.1, 9.3.3 Binding Error):
#  1. the MN daemon restarts (SIGTERM, start): it registers again at the
#     same care-of address and traffic flows;
#  2. the HA daemon restarts (SIGTERM: it removes its proxy ND entry and
#     /128 route; start: empty binding cache). The MN keeps sending
#     through the tunnel (a ping every 0.1 s); the HA answers tunnelled
#     traffic without a binding with a Binding Error status 1 for the home
#     address, and the MN registers again at once: the binding is rebuilt
#     in under 5 s (the MN's refresh, lifetime 16 s, would take ~13 s) and
#     the ping gets answers again.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping dumpcap tshark
lab_up
lab_register_on a --set mobile-node.binding-lifetime=16

lab_stop mn
[ "$LAB_RC" = 0 ] || lab_fail "MN exit status $LAB_RC"
t=$(lab_ms)
lab_start mn
lab_wait 10 "the restarted MN to register" lab_is_registered $COA_A
echo "MN restarted and registered again in $(($(lab_ms) - t)) ms"
in_ns "$NS_MN" ping -6 -c 3 -i 0.2 -W 2 $CN_ADDR >/dev/null 2>&1 || lab_fail "no traffic after the MN restart"

lab_capture_r "$LAB_TMP/r.pcapng"
lab_bg "$NS_MN" "$LAB_TMP/ping.out" ping -6 -i 0.1 -W 1 $CN_ADDR
PING=$LAB_BG_PID
sleep 0.5
lab_stop ha
[ "$LAB_RC" = 0 ] || lab_fail "HA exit status $LAB_RC"
lab_intercept_gone || lab_fail "HA left its proxy ND entry or /128 route behind"
t=$(lab_ms)
lab_start ha
# The restarted HA starts empty; the MN's reverse-tunnelled ping draws a
# Binding Error (status 1) that makes it register again at once, long
# before its refresh (R6275-11.3.6.b).
[ "$(lab_json ha status "d['home-agent']['bu-received']")" -le 1 ] || lab_fail "restarted HA counts old BUs"
lab_wait 14 "the binding to be rebuilt after the HA restart" lab_is_registered $COA_A
took=$(($(lab_ms) - t))
lab_proxy_present || lab_fail "no proxy ND entry after the rebuild"
in_ns "$NS_MN" ping -6 -c 3 -i 0.2 -W 2 $CN_ADDR >/dev/null 2>&1 || lab_fail "no traffic after the HA restart"
kill -INT $PING
lab_capture_stop
be=$(tshark -n -r "$LAB_TMP/r.pcapng" -Y "mip6.mhtype == 7 && ipv6.src == $HA_ADDR && mip6.be.status == 1 && mip6.be.haddr == $HOA" \
	2>/dev/null | wc -l)
[ "$be" -gt 0 ] || lab_fail "no Binding Error status 1 for $HOA from the restarted HA"
[ "$took" -lt 5000 ] || lab_fail "rebuilding the binding took $took ms: the Binding Error did not trigger a registration"
how="Binding Error ($be seen on R)"
lab_finish
echo "PASS: MN restart re-registers; HA restart rebuilt the binding in $took ms via $how"
