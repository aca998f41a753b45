#!/bin/bash
# Home registration with IKEv2-keyed MN-HA SAs (RFC 4877; LAB_KEYING=ike,
# etc/examples/lab/*-ike.conf): the MN runs IKEv2 from its care-of address
# before its first BU and:
#  - `mip6sec ike` on both shows one established IKE SA (MN initiator from
#    the care-of address, HA responder, mn1.lab / ha.lab) whose CHILD_SAs
#    fill the MN-HA slots (BU/BA first, in IKE_AUTH, R4877-7.3.c), and the
#    two sides list the same SPI pairs mirrored;
#  - both ends authenticated by certificates (the lab's per-run PKI;
#    LAB_IKE_AUTH=psk: by the pre-shared key): the AUTH methods each logs
#    at ike_up are signatures, ours and the peer's;
#  - `mip6sec sas` on both shows those SAs installed, BU/BA in transport
#    mode between the home address and the HA (R4877-4.3.d);
#  - the HA's binding for the home address was accepted over the IKE BU/BA
#    SA (R3776-4.2.k);
#  - on the wire (R captures): IKE on UDP 500, then the BU as IPv6 . HAO .
#    ESP with the BU/BA SA's SPI and the BA back on the other SPI; no
#    Mobility Header in the clear (R3776-4.1.c, R4877-7.2.a);
#  - the home host H pings the home address through the HA;
#  - both daemons stop cleanly.
export LAB_KEYING=ike
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping dumpcap tshark
lab_up
lab_capture_r "$LAB_TMP/r.pcapng"
lab_register_on a
echo "registered at $COA_A $LAB_WAITED_MS ms after the MN started (IKE first)"

# IKE SAs and CHILD_SAs on both sides.
lab_ctl ha ike --json >"$LAB_TMP/ha-ike.json" || lab_fail "ha: mip6sec ike"
lab_ctl mn ike --json >"$LAB_TMP/mn-ike.json" || lab_fail "mn: mip6sec ike"
lab_ctl ha sas --json >"$LAB_TMP/ha-sas.json" || lab_fail "ha: mip6sec sas"
lab_ctl mn sas --json >"$LAB_TMP/mn-sas.json" || lab_fail "mn: mip6sec sas"
lab_ctl ha ike
lab_ctl mn sas
spis=$("$LAB_PY" - "$LAB_TMP" "$COA_A" "$HA_ADDR" "$HOA" <<'EOP'
import json, sys
tmp, coa, ha, hoa = sys.argv[1:5]
def sas_of(role):
    d = json.load(open("%s/%s-ike.json" % (tmp, role)))
    est = [s for s in d if s["state"] == "established"]
    assert len(est) == 1, "%s: one established IKE SA, got %s" % (role, d)
    return est[0]
h, m = sas_of("ha"), sas_of("mn")
assert h["role"] == "responder" and m["role"] == "initiator", (h["role"], m["role"])
assert h["identity"] == "mn1.lab" and m["identity"] == "ha.lab", (h["identity"], m["identity"])
assert m["local"] == coa and m["remote"] == ha and h["remote"] == coa, (m, h)
assert h["spi_i"] == m["spi_i"] and h["spi_r"] == m["spi_r"]
hc = {(c["spi_in"], c["spi_out"]): c["tunnel"] for c in h["children"]}
mc = {(c["spi_out"], c["spi_in"]): c["tunnel"] for c in m["children"]}
assert hc == mc, "mirrored CHILD_SAs: %s vs %s" % (hc, mc)
labels = sorted(hc.values())
assert "mip6-bu-ba" in labels and "mip6-mps-mpa" in labels, labels
bu = [k for k, v in hc.items() if v == "mip6-bu-ba"][0]
# Installed: every CHILD_SA SPI in both SADs, BU/BA transport HoA <-> HA.
for role, want in (("ha", hc), ("mn", {(o, i): v for (i, o), v in hc.items()})):
    sad = {("%08x" % int(str(s["spi"]), 0) if not str(s["spi"]).startswith("0x") else str(s["spi"])[2:].rjust(8, "0"),
            s["direction"]): s for s in json.load(open("%s/%s-sas.json" % (tmp, role)))}
    for (i, o), label in want.items():
        assert (i, "in") in sad and (o, "out") in sad, "%s: %s/%s not installed: %s" % (role, i, o, sorted(sad))
        if label == "mip6-bu-ba":
            s = sad[(i, "in")]
            assert s["mode"] == "transport", s
            assert {s["source"], s["destination"]} == {hoa, ha}, s
print(bu[0], bu[1])
EOP
) || lab_fail "IKE / SA listings: $spis"
read -r bu_in_ha bu_out_ha <<<"$spis"
want_auth=cert
[ "${LAB_IKE_AUTH:-pubkey}" = psk ] && want_auth=psk
lab_ike_auth_is ha mn1 $want_auth || lab_fail "HA: IKE SA with mn1 not by $want_auth AUTH (ours/peer's: '$(lab_ike_auth ha mn1)')"
lab_ike_auth_is mn ha $want_auth || lab_fail "MN: IKE SA with ha not by $want_auth AUTH (ours/peer's: '$(lab_ike_auth mn ha)')"
echo "AUTH methods (ours, peer's): HA $(lab_ike_auth ha mn1), MN $(lab_ike_auth mn ha) ($want_auth)"
echo "HA's BU/BA CHILD_SA: in 0x$bu_in_ha out 0x$bu_out_ha"
[ "$(lab_bce sa)" = mnha0-bu-ba-ike-in ] || lab_fail "binding accepted over '$(lab_bce sa)', want the IKE BU/BA SA"
[ "$(lab_json ha status "d['home-agent']['bindings']")" = 1 ] || lab_fail "HA status bindings != 1"

