#!/bin/bash
# Duplicate Address Detection on the home link before a first registration
# (RFC 6275 10.3.1, R6275-10.3.1.g): H already uses the MN's home address
# fd6d:1::100. When the MN registers from link a, the HA's DAD for the home
# address finds H, the HA answers status 134 (DAD failed), installs no
# binding and no proxy ND entry (H keeps its address), and the MN gives up
# on that home address ("failed") instead of retrying forever.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping dumpcap tshark
lab_up
ip -n "$NS_H" addr add $HOA/64 dev eth0 nodad || lab_fail "H: $HOA"
lab_conf ha
lab_conf mn
lab_start ha
lab_capture_r "$LAB_TMP/r.pcapng"
lab_attach a
lab_start mn
lab_wait 10 "the MN to give up on the duplicate home address" eval '[ "$(lab_mn registration)" = failed ]'
lab_capture_stop
state=$(lab_bce state)
[ -z "$state" ] || [ "$state" = deleting ] || lab_fail "HA binding in state '$state' for a duplicate home address"
lab_proxy_present && lab_fail "HA proxies $HOA although H owns it"
mapfile -t prefs < <(lab_tshark_prefs "$LAB_TMP/ha/m6.conf")
tshark -n -r "$LAB_TMP/r.pcapng" "${prefs[@]}" -Y "mip6.ba.status" -T fields -e mip6.ba.status 2>/dev/null | sort | uniq -c
n134=$(tshark -n -r "$LAB_TMP/r.pcapng" "${prefs[@]}" -Y "mip6.ba.status == 134" 2>/dev/null | wc -l)
[ "$n134" -ge 1 ] || lab_fail "no BA with status 134 on the wire"
dad=$(tshark -n -r "$LAB_TMP/r.pcapng" -Y "icmpv6.type == 135 && ipv6.src == :: && icmpv6.nd.ns.target_address == $HOA" 2>/dev/null | wc -l)
[ "$dad" -ge 1 ] || lab_fail "no DAD Neighbor Solicitation for $HOA on the home link"
in_ns "$NS_CN" ping -6 -c 2 -i 0.2 -W 2 $HOA >/dev/null 2>&1 || lab_fail "H's $HOA unreachable: the HA took it over"
lab_finish
echo "PASS: DAD found H's $HOA; BA 134, no binding, the MN gave up"
