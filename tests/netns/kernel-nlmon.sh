#!/bin/sh
# io/nlmon on the real kernel: the first dump reports links, addresses and an
# existing default router; then, as they happen, a veth going up, down when
# its peer goes down (no carrier) and up again; an address added with DAD
# (tentative, then valid), one without (never tentative), one deprecated
# (preferred lifetime 0, valid 100 s); default routers added and deleted,
# except routes of protocol 186 (ours) and routes on the ignored device
# m6mn0 (the mobile node's TUN); an address deleted; a device deleted.
# Timestamps (ms since the probe started) give the order. A monitor that
# falls behind (ENOBUFS) says so and dumps again. Needs root.
#
#   netns m6knN-$$
#  +------------------------------------------------------------------+
#  | a0 <-veth-> a0p   addresses 2001:db8:7::1 (DAD), ::2 (nodad), ::3 |
#  | b0 <-veth-> b0p   default via fe80::9 before the monitor starts   |
#  | m6mn0 <-veth-> m6p  ignored: its default route is not reported    |
#  +------------------------------------------------------------------+
. "${top_srcdir:-.}/tests/netns/kernel-lib.sh"
N=m6knN-$$
kl_netns $N
nsx $N ip link add a0 type veth peer name a0p || fail "veth a0"
nsx $N ip link add b0 type veth peer name b0p || fail "veth b0"
nsx $N ip link add m6mn0 type veth peer name m6p || fail "veth m6mn0"
nsx $N ip link set b0p up
nsx $N ip link set b0 up
nsx $N ip -6 route add default via fe80::9 dev b0
nsx $N ip link set m6p up
nsx $N ip link set m6mn0 up
idx() { nsx $N cat /sys/class/net/$1/ifindex; }
a0=$(idx a0) b0=$(idx b0) mn=$(idx m6mn0)

kl_bg $N mon ' dumped$' monitor 20 m6mn0
mon_pid=$bg_pid
kl_expect mon "^[0-9]+ link 1 lo up$"
kl_expect mon "^[0-9]+ link $a0 a0 down$"
kl_expect mon "^[0-9]+ link $b0 b0 up$"
kl_expect mon "^[0-9]+ addr add 1 ::1/128 scope 254 flags - pref inf valid inf$"
kl_expect mon "^[0-9]+ router add $b0 fe80::9$"

# Links: up needs both ends; a peer going down takes the carrier.
# (a0 is down in the dump: one "down" line already.)
nsx $N ip link set a0 up
kl_wait_count mon " link $a0 a0 down$" 2 # up, but the peer is down: no carrier
nsx $N ip link set a0p up
kl_wait_line mon "^[0-9]+ link $a0 a0 up$"
nsx $N ip link set a0p down
kl_wait_count mon " link $a0 a0 down$" 3
nsx $N ip link set a0p up
kl_wait_count mon " link $a0 a0 up$" 2

# Addresses: with DAD tentative first; nodad never; deprecated by lifetime.
nsx $N ip addr add 2001:db8:7::1/64 dev a0
nsx $N ip addr add 2001:db8:7::2/64 dev a0 nodad
nsx $N ip addr add 2001:db8:7::3/64 dev a0 nodad preferred_lft 0 valid_lft 100
kl_wait_line mon "^[0-9]+ addr add $a0 2001:db8:7::1/64 scope 0 flags tentative pref inf valid inf$"
kl_wait_line mon "^[0-9]+ addr add $a0 2001:db8:7::2/64 scope 0 flags - pref inf valid inf$"
kl_wait_line mon "^[0-9]+ addr add $a0 2001:db8:7::3/64 scope 0 flags deprecated pref 0 valid (100|99)$"
kl_wait_line mon "^[0-9]+ addr add $a0 2001:db8:7::1/64 scope 0 flags - pref inf valid inf$" 60
kl_expect_not mon "2001:db8:7::2/64 .*tentative"
t_tent=$(grep "2001:db8:7::1/64 scope 0 flags tentative" "$tmp/mon.out" | head -1 | cut -d' ' -f1)
t_valid=$(grep "2001:db8:7::1/64 scope 0 flags - " "$tmp/mon.out" | head -1 | cut -d' ' -f1)
[ "$t_tent" -lt "$t_valid" ] || fail "DAD: valid at $t_valid ms is not after tentative at $t_tent ms"

# Default routers: ours (proto 186) and the ignored device's are not reported.
nsx $N ip -6 route add default via fe80::2 dev a0 proto 186 metric 5
nsx $N ip -6 route add default via fe80::3 dev m6mn0 metric 9
nsx $N ip -6 route add default via fe80::1 dev a0 metric 1
kl_wait_line mon "^[0-9]+ router add $a0 fe80::1$"
nsx $N ip -6 route del default via fe80::1 dev a0 metric 1
kl_wait_line mon "^[0-9]+ router del $a0 fe80::1$"
nsx $N ip -6 route add 2001:db8:8::/64 via fe80::4 dev a0 # not a default route
nsx $N ip addr del 2001:db8:7::2/64 dev a0
kl_wait_line mon "^[0-9]+ addr del $a0 2001:db8:7::2/64 scope 0 flags - pref inf valid inf$"
nsx $N ip link del b0
kl_wait_line mon "^[0-9]+ link $b0 b0 down gone$"

kill -TERM "$mon_pid"
wait "$mon_pid" 2>/dev/null
kl_wait_line mon " stats .* bad 0 overruns 0 dumps 1$"
kl_expect_not mon "router (add|del) [0-9]+ fe80::(2|3|4)$"
kl_expect_not mon "router (add|del) $mn "
# Overrun: the monitor stalls 3 s in its first event while 8000 addresses
# are added; the kernel drops events (ENOBUFS), nlmon says "resync" and
# dumps again, which reports the last address.
nsx $N ip link add c0 type veth peer name c0p
nsx $N ip link set c0p up
nsx $N ip link set c0 up
kl_bg $N ovr ' dumped$' monitor 9 - 3000
ovr_pid=$bg_pid
nsx $N ip link set c0 mtu 1400
kl_wait_line ovr " stall 3000$"
i=1
while [ $i -le 8000 ]; do
	printf 'addr add 2001:db8:%x::1/64 dev c0 nodad\n' $i
	i=$((i + 1))
done >"$tmp/batch"
nsx $N ip -batch "$tmp/batch" || fail "ip -batch"
kl_wait_line ovr " resync$" 60
kl_wait_line ovr "addr add [0-9]+ 2001:db8:1f40::1/64 " 60
last=$(grep -n " addr add [0-9]* 2001:db8:1f40::1/64 " "$tmp/ovr.out" | tail -1 | cut -d: -f1)
resync=$(grep -n " resync$" "$tmp/ovr.out" | head -1 | cut -d: -f1)
[ "$last" -gt "$resync" ] || fail "the re-dump did not report the last address"
kill -TERM "$ovr_pid"
wait "$ovr_pid" 2>/dev/null
kl_wait_line ovr " stats .* overruns [1-9][0-9]* dumps [2-9]$"

echo "PASS: nlmon reported links (carrier), addresses (tentative -> valid after $((t_valid - t_tent)) ms, deprecated), default routers; skipped ours and m6mn0's"
