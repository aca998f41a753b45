#!/bin/sh
# Policy rules and a route in a private table with a preferred source, as the
# mobile node installs them through io/kstate + io/kernel (the wg-quick
# scheme): unmarked traffic goes to the tunnel device with the home address
# as source, traffic of a socket marked 0x6d36 (the daemon's outer sockets)
# uses the main table, and more specific main routes still win. A clean exit
# removes the rules and the route. Needs root.
#
#   netns m6krM-$$ (mobile node)                    netns m6krR-$$ (router)
#  +--------------------------------------+        +------------------------+
#  | m0  2001:db8:a::2/64 (care-of)        |========| r0  2001:db8:a::1/64   |
#  |     default via 2001:db8:a::1 (main)  |  veth  +------------------------+
#  | t0  (veth to t0p), 2001:db8:99::10/128 (HoA)
#  |     default dev t0 src HoA table 186  |
#  | pref 32764: lookup main suppress_prefixlength 0
#  | pref 32765: not fwmark 0x6d36 lookup 186
#  +--------------------------------------+
. "${top_srcdir:-.}/tests/netns/kernel-lib.sh"
M=m6krM-$$ R=m6krR-$$
HOA=2001:db8:99::10 FAR=2001:db8:ff::1
kl_netns $M $R
kl_veth $M m0 $R r0
nsx $M ip addr add 2001:db8:a::2/64 dev m0 nodad
nsx $R ip addr add 2001:db8:a::1/64 dev r0 nodad
nsx $M ip -6 route add default via 2001:db8:a::1 dev m0
# t0 stands for the TUN: a veth whose peer (t0p) stays in M, so what t0
# sends is counted (no dummy driver on this kernel).
nsx $M ip link add t0 type veth peer name t0p
nsx $M ip link set t0p up
nsx $M ip link set t0 arp off up # no neighbour discovery, as on a TUN
nsx $M ip addr add $HOA/128 dev t0 nodad
kl_ping $M 2001:db8:a::1

state=$tmp/state
kl_bg $M apply '^ready$' apply "$state" hold \
	"route6 t0 ::/0 0 186 $HOA -" \
	"rule 32764 254 any is 0" \
	"rule 32765 186 0x6d36/0xffffffff not -"
kl_expect apply '^applied 3$'
probe_pid=$bg_pid

nsx $M ip -6 rule show >"$tmp/rules.out"
kl_expect rules '^32764:[[:space:]]+from all lookup main suppress_prefixlength 0'
kl_expect rules '^32765:[[:space:]]+not from all fwmark 0x6d36 lookup 186'
# iproute2 names protocol 186 "bgp": ask for it by number. Metric 0 is
# the kernel's default, 1024.
nsx $M ip -6 route show table 186 proto 186 >"$tmp/t186.out"
kl_expect t186 "^default dev t0 src $HOA metric 1024"

# The kernel's choice for each kind of socket.
nsx $M ip -6 route get $FAR >"$tmp/get.out"
kl_expect get "dev t0 table 186 proto [a-z0-9]+ src $HOA"
nsx $M ip -6 route get $FAR mark 0x6d36 >"$tmp/getm.out"
kl_expect getm "via 2001:db8:a::1 dev m0 .*src 2001:db8:a::2"
nsx $M ip -6 route get 2001:db8:a::1 >"$tmp/getl.out"
kl_expect getl "2001:db8:a::1 .*dev m0"

# Real traffic: an unmarked UDP socket leaves by t0 with the home address,
# a marked one (SO_MARK 0x6d36) by m0 with the care-of address.
send_udp() {
	nsx $M /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
if sys.argv[1] != "0":
    s.setsockopt(socket.SOL_SOCKET, 36, int(sys.argv[1], 0))  # SO_MARK
s.connect((sys.argv[2], 9))
print("src", s.getsockname()[0])
for _ in range(5):
    s.send(b"x")
' "$1" $FAR
}
txc() { nsx $M cat /sys/class/net/t0/statistics/tx_packets; }
rxr() { nsx $R cat /sys/class/net/r0/statistics/rx_packets; }
t_before=$(txc) r_before=$(rxr)
send_udp 0 >"$tmp/unmarked.out" || fail "unmarked send"
kl_expect unmarked "^src $HOA\$"
t_after=$(txc) r_after=$(rxr)
[ $((t_after - t_before)) -ge 5 ] || fail "unmarked traffic: t0 sent $((t_after - t_before)), want 5"
[ $((r_after - r_before)) -lt 5 ] || fail "unmarked traffic reached the router"
t_before=$t_after r_before=$r_after
send_udp 0x6d36 >"$tmp/marked.out" || fail "marked send"
kl_expect marked '^src 2001:db8:a::2$'
t_after=$(txc) r_after=$(rxr)
[ $((r_after - r_before)) -ge 5 ] || fail "marked traffic: router got $((r_after - r_before)), want 5"
[ $((t_after - t_before)) -eq 0 ] || fail "marked traffic went to t0"

# The IPPROTO_RAW sender (io/mip6sock) follows the same rules: with
# mip6sock_set_mark(0x6d36) its packet leaves by m0, without by t0.
t_before=$(txc) r_before=$(rxr)
nsx $M "$PROBE" send41 2001:db8:a::2 $FAR fd00::1 fd00::2 0x6d36 >"$tmp/raw.out" 2>&1 || fail "raw marked send"
t_after=$(txc) r_after=$(rxr)
[ $((r_after - r_before)) -ge 1 ] && [ $((t_after - t_before)) -eq 0 ] ||
	fail "raw marked send: router +$((r_after - r_before)), t0 +$((t_after - t_before))"
t_before=$t_after r_before=$r_after
nsx $M "$PROBE" send41 $HOA $FAR fd00::1 fd00::2 >>"$tmp/raw.out" 2>&1 || fail "raw unmarked send"
t_after=$(txc) r_after=$(rxr)
[ $((t_after - t_before)) -eq 1 ] || fail "raw unmarked send: t0 +$((t_after - t_before)), want 1"

# Applying an identical rule again is refused (EXISTS) and not journalled twice.
kl_probe $M again apply "$tmp/state2" close "rule 32765 186 0x6d36/0xffffffff not -"
kl_expect again 'apply rule .*: .*exist'

# A clean exit removes all three.
kill -TERM "$probe_pid"
wait "$probe_pid" 2>/dev/null
kl_wait_line apply '^closed$'
nsx $M ip -6 rule show >"$tmp/rules2.out"
kl_expect_not rules2 'suppress_prefixlength|fwmark 0x6d36'
[ -z "$(nsx $M ip -6 route show table 186)" ] || fail "table 186 not empty after exit"
[ -e "$state/kstate.journal" ] && fail "journal left after a clean exit"
echo "PASS: rules + table 186 route: unmarked -> t0 src $HOA, marked 0x6d36 -> main; removed on exit"
