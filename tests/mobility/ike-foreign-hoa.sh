#!/bin/bash
# IKEv2 PAD check at the home agent (RFC 4877 4.2, R3776-4.2.k, R4877-4.2.d;
# LAB_KEYING=ike): mn1 registers at a with IKE-keyed SAs and is then
# killed (SIGKILL: no deregistration, its binding and IKE SA stay). In its
# place a mobile node authenticating as mn2.lab (a valid identity with a
# valid certificate from the lab CA, subjectAltName mn2.lab; with
# LAB_IKE_AUTH=psk a valid key) asks for CHILD_SAs on mn1's home address:
#  - the IKE SA comes up (authentication is fine) but every CHILD_SA
#    request is refused with TS_UNACCEPTABLE: the HA logs the refusal, the
#    impostor logs the notify (38), the HA's IKE SA with mn2.lab has no
#    CHILD_SA, and no SA for the home address was installed from it;
#  - no BU leaves the impostor (no BU/BA SA), the HA receives none, and
#    mn1's binding is unchanged (same care-of address, same sequence
#    number, accepted over mn1's IKE SA) and mn1's IKE SA is still there;
#  - mn1 restarted registers again, and the HA deletes mn1's older IKE SA
#    (no Delete came from the killed daemon) once the new one keys its
#    first CHILD_SA.
export LAB_KEYING=ike
. "$(dirname "$0")/lab.sh"
lab_init
lab_up
lab_register_on a
seq1=$(lab_bce sequence)
bu_rx=$(lab_json ha status "d['home-agent']['bu-received']")
lab_stop mn KILL
# The impostor: mn2's identity, mn1's home address, in mn1's place.
lab_conf mn $(lab_pki_as mn2.lab)
lab_start mn
is_refused() { grep -q "CHILD_SA refused: peer mn2: TS_UNACCEPTABLE" "$LAB_TMP/ha/daemon.log"; }
lab_wait 10 "TS_UNACCEPTABLE for mn2" is_refused
# Let the whole plan (IKE_AUTH, then CREATE_CHILD_SA) be answered.
all_refused() {
	[ "$(grep -c "CHILD_SA refused: peer mn2: TS_UNACCEPTABLE" "$LAB_TMP/ha/daemon.log")" -ge 2 ]
}
lab_wait 10 "every CHILD_SA of mn2 refused" all_refused
# Authentication itself succeeded, by the impostor's valid certificate.
want_auth=cert
[ "${LAB_IKE_AUTH:-pubkey}" = psk ] && want_auth=psk
lab_ike_auth_is ha mn2 $want_auth || lab_fail "HA: IKE SA with mn2 not by $want_auth AUTH: '$(lab_ike_auth ha mn2)'"
lab_ike_auth_is mn ha $want_auth || lab_fail "impostor: IKE SA with ha not by $want_auth AUTH: '$(lab_ike_auth mn ha)'"
refused=$(lab_json ha status "d['ike']['mip6_ts_refused']")
[ "${refused:-0}" -ge 2 ] || lab_fail "HA status: ike.mip6_ts_refused is ${refused:-none}, want >= 2"
mn_told_refused() { grep -q "refused our CHILD_SA (notify 38)" "$LAB_TMP/mn/daemon.log"; }
lab_wait 5 "impostor: TS_UNACCEPTABLE notify logged" mn_told_refused
"$LAB_PY" - <<EOP || lab_fail "HA IKE state: $(lab_ctl ha ike)"
import json
d = json.loads('''$(lab_ctl ha ike --json)''')
mn2 = [s for s in d if s["identity"] == "mn2.lab"]
assert len(mn2) == 1 and mn2[0]["state"] == "established", mn2
assert mn2[0]["children"] == [], "mn2 got CHILD_SAs: %s" % mn2[0]["children"]
mn1 = [s for s in d if s["identity"] == "mn1.lab" and s["state"] == "established"]
assert len(mn1) == 1 and any(c["tunnel"] == "mip6-bu-ba" for c in mn1[0]["children"]), mn1
EOP
# The impostor's run of the log (after its "=== start" line).
n=$(awk '/^=== start/ { n = 0 } /IKE keyed the/ { n++ } END { print n + 0 }' "$LAB_TMP/mn/daemon.log")
[ "$n" = 0 ] || lab_fail "impostor installed $n SA pairs"
[ "$(lab_mn registrations)" = 0 ] || lab_fail "impostor registered: $(lab_mn registrations)"
[ "$(lab_json ha status "d['home-agent']['bu-received']")" = "$bu_rx" ] || lab_fail "HA received a BU from the impostor"
[ "$(lab_bce care-of-address)" = $COA_A ] || lab_fail "mn1's binding moved to '$(lab_bce care-of-address)'"
[ "$(lab_bce sequence)" = "$seq1" ] || lab_fail "mn1's binding sequence changed"
[ "$(lab_bce sa)" = mnha0-bu-ba-ike-in ] || lab_fail "mn1's binding SA '$(lab_bce sa)'"
lab_stop mn KILL
# mn1 again (restarted: it never sent a Delete): it registers as before, and
# the HA replaces mn1's older IKE SA, whose CHILD_SAs it no longer uses.
lab_conf mn
lab_start mn
lab_wait 10 "mn1 registered again" lab_is_registered $COA_A
grep -q "peer mn1: new IKE SA from \[$COA_A\]: deleting the older one with \[$COA_A\]" "$LAB_TMP/ha/daemon.log" ||
	lab_fail "HA did not replace mn1's older IKE SA"
n_mn1=$(lab_json ha ike "len([s for s in d if s['state'] == 'established' and s['identity'] == 'mn1.lab'])")
[ "$n_mn1" = 1 ] || lab_fail "HA: $n_mn1 established IKE SAs with mn1.lab"
lab_finish
echo "PASS: mn2.lab asking for $HOA got TS_UNACCEPTABLE; no SA, no BU, mn1's binding untouched; mn1 registers again"
