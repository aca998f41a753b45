#!/bin/sh
# Proxy NDP as the home agent sets it up through io/kstate + io/kernel: a
# proxy neighbour entry for the mobile node's home address on the home link,
# proxy_ndp=1 and proxy_delay=0 on that link, forwarding=1, and the /128
# route to the tunnel device. Another host on the home link then resolves the
# home address to the home agent's link-layer address. A clean exit removes
# the entry and the route and restores the sysctls' old values. Needs root.
#
#   netns m6kpC-$$ (correspondent on the home link)   netns m6kpH-$$ (home agent)
#  +-----------------------------+                   +-------------------------------+
#  | c0  2001:db8:1::2/64        |===================| h0  2001:db8:1::1/64          |
#  +-----------------------------+       veth        | t0  (veth to t0p, NOARP): TUN |
#                                                    |     2001:db8:1::10/128 dev t0  |
#                                                    | proxy 2001:db8:1::10 dev h0    |
#                                                    +-------------------------------+
. "${top_srcdir:-.}/tests/netns/kernel-lib.sh"
C=m6kpC-$$ H=m6kpH-$$
HOA=2001:db8:1::10
kl_netns $C $H
kl_veth $C c0 $H h0
nsx $C ip addr add 2001:db8:1::2/64 dev c0 nodad
nsx $H ip addr add 2001:db8:1::1/64 dev h0 nodad
nsx $H ip link add t0 type veth peer name t0p
nsx $H ip link set t0p up
nsx $H ip link set t0 arp off up
kl_ping $C 2001:db8:1::1
mac=$(nsx $H cat /sys/class/net/h0/address)
conf=/proc/sys/net/ipv6/conf neigh=/proc/sys/net/ipv6/neigh
fwd0=$(kl_sysctl $H $conf/all/forwarding) ndp0=$(kl_sysctl $H $conf/h0/proxy_ndp)
delay0=$(kl_sysctl $H $neigh/h0/proxy_delay)
[ "$ndp0" = 0 ] && [ "$delay0" != 0 ] || fail "unexpected defaults: proxy_ndp $ndp0 proxy_delay $delay0"

# Without the proxy entry nobody answers for the home address.
nsx $C ping -c1 -W1 $HOA >/dev/null 2>&1
nsx $C ip -6 neigh show $HOA dev c0 >"$tmp/before.out"
kl_expect_not before "lladdr"

state=$tmp/state
kl_bg $H apply '^ready$' apply "$state" hold \
	"sysctl $conf/all/forwarding 1" \
	"sysctl $conf/h0/proxy_ndp 1" \
	"sysctl $neigh/h0/proxy_delay 0" \
	"route6 t0 $HOA/128 0 254 - -" \
	"proxy h0 $HOA"
probe_pid=$bg_pid
kl_expect apply '^applied 5$'
[ "$(kl_sysctl $H $conf/h0/proxy_ndp)" = 1 ] || fail "proxy_ndp not set"
[ "$(kl_sysctl $H $neigh/h0/proxy_delay)" = 0 ] || fail "proxy_delay not set"
grep -qx "sysctl $neigh/h0/proxy_delay 0 $delay0" "$state/kstate.journal" || fail "old proxy_delay not journalled"
nsx $H ip -6 neigh show proxy >"$tmp/proxy.out"
kl_expect proxy "^$HOA dev h0 proxy"

# The correspondent's Neighbor Solicitation is answered with h0's address
# at once (proxy_delay 0: within the 1 s ping, first try).
nsx $C ip -6 neigh flush dev c0
nsx $C ping -c1 -W1 $HOA >/dev/null 2>&1
nsx $C ip -6 neigh show $HOA dev c0 >"$tmp/after.out"
kl_expect after "^$HOA lladdr $mac (router )?(REACHABLE|STALE|DELAY|PROBE)"

kill -TERM "$probe_pid"
wait "$probe_pid" 2>/dev/null
kl_wait_line apply '^closed$'
nsx $H ip -6 neigh show proxy >"$tmp/proxy2.out"
kl_expect_not proxy2 "$HOA"
[ -z "$(nsx $H ip -6 route show $HOA/128)" ] || fail "/128 route left after exit"
[ "$(kl_sysctl $H $conf/all/forwarding)" = "$fwd0" ] || fail "forwarding not restored"
[ "$(kl_sysctl $H $conf/h0/proxy_ndp)" = "$ndp0" ] || fail "proxy_ndp not restored"
[ "$(kl_sysctl $H $neigh/h0/proxy_delay)" = "$delay0" ] || fail "proxy_delay not restored"
echo "PASS: proxy NDP for $HOA answered with $mac; entry, route and sysctls ($fwd0 $ndp0 $delay0) restored on exit"
