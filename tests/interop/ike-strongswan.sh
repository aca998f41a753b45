#!/usr/bin/env bash
# The IKE SA engine (src/ike/ikesa through tests/interop/ike_probe) against
# strongSwan charon over real UDP: two network namespaces on a veth,
#   charon fd6e:1::1 (charon.mip6sec.test)  <-->  ike_probe fd6e:1::2 (probe.mip6sec.test)
# charon-systemd with its own STRONGSWAN_CONF and vici socket in the test's
# temp dir and kernel-libipsec (the kernel has no ESP here), as bench/throughput.sh.
# Every case is asserted from both sides: the probe's ike_up/child_up lines
# against `swanctl --list-sas --raw` (same IKE SPIs ESTABLISHED, same ESP
# SPIs INSTALLED), and for case 1 the ESP KEYMAT hashes against the keys
# charon dumps at chd log level 4.
#   1 probe initiator -> charon: PSK, aes256gcm16-prfsha256-ecp256, ESP aes256gcm16, tunnel
#   2 charon initiator (swanctl --initiate) -> probe responder, same suite
#   3 aes256-sha256-x25519 / ESP aes256-sha256, probe initiator
#   4 wrong PSK, both directions: no SA on either side
#   5 probe: empty INFORMATIONAL (liveness), then DELETE; charon answers both
#   6 charon: DPD (dpd_delay 1s), then DELETE (swanctl --terminate); the probe answers both
#   7 one IKE_AUTH datagram lost each way: our retransmission, our response cache
#   8 transport mode, host TS limited to the Mobility Header (135), both directions
#     (negotiation only: kernel-libipsec cannot install transport mode)
#   9 INVALID_KE_PAYLOAD (ECP-256 guessed, X25519 wanted), both directions
#  10 our responder demands a COOKIE, charon retries with it
#  11-14 rekeying of CHILD and IKE SAs, both directions, a collision, lifetimes
#     (the block before the summary)
# Root only; exits 77 without root, charon-systemd or swanctl.
# IKE_PCAP=FILE records the veth with tshark (decode with the keys charon
# logs at ike level 4 if needed); KEEP_TMP=1 keeps charon.log and the outputs.
set -uo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in charon-systemd swanctl ip; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
here=$(cd "$(dirname "$0")" && pwd)
probe=${IKE_PROBE:-$PWD/tests/interop/ike_probe}
[ -x "$probe" ] || probe=$here/ike_probe
[ -x "$probe" ] || { echo "FAIL: ike_probe not built"; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3

id=$$$RANDOM
NS_S=ikess$id NS_P=ikesp$id
tmp=$(mktemp -d /tmp/ike-strongswan.XXXXXX)
charon_pid= cap_pid=
cleanup() {
	[ -n "$charon_pid" ] && kill "$charon_pid" 2>/dev/null && wait "$charon_pid" 2>/dev/null
	[ -n "$cap_pid" ] && kill -INT "$cap_pid" 2>/dev/null && wait "$cap_pid" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_P" 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] && { echo "kept $tmp"; return; }
	rm -rf "$tmp"
}
trap cleanup EXIT
S=fd6e:1::1 P=fd6e:1::2
S_ID=charon.mip6sec.test P_ID=probe.mip6sec.test
S_TS=fd6e:20::/64 P_TS=fd6e:10::/64
PSK="mip6sec interop psk 0123456789"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
wait_for() { # FILE REGEX TENTHS
	for _ in $(seq "$3"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
# eventually TENTHS CMD...: CMD succeeds within TENTHS tenths of a second.
# charon logs and drops SAs a little after the exchange that causes it; a
# loaded CI machine stretches that, so no check here samples just once.
eventually() {
	local n=$1
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
# probe_listening OUT: the probe started with output OUT has bound its ports
# (it says so on stderr), so charon's first IKE_SA_INIT is not lost.
# logged MARK REGEX: charon's log from line MARK on has REGEX (within 3 s).
logged_now() { tail -n "+$1" "$tmp/charon.log" | grep -q "$2"; }
logged() { eventually 30 logged_now "$1" "$2"; }
# no_sa_left: charon holds no IKE SA any more (within 3 s).
no_sa_now() { ! swc --list-sas --raw 2>/dev/null | grep -q "state="; }
no_sa_left() { eventually 30 no_sa_now; }
probe_listening() { wait_for "$1.err" '^ike_probe: listening' 100; }

ip netns add "$NS_S" && ip netns add "$NS_P" || { echo "SKIP: cannot create namespaces"; exit 77; }
ip link add "ikev$id" type veth peer name "ikew$id" || { echo "SKIP: no veth"; exit 77; }
ip link set "ikev$id" netns "$NS_S"
ip link set "ikew$id" netns "$NS_P"
ip -n "$NS_S" link set lo up
ip -n "$NS_P" link set lo up
ip -n "$NS_S" addr add "$S/64" dev "ikev$id" nodad
ip -n "$NS_P" addr add "$P/64" dev "ikew$id" nodad
ip -n "$NS_S" link set "ikev$id" up
# kernel-libipsec routes the remote TS through ipsec0 from an address of the
# local TS: without one the policy install fails ("error installing route").
ip -n "$NS_S" addr add fd6e:20::1/128 dev lo nodad
ip -n "$NS_P" link set "ikew$id" up
if [ -n "${IKE_PCAP:-}" ] && command -v tshark >/dev/null; then
	ip netns exec "$NS_S" tshark -q -i "ikev$id" -f udp -w "$IKE_PCAP" >/dev/null 2>&1 &
	cap_pid=$!
	sleep 2
fi

# chd 4 makes charon dump the CHILD_SA keys ("encryption initiator key").
cat >"$tmp/strongswan.conf" <<EOF
charon-systemd {
	load_modular = no
	load = random nonce openssl aes sha2 hmac gcm kdf pem pkcs1 pkcs8 x509 pubkey constraints revocation kernel-libipsec kernel-netlink socket-default vici
	filelog { log { path = $tmp/charon.log
		time_format = %T
		flush_line = yes
		default = 1
		ike = 2
		enc = 1
		net = 2
		chd = 4 } }
	journal { default = -1 }
	install_routes = no
	retransmit_timeout = 1.0
	install_virtual_ip = no
	plugins {
		vici { socket = unix://$tmp/vici }
	}
}
EOF

swan_conf() { # IKE-PROPOSAL ESP-PROPOSAL PSK [DPD-DELAY]
	cat >"$tmp/swanctl.conf" <<EOF
connections { probe {
	version = 2
	local_addrs = $S
	remote_addrs = $P
	proposals = $1
	dpd_delay = ${4:-0s}
	local { auth = psk
		id = $S_ID }
	remote { auth = psk
		id = $P_ID }
	children { net {
		local_ts = ${SW_LTS:-$S_TS}
		remote_ts = ${SW_RTS:-$P_TS}
		mode = ${MODE:-tunnel}
		esp_proposals = $2
	} }
} }
secrets { ike-probe {
	id-a = $S_ID
	id-b = $P_ID
	secret = "$3"
} }
EOF
	swc --load-all --clear --file "$tmp/swanctl.conf" >>"$tmp/swanctl.log" 2>&1
}
swc() { ip netns exec "$NS_S" swanctl "$@" --uri "unix://$tmp/vici"; }

ip netns exec "$NS_S" env STRONGSWAN_CONF="$tmp/strongswan.conf" charon-systemd >"$tmp/charon.stdout" 2>&1 &
charon_pid=$!
for _ in $(seq 50); do swc --stats >/dev/null 2>&1 && break; sleep 0.2; done
swc --stats >/dev/null 2>&1 || { echo "FAIL: charon did not start"; cat "$tmp/charon.stdout"; exit 1; }

# run_probe ROLE OUT PSK IKE ESP [extra args]
run_probe() {
	local role=$1 out=$2 psk=$3 ike=$4 esp=$5
	shift 5
	ip netns exec "$NS_P" "$probe" --role "$role" --local "$P" --remote "$S" --psk "$psk" \
		--local-id "$P_ID" --remote-id "$S_ID" --ike "$ike" --esp "$esp" \
		--local-ts "${PR_LTS:-$P_TS}" --remote-ts "${PR_RTS:-$S_TS}" --timeout 15 "$@" >"$out" 2>"$out.err"
}
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" "$1" | head -n1; } # FILE KEY

# check_both CASE OUT ENCR-ALG: the probe's SPIs against charon's SA list.
check_both() {
	local c=$1 out=$2 alg=$3
	grep -q '^ike_up ' "$out" || { fail "case $c: probe reports no ike_up: $(cat "$out")"; return; }
	grep -q '^child_up ' "$out" || { fail "case $c: probe reports no child_up: $(cat "$out")"; return; }
	local spi_i spi_r spi_in spi_out raw
	spi_i=$(field "$out" spi_i) spi_r=$(field "$out" spi_r)
	spi_in=$(field "$out" spi_in) spi_out=$(field "$out" spi_out)
	swc --list-sas --raw >"$tmp/sas.$c" 2>&1
	swc --list-sas >"$tmp/sas.$c.txt" 2>&1
	raw=$(cat "$tmp/sas.$c")
	grep -q "state=ESTABLISHED" <<<"$raw" || { fail "case $c: charon has no ESTABLISHED IKE SA: $raw"; return; }
	grep -q "initiator-spi=$spi_i" <<<"$raw" && grep -q "responder-spi=$spi_r" <<<"$raw" ||
		{ fail "case $c: IKE SPIs $spi_i/$spi_r not in charon's SA: $raw"; return; }
	grep -q "state=INSTALLED" <<<"$raw" || { fail "case $c: CHILD_SA not INSTALLED in charon: $raw"; return; }
	# Crossed: what we receive on charon sends on.
	grep -q "spi-in=$spi_out" <<<"$raw" && grep -q "spi-out=$spi_in" <<<"$raw" ||
		{ fail "case $c: ESP SPIs in=$spi_in out=$spi_out do not match charon's: $raw"; return; }
	grep -q "encr-alg=$alg" <<<"$raw" || { fail "case $c: charon's ESP is not $alg: $raw"; return; }
	grep -q "mode=TUNNEL" <<<"$raw" && [ "$(field "$out" mode)" = tunnel ] ||
		{ fail "case $c: mode is not tunnel on both sides (probe $(field "$out" mode)): $raw"; return; }
	grep -qF "local-ts=[$S_TS] remote-ts=[$P_TS]" <<<"$raw" ||
		{ fail "case $c: charon's TS differ: $raw"; return; }
	# kernel-libipsec fakes a NAT (nat-fake=yes): both sides must agree on ESP-in-UDP.
	grep -q "encap=yes" <<<"$raw" && [ "$(field "$out" encap)" = 1 ] ||
		{ fail "case $c: UDP encapsulation differs (probe encap=$(field "$out" encap)): $raw"; return; }
	ok "case $c: IKE $spi_i/$spi_r ESTABLISHED, ESP in=$spi_in out=$spi_out INSTALLED ($alg) on both sides"
}

# key_hashes FROM-LINE: sha256 of charon's last dumped CHILD keys per
# direction, encryption then integrity key (RFC 7296 2.17 order).
key_hashes() {
	tail -n "+$1" "$tmp/charon.log" | "$py" -c '
import hashlib, re, sys
keys, cur, want = {}, None, 0
for line in sys.stdin:
    m = re.search(r"(encryption|integrity) (initiator|responder) key => (\d+) bytes", line)
    if m:
        cur, want = (m.group(1), m.group(2)), int(m.group(3))
        keys[cur] = b""
        if want == 0:
            cur = None
        continue
    if cur:
        h = re.search(r"\]\s+\d+: ((?:[0-9A-F]{2} ?)+)", line)
        if not h:
            cur = None
            continue
        keys[cur] += bytes.fromhex(h.group(1).replace(" ", ""))[: want - len(keys[cur])]
        if len(keys[cur]) >= want:
            cur = None
for d in ("initiator", "responder"):
    k = keys.get(("encryption", d))
    if k is None:
        sys.exit(1)
    print(hashlib.sha256(k + keys.get(("integrity", d), b"")).hexdigest())
'
}

# check_keys CASE OUT MARK: the probe's KEYMAT hashes equal charon's dump.
check_keys() {
	local hashes
	if ! hashes=$(key_hashes "$3"); then
		fail "case $1: charon dumped no CHILD_SA keys"
		return
	fi
	set -- "$1" "$2" $hashes
	if [ "$3" = "$(field "$2" key_i2r_sha256)" ] && [ "$4" = "$(field "$2" key_r2i_sha256)" ]; then
		ok "case $1: ESP key material equals charon's (sha256 i->r $3, r->i $4)"
	else
		fail "case $1: ESP keys differ: charon i->r $3 r->i $4, probe $(field "$2" key_i2r_sha256) $(field "$2" key_r2i_sha256)"
	fi
}
logmark() { echo $(($(wc -l <"$tmp/charon.log") + 1)); }

terminate_all() {
	swc --terminate --ike probe --force --timeout 2 >/dev/null 2>&1
	no_sa_left || echo "note: charon still lists an SA after --terminate --force"
}

# probe_initiates CASE IKE ESP ALG [PROBE-ARGS] / charon_initiates ...: one
# successful exchange with the given suite, checked from both sides.
probe_initiates() {
	local c=$1 out=$tmp/p$1 mark
	mark=$(logmark)
	run_probe initiator "$out" "$PSK" "$2" "$3" --linger 300 "${@:5}" || fail "case $c: probe exit $? ($(cat "$out" "$out.err"))"
	cat "$out"
	check_both "$c" "$out" "$4"
	check_keys "$c" "$out" "$mark"
	terminate_all
}
charon_initiates() {
	local c=$1 out=$tmp/p$1 mark ppid
	mark=$(logmark)
	run_probe responder "$out" "$PSK" "$2" "$3" --linger 2000 "${@:5}" &
	ppid=$!
	probe_listening "$out" || fail "case $c: the probe did not start: $(cat "$out.err")"
	swc --initiate --child net --timeout 10 >"$tmp/init$c.log" 2>&1 ||
		fail "case $c: swanctl --initiate failed: $(tail -n 5 "$tmp/init$c.log")"
	# The engine sends its IKE_AUTH response before it reports the CHILD_SA.
	wait_for "$out" '^child_up ' 50
	check_both "$c" "$out" "$4"
	wait "$ppid" || fail "case $c: probe exit $? ($(cat "$out" "$out.err"))"
	cat "$out"
	check_keys "$c" "$out" "$mark"
	terminate_all
}

# ---- case 1: probe initiator, GCM + group 19; case 2: charon initiator ------
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || { echo "FAIL: swanctl --load-all"; exit 1; }
probe_initiates 1 aes256gcm16-prfsha256-ecp256 aes256gcm16 AES_GCM_16
charon_initiates 2 aes256gcm16-prfsha256-ecp256 aes256gcm16 AES_GCM_16

# ---- case 3: AES-CBC + HMAC-SHA2-256 + x25519, both directions -------------
swan_conf aes256-sha256-x25519 aes256-sha256 "$PSK" || fail "case 3: swanctl --load-all"
probe_initiates 3 aes256-sha256-x25519 aes256-sha256 AES_CBC
charon_initiates 3r aes256-sha256-x25519 aes256-sha256 AES_CBC

# ---- case 4: wrong PSK, both directions --------------------------------------
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || fail "case 4: swanctl --load-all"
mark=$(logmark)
run_probe initiator "$tmp/p4" "not the $PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 && fail "case 4: probe succeeded with a wrong PSK"
cat "$tmp/p4"
grep -q '^ike_down reason=peer_auth_failed' "$tmp/p4" || fail "case 4: probe did not report the peer's AUTHENTICATION_FAILED: $(cat "$tmp/p4")"
swc --list-sas --raw >"$tmp/sas.4" 2>&1
logged "$mark" "MAC mismatched" || fail "case 4: charon did not log the PSK MAC mismatch"
grep -q "state=ESTABLISHED" "$tmp/sas.4" && fail "case 4: charon established with a wrong PSK: $(cat "$tmp/sas.4")"
grep -q '^child_up' "$tmp/p4" || grep -q "state=ESTABLISHED" "$tmp/sas.4" || ok "case 4: wrong PSK (probe initiator): no SA on either side"
terminate_all
mark=$(logmark)
run_probe responder "$tmp/p4r" "not the $PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 &
ppid=$!
probe_listening "$tmp/p4r" || fail "case 4r: the probe did not start"
swc --initiate --child net --timeout 6 >"$tmp/init4.log" 2>&1 && fail "case 4r: charon initiated with a wrong PSK"
wait "$ppid" && fail "case 4r: probe succeeded with a wrong PSK"
cat "$tmp/p4r"
grep -q '^ike_down reason=auth_failed' "$tmp/p4r" || fail "case 4r: probe did not report auth_failed: $(cat "$tmp/p4r")"
swc --list-sas --raw >"$tmp/sas.4r" 2>&1
logged "$mark" "received AUTHENTICATION_FAILED" ||
	fail "case 4r: charon did not log our AUTHENTICATION_FAILED"
if grep -q "state=ESTABLISHED" "$tmp/sas.4r"; then
	fail "case 4r: charon established with a wrong PSK: $(cat "$tmp/sas.4r")"
else
	grep -q '^child_up' "$tmp/p4r" || ok "case 4r: wrong PSK (charon initiator): no SA on either side"
fi


# ---- case 5: our INFORMATIONAL exchanges: liveness check, then DELETE ------
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" 1s || fail "case 5: swanctl --load-all"
mark=$(logmark)
run_probe initiator "$tmp/p5" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --dpd --delete ||
	fail "case 5: probe exit $? ($(cat "$tmp/p5" "$tmp/p5.err"))"
cat "$tmp/p5"
grep -q '^dpd_ok' "$tmp/p5" || fail "case 5: our liveness check was not answered"
grep -q '^ike_down reason=local_delete' "$tmp/p5" || fail "case 5: our DELETE did not complete"
no_sa_left
swc --list-sas --raw >"$tmp/sas.5" 2>&1
logged "$mark" "received DELETE for IKE_SA" || fail "case 5: charon did not log our DELETE"
if grep -q "state=" "$tmp/sas.5"; then
	fail "case 5: charon still has an SA after our DELETE: $(cat "$tmp/sas.5")"
else
	grep -q '^dpd_ok' "$tmp/p5" && ok "case 5: charon answered our liveness check and deleted the IKE SA on our DELETE"
fi

# ---- case 6: charon's INFORMATIONAL exchanges: its DPD, then its DELETE -----
mark=$(logmark)
run_probe responder "$tmp/p6" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --linger 15000 --timeout 20 &
ppid=$!
probe_listening "$tmp/p6" || fail "case 6: the probe did not start"
swc --initiate --child net --timeout 10 >"$tmp/init6.log" 2>&1 || fail "case 6: swanctl --initiate failed"
sleep 3   # dpd_delay 1s, no ESP arrives: charon checks liveness
swc --terminate --ike probe --timeout 5 >"$tmp/term6.log" 2>&1 || fail "case 6: charon's DELETE got no answer: $(tail -n 3 "$tmp/term6.log")"
wait "$ppid" || fail "case 6: probe exit $? ($(cat "$tmp/p6" "$tmp/p6.err"))"
cat "$tmp/p6"
grep -q '^ike_down reason=peer_delete' "$tmp/p6" || fail "case 6: probe did not report charon's DELETE"
dpd=$(field "$tmp/p6" dpd_answered)
if [ "${dpd:-0}" -ge 1 ] && logged "$mark" "parsed INFORMATIONAL response . \[ \]"; then
	grep -q '^ike_down reason=peer_delete' "$tmp/p6" && ok "case 6: we answered charon's liveness check ($dpd) and its DELETE"
else
	fail "case 6: charon's liveness check was not answered (dpd_answered=$dpd)"
fi

# ---- case 7: a lost datagram each way (retransmission, response cache) -----
# 7: our IKE_AUTH request is lost, the engine retransmits it (R7296-2.1.a).
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || fail "case 7: swanctl --load-all"
probe_initiates 7 aes256gcm16-prfsha256-ecp256 aes256gcm16 AES_GCM_16 --drop-out 2
[ "$(field "$tmp/p7" retransmits)" -ge 1 ] 2>/dev/null || fail "case 7: no retransmission counted: $(cat "$tmp/p7")"
# 7r: our IKE_AUTH response is lost, charon retransmits its request (after
# retransmit_timeout 1 s) and the engine answers from its cache (R7296-2.1.b).
mark=$(logmark)
charon_initiates 7r aes256gcm16-prfsha256-ecp256 aes256gcm16 AES_GCM_16 --drop-out 2
[ "$(field "$tmp/p7r" cache_answers)" -ge 1 ] 2>/dev/null || fail "case 7r: no cached answer counted: $(cat "$tmp/p7r")"
logged "$mark" "retransmit 1 of request with message ID 1" ||
	fail "case 7r: charon did not retransmit its IKE_AUTH request"

# ---- case 8: transport mode between the two hosts, Mobility Header only ----
# The shape RFC 4877 gives the BU/BA SAs (R3776-4.2.k): host TS, protocol 135.
# kernel-libipsec installs tunnel mode only ("IPsec SA: unsupported mode"), so
# charon negotiates but cannot install: checked is the negotiation (mode, TS,
# keys) and that the IKE SA survives the failed CHILD_SA (R7296-1.2.b).
MODE=transport SW_LTS="$S/128[135]" SW_RTS="$P/128[135]" PR_LTS=$P/128 PR_RTS=$S/128
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || fail "case 8: swanctl --load-all"
# 8: probe initiator; charon answers IKE_AUTH with N(NO_PROPOSAL_CHOSEN) after the failed install.
mark=$(logmark)
run_probe initiator "$tmp/p8" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --transport --ts-proto 135
cat "$tmp/p8"
swc --list-sas --raw >"$tmp/sas.8" 2>&1
log8=$(tail -n "+$mark" "$tmp/charon.log")
if grep -q "parsed IKE_AUTH request 1 \[ IDi IDr AUTH N(USE_TRANSP) SA TSi TSr \]" <<<"$log8" &&
	grep -q "IPsec SA: unsupported mode" <<<"$log8" && grep -q '^child_failed notify=14' "$tmp/p8" &&
	grep -q "initiator-spi=$(field "$tmp/p8" spi_i) responder-spi=$(field "$tmp/p8" spi_r)" "$tmp/sas.8" &&
	grep -q "state=ESTABLISHED" "$tmp/sas.8"; then
	ok "case 8: transport + MH TS accepted by charon (libipsec cannot install it: NO_PROPOSAL_CHOSEN), IKE SA stays up on both sides"
else
	fail "case 8: transport negotiation: $(cat "$tmp/p8") / $(cat "$tmp/sas.8")"
fi
terminate_all
# 8r: charon initiator; we agree to transport, our keys equal charon's.
mark=$(logmark)
run_probe responder "$tmp/p8r" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --transport --ts-proto 135 --linger 2000 &
ppid=$!
probe_listening "$tmp/p8r" || fail "case 8r: the probe did not start"
swc --initiate --child net --timeout 10 >"$tmp/init8r.log" 2>&1
wait "$ppid" || fail "case 8r: probe exit $? ($(cat "$tmp/p8r" "$tmp/p8r.err"))"
cat "$tmp/p8r"
if grep -q "^child_up .*mode=transport .*tsi=$S tsr=$P ts_proto=135 " "$tmp/p8r" && logged "$mark" "received USE_TRANSPORT_MODE notify"; then
	ok "case 8r: transport mode with MH selectors agreed both ways"
else
	fail "case 8r: transport mode not agreed: $(cat "$tmp/p8r")"
fi
check_keys 8r "$tmp/p8r" "$mark"
terminate_all
unset MODE SW_LTS SW_RTS PR_LTS PR_RTS

# ---- case 9: INVALID_KE_PAYLOAD round trip, both directions (R7296-1.2.a) -
# 9: we guess ECP-256 first, charon wants X25519 and asks for it.
swan_conf aes256gcm16-prfsha256-x25519 aes256gcm16 "$PSK" || fail "case 9: swanctl --load-all"
mark=$(logmark)
probe_initiates 9 aes256gcm16-prfsha256-ecp256 aes256gcm16 AES_GCM_16 --ike aes256gcm16-prfsha256-x25519
{ grep -q "suite=20/256/0/5/31 " "$tmp/p9" && logged "$mark" "generating IKE_SA_INIT response 0 \[ N(INVAL_KE) \]"; } ||
	fail "case 9: no INVALID_KE_PAYLOAD round trip to X25519: $(cat "$tmp/p9")"
# 9r: charon guesses ECP-256 first, we accept X25519 only and ask for it.
swan_conf aes256gcm16-prfsha256-ecp256-x25519 aes256gcm16 "$PSK" || fail "case 9r: swanctl --load-all"
mark=$(logmark)
charon_initiates 9r aes256gcm16-prfsha256-x25519 aes256gcm16 AES_GCM_16
{ grep -q "suite=20/256/0/5/31 " "$tmp/p9r" && logged "$mark" "parsed IKE_SA_INIT response 0 \[ N(INVAL_KE) \]"; } ||
	fail "case 9r: no INVALID_KE_PAYLOAD round trip to X25519: $(cat "$tmp/p9r")"

# ---- case 10: our responder demands a cookie (R7296-2.6.a) ------------------
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || fail "case 10: swanctl --load-all"
mark=$(logmark)
charon_initiates 10 aes256gcm16-prfsha256-ecp256 aes256gcm16 AES_GCM_16 --cookie-threshold 0
logged "$mark" "parsed IKE_SA_INIT response 0 \[ N(COOKIE) \]" ||
	fail "case 10: charon did not receive our COOKIE"

# ==== rekeying (RFC 7296 1.3.2, 1.3.3, 2.8): cases 11-14 ====================
#  11 charon rekeys the CHILD_SA (swanctl --rekey), without and with PFS;
#     the probe answers and charon's Delete of the old pair removes it; 11i
#     charon rekeys the IKE SA, the CHILD_SA moves to the new one
#  12 the probe rekeys the CHILD_SA, then the IKE SA (--rekey-child-after,
#     --rekey-ike-after), as initiator and as responder, without and with PFS
#  13 both rekey the CHILD_SA at once (--rekey-collision): one CHILD_SA
#     survives on both sides
#  14 the engine's own lifetimes (--child-lifetime, --rekey-margin)
# Each ends with the probe's "final" line (its current IKE SA and children)
# against `swanctl --list-sas --raw`: the same single IKE SA and CHILD_SA on
# both sides, and none of the replaced SPIs left in charon.


# rekey_final CASE OUT: probe and charon hold the same one IKE SA and one CHILD_SA.
one_of_each_now() { # one IKE SA and one CHILD_SA in charon's list
	local raw
	raw=$(swc --list-sas --raw 2>/dev/null)
	[ "$(grep -o 'state=ESTABLISHED' <<<"$raw" | wc -l)" -eq 1 ] && [ "$(grep -o 'state=INSTALLED' <<<"$raw" | wc -l)" -eq 1 ]
}
rekey_final() {
	local c=$1 out=$2 raw spi_i spi_r kids in outs old
	eventually 30 one_of_each_now # charon drops the replaced SAs just after the exchange
	swc --list-sas --raw >"$tmp/sas.$c" 2>&1
	raw=$(cat "$tmp/sas.$c")
	spi_i=$(field "$out" spi_i) # first line: the original IKE SA
	grep -q '^final ' "$out" || { fail "case $c: probe printed no final state: $(cat "$out")"; return 1; }
	local fl
	fl=$(grep '^final ' "$out")
	kids=$(sed -n 's/.* children=\([^ ]*\).*/\1/p' <<<"$fl")
	spi_i=$(sed -n 's/.* spi_i=\([^ ]*\).*/\1/p' <<<"$fl")
	spi_r=$(sed -n 's/.* spi_r=\([^ ]*\).*/\1/p' <<<"$fl")
	[ -n "$kids" ] && [[ "$kids" != *,* ]] || { fail "case $c: probe holds not exactly one CHILD_SA ($fl)"; return 1; }
	in=${kids%/*} outs=${kids#*/}
	[ "$(grep -o 'state=ESTABLISHED' <<<"$raw" | wc -l)" -eq 1 ] &&
		grep -q "initiator-spi=$spi_i responder-spi=$spi_r" <<<"$raw" ||
		{ fail "case $c: charon's IKE SA is not the probe's $spi_i/$spi_r: $raw"; return 1; }
	[ "$(grep -o 'state=INSTALLED' <<<"$raw" | wc -l)" -eq 1 ] && grep -q "spi-in=$outs spi-out=$in" <<<"$raw" ||
		{ fail "case $c: charon's CHILD_SA is not the probe's in=$in out=$outs: $raw"; return 1; }
	for old in $(sed -n 's/^child_down spi_in=\([^ ]*\) spi_out=\([^ ]*\).*/\1 \2/p' "$out"); do
		grep -qE "state=INSTALLED[^}]*spi-(in|out)=$old" <<<"$raw" && { fail "case $c: replaced SPI $old still installed in charon: $raw"; return 1; }
	done
	return 0
}

# 11: charon rekeys; the probe answers as initiator (11) and responder (11r);
# 11p with PFS (charon's ESP proposal names ecp256: KE in the rekey).
charon_rekeys() { # CASE ROLE ESP-SWAN
	local c=$1 out=$tmp/p$1 mark ppid old
	swan_conf aes256gcm16-prfsha256-ecp256 "$3" "$PSK" || fail "case $c: swanctl --load-all"
	mark=$(logmark)
	run_probe "$2" "$out" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --linger 2000 &
	ppid=$!
	probe_listening "$out" || fail "case $c: the probe did not start"
	[ "$2" = responder ] && { swc --initiate --child net --timeout 10 >"$tmp/init$c.log" 2>&1 || fail "case $c: initiate"; }
	wait_for "$out" '^child_up ' 50 || fail "case $c: no CHILD_SA"
	old=$(field "$out" spi_in)
	swc --rekey --child net >"$tmp/rekey$c.log" 2>&1 || fail "case $c: swanctl --rekey: $(cat "$tmp/rekey$c.log")"
	wait "$ppid" || fail "case $c: probe exit $? ($(cat "$out" "$out.err"))"
	cat "$out"
	local log
	log=$(tail -n "+$mark" "$charon_log")
	if grep -q "^child_rekeyed old=$old " "$out" && grep -q "^child_down spi_in=$old " "$out" &&
		grep -q "parsed CREATE_CHILD_SA response [0-9]* \[ .*SA No.* TSi TSr \]" <<<"$log" && rekey_final "$c" "$out"; then
		ok "case $c: charon rekeyed the CHILD_SA ($(grep -o 'CREATE_CHILD_SA request [0-9]* \[[^]]*\]' <<<"$log" | head -n1)), the probe answered, old pair $old gone on both sides"
	else
		fail "case $c: charon's CHILD_SA rekey: $(cat "$out")"
	fi
	terminate_all
}
charon_log=$tmp/charon.log
charon_rekeys 11 initiator aes256gcm16
charon_rekeys 11r responder aes256gcm16
charon_rekeys 11p initiator aes256gcm16-ecp256

# 11i: charon rekeys the IKE SA (swanctl --rekey --ike); the probe answers,
# takes over the new IKE SA with the CHILD_SA unchanged, and charon's Delete
# of the old IKE SA ends it "rekeyed".
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || fail "case 11i: swanctl --load-all"
mark=$(logmark)
run_probe initiator "$tmp/p11i" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --linger 2000 &
ppid=$!
wait_for "$tmp/p11i" '^child_up ' 50 || fail "case 11i: no CHILD_SA"
swc --rekey --ike probe >"$tmp/rekey11i.log" 2>&1 || fail "case 11i: swanctl --rekey --ike: $(cat "$tmp/rekey11i.log")"
wait "$ppid" || fail "case 11i: probe exit $? ($(cat "$tmp/p11i" "$tmp/p11i.err"))"
cat "$tmp/p11i"
log=$(tail -n "+$mark" "$charon_log")
if grep -q '^ike_rekeyed ' "$tmp/p11i" && grep -q '^ike_down reason=rekeyed' "$tmp/p11i" &&
	! grep -q '^child_down' "$tmp/p11i" && grep -q "final .* children=$(field "$tmp/p11i" spi_in)/" "$tmp/p11i" &&
	rekey_final 11i "$tmp/p11i"; then
	ok "case 11i: charon rekeyed the IKE SA ($(grep -o 'CREATE_CHILD_SA request [0-9]* \[[^]]*\]' <<<"$log" | head -n1)), the CHILD_SA moved along"
else
	fail "case 11i: charon's IKE SA rekey: $(cat "$tmp/p11i") / $(cat "$tmp/sas.11i" 2>/dev/null)"
fi
terminate_all

# 12: the probe rekeys the CHILD_SA, then the IKE SA.
probe_rekeys() { # CASE ROLE ESP-SWAN [PROBE-ARGS]
	local c=$1 out=$tmp/p$1 mark ppid old_ike
	swan_conf aes256gcm16-prfsha256-ecp256 "$3" "$PSK" || fail "case $c: swanctl --load-all"
	mark=$(logmark)
	run_probe "$2" "$out" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --linger 2500 \
		--rekey-child-after 500 --rekey-ike-after 1500 "${@:4}" &
	ppid=$!
	probe_listening "$out" || fail "case $c: the probe did not start"
	[ "$2" = responder ] && { swc --initiate --child net --timeout 10 >"$tmp/init$c.log" 2>&1 || fail "case $c: initiate"; }
	wait "$ppid" || fail "case $c: probe exit $? ($(cat "$out" "$out.err"))"
	cat "$out"
	old_ike=$(field "$out" spi_i)
	local log
	log=$(tail -n "+$mark" "$charon_log")
	if grep -q '^child_rekeyed ' "$out" && grep -q '^ike_rekeyed ' "$out" && grep -q '^ike_down reason=rekeyed' "$out" &&
		! grep -q "initiator-spi=$old_ike" "$tmp/sas.$c" 2>/dev/null && rekey_final "$c" "$out" &&
		! grep -q "initiator-spi=$old_ike" "$tmp/sas.$c"; then
		ok "case $c: our CHILD_SA and IKE SA rekeys: charon holds only the new SAs ($(grep '^final' "$out"))"
	else
		fail "case $c: our rekeys: $(cat "$out") / $(cat "$tmp/sas.$c" 2>/dev/null)"
	fi
	grep -o 'parsed CREATE_CHILD_SA request [0-9]* \[[^]]*\]' <<<"$log" | sort | uniq -c | sed "s/^/  case $c charon: /"
	terminate_all
}
probe_rekeys 12 initiator aes256gcm16
probe_rekeys 12r responder aes256gcm16
probe_rekeys 12p initiator aes256gcm16-ecp256 --pfs

# 13: a CHILD_SA rekey collision (R7296-2.8.1.a). charon is told to rekey;
# its request makes the probe send its own rekey of the same pair first
# (--rekey-collision) and the probe's answer to charon is lost, so charon
# meets our request while its own is outstanding and its retransmission (1 s)
# is answered from our cache: each side sees the other's rekey in flight.
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || fail "case 13: swanctl --load-all"
mark=$(logmark)
run_probe initiator "$tmp/p13" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --linger 3500 --rekey-collision &
ppid=$!
wait_for "$tmp/p13" '^child_up ' 50 || fail "case 13: no CHILD_SA"
swc --rekey --child net >"$tmp/rekey13.log" 2>&1 || fail "case 13: swanctl --rekey"
wait "$ppid" || fail "case 13: probe exit $? ($(cat "$tmp/p13" "$tmp/p13.err"))"
cat "$tmp/p13"
log13=$(tail -n "+$mark" "$charon_log")
if [ "$(grep -c '^child_rekeyed ' "$tmp/p13")" -eq 2 ] && [ "$(field "$tmp/p13" cache_answers)" -ge 1 ] &&
	rekey_final 13 "$tmp/p13"; then
	ok "case 13: rekey collision, one CHILD_SA left on both sides ($(grep '^final' "$tmp/p13"))"
else
	fail "case 13: rekey collision: $(cat "$tmp/p13") / $(cat "$tmp/sas.13" 2>/dev/null)"
fi
grep -E "CREATE_CHILD_SA|INFORMATIONAL|collision|redundant|lowest|NO_CHILD|TEMP" <<<"$log13" | sed 's/^/  case 13 charon: /' | head -n 16
terminate_all

# 14: the engine's own lifetime: CHILD_SA rekeyed between 1.5 and 2 s.
swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 "$PSK" || fail "case 14: swanctl --load-all"
run_probe initiator "$tmp/p14" "$PSK" aes256gcm16-prfsha256-ecp256 aes256gcm16 --linger 2500 \
	--child-lifetime 3000 --rekey-margin 1000 || fail "case 14: probe exit $? ($(cat "$tmp/p14" "$tmp/p14.err"))"
cat "$tmp/p14"
if grep -q '^child_rekeyed ' "$tmp/p14" && rekey_final 14 "$tmp/p14"; then
	ok "case 14: the engine rekeyed its CHILD_SA by its own lifetime; charon agrees"
else
	fail "case 14: lifetime rekey: $(cat "$tmp/p14")"
fi
terminate_all
# ==== certificates and fragmentation (RFC 7296 3.6-3.8, RFC 7427, RFC 7383) ====
#  21 RSA-3072 chains (root -> intermediate -> end entity) both directions
#  22 ECDSA (probe P-256, charon P-384) both directions
#  23 IDs of type DER_ASN1_DN taken from the certificates, both directions
#  24 wrong CA: charon refuses us, we refuse charon
#  25 RSA-3072 chains with two intermediates: IKE_AUTH fragmented both ways
#  26 the same with one fragment lost each way (retransmission, response cache)
# Test PKI made here with the openssl CLI (nothing committed); charon gets
# its certificate and CAs by absolute path in swanctl.conf, its key from
# $tmp/private.
pki=$tmp/pki
mkdir -p "$pki"
# mk_key NAME ALG: rsa3072 | p256 | p384
mk_key() {
	case $2 in
	rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" -out "$pki/$1.key" 2>/dev/null ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$1.key" 2>/dev/null ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$pki/$1.key" 2>/dev/null ;;
	esac
}
# mk_cert NAME ISSUER ALG CN [SAN]: ISSUER "-" for a self-signed root; with
# SAN an end entity, without an intermediate CA.
mk_cert() {
	local name=$1 issuer=$2 alg=$3 cn=$4 san=${5:-} ext=$pki/$1.ext
	mk_key "$name" "$alg" || return 1
	if [ -n "$san" ]; then
		printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=%s\n' "$san" >"$ext"
	else
		printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >"$ext"
	fi
	if [ "$issuer" = - ]; then
		openssl req -x509 -new -key "$pki/$name.key" -subj "/O=mip6sec test/CN=$cn" -days 30 \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
			-out "$pki/$name.crt" 2>/dev/null
	else
		openssl req -new -key "$pki/$name.key" -subj "/O=mip6sec test/CN=$cn" -out "$pki/$name.csr" 2>/dev/null &&
			openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$issuer.crt" -CAkey "$pki/$issuer.key" \
				-CAcreateserial -days 30 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
	fi
}
S_SAN="DNS:$S_ID,IP:$S" P_SAN="DNS:$P_ID,IP:$P"
# pki_set SET ALG N-INTERMEDIATES: SET-ca, SET-charon.chain (charon's end
# entity and intermediates), SET-probe.chain (ours), both under SET-ca.
pki_set() {
	local set=$1 alg=$2 n=$3 up=$1-ca i
	mk_cert "$set-ca" - "$alg" "mip6sec test root $set" || return 1
	for i in $(seq "$n"); do
		mk_cert "$set-int$i" "$up" "$alg" "mip6sec test intermediate $set $i" || return 1
		up=$set-int$i
	done
	mk_cert "$set-charon" "$up" "$alg" "$S_ID" "$S_SAN" && mk_cert "$set-probe" "$up" "$alg" "$P_ID" "$P_SAN" || return 1
	for who in charon probe; do
		cat "$pki/$set-$who.crt" >"$pki/$set-$who.chain"
		for i in $(seq "$n" -1 1); do cat "$pki/$set-int$i.crt" >>"$pki/$set-$who.chain"; done
	done
}
certs_ok=1
pki_set rsa rsa3072 1 && pki_set ec p384 1 && mk_cert ec-probe ec-int1 p256 "$P_ID" "$P_SAN" &&
	cp "$pki/ec-probe.crt" "$pki/ec-probe.chain" && cat "$pki/ec-int1.crt" >>"$pki/ec-probe.chain" &&
	pki_set evil p256 1 && pki_set big rsa3072 2 || { fail "cases 21-25: test PKI not made"; certs_ok=0; }

# swan_conf_cert SET CA-SET [LOCAL-ID REMOTE-ID]: pubkey auth with SET's
# charon chain, trusting CA-SET's root; fragmentation on (charon's default
# fragment_size 1280).
swan_conf_cert() {
	local set=$1 ca=$2 lid=${3:-$S_ID} rid=${4:-$P_ID} ints="" i=1
	while [ -f "$pki/$set-int$i.crt" ]; do
		ints="$ints	int$i { cacert = $pki/$set-int$i.crt }
"
		i=$((i + 1))
	done
	cat >"$tmp/swanctl.conf" <<EOF
connections { probe {
	version = 2
	local_addrs = $S
	remote_addrs = $P
	proposals = aes256gcm16-prfsha256-ecp256
	fragmentation = yes
	local { auth = pubkey
		certs = $pki/$set-charon.crt
		id = "$lid" }
	remote { auth = pubkey
		cacerts = $pki/$ca-ca.crt
		id = "$rid" }
	children { net {
		local_ts = $S_TS
		remote_ts = $P_TS
		esp_proposals = aes256gcm16
	} }
} }
authorities {
$ints}
EOF
	# swanctl loads private keys from private/ next to its swanctl.conf.
	rm -rf "$tmp/private" && mkdir -p "$tmp/private" && cp "$pki/$set-charon.key" "$tmp/private/" || return 1
	swc --load-all --clear --file "$tmp/swanctl.conf" >>"$tmp/swanctl.log" 2>&1
}

# run_probe_cert ROLE OUT SET CA-SET [extra args]: certificates, no PSK.
run_probe_cert() {
	local role=$1 out=$2 set=$3 ca=$4
	shift 4
	ip netns exec "$NS_P" "$probe" --role "$role" --local "$P" --remote "$S" \
		--cert "$pki/$set-probe.chain" --key "$pki/$set-probe.key" --ca "$pki/$ca-ca.crt" \
		--ike aes256gcm16-prfsha256-ecp256 --esp aes256gcm16 \
		--local-ts "$P_TS" --remote-ts "$S_TS" --timeout 15 "$@" >"$out" 2>"$out.err"
}

# cert_case CASE ROLE SET CA-SET [probe args]: one exchange with
# certificates, checked from both sides; charon's own words about the AUTH
# step go to $tmp/auth.CASE.
cert_case() {
	local c=$1 role=$2 set=$3 ca=$4 out=$tmp/p$1 mark ppid
	shift 4
	mark=$(logmark)
	if [ "$role" = initiator ]; then
		run_probe_cert initiator "$out" "$set" "$ca" --linger 300 "$@" ||
			fail "case $c: probe exit $? ($(cat "$out" "$out.err"))"
		check_both "$c" "$out" AES_GCM_16
	else
		run_probe_cert responder "$out" "$set" "$ca" --linger 2000 "$@" &
		ppid=$!
		probe_listening "$out" || fail "case $c: the probe did not start"
		swc --initiate --child net --timeout 10 >"$tmp/init$c.log" 2>&1 ||
			fail "case $c: swanctl --initiate failed: $(tail -n 5 "$tmp/init$c.log")"
		wait_for "$out" '^child_up ' 50
		check_both "$c" "$out" AES_GCM_16
		wait "$ppid" || fail "case $c: probe exit $? ($(cat "$out" "$out.err"))"
	fi
	cat "$out"
	tail -n "+$mark" "$tmp/charon.log" | grep -E "authentication of|CERTREQ|CERT\b|splitting|fragment|IKE_AUTH (request|response)|retransmit" >"$tmp/auth.$c"
	terminate_all
}
# auth_is CASE METHOD: both AUTH payloads used METHOD (ours and charon's)
# and charon says it authenticated us (its words name the signature scheme).
auth_is() {
	local ours
	ours=$(grep -v "(myself)" "$tmp/auth.$1" | grep -o "authentication of '.*' with [A-Z0-9_]* successful")
	if grep -q "^auth ours=$2 peer=$2 " "$tmp/p$1" && [ -n "$ours" ]; then
		ok "case $1: AUTH method $2 both ways; charon: $ours"
	else
		fail "case $1: AUTH methods not $2 both ways: $(grep '^auth' "$tmp/p$1") / $(cat "$tmp/auth.$1")"
	fi
}

if [ "$certs_ok" = 1 ]; then
	# ---- case 21: RSA-3072, both directions ----
	swan_conf_cert rsa rsa || fail "case 21: swanctl --load-all: $(tail -n 3 "$tmp/swanctl.log")"
	cert_case 21 initiator rsa rsa --local-id "$P_ID" --remote-id "$S_ID"
	auth_is 21 14
	cert_case 21r responder rsa rsa --local-id "$P_ID" --remote-id "$S_ID"
	auth_is 21r 14
	# ---- case 22: ECDSA, probe P-256, charon P-384 ----
	swan_conf_cert ec ec || fail "case 22: swanctl --load-all"
	cert_case 22 initiator ec ec --local-id "$P_ID" --remote-id "$S_ID"
	auth_is 22 14
	cert_case 22r responder ec ec --local-id "$P_ID" --remote-id "$S_ID"
	auth_is 22r 14
	# ---- case 23: DER_ASN1_DN identities from the certificates ----
	swan_conf_cert rsa rsa "O=mip6sec test, CN=$S_ID" "O=mip6sec test, CN=$P_ID" || fail "case 23: swanctl --load-all"
	cert_case 23 initiator rsa rsa
	grep -q "peer_id_type=9 " "$tmp/p23" || fail "case 23: charon's ID is not a DN: $(grep '^auth' "$tmp/p23")"
	cert_case 23r responder rsa rsa
	grep -q "peer_id_type=9 " "$tmp/p23r" || fail "case 23r: our DN did not reach charon's check: $(grep '^auth' "$tmp/p23r")"
	# ---- case 24: wrong CA ----
	# 24: charon trusts only the evil root: it refuses our RSA chain.
	swan_conf_cert rsa evil || fail "case 24: swanctl --load-all"
	mark=$(logmark)
	run_probe_cert initiator "$tmp/p24" rsa rsa --local-id "$P_ID" --remote-id "$S_ID" && fail "case 24: probe up with an untrusted chain"
	cat "$tmp/p24"
	if grep -q '^ike_down reason=peer_auth_failed' "$tmp/p24" && ! swc --list-sas --raw | grep -q "state=ESTABLISHED"; then
		ok "case 24: charon refused our chain (AUTHENTICATION_FAILED), no SA on either side"
	else
		fail "case 24: $(cat "$tmp/p24") / $(tail -n "+$mark" "$tmp/charon.log" | grep -i -E 'trust|auth' | tail -n 5)"
	fi
	tail -n "+$mark" "$tmp/charon.log" | grep -E "trust|constraint|authentication" | head -n 5
	terminate_all
	# 24r: we trust only the evil root: we refuse charon's chain.
	swan_conf_cert rsa rsa || fail "case 24r: swanctl --load-all"
	mark=$(logmark)
	run_probe_cert initiator "$tmp/p24r" rsa evil --local-id "$P_ID" --remote-id "$S_ID" && fail "case 24r: probe accepted an untrusted chain"
	cat "$tmp/p24r"
	# We say so in an INFORMATIONAL (RFC 7296 2.21.2): charon drops its SA.
	no_sa_left
	if grep -q '^ike_down reason=auth_failed' "$tmp/p24r" && grep -q "fail=4$" "$tmp/p24r" &&
		logged "$mark" "parsed INFORMATIONAL request [0-9]* \[ N(AUTH_FAILED) \]" &&
		logged "$mark" "received DELETE for IKE_SA" &&
		! swc --list-sas --raw | grep -q "state=ESTABLISHED"; then
		ok "case 24r: we refused charon's chain (untrusted root), charon dropped its SA on our AUTHENTICATION_FAILED"
	else
		fail "case 24r: $(cat "$tmp/p24r" "$tmp/p24r.err") / $(swc --list-sas --raw)"
	fi
	terminate_all
	# ---- case 25: IKE_AUTH fragmented both ways (RFC 7383) ----
	swan_conf_cert big big || fail "case 25: swanctl --load-all"
	cert_case 25 initiator big big --local-id "$P_ID" --remote-id "$S_ID"
	cert_case 25r responder big big --local-id "$P_ID" --remote-id "$S_ID"
	for c in 25 25r; do
		sent=$(field "$tmp/p$c" sent) done_=$(field "$tmp/p$c" completed)
		if [ "${sent:-0}" -ge 2 ] && [ "${done_:-0}" -ge 1 ] && grep -q "splitting IKE message" "$tmp/auth.$c" &&
			grep -q "received fragment" "$tmp/auth.$c"; then
			ok "case $c: IKE_AUTH fragmented both ways (we sent $sent fragments, reassembled $done_; charon split and reassembled)"
		else
			fail "case $c: no fragmentation both ways: $(grep '^frag' "$tmp/p$c") / $(cat "$tmp/auth.$c")"
		fi
	done
	# ---- case 26: a fragment lost each way ----
	# 26: our first IKE_AUTH fragment is lost; charon holds the others, our
	# retransmission (every fragment again) completes its reassembly.
	cert_case 26 initiator big big --local-id "$P_ID" --remote-id "$S_ID" --drop-out 2
	[ "$(field "$tmp/p26" retransmits)" -ge 1 ] 2>/dev/null && grep -q "received fragment #2 of 4, waiting" "$tmp/auth.26" &&
		grep -q "received fragment #1 of 4, reassembled" "$tmp/auth.26" ||
		fail "case 26: no retransmission of our fragments: $(cat "$tmp/p26") / $(cat "$tmp/auth.26")"
	# 26r: our first response fragment is lost; charon retransmits its
	# fragmented request and we resend the cached response for its fragment 1
	# only (R7383-2.6.1.a): one cache answer.
	cert_case 26r responder big big --local-id "$P_ID" --remote-id "$S_ID" --drop-out 2
	[ "$(field "$tmp/p26r" cache_answers)" = 1 ] && grep -q "retransmit 1 of request with message ID 1" "$tmp/auth.26r" ||
		fail "case 26r: expected one cached answer to charon's retransmission: $(cat "$tmp/p26r") / $(cat "$tmp/auth.26r")"
fi

if [ "$fails" -ne 0 ]; then
	echo "--- charon.log (tail)"
	tail -n 60 "$tmp/charon.log"
	echo "FAIL: $fails check(s)"
	exit 1
fi
echo "PASS"
