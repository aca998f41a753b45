#!/bin/bash
# Binding refresh (RFC 6275 11.7.1): with an 8 s lifetime the MN refreshes
# before expiry (at the BRA or 80 % of the lifetime). Over 15 s the HA's
# entry stays valid at the same care-of address at every poll (every
# 0.25 s), its lifetime-left never reaches 0, the sequence number advances
# at least twice (modulo 2^16), and the MN counts the accepted BAs.
. "$(dirname "$0")/lab.sh"
lab_init
lab_up
lab_register_on a --set mobile-node.binding-lifetime=8
granted=$(lab_bce lifetime)
[ "$granted" = 8 ] || lab_fail "HA granted lifetime $granted, want the 8 s asked for"
seq=$(lab_bce sequence) regs=$(lab_mn registrations)
refreshes=0 t0=$(lab_ms)
while [ $(($(lab_ms) - t0)) -lt 15000 ]; do
	e=$(lab_json ha bindings "[(b['state'], b['care-of-address'], b['sequence'], b['lifetime-left']) for b in d if b['home-address'] == '$HOA']") ||
		lab_fail "bindings --json at +$(($(lab_ms) - t0)) ms"
	"$LAB_PY" -c "
import sys
e = $e
sys.exit(0 if len(e) == 1 and e[0][0] == 'valid' and e[0][1] == '$COA_A' and e[0][3] > 0 else 1)" ||
		lab_fail "at +$(($(lab_ms) - t0)) ms the entry is $e, want valid at $COA_A with lifetime left"
	s=$("$LAB_PY" -c "print(${e}[0][2])")
	if [ "$s" != "$seq" ]; then
		[ $(((s - seq + 65536) % 65536)) -ge 1 ] && [ $(((s - seq + 65536) % 65536)) -lt 32768 ] ||
			lab_fail "sequence went from $seq to $s"
		refreshes=$((refreshes + 1))
		echo "refresh at +$(($(lab_ms) - t0)) ms: sequence $seq -> $s"
		seq=$s
	fi
	sleep 0.25
done
[ $refreshes -ge 2 ] || lab_fail "$refreshes refreshes in 15 s with an 8 s lifetime, want at least 2"
regs2=$(lab_mn registrations)
[ $((regs2 - regs)) -ge $refreshes ] || lab_fail "MN registrations went $regs -> $regs2 over $refreshes refreshes"
[ "$(lab_mn registration)" = registered ] || lab_fail "MN registration $(lab_mn registration)"
lab_finish
echo "PASS: $refreshes refreshes in 15 s, binding valid throughout"
