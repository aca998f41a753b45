#!/bin/bash
# Handover a -> b with IKEv2-keyed MN-HA SAs (RFC 4877; LAB_KEYING=ike)
# under an open TCP connection, as handover-tcp.sh does with manual keys.
# Without the K bit (RFC 6275 11.7.1, mobile-node.key-mgmt-mobility off)
# the IKE SA is bound to the old care-of address, so the MN drops it and
# runs IKE again from the new one before its BU:
#  - the MN logs IKE_SA_INIT from $COA_B, and its one established IKE SA
#    afterwards runs between $COA_B and the HA, with new CHILD_SA SPIs;
#  - the HA has one established IKE SA with mn1.lab, from $COA_B (the one
#    with $COA_A went with the MN's Delete, or when the new one keyed its
#    first CHILD_SA), and the binding moved to
#    $COA_B, accepted over the new BU/BA SA (R3776-4.2.k) with a newer
#    sequence number;
#  - 2 MB sent from the home address at ~500 kB/s across the move arrive at
#    the CN byte for byte (sha256), from the home address;
#  - both daemons stop cleanly.
export LAB_KEYING=ike
. "$(dirname "$0")/lab.sh"
lab_init
lab_up
lab_register_on a
seq_a=$(lab_bce sequence)
bu_a=$(lab_json mn ike "[c['spi_in'] for s in d if s['state'] == 'established' for c in s['children'] if c['tunnel'] == 'mip6-bu-ba'][0]") ||
	lab_fail "MN: no BU/BA CHILD_SA before the move"
lab_tcp_start "$NS_MN" $CN_ADDR 5001 2000000 500000
sleep 1.5
t_move=$(lab_ms)
lab_move a b
lab_wait 10 "registration at $COA_B" lab_is_registered $COA_B
echo "registered at $COA_B $(($(lab_ms) - t_move)) ms after the move (IKE run again first)"
lab_tcp_check
[ "$LAB_TCP_PEER" = $HOA ] || lab_fail "TCP came from $LAB_TCP_PEER, want $HOA"

grep -q "IKE_SA_INIT sent from \[$COA_B\]" "$LAB_TMP/mn/daemon.log" || lab_fail "MN: no IKE_SA_INIT from $COA_B"
"$LAB_PY" - "$COA_B" "$HA_ADDR" "$bu_a" <<EOP || lab_fail "MN IKE state after the move: $(lab_ctl mn ike)"
import json, subprocess, sys
coa, ha, old = sys.argv[1:4]
d = json.loads('''$(lab_ctl mn ike --json)''')
est = [s for s in d if s["state"] == "established"]
assert len(est) == 1, d
s = est[0]
assert s["local"] == coa and s["remote"] == ha, s
bu = [c["spi_in"] for c in s["children"] if c["tunnel"] == "mip6-bu-ba"]
assert len(bu) == 1 and bu[0] != old, (bu, old)
EOP
n_b=$(lab_json ha ike "len([s for s in d if s['state'] == 'established' and s['remote'] == '$COA_B'])")
[ "$n_b" = 1 ] || lab_fail "HA: $n_b established IKE SAs with $COA_B: $(lab_ctl ha ike)"
# The IKE SA bound to $COA_A is gone on the HA: the MN's Delete(IKE) when it
# reached the HA, else the HA deletes it once the new one keys a CHILD_SA
# (its CHILD_SAs would otherwise hold MN-HA slots until DPD gave up).
grep -qE "with mn1 down: deleted by peer|peer mn1: new IKE SA from \[$COA_B\]: deleting the older one" \
	"$LAB_TMP/ha/daemon.log" || lab_fail "HA kept the IKE SA with $COA_A"
n_a=$(lab_json ha ike "len([s for s in d if s['state'] == 'established' and s['remote'] == '$COA_A'])")
[ "$n_a" = 0 ] || lab_fail "HA: IKE SA with $COA_A still established"
n_mn1=$(lab_json ha ike "len([s for s in d if s['state'] == 'established' and s['identity'] == 'mn1.lab'])")
[ "$n_mn1" = 1 ] || lab_fail "HA: $n_mn1 established IKE SAs with mn1.lab"
seq_b=$(lab_bce sequence)
d=$(((seq_b - seq_a + 65536) % 65536))
[ $d -ge 1 ] && [ $d -lt 32768 ] || lab_fail "sequence $seq_a -> $seq_b, want newer"
[ "$(lab_bce sa)" = mnha0-bu-ba-ike-in ] || lab_fail "binding accepted over '$(lab_bce sa)'"
grep -q "binding moved: hoa $HOA coa $COA_B" "$LAB_TMP/ha/daemon.log" || lab_fail "no 'binding moved' log line on the HA"
[ "$(lab_mn interface)" = mn-b ] || lab_fail "MN interface $(lab_mn interface)"
lab_finish
echo "PASS: IKEv2-keyed handover a -> b: IKE re-run from $COA_B, BU accepted, 2000000 TCP bytes intact"
