#!/bin/sh
# Raw sockets for IPv6-in-IPv6 (Next Header 41) and ESP (50) through
# io/mip6sock, and the sender's SO_MARK and outgoing interface, measured on
# the real kernel (docs/DATAPLANE.md, "Raw sockets for ESP and IPv6-in-IPv6"):
#  - with no socket for 41 / 50 open, B answers such a packet with an ICMPv6
#    Parameter Problem, code 1 (unrecognized Next Header), pointer 6;
#  - with one open, the socket gets the packet from the inner IPv6 header
#    (41) or the SPI (50) on, with IPV6_PKTINFO and hop limit, and B sends no
#    error; a receiver bound to another device (SO_BINDTODEVICE) gets nothing;
#  - the IPPROTO_RAW sender with msg.ifindex reaches a link-local or
#    multicast destination through that interface, and not through another
#    one that also has fe80::/64; SO_MARK on it is accepted.
# Needs root.
#
#   netns m6k4A-$$                                netns m6k4B-$$
#  +----------------------------+               +---------------------------+
#  | va  2001:db8:a::1/64       |===============| vb  2001:db8:a::2/64      |
#  | vx  (veth to vxp, up)      |     veth      |     fe80::b/64            |
#  +----------------------------+               +---------------------------+
. "${top_srcdir:-.}/tests/netns/kernel-lib.sh"
A=m6k4A-$$ B=m6k4B-$$
kl_netns $A $B
kl_veth $A va $B vb
nsx $A ip addr add 2001:db8:a::1/64 dev va nodad
nsx $B ip addr add 2001:db8:a::2/64 dev vb nodad
nsx $B ip addr add fe80::b/64 dev vb nodad
nsx $A ip link add vx type veth peer name vxp
nsx $A ip link set vxp up
nsx $A ip link set vx up
kl_ping $A 2001:db8:a::2
va=$(nsx $A cat /sys/class/net/va/ifindex) vx=$(nsx $A cat /sys/class/net/vx/ifindex)
vb=$(nsx $B cat /sys/class/net/vb/ifindex)
pp_out() { nsx $B awk '$1 == "Icmp6OutParmProblems" { print $2 }' /proc/net/snmp6; }
send41() { nsx $A "$PROBE" send41 "$@" >>"$tmp/send.out" 2>>"$tmp/send.err" || fail "send41 $*"; }
esp='import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 50)
s.sendto(bytes.fromhex("00001234000000010102030405060708"), ("2001:db8:a::2", 0))'

# 1. Nobody listens for 41 or 50: Parameter Problem, code 1, pointer 6.
pp0=$(pp_out)
kl_bg $A pp1 '^ready$' recv icmp6 2 5
send41 2001:db8:a::1 2001:db8:a::2 fd00::1 fd00::2 0x6d36
nsx $A /usr/bin/python3 -c "$esp" || fail "esp send"
wait "$bg_pid" || fail "no Parameter Problems without receivers"
[ "$(grep -Ec "^pkt src 2001:db8:a::2 dst 2001:db8:a::1 if $va hlim 64 len [0-9]+ head 0401....00000006$" "$tmp/pp1.out")" = 2 ] ||
	fail "want two Parameter Problems code 1 pointer 6"
[ $(($(pp_out) - pp0)) = 2 ] || fail "B's Icmp6OutParmProblems rose by $(($(pp_out) - pp0)), want 2"

# 2. Receivers open: the packet from the inner header / the SPI on, no error.
pp0=$(pp_out)
kl_bg $B rx41 '^ready$' recv ipv6 1 5
send41 2001:db8:a::1 2001:db8:a::2 fd00::1 fd00::2
wait "$bg_pid" || fail "raw 41 socket got nothing"
# Inner IPv6: payload length 16, Next Header 58, hop limit 64.
kl_expect rx41 "^pkt src 2001:db8:a::1 dst 2001:db8:a::2 if $vb hlim 64 len 56 head 6000000000103a40$"
kl_bg $B rx50 '^ready$' recv esp 1 5 vb
nsx $A /usr/bin/python3 -c "$esp" || fail "esp send"
wait "$bg_pid" || fail "raw 50 socket (bound to vb) got nothing"
kl_expect rx50 "^pkt src 2001:db8:a::1 dst 2001:db8:a::2 if $vb hlim 64 len 16 head 0000123400000001$"
[ "$(pp_out)" = "$pp0" ] || fail "B sent a Parameter Problem while the sockets were open"

# A receiver bound to another device gets nothing (and so does nobody: B answers).
kl_bg $B rxlo '^ready$' recv esp 1 1 lo
nsx $A /usr/bin/python3 -c "$esp" || fail "esp send"
wait "$bg_pid" && fail "a receiver bound to lo got a packet from vb"

# 3. The sender's interface: fe80::b and ff02::1 exist on va's link only.
kl_bg $B rxll '^ready$' recv ipv6 3 3
send41 fe80::a fe80::b fd00::1 fd00::2 0 "$vx" # the wrong link: lost
send41 fe80::a fe80::b fd00::1 fd00::3 0x6d36 "$va"
send41 2001:db8:a::1 ff02::1 fd00::1 fd00::4 0 "$va"
wait "$bg_pid" && fail "the packet sent through vx arrived"
kl_expect rxll "^pkt src fe80::a dst fe80::b if $vb hlim 64 len 56 head 6000000000103a40$"
kl_expect rxll "^pkt src 2001:db8:a::1 dst ff02::1 if $vb hlim 64 len 56 head 6000000000103a40$"
[ "$(grep -c '^pkt ' "$tmp/rxll.out")" = 2 ] || fail "want exactly the two packets sent through va"
echo "PASS: raw 41/50 receive from the inner header/SPI without Parameter Problems (2 without receivers); SO_BINDTODEVICE; sender ifindex + SO_MARK"
