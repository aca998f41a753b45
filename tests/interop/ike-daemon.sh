#!/usr/bin/env bash
# The daemon's IKEv2 adapter (src/ike/ikeio.c) against strongSwan charon:
# an IKE-keyed tunnel (tunnels[].ike-peer) whose CHILD_SA the daemon
# installs into its own SAD/SPD, carrying real traffic between two hosts.
#
#  netns hA          netns D (mip6sec)             netns R (router)        netns C (charon)        netns hB
# +----------+   +--------------------------+   +-------------------+   +----------------------+   +----------+
# |fd6e:a::1 |---|fd6e:a::fe    fd6e:1::2   |---|fd6e:1::fe         |   |           fd6e:b::fe |---|fd6e:b::1 |
# |          |   | TUN m6ike: fd6e:b::/64   |   |        fd6e:2::fe |---|fd6e:2::1  ipsec0     |   |          |
# +----------+   +--------------------------+   +-------------------+   +----------------------+   +----------+
#
# R only forwards, except in case f where `nft ... masquerade` translates
# D's outer address (NAT66). charon runs kernel-libipsec (userspace ESP on
# its ipsec0 TUN, which always UDP-encapsulates: docs/IKE.md), with its own
# strongswan.conf and vici socket in the test's temp dir.
# Cases, each asserted on both sides (`mip6sec ike --json`, `mip6sec sas
# --json` and `swanctl --list-sas --raw`):
#   a  mip6sec initiator -> charon: PSK, aes256gcm16-prfsha256-ecp256; ping
#      both ways; 20 MB TCP hA -> hB, sha256 equal
#   b  charon initiator (swanctl --initiate) -> mip6sec responder, same
#   c  DH groups 14, 19, 20, 31 and aes256-sha256 (CBC + HMAC) IKE and ESP:
#      ping only; the CBC run has ike.fragmentation = false: charon sees no
#      IKEV2_FRAGMENTATION_SUPPORTED in our IKE_SA_INIT (the others do)
#   d  DPD: charon killed -9; mip6sec declares the peer dead after
#      dpd-interval + the retransmission budget and removes the CHILD_SAs
#   e  SIGTERM of mip6sec: charon logs the DELETE and keeps no SA (before
#      that, a flood of IKE_SA_INIT from one address is rate-limited);
#      case b runs with cookie-threshold 0: charon answers our COOKIE
#   f  NAT66 on R: NAT detected, IKE on 4500, ESP in UDP both ways, ping;
#      our NAT keepalives (0xff to UDP 4500) counted on R at nat-keepalive
#      = 2 s (case a, without NAT, at 1 s: none)
#   g  tshark with the daemon's key dump decrypts the IKE_AUTH of case a
#      (IDi, AUTH, SA, TSi, TSr) and finds nothing malformed
#   h  (with b) `mip6sec reload` keeps the CHILD_SA (same SPIs, in the new
#      SAD, ping); a reload without the peer deletes its IKE SA at charon
#   d also: charon restarted, the initiate = true connection comes back
#   i  charon's 4500 appears behind R as port 31000, then 31001: mip6sec
#      follows the authenticated move and moves the ESP-in-UDP SAs
#   j  CHILD_SA rekey under a 20 MB TCP transfer: charon rekeys (swanctl
#      --rekey --child, 3 times), then mip6sec by its own child-lifetime;
#      no stall (time within 2x + 5 s of a run without rekey), rekeys
#      counted on both sides, the old SPIs gone from both afterwards
#   k  IKE SA rekey by charon under traffic (swanctl --rekey --ike): the
#      CHILD_SA survives, `mip6sec ike` shows charon's new IKE SPIs; then
#      mip6sec rekeys by its own ike-lifetime (0-100 s wait) under a ping
#   l  certificate AUTH (ike.auth = "pubkey"), test PKI made here: RSA and
#      ECDSA, each direction, FQDN and asn1-dn identities; a wrong CA is
#      refused by mip6sec and by charon
#   m  RSA-4096 chain with two intermediates both ways: IKE_AUTH is
#      fragmented both ways (RFC 7383), charon splits and reassembles, our
#      log counts fragments sent and received
# Root only; exits 77 without root, charon-systemd, swanctl or nft.
# KEEP_TMP=1 keeps the logs.
set -uo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in charon-systemd swanctl ip nft; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
M6=${MIP6SEC:-$PWD/mip6sec}
[ -x "$M6" ] || { echo "FAIL: mip6sec not built ($M6)"; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
ONLY=${IKE_CASES:-abcdefghijklm}

id=$$$RANDOM
NS_A=ikdA$id NS_D=ikdD$id NS_R=ikdR$id NS_C=ikdC$id NS_B=ikdB$id
tmp=$(mktemp -d /tmp/ike-daemon.XXXXXX)
pki=$tmp/pki
charon_pid= m6_pid= m6_wrap= cap_pid=
cleanup() {
	[ -n "$m6_pid" ] && kill -KILL "$m6_pid" 2>/dev/null
	[ -n "$charon_pid" ] && kill -KILL "$charon_pid" 2>/dev/null
	[ -n "$cap_pid" ] && kill -TERM "$cap_pid" 2>/dev/null
	wait 2>/dev/null
	for n in $NS_A $NS_D $NS_R $NS_C $NS_B; do ip netns del "$n" 2>/dev/null; done
	[ -n "${KEEP_TMP:-}" ] && { echo "kept $tmp"; return; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

D_OUT=fd6e:1::2 R1=fd6e:1::fe R2=fd6e:2::fe C_OUT=fd6e:2::1
A_PFX=fd6e:a::/64 B_PFX=fd6e:b::/64 HA=fd6e:a::1 HB=fd6e:b::1
D_ID=mip6sec.ike.test C_ID=charon.ike.test
PSK_HEX=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
want() { case "$ONLY" in *"$1"*) return 0 ;; esac; return 1; }
nsx() { local ns=$1; shift; timeout 60 ip netns exec "$ns" "$@"; }

# ---- topology ---------------------------------------------------------------
for n in $NS_A $NS_D $NS_R $NS_C $NS_B; do
	ip netns add "$n" || { echo "SKIP: cannot create namespaces"; exit 77; }
	ip -n "$n" link set lo up
done
ip link add ia netns "$NS_D" type veth peer name eth0 netns "$NS_A" || { echo "SKIP: no veth"; exit 77; }
ip link add od netns "$NS_D" type veth peer name r1 netns "$NS_R"
ip link add r2 netns "$NS_R" type veth peer name oc netns "$NS_C"
ip link add ib netns "$NS_C" type veth peer name eth0 netns "$NS_B"
ip -n "$NS_A" addr add $HA/64 dev eth0 nodad
ip -n "$NS_D" addr add fd6e:a::fe/64 dev ia nodad
ip -n "$NS_D" addr add $D_OUT/64 dev od nodad
ip -n "$NS_R" addr add $R1/64 dev r1 nodad
ip -n "$NS_R" addr add $R2/64 dev r2 nodad
ip -n "$NS_C" addr add $C_OUT/64 dev oc nodad
ip -n "$NS_C" addr add fd6e:b::fe/64 dev ib nodad
ip -n "$NS_B" addr add $HB/64 dev eth0 nodad
for l in "$NS_A eth0" "$NS_D ia" "$NS_D od" "$NS_R r1" "$NS_R r2" "$NS_C oc" "$NS_C ib" "$NS_B eth0"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$NS_A" route add default via fd6e:a::fe
ip -n "$NS_B" route add default via fd6e:b::fe
ip -n "$NS_D" route add fd6e:2::/64 via $R1
ip -n "$NS_C" route add fd6e:1::/64 via $R2
for n in $NS_D $NS_R $NS_C; do nsx "$n" sysctl -qw net.ipv6.conf.all.forwarding=1; done
# R counts D's NAT keepalives (RFC 3948 2.3: UDP to 4500, one octet 0xff)
# before any NAT rewrites them.
nsx "$NS_R" nft -f - <<EOF || { echo "FAIL: nft keepalive counter"; exit 1; }
table ip6 ikd_ka {
	counter ka { }
	chain count { type filter hook forward priority filter; iifname "r1" udp dport 4500 udp length 9 @th,64,8 0xff counter name ka; }
}
EOF
ka_count() { nsx "$NS_R" nft list counter ip6 ikd_ka ka | sed -nE 's/.*packets ([0-9]+).*/\1/p'; }

# ---- charon -----------------------------------------------------------------
cat >"$tmp/strongswan.conf" <<EOF
charon-systemd {
	load_modular = no
	load = random nonce openssl aes sha2 hmac gcm kdf pem pkcs1 pkcs8 x509 pubkey constraints kernel-libipsec kernel-netlink socket-default vici
	filelog { log { path = $tmp/charon.log
		time_format = %T
		flush_line = yes
		default = 1
		ike = 2
		net = 2 } }
	journal { default = -1 }
	retransmit_timeout = 1.0
	install_virtual_ip = no
	plugins {
		vici { socket = unix://$tmp/vici }
	}
}
EOF
swc() { nsx "$NS_C" swanctl "$@" --uri "unix://$tmp/vici"; }
charon_start() {
	ip netns exec "$NS_C" env STRONGSWAN_CONF="$tmp/strongswan.conf" charon-systemd >>"$tmp/charon.stdout" 2>&1 &
	charon_pid=$!
	for _ in $(seq 50); do swc --stats >/dev/null 2>&1 && return 0; sleep 0.2; done
	echo "FAIL: charon did not start"; cat "$tmp/charon.stdout"; exit 1
}
# swan_conf IKE-PROPOSAL ESP-PROPOSAL REMOTE-ADDRS [DPD-DELAY]
# Certificates when SW_SET is set (cases l, m): SW_SET's charon chain,
# trusting SW_CA's root; SW_LID / SW_RID override the identities.
swan_conf() {
	local auth=psk lcert= rca= auths=
	if [ -n "${SW_SET:-}" ]; then
		auth=pubkey lcert="certs = $pki/$SW_SET-c.crt" rca="cacerts = $pki/${SW_CA:-$SW_SET}-root.crt"
		for f in "$pki/$SW_SET"-ca?.crt; do [ -f "$f" ] && auths+="ca${f: -5:1} { cacert = $f }"$'\n'; done
		rm -rf "$tmp/private" && mkdir -p "$tmp/private" && cp "$pki/$SW_SET-c.key" "$tmp/private/"
	fi
	cat >"$tmp/swanctl.conf" <<EOF
connections { m6 {
	version = 2
	local_addrs = $C_OUT
	remote_addrs = $3
	proposals = $1
	dpd_delay = ${4:-0s}
	fragmentation = yes
	local { auth = $auth
		id = "${SW_LID:-$C_ID}"
		$lcert }
	remote { auth = $auth
		id = "${SW_RID:-$D_ID}"
		$rca }
	children { net {
		local_ts = $B_PFX
		remote_ts = $A_PFX
		mode = tunnel
		esp_proposals = $2
	} }
} }
authorities {
$auths}
secrets { ike-m6 {
	id-a = $C_ID
	id-b = $D_ID
	secret = 0x$PSK_HEX
} }
EOF
	swc --load-all --clear --file "$tmp/swanctl.conf" >>"$tmp/swanctl.log" 2>&1 || fail "swanctl --load-all"
}
charon_no_sas() { # terminate whatever charon still holds
	swc --terminate --ike m6 --force --timeout 2 >/dev/null 2>&1
	return 0
}

# ---- mip6sec ----------------------------------------------------------------
# m6_conf IKE-PROPOSAL ESP-PROPOSAL INITIATE [extra ike lines]
# Certificates when M6_SET is set: its mip6sec chain and key, trusting
# M6_CA's root; M6_IDTYPE=asn1-dn makes both identities DNs.
m6_conf() {
	local auth=psk creds= psk="psk = \"$PSK_HEX\";" idt= id=$D_ID pid=$C_ID
	mkdir -p "$tmp/m6"
	if [ -n "${M6_SET:-}" ]; then
		auth=pubkey psk=
		creds="certificate = \"$pki/$M6_SET-d.chain\"; private-key = \"$pki/$M6_SET-d.key\"; ca = \"$pki/${M6_CA:-$M6_SET}-root.crt\";"
	fi
	if [ "${M6_IDTYPE:-}" = asn1-dn ]; then
		idt='identity-type = "asn1-dn";' id="O=mip6sec test, CN=$D_ID" pid="O=mip6sec test, CN=$C_ID"
	fi
	cat >"$tmp/m6/m6.conf" <<EOF
global = {
	log-level = "info";
	control-socket = "$tmp/m6/control.sock";
	state-dir = "$tmp/m6/state";
};
ike = {
	identity = "$id"; $idt
	auth = "$auth"; $creds
	proposals = [ "$1" ];
	esp-proposals = [ "$2" ];
	key-dump = "$tmp/m6/keys";
	${4:-}
	peers = (
		{ name = "charon"; identity = "$pid"; $idt address = "$C_OUT"; auth = "$auth";
		  $psk initiate = $3; }
	);
};
tunnels = (
	{ name = "m6ike"; local = "$D_OUT"; remote = "$C_OUT";
	  local-prefixes = [ "$A_PFX" ]; remote-prefixes = [ "$B_PFX" ];
	  ike-peer = "charon"; }
);
EOF
	"$M6" check-config "$tmp/m6/m6.conf" >/dev/null 2>"$tmp/m6/check.err" ||
		{ echo "FAIL: config invalid: $(cat "$tmp/m6/check.err")"; exit 1; }
}
m6ctl() { nsx "$NS_D" "$M6" "$@" -s "$tmp/m6/control.sock"; }
# m6json CMD EXPR: a Python expression over `mip6sec CMD --json` (bound to d).
m6json() {
	m6ctl "$1" --json 2>/dev/null | "$PY" -c 'import json,sys
try: d=json.load(sys.stdin)
except Exception: d=None
print(eval(sys.argv[1]) if d is not None else "")' "$2" 2>/dev/null
}
m6_start() {
	: >"$tmp/m6/daemon.log"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 ip netns exec "$NS_D" timeout 300 "$M6" daemon -f \
		-c "$tmp/m6/m6.conf" 2>>"$tmp/m6/daemon.log" &
	m6_wrap=$!
	for _ in $(seq 100); do
		m6ctl status >/dev/null 2>&1 && { m6_pid=$(m6json status 'd["pid"]'); return 0; }
		sleep 0.1
	done
	echo "FAIL: mip6sec did not start"; cat "$tmp/m6/daemon.log"; exit 1
}
m6_stop() { # SIGTERM and wait (the timeout wrapper forwards it)
	[ -n "$m6_pid" ] || return 0
	kill -TERM "$m6_pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$m6_pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$m6_pid" 2>/dev/null && { fail "mip6sec did not stop"; kill -KILL "$m6_pid"; }
	wait "$m6_wrap" 2>/dev/null
	m6_pid= m6_wrap=
	grep -qE "Sanitizer|runtime error:" "$tmp/m6/daemon.log" && { fail "sanitizer report"; cat "$tmp/m6/daemon.log"; }
	cat "$tmp/m6/daemon.log" >>"$tmp/m6/all.log"
	return 0
}
# wait_for SECONDS COMMAND...: poll every 0.2 s
wait_for() {
	local n=$(($1 * 5)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
	return 1
}
m6_established() { [ "$(m6json ike 'sum(1 for s in d if s["state"]=="established" and s["children"])')" = 1 ]; }
# No established SA and no CHILD_SA (a re-initiation may be under way).
m6_down() { [ "$(m6json ike 'sum(1 for s in d if s["state"]=="established" or s["children"])')" = 0 ]; }

# check_both CASE ENCR-ALG: our SPIs against charon's, the SAD has the pair.
check_both() {
	local c=$1 alg=$2 raw
	m6ctl ike --json >"$tmp/ike.$c.json" 2>&1
	m6ctl sas --json >"$tmp/sas.$c.json" 2>&1
	swc --list-sas --raw >"$tmp/swan.$c" 2>&1
	raw=$(cat "$tmp/swan.$c")
	read -r spi_i spi_r spi_in spi_out encap <<<"$("$PY" - "$tmp/ike.$c.json" <<'EOP'
import json, sys
d = [s for s in json.load(open(sys.argv[1])) if s["state"] == "established" and s["children"]]
if not d:
    print("- - - - -")
else:
    c = d[0]["children"][0]
    print(d[0]["spi_i"], d[0]["spi_r"], c["spi_in"], c["spi_out"], c["encapsulation"])
EOP
)"
	[ "$spi_i" != - ] || { fail "case $c: mip6sec has no established IKE SA with a CHILD_SA: $(cat "$tmp/ike.$c.json")"; return 1; }
	grep -q "state=ESTABLISHED" <<<"$raw" || { fail "case $c: charon has no ESTABLISHED IKE SA: $raw"; return 1; }
	grep -q "initiator-spi=$spi_i" <<<"$raw" && grep -q "responder-spi=$spi_r" <<<"$raw" ||
		{ fail "case $c: IKE SPIs $spi_i/$spi_r not charon's: $raw"; return 1; }
	grep -q "state=INSTALLED" <<<"$raw" || { fail "case $c: no INSTALLED CHILD_SA in charon: $raw"; return 1; }
	grep -q "spi-in=$spi_out" <<<"$raw" && grep -q "spi-out=$spi_in" <<<"$raw" ||
		{ fail "case $c: ESP SPIs in=$spi_in out=$spi_out not charon's: $raw"; return 1; }
	grep -q "encr-alg=$alg" <<<"$raw" || { fail "case $c: charon's ESP is not $alg: $raw"; return 1; }
	grep -q "encap=yes" <<<"$raw" && [ "$encap" = udp ] ||
		{ fail "case $c: ESP-in-UDP not agreed (mip6sec $encap): $raw"; return 1; }
	# Both halves of the pair are in our SAD (R4301-4.4.2: the SAD drives ESP).
	local n
	n=$("$PY" -c 'import json,sys
d=json.load(open(sys.argv[1])); w={int(sys.argv[2],16),int(sys.argv[3],16)}
print(sum(1 for s in d if s["spi"] in w and s.get("tunnel")=="m6ike"))' "$tmp/sas.$c.json" "$spi_in" "$spi_out" 2>/dev/null)
	[ "$n" = 2 ] || { fail "case $c: SAD does not hold both CHILD_SA halves: $(cat "$tmp/sas.$c.json")"; return 1; }
	ok "case $c: IKE $spi_i/$spi_r ESTABLISHED, ESP in=$spi_in out=$spi_out ($alg, UDP) in both SADs"
}
ping_both() { # CASE
	nsx "$NS_A" ping -6 -c 3 -i 0.2 -W 2 $HB >/dev/null || { fail "case $1: ping hA -> hB"; return 1; }
	nsx "$NS_B" ping -6 -c 3 -i 0.2 -W 2 $HA >/dev/null || { fail "case $1: ping hB -> hA"; return 1; }
	ok "case $1: ping hA <-> hB through the CHILD_SA"
}
tcp_20mb() { # CASE
	head -c 20M /dev/urandom >"$tmp/blob"
	local want got
	want=$(sha256sum <"$tmp/blob" | cut -d' ' -f1)
	nsx "$NS_B" "$PY" - >"$tmp/recv.out" <<'EOP' &
import hashlib, socket
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("fd6e:b::1", 5001)); s.listen(1); s.settimeout(40)
c, _ = s.accept(); c.settimeout(40)
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b); n += len(b)
print(n, h.hexdigest())
EOP
	local rpid=$!
	sleep 0.3
	nsx "$NS_A" "$PY" - "$tmp/blob" <<'EOP' || fail "case $1: TCP sender"
import socket, sys, time
for i in range(50):
    try:
        c = socket.create_connection(("fd6e:b::1", 5001), timeout=40)
        break
    except OSError:
        time.sleep(0.1)
with open(sys.argv[1], "rb") as f:
    c.sendfile(f)
c.close()
EOP
	wait $rpid || fail "case $1: TCP receiver"
	got=$(cat "$tmp/recv.out")
	[ "$got" = "20971520 $want" ] && ok "case $1: 20 MB TCP hA -> hB, sha256 equal" ||
		fail "case $1: TCP transfer: sent 20971520 $want, got $got"
}
case_reset() { m6_stop; charon_no_sas; [ -f "$tmp/m6/keys" ] && mv "$tmp/m6/keys" "$tmp/m6/keys.old"; return 0; }

charon_start

# ---- a: mip6sec initiator ---------------------------------------------------
if want a || want g; then
	swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 %any
	m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 true "nat-keepalive = 1;"
	if command -v tshark >/dev/null && want g; then
		# IKE only (the ESP-in-UDP of the transfer stays out of the file).
		nsx "$NS_R" tshark -q -i r1 -f udp -w "$tmp/ike.pcap" >/dev/null 2>&1 &
		cap_pid=$!
		for _ in $(seq 50); do [ -s "$tmp/ike.pcap" ] && break; sleep 0.1; done
		sleep 0.5
	fi
	m6_start
	if wait_for 15 m6_established; then
		if [ -n "$cap_pid" ]; then
			sleep 0.5
			kill -TERM "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null
		fi
		st=$(m6json status '"%d %d" % (d["ike"]["established"], d["ike"]["children_installed"])')
		[ "$st" = "1 1" ] || fail "case a: status ike section says established/children_installed '$st', want '1 1'"
		ka0=$(ka_count) t0=$SECONDS
		check_both a AES_GCM_16 && ping_both a && { ! want a || tcp_20mb a; }
		# R3948-2.3: no NAT detected, no keepalives (nat-keepalive = 1 s).
		[ $((SECONDS - t0)) -ge 4 ] || sleep $((4 - (SECONDS - t0)))
		ka1=$(ka_count)
		if [ "$(m6json ike 'd[0]["nat_local"]')" = False ] && [ "$ka1" = "$ka0" ]; then
			ok "case a: no NAT: no NAT keepalive in $((SECONDS - t0)) s at nat-keepalive = 1"
		else
			fail "case a: no NAT, yet $((ka1 - ka0)) NAT keepalive(s) went out"
		fi
	else
		fail "case a: no IKE SA with a CHILD_SA: $(m6ctl ike 2>&1)"
	fi
	# ---- g: tshark decrypts our IKE_AUTH with the key dump ------------------
	if [ -n "$cap_pid" ]; then
		cap_pid=
		keys=()
		while IFS= read -r l; do keys+=(-o "uat:$l"); done < <(grep -E '^(ikev2_decryption_table|esp_sa):' "$tmp/m6/keys")
		tshark -r "$tmp/ike.pcap" "${keys[@]}" -V -Y "isakmp.exchangetype == 35 && isakmp.flag_i == 1 && isakmp.flag_r == 0" \
			>"$tmp/auth.txt" 2>/dev/null
		inner=$(sed -n '/Decrypted Data/,$p' "$tmp/auth.txt" | sed -nE 's/^ +Payload: .* \(([0-9]+)\)( # [0-9]+)?$/\1/p' | sort -u | paste -sd, -)
		missing=
		for p in 35 39 33 44 45; do grep -qE "(^|,)$p(,|$)" <<<"$inner" || missing+=" $p"; done
		if [ ${#keys[@]} -eq 0 ]; then
			fail "case g: the key dump is empty"
		elif [ -n "$missing" ]; then
			fail "case g: decrypted IKE_AUTH request lacks payload(s)$missing (saw $inner)"
		elif ! grep -q 'Integrity Checksum Data: .*\[correct\]' "$tmp/auth.txt"; then
			fail "case g: tshark did not verify the IKE_AUTH request's ICV"
		elif tshark -r "$tmp/ike.pcap" "${keys[@]}" -V 2>/dev/null | grep -qi malformed; then
			fail "case g: tshark reports a malformed packet"
		else
			ok "case g: tshark decrypted our IKE_AUTH request (IDi, AUTH, SA, TSi, TSr: $inner), nothing malformed"
		fi
	fi
	case_reset
fi

# ---- b: charon initiator ----------------------------------------------------
if want b; then
	swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 $D_OUT
	# cookie-threshold 0: every IKE_SA_INIT must come back with our COOKIE (R7296-2.6).
	m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 false 'cookie-threshold = 0;'
	m6_start
	swc --initiate --child net --timeout 15 >"$tmp/initiate.b" 2>&1 || fail "case b: swanctl --initiate: $(tail -3 "$tmp/initiate.b")"
	if wait_for 5 m6_established; then
		[ "$(m6json ike 'd[0]["role"]')" = responder ] || fail "case b: mip6sec is not the responder"
		[ "$(m6json status 'int(d["ike"]["cookies_sent"] >= 1)')" = 1 ] &&
			ok "case b: charon answered our COOKIE" || fail "case b: no COOKIE sent with cookie-threshold 0"
		check_both b AES_GCM_16 && ping_both b && tcp_20mb b
		# ---- h: reload keeps the CHILD_SA; a reload without the peer deletes it
		before=$(m6json ike 'd[0]["children"][0]["spi_in"]')
		m6ctl reload >/dev/null 2>&1 || fail "case h: reload refused"
		after=$(m6json ike 'd[0]["children"][0]["spi_in"]')
		[ -n "$before" ] && [ "$before" = "$after" ] || fail "case h: CHILD_SA $before became '$after' across a reload"
		[ "$(m6json sas 'sum(1 for s in d if s.get("tunnel")=="m6ike")')" = 2 ] ||
			fail "case h: the CHILD_SA pair did not move into the reloaded SAD"
		ping_both h && ok "case h: reload kept CHILD_SA $before in the SAD and carrying traffic"
		# The tunnel renamed: the pair cannot move, it is deleted at charon; the IKE SA stays.
		from=$(wc -l <"$tmp/charon.log")
		sed -i 's/name = "m6ike";/name = "m6ike2";/' "$tmp/m6/m6.conf"
		m6ctl reload >/dev/null 2>&1 || fail "case h: reload with the tunnel renamed refused"
		if wait_for 3 bash -c "tail -n +$((from + 1)) '$tmp/charon.log' | grep -q 'received DELETE for ESP CHILD_SA'" &&
		   [ "$(m6json ike 'sum(len(s["children"]) for s in d if s["state"] == "established")')" = 0 ] &&
		   m6json ike 'd[0]["state"]' | grep -qx established; then
			ok "case h: a reload that takes the tunnel away deletes the CHILD_SA at charon, the IKE SA stays"
		else
			fail "case h: tunnel renamed: CHILD_SA not deleted at charon or IKE SA lost: $(m6ctl ike 2>&1)"
		fi
		from=$(wc -l <"$tmp/charon.log")
		sed -i -e '/^tunnels = (/,$d' -e '/name = "charon"/,/initiate/d' -e '/^\tpeers = (/,/^\t);/d' "$tmp/m6/m6.conf"
		m6ctl reload >/dev/null 2>&1 || fail "case h: reload without the peer refused: $(m6ctl reload 2>&1)"
		if wait_for 3 bash -c "tail -n +$((from + 1)) '$tmp/charon.log' | grep -q 'received DELETE for IKE_SA'"; then
			ok "case h: a reload that removes the peer deletes its IKE SA (charon received the DELETE)"
		else
			fail "case h: charon saw no DELETE after the peer left our configuration: $(m6ctl ike 2>&1)"
		fi
	else
		fail "case b: no IKE SA with a CHILD_SA: $(m6ctl ike 2>&1)"
	fi
	case_reset
fi

# ---- c: DH groups and CBC + HMAC --------------------------------------------
if want c; then
	for s in "aes256gcm16-prfsha256-modp2048 aes256gcm16 AES_GCM_16 14" \
		 "aes256gcm16-prfsha256-ecp256 aes256gcm16 AES_GCM_16 19" \
		 "aes256gcm16-prfsha384-ecp384 aes256gcm16 AES_GCM_16 20" \
		 "aes256gcm16-prfsha256-curve25519 aes256gcm16 AES_GCM_16 31" \
		 "aes256-sha256-ecp256 aes256-sha256 AES_CBC 19 off"; do
		set -- $s
		frag=${5:-on} extra=
		[ "$frag" = off ] && extra="fragmentation = false;"
		swan_conf "$1" "$2" %any
		m6_conf "$1" "$2" true "$extra"
		from=$(wc -l <"$tmp/charon.log")
		m6_start
		if wait_for 15 m6_established; then
			dh=$(m6json ike 'd[0]["suite"]["dh"]')
			[ "$dh" = "$4" ] || fail "case c: $1: mip6sec negotiated group $dh"
			# RFC 7383 2.3: ike.fragmentation = false announces nothing;
			# charon logs the notifies of our IKE_SA_INIT request.
			req=$(tail -n +$((from + 1)) "$tmp/charon.log" | grep -m1 "parsed IKE_SA_INIT request")
			if [ -z "$req" ]; then
				fail "case c: $1: charon logged no IKE_SA_INIT request"
			elif [ "$frag" = off ] && grep -q "N(FRAG_SUP)" <<<"$req"; then
				fail "case c: $1: fragmentation = false, yet we announced it: $req"
			elif [ "$frag" = on ] && ! grep -q "N(FRAG_SUP)" <<<"$req"; then
				fail "case c: $1: fragmentation support not announced: $req"
			else
				ok "case c: $1: IKEV2_FRAGMENTATION_SUPPORTED $([ "$frag" = on ] && echo announced || echo "not announced (ike.fragmentation = false)")"
			fi
			check_both "c-$1" "$3" && ping_both "c-$1"
		else
			fail "case c: $1: no IKE SA with a CHILD_SA: $(m6ctl ike 2>&1) $(tail -5 "$tmp/m6/daemon.log")"
		fi
		case_reset
	done
fi

# ---- d: DPD after charon dies -----------------------------------------------
if want d; then
	swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 %any
	# DPD after 1 s of silence; 2 tries from 300 ms: dead ~2.1 s later.
	m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 true \
		'dpd-interval = 1; retransmit-tries = 2; retransmit-timeout-ms = 300;'
	m6_start
	if wait_for 15 m6_established; then
		kill -KILL "$charon_pid"; wait "$charon_pid" 2>/dev/null; charon_pid=
		t0=$(date +%s%N)
		if wait_for 15 m6_down; then
			dt=$((($(date +%s%N) - t0) / 1000000))
			left=$(m6json sas 'sum(1 for s in d if s.get("tunnel")=="m6ike")')
			[ "$left" = 0 ] || fail "case d: $left CHILD_SA halves left in the SAD after the peer died"
			grep -q "no answer to our liveness check" "$tmp/m6/daemon.log" ||
				fail "case d: the daemon did not log the dead peer"
			[ "$left" = 0 ] && ok "case d: charon killed, peer declared dead after $dt ms, CHILD_SAs removed"
			# initiate = true: the connection comes back once charon does (backoff from 1 s).
			charon_start
			swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 %any
			if wait_for 20 m6_established; then
				check_both d-again AES_GCM_16 && ping_both d-again &&
					ok "case d: re-initiated after charon came back"
			else
				fail "case d: no new IKE SA after charon came back: $(m6ctl ike 2>&1)"
			fi
		else
			fail "case d: the IKE SA survived its dead peer: $(m6ctl ike 2>&1)"
		fi
	else
		fail "case d: no IKE SA with a CHILD_SA"
	fi
	[ -n "$charon_pid" ] || charon_start
	case_reset
fi

# ---- e: SIGTERM deletes the IKE SA at charon --------------------------------
if want e; then
	swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 %any
	m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 true
	m6_start
	if wait_for 15 m6_established; then
		# 100 IKE_SA_INIT headers from one address in a burst: the per-address
		# bucket (IKEIO_RATE_BURST 40, 20/s) drops the rest; the SA is unharmed.
		nsx "$NS_A" "$PY" -c 'import os, socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(100):
    s.sendto(os.urandom(8) + bytes(8) + bytes([33, 0x20, 34, 0x08]) + bytes(4) + struct.pack("!I", 28), ("fd6e:a::fe", 500))'
		sleep 0.5
		rl=$(m6json status 'd["ike"]["drops"]["rate_limit"]')
		[ "${rl:-0}" -ge 50 ] && m6_established && ok "case e: IKE_SA_INIT flood from one address rate-limited ($rl dropped)" ||
			fail "case e: rate limit dropped ${rl:-none} of 100 (want >= 50) or hurt the SA"
		from=$(wc -l <"$tmp/charon.log")
		m6_stop
		if wait_for 3 bash -c "tail -n +$((from + 1)) '$tmp/charon.log' | grep -q 'received DELETE for IKE_SA'"; then
			raw=$(swc --list-sas --raw 2>&1)
			grep -q "state=" <<<"$raw" && fail "case e: charon still holds an SA: $raw" ||
				ok "case e: SIGTERM: charon received DELETE for the IKE SA and holds nothing"
		else
			fail "case e: charon logged no DELETE after our SIGTERM"
		fi
	else
		fail "case e: no IKE SA with a CHILD_SA"
	fi
	case_reset
fi

# ---- f: NAT66 between the two -----------------------------------------------
if want f; then
	nsx "$NS_R" nft -f - <<EOF || fail "case f: nft"
table ip6 ikd_nat {
	chain post { type nat hook postrouting priority srcnat; oifname "r2" ip6 saddr fd6e:1::/64 masquerade; }
}
EOF
	swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 %any
	m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 true "nat-keepalive = 2;"
	m6_start
	if wait_for 15 m6_established; then
		# R3948-2.3, R7296-2.23: behind the NAT we keep its mapping open
		# with a 0xff octet to 4500 every nat-keepalive (2) seconds.
		ka0=$(ka_count) t0=$SECONDS
		sleep 9
		ka1=$(ka_count) dt=$((SECONDS - t0))
		kat=$(m6json status 'd["ike"]["keepalives_sent"]')
		if [ $((ka1 - ka0)) -ge $((dt / 2 - 1)) ] && [ $((ka1 - ka0)) -le $((dt / 2 + 1)) ] &&
		   [ "${kat:-0}" -ge $((ka1 - ka0)) ]; then
			ok "case f: $((ka1 - ka0)) NAT keepalives (1 octet 0xff, UDP 4500) on the wire in $dt s at nat-keepalive = 2 (daemon counts $kat)"
		else
			fail "case f: $((ka1 - ka0)) NAT keepalives on the wire in $dt s at nat-keepalive = 2 (daemon counts ${kat:-?})"
		fi
		nat=$(m6json ike '"%s %s %s" % (d[0]["nat_local"], d[0]["natt"], d[0]["local_port"])')
		[ "$nat" = "True True 4500" ] || fail "case f: mip6sec did not detect its NAT / float (nat_local natt port: $nat)"
		raw=$(swc --list-sas --raw 2>&1)
		grep -q "remote-host=$R2" <<<"$raw" || fail "case f: charon does not see the NAT's address $R2: $raw"
		grep -q "nat-remote=yes" <<<"$raw" || fail "case f: charon did not detect the NAT: $raw"
		check_both f AES_GCM_16 && ping_both f &&
			ok "case f: NAT66 detected by both, IKE and ESP on UDP 4500 through the NAT"
	else
		fail "case f: no IKE SA through the NAT: $(m6ctl ike 2>&1)"
	fi
	case_reset
	nsx "$NS_R" nft delete table ip6 ikd_nat
fi

# ---- i: the peer's NAT mapping changes ---------------------------------------
# R rewrites charon's UDP source port 4500 to a "NAT" port statelessly (and
# back), then moves it: mip6sec must follow an authenticated message to the
# new port (R7296-2.23) and move its ESP-in-UDP SAs with it.
map_port() { # PORT: charon's 4500 appears as PORT beyond R
	printf '%s\n' "table ip6 ikd_map" "flush table ip6 ikd_map" "table ip6 ikd_map {" \
		"chain post { type filter hook postrouting priority 0; oifname \"r1\" ip6 saddr $C_OUT udp sport 4500 udp sport set $1; }" \
		"chain pre { type filter hook prerouting priority 0; iifname \"r1\" ip6 daddr $C_OUT udp dport $1 udp dport set 4500; }" \
		"}" | nsx "$NS_R" nft -f -
}
m6_port_is() { [ "$(m6json ike 'd[0]["remote_port"]')" = "$1" ]; }
if want i; then
	map_port 31000 || fail "case i: nft"
	swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 $D_OUT 1s
	m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 false
	m6_start
	swc --initiate --child net --timeout 15 >"$tmp/initiate.i" 2>&1 || fail "case i: swanctl --initiate"
	if wait_for 5 m6_established && m6_port_is 31000 && ping_both i; then
		map_port 31001 || fail "case i: nft"
		# Our ESP to 31000 is lost now; charon's DPD (1 s) comes from 31001.
		if wait_for 10 m6_port_is 31001; then
			[ "$(m6json status 'd["ike"]["path_changes"]')" -ge 1 ] || fail "case i: path_changes not counted"
			out_port=$(m6json sas "[s.get('udp_port') for s in d if s.get('tunnel') == 'm6ike' and s['direction'] == 'out']")
			[ "$out_port" = "[31001]" ] || fail "case i: the outbound ESP-in-UDP SA is on $out_port, want [31001]"
			ping_both i-moved && ok "case i: NAT mapping change 31000 -> 31001 followed, CHILD_SA moved, ping works"
		else
			fail "case i: mip6sec did not follow the new mapping: $(m6ctl ike 2>&1)"
		fi
	else
		fail "case i: no IKE SA via port 31000: $(m6ctl ike 2>&1)"
	fi
	case_reset
	nsx "$NS_R" nft delete table ip6 ikd_map
fi

# ---- j: CHILD_SA rekey under traffic ------------------------------------------
# tcp_timed CASE: tcp_20mb, its duration in ms in $tcp_ms.
tcp_timed() {
	local t0=$(date +%s%N)
	tcp_20mb "$1"
	tcp_ms=$((($(date +%s%N) - t0) / 1000000))
}
swan_count() { grep -c "$1" "$tmp/charon.log"; }
m6_count() { grep -c "$1" "$tmp/m6/daemon.log"; }
# one_child: each side holds exactly one pair, and (if given) not SPI $1.
one_child() {
	local raw
	raw=$(swc --list-sas --raw 2>&1)
	[ "$(grep -o 'state=INSTALLED' <<<"$raw" | wc -l)" = 1 ] && ! grep -qE 'state=(REKEYED|REKEYING|DELETING)' <<<"$raw" &&
		[ "$(m6json ike 'sum(len(s["children"]) for s in d)')" = 1 ] &&
		[ "$(m6json sas 'sum(1 for s in d if s.get("tunnel")=="m6ike")')" = 2 ] &&
		{ [ -z "${1:-}" ] || ! grep -q "$1" <<<"$raw"; }
}
if want j; then
	swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16-ecp256 %any
	m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16-ecp256 true
	m6_start
	if wait_for 15 m6_established; then
		tcp_timed j-base
		base_ms=$tcp_ms
		first_in=$(m6json ike 'd[0]["children"][0]["spi_in"]')
		c0=$(swan_count "activating CHILD_REKEY task") m0=$(m6_count "(peer's rekey)")
		# charon rekeys the CHILD_SA three times while 20 MB flow.
		( for _ in 1 2 3; do sleep 0.7; swc --rekey --child net >/dev/null 2>&1; done ) &
		rk=$!
		tcp_timed j-charon
		wait $rk
		c1=$(swan_count "activating CHILD_REKEY task") m1=$(m6_count "(peer's rekey)")
		limit=$((2 * base_ms + 5000))
		[ "$tcp_ms" -le "$limit" ] || fail "case j: transfer under charon's rekeys took $tcp_ms ms (without: $base_ms ms)"
		[ $((c1 - c0)) -ge 1 ] && [ $((m1 - m0)) -ge 1 ] ||
			fail "case j: charon's rekeys not seen (charon started $((c1 - c0)), mip6sec installed $((m1 - m0)))"
		wait_for 5 one_child "$first_in" && check_both j-charon AES_GCM_16 &&
			ok "case j: charon rekeyed the CHILD_SA under 20 MB TCP ($tcp_ms ms, $base_ms ms without): we installed $((m1 - m0)) pairs of its rekeys (PFS), old SPIs gone both sides" ||
			fail "case j: after charon's rekeys the old pair is not gone: $(m6ctl ike 2>&1) $(swc --list-sas --raw 2>&1)"
	else
		fail "case j: no IKE SA with a CHILD_SA: $(m6ctl ike 2>&1)"
	fi
	case_reset
	# mip6sec rekeys by its own child-lifetime: 60 s, margin 48 s -> every 0-12 s.
	m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16-ecp256 true 'child-lifetime = 60; rekey-margin = 48;'
	m6_start
	if wait_for 15 m6_established; then
		first_in=$(m6json ike 'd[0]["children"][0]["spi_in"]')
		c0=$(swan_count "CHILD_SA net{[0-9]*} established") m0=$(m6_count "(our rekey)")
		# Our next rekey is at most 12 s away: transfers until one ran across it.
		t_end=$(($(date +%s) + 20)) try=0
		while [ "$(date +%s)" -lt "$t_end" ]; do
			try=$((try + 1))
			tcp_timed "j-ours-$try"
			[ "$(m6_count "(our rekey)")" -gt "$m0" ] && break
		done
		m1=$(m6_count "(our rekey)") c1=$(swan_count "CHILD_SA net{[0-9]*} established")
		[ "$tcp_ms" -le $((2 * ${base_ms:-5000} + 5000)) ] || fail "case j: transfer under our rekeys took $tcp_ms ms"
		if [ $((m1 - m0)) -ge 1 ] && [ $((c1 - c0)) -ge 1 ]; then
			wait_for 5 one_child "$first_in" &&
				ok "case j: mip6sec rekeyed the CHILD_SA $((m1 - m0)) times under TCP (charon installed $((c1 - c0))), old SPIs gone both sides" ||
				fail "case j: after our rekeys: $(m6ctl ike 2>&1) $(swc --list-sas --raw 2>&1)"
			ping_both j-ours
		else
			fail "case j: no rekey of ours seen (ours $((m1 - m0)), charon $((c1 - c0)))"
		fi
	else
		fail "case j: no IKE SA with a CHILD_SA: $(m6ctl ike 2>&1)"
	fi
	case_reset
fi

# ---- k: IKE SA rekey under traffic --------------------------------------------
# m6_up_initiating ESP-PROPOSAL [extra ike lines]: mip6sec initiates to
# charon with ecp256 IKE, true once the CHILD_SA is up.
m6_up_initiating() {
	swan_conf aes256gcm16-prfsha256-ecp256 "$1" %any
	m6_conf aes256gcm16-prfsha256-ecp256 "$1" true "${2:-}"
	m6_start
	wait_for 15 m6_established
}
if want k; then
	if m6_up_initiating aes256gcm16; then
		old_ike=$(m6json ike 'd[0]["spi_i"]') child=$(m6json ike 'd[0]["children"][0]["spi_in"]')
		( sleep 1; swc --rekey --ike m6 >/dev/null 2>&1; sleep 1; swc --rekey --ike m6 >/dev/null 2>&1 ) &
		rk=$!
		tcp_timed k
		wait $rk
		new_ike=$(m6json ike 'd[0]["spi_i"]')
		n=$(m6_count "(peer's rekey): now")
		if [ "$n" -ge 2 ] && [ "$new_ike" != "$old_ike" ] && wait_for 5 one_child &&
		   [ "$(m6json ike 'd[0]["children"][0]["spi_in"]')" = "$child" ] && [ "$(m6json ike 'len(d)')" = 1 ]; then
			check_both k AES_GCM_16 && ping_both k &&
				ok "case k: charon rekeyed the IKE SA $n times under TCP ($tcp_ms ms): new SPIs $new_ike shown, CHILD_SA $child kept"
		else
			fail "case k: IKE rekey: $n seen, spi_i $old_ike -> $new_ike: $(m6ctl ike 2>&1)"
		fi
	else
		fail "case k: no IKE SA with a CHILD_SA: $(m6ctl ike 2>&1)"
	fi
	case_reset
fi

# k also: mip6sec rekeys the IKE SA by its own ike-lifetime. 300 s is the
# least the config takes; margin 200 s puts our rekey 0-100 s after the SA
# came up (margin/2 of jitter). A ping runs all along; one TCP transfer after.
if want k; then
	if m6_up_initiating aes256gcm16 'ike-lifetime = 300; rekey-margin = 200;'; then
		old_ike=$(m6json ike 'd[0]["spi_i"]') child=$(m6json ike 'd[0]["children"][0]["spi_in"]')
		t0=$(date +%s)
		ip netns exec "$NS_A" timeout 110 ping -6 -i 0.2 -W 1 $HB >"$tmp/ping.k2" 2>&1 &
		pp=$!
		# sent = highest icmp_seq, lost = sent - replies (ping dies without its summary)
		ping_lost() { local n r; n=$(grep -oE 'icmp_seq=[0-9]+' "$tmp/ping.k2" | tail -1 | cut -d= -f2)
			r=$(grep -c 'bytes from' "$tmp/ping.k2"); echo "$((${n:-0} - r)) of ${n:-0}"; }
		if wait_for 105 grep -q "(our rekey): now" "$tmp/m6/daemon.log"; then
			dt=$(($(date +%s) - t0))
			sleep 1
			kill -TERM $pp 2>/dev/null; wait $pp
			loss=$(ping_lost)
			new_ike=$(m6json ike 'd[0]["spi_i"]')
			if [ "$new_ike" != "$old_ike" ] && wait_for 5 one_child && [ "$(m6json ike 'len(d)')" = 1 ] &&
			   [ "$(m6json ike 'd[0]["children"][0]["spi_in"]')" = "$child" ] && check_both k-ours AES_GCM_16; then
				# An IKE rekey touches no ESP SA: at most one echo in flight may go.
				[ "${loss%% *}" -le 1 ] && [ "${loss##* }" -ge 5 ] || fail "case k: ping across our IKE rekey: $loss lost"
				tcp_timed k-ours
				ok "case k: mip6sec rekeyed the IKE SA after $dt s ($old_ike -> $new_ike), CHILD_SA $child kept, ping lost $loss"
			else
				fail "case k: after our IKE rekey: $(m6ctl ike 2>&1)"
			fi
		else
			kill -TERM $pp 2>/dev/null; wait $pp
			fail "case k: mip6sec did not rekey its IKE SA within 105 s"
		fi
	else
		fail "case k: no IKE SA with a CHILD_SA: $(m6ctl ike 2>&1)"
	fi
	case_reset
fi

# ---- l, m: certificates ---------------------------------------------------------
pki_ok=0
if want l || want m; then
	. "$(dirname "$0")/ike-daemon-pki.sh"
	pki_ok=1
	for set in "rsa rsa2048 1" "ec p256 0" "evil p256 0" "big rsa4096 2"; do
		set -- $set
		case $1 in big) want m || continue ;; *) want l || continue ;; esac
		pki_chain "$pki" "$1" "$2" "$3" && pki_leaf "$pki" "$1" d "$2" "$D_ID" "DNS:$D_ID" &&
			pki_leaf "$pki" "$1" c "$2" "$C_ID" "DNS:$C_ID" || { fail "cases l/m: PKI $1 not made"; pki_ok=0; break; }
	done
fi
# cert_run CASE SET INITIATOR(m6|charon) [IDTYPE]: both sides certificates
# of SET, up with a CHILD_SA, ping.
cert_run() {
	local c=$1
	SW_SET=$2 M6_SET=$2 M6_IDTYPE=${4:-}
	SW_LID= SW_RID=
	[ "${4:-}" = asn1-dn ] && SW_LID="O=mip6sec test, CN=$C_ID" SW_RID="O=mip6sec test, CN=$D_ID"
	if [ "$3" = m6 ]; then
		swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 %any
		m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 true
		m6_start
	else
		swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 $D_OUT
		m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 false
		m6_start
		swc --initiate --child net --timeout 15 >"$tmp/initiate.$c" 2>&1
	fi
	unset SW_SET M6_SET M6_IDTYPE SW_LID SW_RID
	wait_for 15 m6_established || { fail "case $c: no IKE SA with a CHILD_SA: $(grep -iE 'auth|cert' "$tmp/m6/daemon.log" | tail -5)"; return 1; }
	grep -qE "AUTH method ours (1|9|10|14) peer's (1|9|10|14);" "$tmp/m6/daemon.log" ||
		{ fail "case $c: not signature AUTH both ways: $(grep 'AUTH method' "$tmp/m6/daemon.log")"; return 1; }
	check_both "$c" AES_GCM_16 && ping_both "$c"
}
if want l && [ $pki_ok = 1 ]; then
	for r in "l-rsa-ours rsa m6" "l-rsa-charon rsa charon asn1-dn" "l-ec-ours ec m6 asn1-dn" "l-ec-charon ec charon"; do
		set -- $r
		cert_run "$@" && ok "case $1: certificate AUTH ($2, ${4:-fqdn} identities, $3 initiating): $(grep -oE "AUTH method ours [0-9]+ peer's [0-9]+" "$tmp/m6/daemon.log" | head -1)"
		case_reset
	done
	# mip6sec trusts another root: it refuses charon's certificate.
	SW_SET=ec; swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 $D_OUT; unset SW_SET
	M6_SET=ec M6_CA=evil; m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 false; unset M6_SET M6_CA
	m6_start
	from=$(wc -l <"$tmp/charon.log")
	swc --initiate --child net --timeout 10 >"$tmp/initiate.l-ca" 2>&1 &&
		fail "case l: charon got an SA although mip6sec does not trust its CA"
	sleep 0.5
	if ! m6_established && grep -q "peer authentication failed" "$tmp/m6/daemon.log" &&
	   tail -n +$((from + 1)) "$tmp/charon.log" | grep -q "AUTHENTICATION_FAILED"; then
		ok "case l: a certificate from an unknown CA is refused by mip6sec (charon got AUTHENTICATION_FAILED)"
	else
		fail "case l: unknown CA at mip6sec not refused: $(tail -3 "$tmp/m6/daemon.log")"
	fi
	case_reset
	# charon trusts another root: it refuses ours.
	SW_SET=ec SW_CA=evil; swan_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 %any; unset SW_SET SW_CA
	M6_SET=ec; m6_conf aes256gcm16-prfsha256-ecp256 aes256gcm16 true; unset M6_SET
	from=$(wc -l <"$tmp/charon.log")
	m6_start
	if wait_for 10 grep -q "peer refused our authentication" "$tmp/m6/daemon.log" && ! m6_established; then
		ok "case l: charon refuses our certificate from a CA it does not trust ($(tail -n +$((from + 1)) "$tmp/charon.log" | grep -m1 -oE 'no trusted [A-Z]+ public key found|constraint check failed|certificate status is not available|no issuer certificate found' || echo "AUTHENTICATION_FAILED"))"
	else
		fail "case l: unknown CA at charon not refused: $(tail -3 "$tmp/m6/daemon.log")"
	fi
	case_reset
fi
if want m && [ $pki_ok = 1 ]; then
	for who in m6 charon; do
		from=$(wc -l <"$tmp/charon.log")
		if cert_run "m-$who" big "$who"; then
			fr=$(grep -oE "fragments sent [0-9]+, received [0-9]+" "$tmp/m6/daemon.log" | head -1)
			read -r sent recv <<<"$(sed -E 's/fragments sent ([0-9]+), received ([0-9]+)/\1 \2/' <<<"$fr")"
			log=$(tail -n +$((from + 1)) "$tmp/charon.log")
			if [ "${sent:-0}" -ge 2 ] && [ "${recv:-0}" -ge 2 ] && grep -q "splitting IKE message" <<<"$log" &&
			   grep -q "received fragment" <<<"$log"; then
				ok "case m-$who: RSA-4096 + 2 intermediates, IKE_AUTH fragmented both ways ($fr; charon split and reassembled)"
			else
				fail "case m-$who: no fragmentation both ways: '$fr' / $(grep -E 'splitting|fragment' <<<"$log" | head -3)"
			fi
		fi
		case_reset
	done
fi

if [ $fails -ne 0 ]; then
	echo "--- mip6sec log (tail)"; tail -40 "$tmp/m6/all.log" 2>/dev/null
	echo "--- charon log (tail)"; tail -40 "$tmp/charon.log"
	exit 1
fi
echo "all IKE daemon interop cases passed"
exit 0