# Home host -> home address, through the HA's interception and tunnel.
in_ns "$NS_H" ping -6 -c 5 -i 0.2 -W 2 $HOA >"$LAB_TMP/ping.out" 2>&1 || lab_fail "H -> $HOA: $(cat "$LAB_TMP/ping.out")"
grep -q " 0% packet loss" "$LAB_TMP/ping.out" || lab_fail "H -> $HOA lost pings: $(tail -2 "$LAB_TMP/ping.out")"
lab_capture_stop

# The wire.
count() { tshark -n -r "$LAB_TMP/r.pcapng" -Y "$1" 2>/dev/null | wc -l; }
n_ike=$(count "isakmp && ipv6.src == $COA_A && ipv6.dst == $HA_ADDR")
n_bu=$(count "ipv6.src == $COA_A && ipv6.dst == $HA_ADDR && ipv6.opt.mipv6.home_address == $HOA && esp.spi == 0x$bu_in_ha")
n_ba=$(count "ipv6.src == $HA_ADDR && ipv6.dst == $COA_A && ipv6.routing.type == 2 && esp.spi == 0x$bu_out_ha")
n_mh=$(count "mipv6")
echo "R saw: $n_ike IKE requests from the CoA, $n_bu BU in ESP (HAO), $n_ba BA in ESP (RH2), $n_mh MH in the clear"
[ "$n_ike" -ge 2 ] || lab_fail "IKE_SA_INIT and IKE_AUTH from $COA_A not seen"
[ "$n_bu" -ge 1 ] || lab_fail "no BU inside ESP SPI 0x$bu_in_ha"
[ "$n_ba" -ge 1 ] || lab_fail "no BA inside ESP SPI 0x$bu_out_ha"
[ "$n_mh" = 0 ] || lab_fail "$n_mh Mobility Header packets in the clear"
lab_finish
echo "PASS: IKEv2-keyed registration at $COA_A: IKE SA and CHILD_SAs on both, BU/BA in ESP, H reaches the home address"
