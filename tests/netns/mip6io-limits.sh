#!/bin/sh
# Limits and the other receivers of io/mip6sock (topology in mip6io-lib.sh):
# the IPPROTO_RAW sender refuses a packet larger than the veth's MTU cleanly
# (the kernel does not fragment: EMSGSIZE, counted as too_big, nothing on
# the wire); a plain MH (no extension header) reaches B's Next Header 135
# socket and draws no ICMPv6 error while the socket is open; the Parameter
# Problem B sends for a HAO reaches A's ICMPv6 (58) socket, which parses the
# error. Needs root; skips (77) otherwise.
. "${top_srcdir:-.}/tests/netns/mip6io-lib.sh"
[ -n "$TSHARK" ] || skip "no tshark"
ml_setup
ml_capture limits

# Oversize: 40 + 24 + 2000 octets on a 1500-octet link.
out=$(inA "$PROBE" send big $A $B $HOA 2>"$tmp/big.err") || fail "probe send big exited non-zero"
[ "$out" = "sent 0 failed 1 too_big 1 no_route 0 bad 0" ] || fail "oversize send said: $out"
grep -q "Message too long" "$tmp/big.err" || fail "EMSGSIZE not logged: $(cat "$tmp/big.err")"

# Plain MH to the NH 135 socket.
ml_recv mh mh 1 10
ml_send mh $HOA
ml_recv_wait
ml_expect mh "^got kind=mh len=16 src=$A dst=$B hlim=64 parse=ok upper=Mobility Header mh=Binding Update seq=7 cksum=ok$"

# The ICMPv6 receiver in A gets B's Parameter Problem about a HAO.
ml_recv_in "$nA" pp icmp6 1 10
ml_send bu $HOA
ml_recv_wait
ml_expect pp "^got kind=icmpv6 len=[0-9]+ src=$B dst=$A hlim=64 parse=ok upper=ICMPv6 icmp6=parameter problem/2$"
ml_capture_stop

n=$(ml_tshark -Y "frame.len > 1500" | wc -l)
[ "$n" = 0 ] || fail "$n oversize frames on the wire"
ml_tshark -Y "mip6.mhtype == 5 && !ipv6.opt" | grep -q "Binding Update" || fail "plain BU not on the wire"
# Errors from B: exactly the one Parameter Problem for the HAO packet.
errs=$(ml_tshark -Y "icmpv6.type < 128 && ipv6.src == $B" -T fields -e icmpv6.type -e icmpv6.code | tr '\t\n' ' ')
[ "$errs" = "4 2 " ] || fail "ICMPv6 errors from B: '$errs', want only '4 2 ' (none for the plain MH)"
echo "PASS: oversize refused with EMSGSIZE and counted, plain MH on NH 135 without ICMP, PP on the NH 58 socket"
