#!/bin/bash
# shellcheck disable=SC2086,SC2015 # pid and word lists split on purpose; A && B || fail
# bench/throughput.sh: inner IPv6 throughput through each VPN, one after the
# other in the same namespaces and the same run, measured with iperf3:
#   plain       routed veth, no tunnel (the ceiling)
#   mip6sec     two daemons, `tunnels` section, manual AES-128-CBC +
#               HMAC-SHA-256-128 SAs, ESP tunnel mode (IP protocol 50)
#   mip6sec_udp the same with encapsulation = "udp" (RFC 3948, port 4500),
#               as strongSwan's row is
#   strongswan  charon (kernel-libipsec: userspace ESP on a TUN), IKEv2 PSK,
#               ike aes128-sha256-modp2048, esp aes128-sha256 (cipher matched;
#               5.9 always UDP-encapsulates ESP on 4500 with kernel-libipsec)
#   wireguard   wireguard-go + wg (ChaCha20-Poly1305: WireGuard has no choice)
#   openvpn     static key, AES-128-CBC + HMAC-SHA256 (cipher matched)
# Tests: TCP 1 stream, TCP 4 streams, UDP with 1400-byte packets (1352-byte
# datagrams: the tunnel MTU, so nothing fragments) and with 100-byte
# datagrams, at an unlimited send rate (received rate and loss are reported).
#
#   bench/throughput.sh            (root; bench/deps.sh installs the tools)
#
# Environment: DURATION (seconds per iperf3 run, default 10), VPNS (rows to
# run, default "plain mip6sec mip6sec_udp strongswan wireguard openvpn"), TESTS (default
# "tcp1 tcp4 udp1400 udp100"),
# OUT (JSON file, default /tmp/mip6sec-throughput.json), MIP6SEC (daemon binary;
# default: an optimised build in BUILD=$SRC/_build-release), KEEP=1 (keep
# the work directory with logs and captures).
#
# Topology and mip6sec's configuration: bench/netns.sh. Each VPN runs on the
# gateways A and B, carrying fd6b:1::/64 <-> fd6b:2::/64 with tunnel MTU 1400
# over an outer veth of MTU 9000; iperf3 runs on the client and the server.
# Before measuring, each row must carry a ping from C to S, and a capture on
# the outer link must show it encrypted (ESP or the VPN's UDP port, and no
# plaintext echo request), or the row is reported unavailable.
set -eu
# shellcheck source=bench/netns.sh
. "$(dirname "$0")/netns.sh"

DURATION=${DURATION:-10}
VPNS=${VPNS:-plain mip6sec mip6sec_udp strongswan wireguard openvpn}
TESTS=${TESTS:-tcp1 tcp4 udp1400 udp100}
ENCAP=esp
OUT=${OUT:-${TMPDIR:-/tmp}/mip6sec-throughput.json}
command -v python3 >/dev/null || bench_die "python3 missing"
netns_init
RES=$WORK/results
mkdir -p "$RES"

# ---- plain: routed veth ----------------------------------------------------
plain_up() {
	ip -n "$NS_A" -6 route replace "${P2}/64" via "$B_OUT"
	ip -n "$NS_B" -6 route replace "${P1}/64" via "$A_OUT"
	OUTER_FILTER="icmp6 and ip6[40] == 128"
}
plain_down() { unroute; }

mip6sec_udp_up() { ENCAP=udp mip6sec_up; }
mip6sec_udp_down() { mip6sec_down; }

