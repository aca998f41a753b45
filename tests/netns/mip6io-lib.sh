# Shared by tests/netns/mip6io-*.sh (sourced, not run): two namespaces on a
# veth pair, and tests/netns/mip6io_probe sending and receiving Mobile IPv6
# packets through io/mip6sock (IPPROTO_RAW out, raw sockets for Next Header
# 60 / 43 / 135 / 58 in) with io/nft silencing the kernel's Parameter Problems.
#
#   netns m6ioA-$$ (mobile node)              netns m6ioB-$$ (home agent)
#  +-----------------------------+          +-----------------------------+
#  | va  2001:db8:10::a/64 (CoA) |==========| vb  2001:db8:10::b/64       |
#  +-----------------------------+   veth   +-----------------------------+
#  home addresses 2001:db8:99::1 (MN, in the HAO) and 2001:db8:99::b (in
#  the RH2) exist only inside the packets; tshark captures on vb in B.
#
# Only the addresses above, inside namespaces this test creates, are used.
set -u
fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f" | tail -20
	done
	exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "not root"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"
command -v nft >/dev/null 2>&1 || skip "no nft(8)"
: "${top_builddir:?top_builddir must name the build tree}"
PROBE=$top_builddir/tests/netns/mip6io_probe
[ -x "$PROBE" ] || skip "no $PROBE (make check builds it)"
TSHARK=${TSHARK:-tshark}
command -v "$TSHARK" >/dev/null 2>&1 || TSHARK=

nA=m6ioA-$$ nB=m6ioB-$$
A=2001:db8:10::a B=2001:db8:10::b HOA=2001:db8:99::1 HOB=2001:db8:99::b
tmp=$(mktemp -d /tmp/m6io.XXXXXX)
bg_pids=

ml_cleanup() {
	# TERM: the probe removes its table, timeout(1) passes it to tshark.
	for p in $bg_pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$nA" 2>/dev/null
	ip netns del "$nB" 2>/dev/null
	rm -rf "$tmp"
}
trap ml_cleanup EXIT
trap 'exit 1' INT TERM HUP

inA() { timeout 20 ip netns exec "$nA" "$@"; }
inB() { timeout 20 ip netns exec "$nB" "$@"; }

ml_setup() {
	ip netns add "$nA" && ip netns add "$nB" || fail "cannot create namespaces"
	ip link add va netns "$nA" type veth peer name vb netns "$nB" || fail "veth"
	inA ip addr add $A/64 dev va nodad
	inB ip addr add $B/64 dev vb nodad
	inA ip link set lo up
	inB ip link set lo up
	inA ip link set va up
	inB ip link set vb up
	# The veth must carry traffic before the first packet.
	for _ in $(seq 50); do
		inA ping -c1 -W1 $B >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "no connectivity A -> B"
}

# ml_capture NAME: tshark on vb in B into $tmp/NAME.pcap (until ml_capture_stop).
ml_capture() {
	cap_file=$tmp/$1.pcap
	ip netns exec "$nB" timeout 40 "$TSHARK" -q -i vb -w "$cap_file" >"$tmp/tshark.err" 2>&1 &
	cap_pid=$!
	bg_pids="$bg_pids $cap_pid"
	for _ in $(seq 100); do
		grep -q "Capturing on" "$tmp/tshark.err" 2>/dev/null && [ -s "$cap_file" ] && return 0
		sleep 0.1
	done
	fail "tshark did not start"
}
ml_capture_stop() {
	sleep 0.5 # let the kernel's answers reach the capture
	kill "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
}
# ml_tshark ARGS...: read the last capture.
ml_tshark() { "$TSHARK" -r "$cap_file" "$@" 2>/dev/null; }
# Parameter Problems B sent.
ml_pp_count() { ml_tshark -Y "icmpv6.type == 4 && ipv6.src == $B" | wc -l; }

# ml_recv NAME KIND COUNT SECONDS [ARGS]: the probe receiving in B, in the
# background, output in $tmp/NAME.out; returns once its sockets are open.
# No timeout(1) wrapper: $recv_pid is the probe itself (kill -9 reaches it)
# and SECONDS bounds it.
ml_recv() { ml_recv_in "$nB" "$@"; }
# ml_recv_in NETNS NAME KIND COUNT SECONDS [ARGS]: the same in NETNS.
ml_recv_in() {
	ns=$1 name=$2
	shift 2
	ip netns exec "$ns" "$PROBE" recv "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	recv_pid=$!
	bg_pids="$bg_pids $recv_pid"
	for _ in $(seq 100); do
		grep -q '^ready$' "$tmp/$name.out" 2>/dev/null && return 0
		kill -0 "$recv_pid" 2>/dev/null || fail "probe recv $* exited"
		sleep 0.1
	done
	fail "probe recv $* not ready"
}
# ml_recv_wait: wait for the receiver; fails unless it got its packets.
ml_recv_wait() {
	wait "$recv_pid" || fail "probe recv exited $?"
}

# ml_send SHAPE HOME [COUNT]: the probe in A sends A -> B.
ml_send() {
	inA "$PROBE" send "$1" $A $B "$2" "${3:-1}" || fail "probe send $1"
}

# ml_expect NAME PATTERN: a received line matches PATTERN (grep -E).
ml_expect() {
	grep -Eq -- "$2" "$tmp/$1.out" || fail "$1: no line matching '$2'"
}
