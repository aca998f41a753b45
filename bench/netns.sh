# shellcheck shell=bash
# shellcheck disable=SC2086,SC2015 # pid and word lists split on purpose; A && B || fail
# bench/netns.sh: the namespaces, process bookkeeping and mip6sec tunnel that
# bench/throughput.sh and bench/soak.sh share (sourced by bash, not run).
#
# Topology (every name carries this run's id; addresses exist only inside
# these namespaces). A tunnel runs on the gateways A and B and carries
# fd6b:1::/64 <-> fd6b:2::/64; traffic runs between the client and the server.
#
#   client C            gateway A                gateway B            server S
#   fd6b:1::2 c0 --- ca fd6b:1::1                fd6b:2::1 bs --- s0 fd6b:2::2
#                       fd6b:ff::1 ab ========= ba fd6b:ff::2
#                            outer link (MTU 9000: no VPN fragments)
#
# Every inner link and tunnel device has MTU INNER_MTU = 1400, so all rows
# carry the same inner packets (TCP segments of 1328 bytes payload). 1400 is
# what strongSwan 5.9's kernel-libipsec gives ipsec0 and cannot change (it
# reads packets into buffers of that size: a larger MTU stalls TCP).
# Callers: `netns_init` first (makes the work directory, installs the exit
# trap), then `topology`.
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

netns_init() {
	[ "$(id -u)" = 0 ] || bench_die "must run as root (network namespaces)"
	for t in ip iperf3 tcpdump; do
		command -v "$t" >/dev/null || bench_die "$t missing: run bench/deps.sh"
	done
	WORK=$(mktemp -d /tmp/m6bench.XXXXXX)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}

id=$(($$ % 100000))
NS_C=m6b$id-c NS_A=m6b$id-a NS_B=m6b$id-b NS_S=m6b$id-s
INNER_MTU=1400
P1=fd6b:1:: P2=fd6b:2:: PO=fd6b:ff::
C_IN=${P1}2 A_IN=${P1}1 B_IN=${P2}1 S_IN=${P2}2 A_OUT=${PO}1 B_OUT=${PO}2
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
	ip -n "$NS_C" link add c0 mtu "$INNER_MTU" type veth peer name ca mtu "$INNER_MTU" netns "$NS_A"
	ip -n "$NS_A" link add ab mtu 9000 type veth peer name ba mtu 9000 netns "$NS_B"
	ip -n "$NS_B" link add bs mtu "$INNER_MTU" type veth peer name s0 mtu "$INNER_MTU" netns "$NS_S"
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

# route_via DEV_A DEV_B: route the inner prefixes through DEV_A on A and
# DEV_B on B, both at INNER_MTU (mip6sec sizes its TUN for the outer MTU).
# Also remembers the pair in TUN_A/TUN_B for tun_mtu.
route_via() {
	TUN_A=$1 TUN_B=$2
	ip -n "$NS_A" link set "$1" mtu "$INNER_MTU" up
	ip -n "$NS_B" link set "$2" mtu "$INNER_MTU" up
	ip -n "$NS_A" -6 route replace "${P2}/64" dev "$1"
	ip -n "$NS_B" -6 route replace "${P1}/64" dev "$2"
}

unroute() {
	ip -n "$NS_A" -6 route del "${P2}/64" 2>/dev/null || true
	ip -n "$NS_B" -6 route del "${P1}/64" 2>/dev/null || true
}

hexkey() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

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
	echo "outer capture: $enc packets matching '$OUTER_FILTER', $plain plaintext echo requests" >"$WORK/$1.verify"
	if [ "$1" = plain ]; then
		[ "$plain" -ge 5 ] || { echo "capture saw no plaintext pings"; return 1; }
	else
		[ "$plain" -eq 0 ] || { echo "plaintext echo requests on the outer link"; return 1; }
		[ "$enc" -ge 5 ] || { echo "no encrypted packets on the outer link"; return 1; }
	fi
}

# iperf_server PORT: an iperf3 server on S's inner address.
iperf_server() {
	spawn "$NS_S" "$WORK/iperf3-server-$1.log" iperf3 -6 -s -B "$S_IN" -p "$1"
	wait_for 5 nsx "$NS_S" sh -c "ss -ltn | grep -q ':$1 '" || bench_die "iperf3 server on port $1 did not start"
}

# tun_mtu: the MTUs of the current tunnel devices, "A B" (empty: no devices).
tun_mtu() {
	[ -n "${TUN_A:-}" ] || return 0
	echo "$(nsx "$NS_A" cat "/sys/class/net/$TUN_A/mtu") $(nsx "$NS_B" cat "/sys/class/net/$TUN_B/mtu")"
}
