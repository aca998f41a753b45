#!/bin/bash
# shellcheck disable=SC2086,SC2015 # pid and word lists split on purpose; A && B || fail
# bench/throughput.sh: inner IPv6 throughput through each VPN, one after the
# other in the same namespaces and the same run, measured with iperf3:
#   plain       routed veth, no tunnel (the ceiling)
#   mip6sec     two daemons, `tunnels` section, manual AES-128-CBC +
#               HMAC-SHA-256-128 SAs, ESP tunnel mode (ENCAP=esp|udp)
#   strongswan  charon (kernel-libipsec: userspace ESP on a TUN), IKEv2 PSK,
#               ike aes128-sha256-modp2048, esp aes128-sha256 (cipher matched;
#               5.9 always UDP-encapsulates ESP on 4500 with kernel-libipsec)
#   wireguard   wireguard-go + wg (ChaCha20-Poly1305: WireGuard has no choice)
#   openvpn     static key, AES-128-CBC + HMAC-SHA256 (cipher matched)
# Tests: TCP 1 stream, TCP 4 streams, UDP 1400-byte and 100-byte datagrams at
# an unlimited send rate (received rate and loss are reported).
#
#   bench/throughput.sh            (root; bench/deps.sh installs the tools)
#
# Environment: DURATION (seconds per iperf3 run, default 10), VPNS (rows to
# run, default "plain mip6sec strongswan wireguard openvpn"), TESTS (default
# "tcp1 tcp4 udp1400 udp100"), ENCAP (mip6sec: esp or udp, default esp),
# OUT (JSON file, default ./bench-throughput.json), MIP6SEC (daemon binary;
# default: an optimised build in BUILD=$SRC/_build-release), KEEP=1 (keep
# the work directory with logs and captures).
#
# Topology (every name carries this run's id; addresses exist only inside
# these namespaces). Each VPN runs on the gateways A and B and carries
# fd6b:1::/64 <-> fd6b:2::/64; iperf3 runs on the client and the server.
#
#   client C            gateway A                gateway B            server S
#   fd6b:1::2 c0 --- ca fd6b:1::1                fd6b:2::1 bs --- s0 fd6b:2::2
#                       fd6b:ff::1 ab ========= ba fd6b:ff::2
#                            outer link (MTU 9000: no VPN fragments)
#
# Inner links have MTU 1500 and each tunnel device is set to MTU 1500, so all
# rows carry the same inner packets (TCP segments of 1428 bytes payload).
# Before measuring, each row must carry a ping from C to S, and a capture on
# the outer link must show it encrypted (ESP or the VPN's UDP port, and no
# plaintext echo request), or the row is reported unavailable.
set -eu
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-10}
VPNS=${VPNS:-plain mip6sec strongswan wireguard openvpn}
TESTS=${TESTS:-tcp1 tcp4 udp1400 udp100}
ENCAP=${ENCAP:-esp}
OUT=${OUT:-$PWD/bench-throughput.json}

[ "$(id -u)" = 0 ] || bench_die "must run as root (network namespaces)"
for t in ip iperf3 tcpdump python3; do
	command -v "$t" >/dev/null || bench_die "$t missing: run bench/deps.sh"
done

id=$(($$ % 100000))
NS_C=m6b$id-c NS_A=m6b$id-a NS_B=m6b$id-b NS_S=m6b$id-s
P1=fd6b:1:: P2=fd6b:2:: PO=fd6b:ff::
C_IN=${P1}2 A_IN=${P1}1 B_IN=${P2}1 S_IN=${P2}2 A_OUT=${PO}1 B_OUT=${PO}2
WORK=$(mktemp -d /tmp/m6bench.XXXXXX)
RES=$WORK/results
mkdir -p "$RES"
PIDS=""      # every process we started, killed by pid on the way out
VPN_PIDS=""  # the current row's tunnel processes (their CPU time is measured)

cleanup() {
	set +e
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for ns in $NS_C $NS_A $NS_B $NS_S; do ip netns del "$ns" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then bench_log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# spawn NS LOG CMD...: start CMD in NS in the background, remember its pid.
spawn() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	PIDS="$PIDS $!"
	LAST_PID=$!
}