# ---- strongSwan: charon with kernel-libipsec in each gateway ----------------
# Two charons on one machine: each gets its own strongswan.conf (through
# STRONGSWAN_CONF), its own vici socket and its own TUN name; charon-systemd
# writes no pid file, so nothing else is shared. Plugins are listed
# explicitly (load_modular = no) so the system's plugin set does not matter.
swan_conf() { # NAME
	local d=$WORK/$1
	mkdir -p "$d"
	cat >"$d/strongswan.conf" <<EOF
charon-systemd {
	load_modular = no
	load = random nonce openssl kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
	filelog { log { path = $d/charon.log
		default = 1
		ike = 1 } }
	journal { default = -1 }
	install_virtual_ip = no
	plugins {
		vici { socket = unix://$d/vici }
	}
}
EOF
}

swan_swanctl() { # NAME LOCAL REMOTE LPFX RPFX LID RID
	cat >"$WORK/$1/swanctl.conf" <<EOF
connections { bench {
	version = 2
	local_addrs = $2
	remote_addrs = $3
	proposals = aes128-sha256-modp2048
	local { auth = psk
		id = $6 }
	remote { auth = psk
		id = $7 }
	children { net {
		local_ts = $4/64
		remote_ts = $5/64
		mode = tunnel
		esp_proposals = aes128-sha256
	} }
} }
secrets { ike-bench {
	id-a = a.bench
	id-b = b.bench
	secret = 0x$PSK
} }
EOF
}

swanctl_ns() { # NS NAME ARGS...
	local ns=$1 n=$2
	shift 2
	nsx "$ns" swanctl "$@" --uri "unix://$WORK/$n/vici"
}

strongswan_up() {
	command -v charon-systemd >/dev/null && command -v swanctl >/dev/null || { echo "charon-systemd/swanctl missing"; return 1; }
	PSK=$(hexkey 32)
	swan_conf swa && swan_conf swb
	swan_swanctl swa "$A_OUT" "$B_OUT" "$P1" "$P2" a.bench b.bench
	swan_swanctl swb "$B_OUT" "$A_OUT" "$P2" "$P1" b.bench a.bench
	spawn "$NS_A" "$WORK/swa/stdout" env STRONGSWAN_CONF="$WORK/swa/strongswan.conf" charon-systemd
	VPN_PIDS="$LAST_PID"
	spawn "$NS_B" "$WORK/swb/stdout" env STRONGSWAN_CONF="$WORK/swb/strongswan.conf" charon-systemd
	VPN_PIDS="$VPN_PIDS $LAST_PID"
	local n
	for n in "$NS_A swa" "$NS_B swb"; do
		set -- $n
		wait_for 10 swanctl_ns "$1" "$2" --stats || { echo "charon $2: no vici socket"; return 1; }
		swanctl_ns "$1" "$2" --load-all --file "$WORK/$2/swanctl.conf" >>"$WORK/$2/swanctl.log" 2>&1 ||
			{ echo "swanctl --load-all failed ($2)"; return 1; }
	done
	swanctl_ns "$NS_A" swa --initiate --child net --timeout 10 >>"$WORK/swa/swanctl.log" 2>&1 ||
		{ echo "IKE_SA not established (see charon.log)"; return 1; }
	# kernel-libipsec routes the remote TS through ipsec0 in table 220.
	wait_for 5 ip -n "$NS_A" link show ipsec0 || { echo "no ipsec0"; return 1; }
	TUN_A=ipsec0 TUN_B=ipsec0
	OUTER_FILTER="udp port 4500"
}
strongswan_down() { stop_pids $VPN_PIDS; }

# ---- wireguard-go -------------------------------------------------------------
# The UAPI sockets live in /var/run/wireguard/NAME.sock, shared by all
# namespaces: the device names carry the run id.
wireguard_up() {
	command -v wireguard-go >/dev/null && command -v wg >/dev/null || { echo "wireguard-go/wg missing"; return 1; }
	local WG_A=wga$id WG_B=wgb$id d
	(umask 077 && wg genkey >"$WORK/wga.key" && wg genkey >"$WORK/wgb.key")
	for d in "$NS_A $WG_A" "$NS_B $WG_B"; do
		set -- $d
		spawn "$1" "$WORK/$2.log" env WG_PROCESS_FOREGROUND=1 \
			WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go -f "$2"
		VPN_PIDS="$VPN_PIDS $LAST_PID"
		wait_for 5 test -S "/var/run/wireguard/$2.sock" || { echo "wireguard-go $2 did not start"; return 1; }
	done
	nsx "$NS_A" wg set "$WG_A" private-key "$WORK/wga.key" listen-port 51820 \
		peer "$(wg pubkey <"$WORK/wgb.key")" endpoint "[$B_OUT]:51820" allowed-ips "${P2}/64"
	nsx "$NS_B" wg set "$WG_B" private-key "$WORK/wgb.key" listen-port 51820 \
		peer "$(wg pubkey <"$WORK/wga.key")" endpoint "[$A_OUT]:51820" allowed-ips "${P1}/64"
	route_via "$WG_A" "$WG_B"
	OUTER_FILTER="udp port 51820"
}
wireguard_down() { stop_pids $VPN_PIDS; unroute; }

# ---- OpenVPN: static key, cipher matched to mip6sec's -------------------------
openvpn_up() {
	command -v openvpn >/dev/null || { echo "openvpn missing"; return 1; }
	local d
	(umask 077 && openvpn --genkey secret "$WORK/ovpn.key") >/dev/null 2>&1 || { echo "openvpn --genkey failed"; return 1; }
	for d in "$NS_A ova$id $A_OUT $B_OUT fd6b:f0::1 fd6b:f0::2 0 $P2" \
		"$NS_B ovb$id $B_OUT $A_OUT fd6b:f0::2 fd6b:f0::1 1 $P1"; do
		set -- $d
		spawn "$1" "$WORK/$2.log" openvpn --dev "$2" --dev-type tun --proto udp6 \
			--local "$3" --remote "$4" --port 1194 --secret "$WORK/ovpn.key" "$7" \
			--cipher AES-128-CBC --auth SHA256 --ifconfig-ipv6 "$5/64" "$6" --route-ipv6 "$8/64" \
			--tun-mtu "$INNER_MTU" --mssfix 0 --verb 3
		VPN_PIDS="$VPN_PIDS $LAST_PID"
	done
	wait_for 10 grep -q "Initialization Sequence Completed" "$WORK/ova$id.log" &&
		wait_for 10 grep -q "Initialization Sequence Completed" "$WORK/ovb$id.log" ||
		{ echo "openvpn did not come up (see ova$id.log)"; return 1; }
	TUN_A=ova$id TUN_B=ovb$id
	OUTER_FILTER="udp port 1194"
}
openvpn_down() { stop_pids $VPN_PIDS; }

# ---- checks and measurement -------------------------------------------------
cpu_ticks() { # sum of utime+stime of the given pids, in clock ticks
	local t=0 p s
	for p in "$@"; do
		s=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
		t=$((t + ${s% *} + ${s#* }))
	done
	echo "$t"
}

measure() { # ROW TEST
	local args c0 c1 mtu
	case $2 in
	tcp1) args="-P 1" ;;
	tcp4) args="-P 4" ;;
	udp1400) args="-u -b 0 -l $((INNER_MTU - 48))" ;; # full-size packets, no fragments
	udp100) args="-u -b 0 -l 100" ;;
	*) bench_die "unknown test $2" ;;
	esac
	c0=$(cpu_ticks $VPN_PIDS)
	# shellcheck disable=SC2086 # args are words
	timeout $((DURATION + 30)) ip netns exec "$NS_C" iperf3 -6 -c "$S_IN" -t "$DURATION" -J \
		--connect-timeout 3000 $args >"$RES/$1.$2.json" 2>"$RES/$1.$2.err" || true
	c1=$(cpu_ticks $VPN_PIDS)
	echo "$((c1 - c0)) $(getconf CLK_TCK)" >"$RES/$1.$2.cpu"
	# Same inner packets for every row: a tunnel device whose MTU moved
	# (a daemon resizing it) voids the run.
	mtu=$(tun_mtu)
	case $mtu in "" | "$INNER_MTU $INNER_MTU") ;; *) echo "$mtu" >"$RES/$1.$2.mtu" ;; esac
}

