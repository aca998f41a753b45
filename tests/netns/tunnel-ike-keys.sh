#!/bin/sh
# An IKE-keyed tunnel in the data plane, without IKE: tests/netns/fwd_ike_probe
# runs fwd as the daemon does on both nodes and, after a delay, installs the
# CHILD_SA pair IKE would have negotiated (ipsecdb_child_install). Checks:
#  - before the install, packets routed into the TUN are dropped as
#    fwd.drop_no_sa (larval policies);
#  - after it, ping both ways over ESP-in-UDP with node A behind a NAT
#    (nftables in nA rewrites its source port 4500 to 31000), so B's SA
#    sends to the NAT's port and checks it on input;
#  - IKE messages (Non-ESP Marker) to B's [OUT_B]:4500 reach fwd's IKE sink
#    with the NAT's port, while a [::]:4500 SO_REUSEADDR socket (what the
#    IKE adapter opens) binds next to fwd's socket and gets what is sent to
#    B's other address but not what fwd's socket takes;
#  - SIGTERM leaves no TUN, route or journal behind.
# Topology and helpers: tests/netns/tunnel-lib.sh. Skips (77) when not root.
ENCAP=udp
. "${top_srcdir:-.}/tests/netns/tunnel-lib.sh"
PROBE=${top_builddir:-.}/tests/netns/fwd_ike_probe
[ -x "$PROBE" ] || skip "no $PROBE"
command -v nft >/dev/null 2>&1 || skip "no nft(8)"
NAT_PORT=31000
OUT_B2=2001:db8:ff::3
INSTALL_MS=2500

ike_conf() { # node local remote local-prefix remote-prefix
	mkdir -p "$tmp/$1/state"
	cat > "$tmp/$1/m6.conf" <<EOC
global = { log-level = "info"; state-dir = "$tmp/$1/state"; control-socket = "$tmp/$1/control.sock"; };
ike = {
	identity = "$1.example.org"; auth = "psk";
	peers = ( { name = "peer"; identity = "peer.example.org"; address = "$3"; psk = "$PSK"; } );
};
tunnels = ( { name = "$TUN"; local = "$2"; remote = "$3"; local-prefixes = [ "$4" ];
	      remote-prefixes = [ "$5" ]; ike-peer = "peer"; } );
EOC
	"$MIP6SEC" check-config "$tmp/$1/m6.conf" >/dev/null || fail "node $1 config invalid: $("$MIP6SEC" check-config "$tmp/$1/m6.conf" 2>&1)"
}

probe_start() { # node spi_in spi_out km_in km_out local remote remote_port
	n=$1; shift
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 timeout 60 ip netns exec "$(tl_ns "$n")" \
		"$PROBE" "$tmp/$n/m6.conf" "$TUN" $INSTALL_MS 40000 "$@" >"$tmp/$n/probe.out" 2>"$tmp/$n/daemon.log" &
	if [ "$n" = a ]; then pidA=$!; else pidB=$!; fi
}

probe_wait() { # node word
	i=0
	until grep -q "^$2" "$tmp/$1/probe.out" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "probe $1 did not print '$2': $(cat "$tmp/$1/probe.out")"
		sleep 0.1
	done
}

probe_stop() { # node: SIGTERM, wait, nothing left behind
	n=$1
	if [ "$n" = a ]; then pid=$pidA; else pid=$pidB; fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" || fail "probe $n exited with $?"
	if [ "$n" = a ]; then pidA=; else pidB=; fi
	ns=$(tl_ns "$n")
	ip -n "$ns" link show "$TUN" >/dev/null 2>&1 && fail "node $n: TUN left behind"
	[ -z "$(ip -n "$ns" -6 route show proto 186)" ] || fail "node $n: routes left"
	[ ! -e "$tmp/$n/state/kstate.journal" ] || fail "node $n: journal left behind"
	tl_no_sanitizer "$n"
}

counter() { sed -n "s/^$2 //p" "$tmp/$1/probe.out"; }