stop_pids() {
	local p
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	for p in "$@"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
wait_for() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

topology() {
	local ns l
	for ns in $NS_C $NS_A $NS_B $NS_S; do
		ip netns add "$ns"
		nsx "$ns" ip link set lo up
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	done
	for ns in $NS_A $NS_B; do nsx "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1; done
	ip -n "$NS_C" link add c0 type veth peer name ca netns "$NS_A"
	ip -n "$NS_A" link add ab mtu 9000 type veth peer name ba mtu 9000 netns "$NS_B"
	ip -n "$NS_B" link add bs type veth peer name s0 netns "$NS_S"
	ip -n "$NS_C" addr add "$C_IN/64" dev c0 nodad
	ip -n "$NS_A" addr add "$A_IN/64" dev ca nodad
	ip -n "$NS_A" addr add "$A_OUT/64" dev ab nodad
	ip -n "$NS_B" addr add "$B_OUT/64" dev ba nodad
	ip -n "$NS_B" addr add "$B_IN/64" dev bs nodad
	ip -n "$NS_S" addr add "$S_IN/64" dev s0 nodad
	for l in "$NS_C c0" "$NS_A ca" "$NS_A ab" "$NS_B ba" "$NS_B bs" "$NS_S s0"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$NS_C" -6 route add default via "$A_IN"
	ip -n "$NS_S" -6 route add default via "$B_IN"
}

# Route the inner prefixes through DEV_A on A and DEV_B on B (MTU 1500).
route_via() {
	ip -n "$NS_A" link set "$1" mtu 1500 up
	ip -n "$NS_B" link set "$2" mtu 1500 up
	ip -n "$NS_A" -6 route replace "${P2}/64" dev "$1"
	ip -n "$NS_B" -6 route replace "${P1}/64" dev "$2"
}

unroute() {
	ip -n "$NS_A" -6 route del "${P2}/64" 2>/dev/null || true
	ip -n "$NS_B" -6 route del "${P1}/64" 2>/dev/null || true
}

hexkey() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# ---- plain: routed veth ----------------------------------------------------
plain_up() {
	ip -n "$NS_A" -6 route replace "${P2}/64" via "$B_OUT"
	ip -n "$NS_B" -6 route replace "${P1}/64" via "$A_OUT"
	OUTER_FILTER="icmp6 and ip6[40] == 128"
}
plain_down() { unroute; }

# ---- mip6sec: two daemons, manual SAs ----------------------------------------
mip6sec_conf() { # NAME LOCAL REMOTE LPFX RPFX OUT-SPI IN-SPI
	cat <<EOF
global = { log-level = "notice"; log-target = "stderr";
  control-socket = "$WORK/$1.sock"; state-dir = "$WORK/$1-state"; };
ipsec = { manual-sa = (
  { name = "out"; spi = $6; direction = "out"; source = "$2"; destination = "$3";
    mode = "tunnel"; traffic = "any"; encryption = "aes-cbc"; encryption-key-file = "$WORK/k$6.enc";
    integrity = "hmac-sha256-128"; integrity-key-file = "$WORK/k$6.auth"; },
  { name = "in"; spi = $7; direction = "in"; source = "$3"; destination = "$2";
    mode = "tunnel"; traffic = "any"; encryption = "aes-cbc"; encryption-key-file = "$WORK/k$7.enc";
    integrity = "hmac-sha256-128"; integrity-key-file = "$WORK/k$7.auth"; } ); };
tunnels = ( { name = "$1"; local = "$2"; remote = "$3"; local-prefixes = [ "$4/64" ];
  remote-prefixes = [ "$5/64" ]; manual-sas = [ "out", "in" ]; encapsulation = "$ENCAP"; } );
EOF
}

mip6sec_up() {
	local bin=${MIP6SEC:-} b spi
	if [ -z "$bin" ]; then
		b=$(bench_build "${BUILD:-$BENCH_SRC/_build-release}") || { echo "build failed"; return 1; }
		bin=$b/mip6sec
	fi
	for spi in 0x6b01 0x6b02; do
		(umask 077 && hexkey 16 >"$WORK/k$spi.enc" && hexkey 32 >"$WORK/k$spi.auth")
	done
	mkdir -p "$WORK/m6ta-state" "$WORK/m6tb-state"
	mip6sec_conf m6ta "$A_OUT" "$B_OUT" "$P1" "$P2" 0x6b01 0x6b02 >"$WORK/m6ta.conf"
	mip6sec_conf m6tb "$B_OUT" "$A_OUT" "$P2" "$P1" 0x6b02 0x6b01 >"$WORK/m6tb.conf"
	"$bin" check-config "$WORK/m6ta.conf" >/dev/null || { echo "config rejected"; return 1; }
	spawn "$NS_A" "$WORK/mip6sec-a.log" "$bin" daemon -f -c "$WORK/m6ta.conf"
	VPN_PIDS="$LAST_PID"
	spawn "$NS_B" "$WORK/mip6sec-b.log" "$bin" daemon -f -c "$WORK/m6tb.conf"
	VPN_PIDS="$VPN_PIDS $LAST_PID"
	wait_for 5 ip -n "$NS_A" link show m6ta && wait_for 5 ip -n "$NS_B" link show m6tb ||
		{ echo "no TUN device m6ta/m6tb after 5 s"; return 1; }
	route_via m6ta m6tb
	if [ "$ENCAP" = udp ]; then OUTER_FILTER="udp port 4500"; else OUTER_FILTER="ip6 proto 50"; fi
}
mip6sec_down() { stop_pids $VPN_PIDS; unroute; }

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
		# The TUN's MTU: ipsec0 reads packets up to this size.
		kernel-libipsec { mtu = 1500 }
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
			--tun-mtu 1500 --mssfix 0 --verb 3
		VPN_PIDS="$VPN_PIDS $LAST_PID"
	done
	wait_for 10 grep -q "Initialization Sequence Completed" "$WORK/ova$id.log" &&
		wait_for 10 grep -q "Initialization Sequence Completed" "$WORK/ovb$id.log" ||
		{ echo "openvpn did not come up (see ova$id.log)"; return 1; }
	OUTER_FILTER="udp port 1194"
}
openvpn_down() { stop_pids $VPN_PIDS; }

