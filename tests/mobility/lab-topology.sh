#!/bin/bash
# The mobility lab itself, without daemons: every link carries traffic when
# attached and none when detached, the home link reaches the MN at home,
# and the lab configurations are valid, with fresh keys per run that
# mirror between the home agent and the mobile node. If this fails, the
# other tests in tests/mobility/ say nothing about the daemon.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping
lab_up

reach() { in_ns "$1" ping -6 -c 2 -i 0.1 -W 1 -I "$2" "$3" >/dev/null 2>&1; }

lab_attach a
reach "$NS_MN" $COA_A $CN_ADDR || lab_fail "MN on link a cannot reach the CN"
reach "$NS_MN" $COA_A $H_ADDR || lab_fail "MN on link a cannot reach H"
lab_move a b
reach "$NS_MN" $COA_B $CN_ADDR || lab_fail "MN on link b cannot reach the CN"
reach "$NS_MN" $COA_A $CN_ADDR && lab_fail "link a still carries traffic after detach"
in_ns "$NS_MN" ip -o link show mn-a | grep -q NO-CARRIER || lab_fail "MN does not see carrier loss on mn-a"
lab_move b home
reach "$NS_MN" $HOA $CN_ADDR || lab_fail "MN at home cannot reach the CN"
reach "$NS_H" $H_ADDR $HOA || lab_fail "H cannot reach the MN at home"
reach "$NS_HA" $HA_ADDR $HOA || lab_fail "HA cannot reach the MN at home"
lab_detach home
in_ns "$NS_MN" ip -6 addr show dev mn-home | grep -q "$HOA" && lab_fail "home address left on mn-home"
reach "$NS_CN" $CN_ADDR $HOA && lab_fail "home address reachable with the MN detached and no daemon"

# Configurations: the examples as shipped and as the lab writes them are
# valid, keys fresh, and the mirrored SAs share keys.
# The certificate templates name key files of the per-run lab PKI
# (/run/mip6sec-lab/ROLE/pki); the ike-*.sh tests start daemons on them.
for f in "$LAB_SRC"/etc/examples/lab/*.conf; do
	grep -q '/run/mip6sec-lab/' "$f" && continue
	"$MIP6SEC" check-config "$f" >/dev/null 2>&1 || lab_fail "$f: $("$MIP6SEC" check-config "$f" 2>&1)"
done
lab_conf ha
lab_conf mn
for r in ha mn; do
	for k in $(grep -o 'key = "[0-9a-f]*"' "$LAB_TMP/$r/m6.conf" | cut -d'"' -f2); do
		grep -q "$k" "$LAB_SRC/etc/examples/lab/"*.conf && lab_fail "$r: example key $k not replaced"
	done
	[ "$(stat -c %a "$LAB_TMP/$r/m6.conf")" = 600 ] || lab_fail "$r config not mode 0600"
done
for sa in mn1-bu mn1-hot mn1-mpd; do
	for dir in in out; do
		other=$([ $dir = in ] && echo out || echo in)
		ha=$("$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" sa "$LAB_TMP/ha/m6.conf" $sa-$dir)
		mn=$("$LAB_PY" "$LAB_SRC/tests/mobility/lab_pkt.py" sa "$LAB_TMP/mn/m6.conf" $sa-$other)
		"$LAB_PY" -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
keys = ("spi", "source", "destination", "mode", "traffic", "encryption-key", "integrity-key")
sys.exit(0 if all(a[k] == b[k] for k in keys) and a["direction"] != b["direction"] else 1)' "$ha" "$mn" ||
			lab_fail "SA $sa-$dir (HA) does not mirror $sa-$other (MN)"
	done
done
grep -q 'traffic = "payload"' "$LAB_TMP/mn/m6.conf" && lab_fail "payload SAs kept without LAB_PAYLOAD=esp"
LAB_PAYLOAD=esp lab_conf mn
grep -c 'traffic = "payload"' "$LAB_TMP/mn/m6.conf" | grep -qx 2 || lab_fail "LAB_PAYLOAD=esp lost the payload SAs"
echo "PASS: lab topology, moves and configurations"