tl_topology
ip -n "$nB" addr add $OUT_B2/64 dev ob nodad
# A behind a NAT that maps [OUT_A]:4500 to [OUT_A]:31000 (conntrack maps the
# answers back).
in_ns "$nA" nft -f - <<EON || skip "nftables NAT not available"
table ip6 m6nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "oa" udp sport 4500 snat to [$OUT_A]:$NAT_PORT
	}
}
EON
PSK=$(openssl rand -hex 32)
KM_AB=$(openssl rand -hex 36) KM_BA=$(openssl rand -hex 36)
ike_conf a $OUT_A $OUT_B fd00:a::/64 fd00:b::/64
ike_conf b $OUT_B $OUT_A fd00:b::/64 fd00:a::/64
# A: in 0x5002 (B -> A), out 0x5001; B sees A at the NAT's port.
probe_start a 0x5002 0x5001 "$KM_BA" "$KM_AB" $OUT_A $OUT_B udp 4500
probe_start b 0x5001 0x5002 "$KM_AB" "$KM_BA" $OUT_B $OUT_A udp $NAT_PORT
probe_wait a ready
probe_wait b ready

# Larval: no SA yet, the packet is dropped in A's data plane.
in_ns "$hA" ping -6 -c 1 -W 1 fd00:b::1 >/dev/null 2>&1 && fail "ping went through before the CHILD_SA"
probe_wait a installed
probe_wait b installed
mtu=$(ip -n "$nA" -o link show "$TUN" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
[ "$mtu" = 1406 ] || fail "TUN MTU $mtu, want 1406 (AES-CBC + HMAC in UDP, the worst case)"

# A first: its packets create the NAT mapping B's answers use.
tl_ping "$hA" fd00:b::1
tl_ping "$hB" fd00:a::1
# (B's SA insists on the NAT's port: without the rewrite these would be
# fwd.drop_outer on B.)

# Port 4500 shared with IKE: a [::]:4500 socket binds next to fwd's
# [OUT_B]:4500; the Non-ESP-Marker datagram to OUT_B goes to fwd (and its
# sink, with the NAT's port), the one to OUT_B2 to the wildcard socket.
in_ns "$nB" "$PY" - "$tmp/wild.out" <<'EOP' &
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 4500))
open(sys.argv[1], "w").write("bound\n")
s.settimeout(4)
got = []
try:
    while True:
        d, a = s.recvfrom(2048)
        got.append("%s %s" % (a[0], d[4:].decode(errors="replace")))
except socket.timeout:
    pass
open(sys.argv[1], "a").write("\n".join(got) + "\n")
EOP
wpid=$!
i=0
until grep -q bound "$tmp/wild.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "[::]:4500 with SO_REUSEADDR did not bind next to fwd's socket"
	sleep 0.1
done
in_ns "$nA" "$PY" - "$OUT_A" "$OUT_B" "$OUT_B2" <<'EOP' || fail "sending IKE test messages"
import socket, sys
a, b, b2 = sys.argv[1:]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((a, 4500))   # shares fwd's socket the way IKE's does
s.sendto(b"\0\0\0\0IKETEST to fwd", (b, 4500))
s.sendto(b"\0\0\0\0IKETEST to the wildcard", (b2, 4500))
EOP
wait $wpid
probe_wait b "ike "
grep -q "^ike 14 4500 $OUT_A $NAT_PORT IKETEST$" "$tmp/b/probe.out" ||
	fail "IKE sink on B: $(grep '^ike' "$tmp/b/probe.out")"
grep -q "IKETEST to the wildcard" "$tmp/wild.out" || fail "the wildcard socket missed its datagram: $(cat "$tmp/wild.out")"
grep -q "IKETEST to fwd" "$tmp/wild.out" && fail "the wildcard socket got fwd's datagram"

probe_stop a
probe_stop b
[ "$(counter a counter\ fwd.drop_no_sa)" -ge 1 ] || fail "A counted no larval drop"
[ "$(counter b counter\ fwd.ike_in)" = 1 ] || fail "B: fwd.ike_in $(counter b counter\ fwd.ike_in), want 1"
[ "$(counter b counter\ fwd.drop_outer)" = 0 ] || fail "B: outer mismatches"
for n in a b; do
	[ "$(counter $n sa\ in\ packets)" -ge 6 ] || fail "node $n: CHILD_SA in packets $(counter $n sa\ in\ packets)"
done
echo "PASS: IKE-keyed tunnel: larval drops, ESP-in-UDP through a NAT, port 4500 shared with IKE"