run_row() { # ROW
	local row=$1 why t
	VPN_PIDS="" TUN_A="" TUN_B=""
	OUTER_FILTER=""
	bench_log "$row: bringing up"
	# Not in a subshell: spawn must record the pids here.
	if ! "${row}_up" >"$WORK/$row.up" 2>&1 || ! verify "$row" >"$WORK/$row.up" 2>&1; then
		why=$(tail -n 1 "$WORK/$row.up")
		echo "${why:-failed}" >"$RES/$row.unavailable"
		bench_log "$row: unavailable: ${why:-failed}"
		"${row}_down" >/dev/null 2>&1 || true
		return 0
	fi
	cp "$WORK/$row.verify" "$RES/$row.verify"
	bench_log "$row: $(cat "$RES/$row.verify")"
	for t in $TESTS; do
		bench_log "$row: $t (${DURATION}s)"
		measure "$row" "$t"
	done
	"${row}_down" >/dev/null 2>&1 || true
}

topology
iperf_server 5201
for row in $VPNS; do
	case $row in
	plain | mip6sec | mip6sec_udp | strongswan | wireguard | openvpn) run_row "$row" ;;
	*) bench_die "unknown row $row" ;;
	esac
done
python3 "$BENCH_SRC/bench/throughput_report.py" --duration "$DURATION" \
	--rows "$VPNS" --tests "$TESTS" "$RES" "$OUT"
