# Shared by tests/netns/kernel-*.sh (sourced, not run): namespaces on veth
# pairs and tests/netns/kernel_probe driving io/kernel, io/kstate, io/nlmon
# and io/mip6sock. Each script draws its own topology; names carry $$.
#
# Only documentation addresses (2001:db8::/32, fd00::/8, fe80::/10) inside
# namespaces this test creates are used.
set -u
fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f" | tail -30
	done
	exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "not root"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"
: "${top_builddir:?top_builddir must name the build tree}"
PROBE=$top_builddir/tests/netns/kernel_probe
[ -x "$PROBE" ] || skip "no $PROBE (make check builds it)"

tmp=$(mktemp -d /tmp/m6k.XXXXXX)
kl_netns=
bg_pids=

kl_cleanup() {
	for p in $bg_pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in $kl_netns; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap kl_cleanup EXIT
trap 'exit 1' INT TERM HUP

# kl_netns NAME...: create namespaces (lo up), removed on exit.
kl_netns() {
	for n in "$@"; do
		ip netns add "$n" || fail "cannot create netns $n"
		kl_netns="$kl_netns $n"
		ip -n "$n" link set lo up
	done
}
# nsx NETNS CMD...: run bounded in NETNS.
nsx() {
	ns=$1
	shift
	timeout 20 ip netns exec "$ns" "$@"
}
# kl_veth NS1 IF1 NS2 IF2: a veth pair, both ends up.
kl_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || fail "veth $2/$4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}
# kl_ping NETNS ADDR: wait (5 s at most) until ADDR answers from NETNS.
kl_ping() {
	for _ in $(seq 50); do
		nsx "$1" ping -c1 -W1 "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "no answer from $2 in $1"
}
# kl_probe NETNS NAME ARGS...: the probe in the foreground, output kept.
kl_probe() {
	ns=$1 name=$2
	shift 2
	nsx "$ns" "$PROBE" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}
# kl_bg NETNS NAME WAITFOR ARGS...: the probe in the background; returns
# when its output has a line matching WAITFOR. $bg_pid is the probe.
kl_bg() {
	ns=$1 name=$2 waitfor=$3
	shift 3
	ip netns exec "$ns" "$PROBE" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	bg_pid=$!
	bg_pids="$bg_pids $bg_pid"
	for _ in $(seq 100); do
		grep -Eq -- "$waitfor" "$tmp/$name.out" 2>/dev/null && return 0
		kill -0 "$bg_pid" 2>/dev/null || fail "probe $* exited before '$waitfor'"
		sleep 0.1
	done
	fail "probe $* never printed '$waitfor'"
}
# kl_expect NAME PATTERN: an output line matches PATTERN (grep -E).
kl_expect() {
	grep -Eq -- "$2" "$tmp/$1.out" || fail "$1: no line matching '$2'"
}
kl_expect_not() {
	grep -Eq -- "$2" "$tmp/$1.out" && fail "$1: unexpected line matching '$2'"
	return 0
}
# kl_wait_line NAME PATTERN [TENTHS]: wait for a line (default 5 s).
kl_wait_line() {
	for _ in $(seq "${3:-50}"); do
		grep -Eq -- "$2" "$tmp/$1.out" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1: no line matching '$2' in time"
}
# kl_wait_count NAME PATTERN N: wait (5 s) until N lines match PATTERN.
kl_wait_count() {
	for _ in $(seq 50); do
		[ "$(grep -Ec -- "$2" "$tmp/$1.out")" -ge "$3" ] && return 0
		sleep 0.1
	done
	fail "$1: fewer than $3 lines matching '$2' in time"
}
# kl_sysctl NETNS PATH: a sysctl's value in NETNS.
kl_sysctl() { nsx "$1" cat "$2"; }
