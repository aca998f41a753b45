#!/usr/bin/env bash
# mip6sec demo: installs what is missing, builds, and shows a mobile node
# keeping its home address and an open TCP connection while it moves.
#
# The network-namespace lab of tests/mobility/lab.sh (docs/MOBILITY-LAB.md):
# a home link with the home agent HA (fd6d:1::1) and a host H, two foreign
# access links a (fd6d:a::/64) and b (fd6d:b::/64) behind a router R, and a
# correspondent CN (fd6d:c::5). The mobile node MN (home address
# fd6d:1::100) registers on link a; a TCP stream of a known byte pattern
# and a ping (every 20 ms) run from its home address to the CN; the MN
# moves a -> b -> home. The demo prints a timeline (registration, each
# handover with its interruption measured on R's capture, the return home),
# the HA's binding cache at each step, and checks that the TCP stream
# arrived byte for byte. The MN-HA SAs come from IKEv2 (RFC 4877,
# etc/examples/lab/*-ike.conf): the MN runs IKE from each care-of address
# before its BU, both ends authenticated by X.509 certificates of a lab CA
# made for this run with the openssl CLI (tests/mobility/lab.sh, lab_pki;
# LAB_IKE_AUTH=psk: a pre-shared key instead); DEMO_KEYING=manual runs the
# manual-key configurations instead. It uses etc/examples/lab/ as they are
# (EXAMPLE ONLY keys; the tests draw fresh keys per run) and cleans up
# after itself.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "run-demo: run as root (network namespaces)" >&2; exit 1; }
bash tests/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p _build-demo
(cd _build-demo && { [ -f Makefile ] || ../configure -q >/dev/null; } && make -s -j"$jobs" mip6sec >make.log 2>&1) ||
	{ tail -30 _build-demo/make.log >&2; echo "run-demo: build failed" >&2; exit 1; }
export MIP6SEC=$top/_build-demo/mip6sec
set +e

# shellcheck source=tests/mobility/lab.sh
. "$top/tests/mobility/lab.sh"
LAB_KEYMAP= # the example keys as they are
[ "${DEMO_KEYING:-ike}" = manual ] || export LAB_KEYING=ike
lab_init
lab_need ping dumpcap tshark
T0=$(lab_ms)
say() {
	local ms=$(($(lab_ms) - T0))
	printf '%4d.%02d s  %s\n' $((ms / 1000)) $((ms % 1000 / 10)) "$*"
}
bindings() { lab_ctl ha bindings | sed 's/^/             | /'; }
ike_sas() { [ "${LAB_KEYING:-}" != ike ] || lab_ctl ha ike | sed 's/^/             | /'; }

say "lab up: namespaces R, HA, H, MN, CN (run id $LAB_ID)"
lab_up
lab_conf ha
lab_conf mn
lab_start ha
say "home agent $HA_ADDR running on the home link (fd6d:1::/64)"
lab_start mn
say "mobile node running, home address $HOA, not attached anywhere"
t=$(lab_ms)
lab_attach a
lab_wait 10 "registration at $COA_A" lab_is_registered $COA_A
say "MN on link a: registered care-of address $COA_A ($(($(lab_ms) - t)) ms after link a came up, status polled)"
[ "${LAB_KEYING:-}" != ike ] || say "MN-HA SAs keyed by IKEv2 from $COA_A, AUTH methods (ours, peer's) $(lab_ike_auth ha mn1) (the HA's IKE SA and its CHILD_SAs):"
ike_sas
bindings

lab_capture_r "$LAB_TMP/r.pcapng"
STREAM=2400000 RATE=200000
lab_tcp_start "$NS_MN" $CN_ADDR 5001 $STREAM $RATE
lab_bg "$NS_MN" "$LAB_TMP/ping.out" ping -6 -i 0.02 -W 1 $CN_ADDR
PING=$LAB_BG_PID
say "TCP stream ($STREAM bytes at $RATE B/s) and ping every 20 ms from the MN to the CN $CN_ADDR"
sleep 2.5

t=$(lab_ms)
lab_move a b
say "MN moves a -> b (link a down, link b up)"
lab_wait 10 "registration at $COA_B" lab_is_registered $COA_B
say "registered care-of address $COA_B ($(($(lab_ms) - t)) ms after the move, status polled)"
ike_sas
bindings
sleep 2.5

t=$(lab_ms)
lab_move b home
say "MN moves b -> home"
lab_wait 10 "deregistration" lab_bce_gone
lab_wait 5 "MN at home" eval '[ "$(lab_mn location)" = home ]'
say "deregistered at home ($(($(lab_ms) - t)) ms after the move, status polled); the HA stopped intercepting"
bindings

lab_tcp_check
[ "$LAB_TCP_PEER" = $HOA ] || lab_fail "the CN saw the stream from $LAB_TCP_PEER, not the home address"
say "TCP stream complete: $STREAM bytes from $LAB_TCP_PEER, sha256 identical at the CN"
kill -INT $PING
lab_capture_stop
echo
echo "Interruptions measured on R (last data packet on the old path, first on the new):"
lab_gaps "$LAB_TMP/r.pcapng"
echo "ping from the MN: $(grep -E 'packets transmitted' "$LAB_TMP/ping.out")"
echo
echo "MN status (mip6sec status --json, \"mobile-node\"):"
lab_json mn status "'\\n'.join('  %-16s %s' % kv for kv in d['mobile-node'].items())"
lab_finish
say "daemons stopped cleanly; cleaning up the lab"