# ---- checks and measurement -------------------------------------------------

# verify ROW: C pings S while A captures the outer link. A VPN row must show
# its encrypted packets (OUTER_FILTER) and no plaintext echo request; the plain
# row must show the plaintext echo requests (which proves the check can see them).
verify() {
	local cap=$WORK/$1.pcap tpid plain enc
	wait_for 10 nsx "$NS_C" ping -6 -c 1 -W 1 "$S_IN" || { echo "no ping through"; return 1; }
	spawn "$NS_A" "$WORK/$1.tcpdump" tcpdump -i ab -nn -U --immediate-mode -w "$cap"
	tpid=$LAST_PID
	wait_for 5 grep -q listening "$WORK/$1.tcpdump"
	nsx "$NS_C" ping -6 -c 5 -i 0.1 -W 1 "$S_IN" >/dev/null
	sleep 0.5
	stop_pids "$tpid"
	plain=$(tcpdump -r "$cap" -nn "icmp6 and ip6[40] == 128" 2>/dev/null | wc -l)
	enc=$(tcpdump -r "$cap" -nn "$OUTER_FILTER" 2>/dev/null | wc -l)
	echo "outer capture: $enc packets matching '$OUTER_FILTER', $plain plaintext echo requests" >"$RES/$1.verify"
	if [ "$1" = plain ]; then
		[ "$plain" -ge 5 ] || { echo "capture saw no plaintext pings"; return 1; }
	else
		[ "$plain" -eq 0 ] || { echo "plaintext echo requests on the outer link"; return 1; }
		[ "$enc" -ge 5 ] || { echo "no encrypted packets on the outer link"; return 1; }
	fi
}

cpu_ticks() { # sum of utime+stime of the given pids, in clock ticks
	local t=0 p s
	for p in "$@"; do
		s=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
		t=$((t + ${s% *} + ${s#* }))
	done
	echo "$t"
}

measure() { # ROW TEST
	local args c0 c1
	case $2 in
	tcp1) args="-P 1" ;;
	tcp4) args="-P 4" ;;
	udp1400) args="-u -b 0 -l 1400" ;;
	udp100) args="-u -b 0 -l 100" ;;
	*) bench_die "unknown test $2" ;;
	esac
	c0=$(cpu_ticks $VPN_PIDS)
	# shellcheck disable=SC2086 # args are words
	timeout $((DURATION + 30)) ip netns exec "$NS_C" iperf3 -6 -c "$S_IN" -t "$DURATION" -J \
		--connect-timeout 3000 $args >"$RES/$1.$2.json" 2>"$RES/$1.$2.err" || true
	c1=$(cpu_ticks $VPN_PIDS)
	echo "$((c1 - c0)) $(getconf CLK_TCK)" >"$RES/$1.$2.cpu"
}

run_row() { # ROW
	local row=$1 why t
	VPN_PIDS=""
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
	bench_log "$row: $(cat "$RES/$row.verify")"
	for t in $TESTS; do
		bench_log "$row: $t (${DURATION}s)"
		measure "$row" "$t"
	done
	"${row}_down" >/dev/null 2>&1 || true
}

topology
spawn "$NS_S" "$WORK/iperf3-server.log" iperf3 -6 -s -B "$S_IN"
wait_for 5 nsx "$NS_S" sh -c "ss -ltn | grep -q ':5201'" || bench_die "iperf3 server did not start"
for row in $VPNS; do
	case $row in
	plain | mip6sec | strongswan | wireguard | openvpn) run_row "$row" ;;
	*) bench_die "unknown row $row" ;;
	esac
done
python3 "$BENCH_SRC/bench/throughput_report.py" --duration "$DURATION" --encap "$ENCAP" \
	--rows "$VPNS" --tests "$TESTS" "$RES" "$OUT"
