#!/bin/sh
# Crash recovery of every journal kind through io/kstate + io/kernel: a
# probe applies sysctls, an address, a route with a preferred source in a
# private table, a /128 route in main, a proxy entry and two policy rules,
# and is killed with SIGKILL; all of it is still in the kernel. The next
# start (kernel_probe recover) undoes it newest first: the rules, routes and
# proxy entry are gone and the sysctls hold their old values again. A second
# crash on a device that is deleted before recovery counts its entries as
# "gone", the "all" sysctl is still restored, and a torn last line is
# counted as bad. Needs root.
#
#   netns m6kcN-$$
#  +-------------------------------------------------------------+
#  | x0 (veth to x0p)  2001:db8:5::1/64 (journalled "addr")      |
#  | y0 (veth to y0p)  deleted before the second recovery        |
#  +-------------------------------------------------------------+
. "${top_srcdir:-.}/tests/netns/kernel-lib.sh"
N=m6kcN-$$
kl_netns $N
for d in x0 y0; do
	nsx $N ip link add $d type veth peer name ${d}p
	nsx $N ip link set ${d}p up
	nsx $N ip link set $d up
done
conf=/proc/sys/net/ipv6/conf
fwd0=$(kl_sysctl $N $conf/all/forwarding) ra0=$(kl_sysctl $N $conf/x0/accept_ra)
[ "$fwd0" = 0 ] && [ "$ra0" = 1 ] || fail "unexpected defaults: forwarding $fwd0 accept_ra $ra0"
state=$tmp/state

# What the kernel holds of ours, in one text to compare.
snapshot() {
	{
		nsx $N ip -6 rule show | grep -E "lookup (186|main suppress)"
		nsx $N ip -6 route show table all | grep -E "2001:db8:5:|table 186"
		nsx $N ip -6 neigh show proxy
		nsx $N ip -6 addr show dev x0 | grep -o "inet6 2001:db8:5::1/64"
		echo "forwarding $(kl_sysctl $N $conf/all/forwarding) accept_ra $(kl_sysctl $N $conf/x0/accept_ra)"
	} 2>/dev/null
}
clean=$(snapshot)

kl_bg $N apply '^ready$' apply "$state" hold \
	"sysctl $conf/all/forwarding 1" \
	"sysctl $conf/x0/accept_ra 0" \
	"addr x0 2001:db8:5::1/64" \
	"route6 x0 ::/0 0 186 2001:db8:5::1 -" \
	"route6 x0 2001:db8:5:99::10/128 7 254 - fe80::1" \
	"proxy x0 2001:db8:5::10" \
	"rule 32764 254 any is 0" \
	"rule 32765 186 0x6d36/0xffffffff not -"
kl_expect apply '^applied 8$'
kill -KILL "$bg_pid"
wait "$bg_pid" 2>/dev/null
crashed=$(snapshot)
echo "$crashed" >"$tmp/crashed.out"
kl_expect crashed "lookup main suppress_prefixlength 0"
kl_expect crashed "not from all fwmark 0x6d36 lookup 186"
kl_expect crashed "^default dev x0 table 186 .*src 2001:db8:5::1"
kl_expect crashed "^2001:db8:5:99::10 via fe80::1 dev x0 .*metric 7"
kl_expect crashed "^2001:db8:5::10 dev x0 proxy"
kl_expect crashed "inet6 2001:db8:5::1/64"
kl_expect crashed "^forwarding 1 accept_ra 0$"
[ "$(grep -c . "$state/kstate.journal")" = 9 ] || fail "journal: want a header and 8 entries"

kl_probe $N recover recover "$state" || fail "recover"
kl_expect recover "^recovered undone 8 gone 0 failed 0 bad 0$"
[ "$(snapshot)" = "$clean" ] || { snapshot >"$tmp/after.out"; fail "kernel state after recovery differs from before"; }
[ -e "$state/kstate.journal" ] && fail "journal left after recovery"

# A crash on y0, which is then deleted (its entries are "gone"); the torn
# last line is counted and skipped.
kl_probe $N crash apply "$state" crash \
	"sysctl $conf/all/forwarding 1" \
	"sysctl $conf/y0/accept_ra 2" \
	"proxy y0 2001:db8:5::20" \
	"route6 y0 2001:db8:5:98::/64 0 186 - -" || fail "apply crash"
kl_expect crash '^applied 4$'
printf 'proxy y0 2001:db8' >>"$state/kstate.journal"
nsx $N ip link del y0
kl_probe $N recover2 recover "$state" || fail "recover 2"
kl_expect recover2 "^recovered undone 1 gone 3 failed 0 bad 1$"
[ "$(kl_sysctl $N $conf/all/forwarding)" = "$fwd0" ] || fail "forwarding not restored after the second crash"
echo "PASS: SIGKILL left 8 entries in the kernel; recovery removed them all and restored the sysctls; gone device and torn line counted"
