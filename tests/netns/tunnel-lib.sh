# Shared by tests/netns/tunnel-*.sh (sourced, not run): two mip6sec nodes
# joined by a veth pair, each with one host behind it, and a manually keyed
# ESP tunnel (AES-CBC + HMAC-SHA-256-128, keys drawn per run) between them.
#
#   netns hA-$$            netns nA-$$                      netns nB-$$             netns hB-$$
#  +------------+  +---------------------------+  +---------------------------+  +------------+
#  | fd00:a::1  |  | fd00:a::fe   2001:db8:ff::1 |  | 2001:db8:ff::2  fd00:b::fe|  | fd00:b::1  |
#  |  eth0 -------- ia               oa ========================= ob              ib -------- eth0 |
#  | default via|  |  TUN m6t (mip6sec daemon)  |  |  TUN m6t (mip6sec daemon) |  | default via|
#  | fd00:a::fe |  |  fd00:b::/64 -> dev m6t    |  |  fd00:a::/64 -> dev m6t   |  | fd00:b::fe |
#  +------------+  +---------------------------+  +---------------------------+  +------------+
#
# The inner hosts sit in their own namespaces behind each node (site to
# site): the nodes forward (the test turns forwarding on; mip6sec does not),
# the kernel routes fd00:b::/64 into node A's TUN through the route the
# daemon installs, and source address selection needs no help. Only the
# addresses above, inside namespaces this test creates, are used.
#
# Callers set ENCAP ("esp" or "udp") and optionally REPLAY (anti-replay on
# the manual SAs, default true) before sourcing, then call tl_setup.
set -u
fail() {
	echo "FAIL: $*"
	for n in a b; do
		[ -f "$tmp/$n/daemon.log" ] && sed "s/^/  log $n: /" "$tmp/$n/daemon.log" | tail -40
	done
	exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "not root"
command -v ip >/dev/null 2>&1 || skip "no ip(8)"
command -v openssl >/dev/null 2>&1 || skip "no openssl(1)"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
: "${MIP6SEC:?MIP6SEC must name the built binary}"

nA=m6nA-$$ nB=m6nB-$$ hA=m6hA-$$ hB=m6hB-$$
tmp=$(mktemp -d /tmp/m6tun.XXXXXX)
pidA= pidB=
OUT_A=2001:db8:ff::1 OUT_B=2001:db8:ff::2
TUN=m6t
UDP_PORT=4500

tl_cleanup() {
	for p in $pidA $pidB; do kill -KILL "$p" 2>/dev/null; done
	for n in $nA $nB $hA $hB; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap tl_cleanup EXIT
trap 'exit 1' INT TERM HUP

in_ns() { ns=$1; shift; timeout 30 ip netns exec "$ns" "$@"; }
ctl() { n=$1; shift; in_ns "$(tl_ns "$n")" "$MIP6SEC" "$@" -s "$tmp/$n/control.sock"; }
tl_ns() { [ "$1" = a ] && echo "$nA" || echo "$nB"; }
# Evaluate a Python expression over `CMD --json` of node $1 (bound to d).
jq_ctl() { n=$1 cmd=$2 expr=$3; ctl "$n" "$cmd" --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$expr"; }

tl_keys() { # fresh keys for both directions
	KEY_AB=$(openssl rand -hex 16) AUTH_AB=$(openssl rand -hex 32)
	KEY_BA=$(openssl rand -hex 16) AUTH_BA=$(openssl rand -hex 32)
}

tl_sa() { # name spi direction src dst key auth
	cat <<EOS
		{ name = "$1"; spi = $2; direction = "$3"; source = "$4"; destination = "$5";
		  mode = "tunnel"; traffic = "any"; encryption = "aes-cbc"; encryption-key = "$6";
		  integrity = "hmac-sha256-128"; integrity-key = "$7"; anti-replay = ${REPLAY:-true}; },
EOS
}

tl_write_conf() { # node
	n=$1
	if [ "$n" = a ]; then
		local_out=$OUT_A remote_out=$OUT_B lp=fd00:a::/64 rp=fd00:b::/64
		out_sa=$(tl_sa ab 0x1001 out $OUT_A $OUT_B "$KEY_AB" "$AUTH_AB")
		in_sa=$(tl_sa ba 0x1002 in $OUT_B $OUT_A "$KEY_BA" "$AUTH_BA")
	else
		local_out=$OUT_B remote_out=$OUT_A lp=fd00:b::/64 rp=fd00:a::/64
		out_sa=$(tl_sa ba 0x1002 out $OUT_B $OUT_A "$KEY_BA" "$AUTH_BA")
		in_sa=$(tl_sa ab 0x1001 in $OUT_A $OUT_B "$KEY_AB" "$AUTH_AB")
	fi
	cat > "$tmp/$n/m6.conf.new" <<EOC
global = {
	log-level = "info";
	control-socket = "$tmp/$n/control.sock";
	state-dir = "$tmp/$n/state";
};
ipsec = {
	manual-sa = (
$out_sa
$in_sa
	);
};
tunnels = (
	{
		name = "$TUN";
		local = "$local_out";
		remote = "$remote_out";
		local-prefixes = [ "$lp" ];
		remote-prefixes = [ "$rp" ];
		manual-sas = [ "ab", "ba" ];
		encapsulation = "$ENCAP";
		udp-port = $UDP_PORT;
	}
);
EOC
	# libconfig wants no trailing comma after the last list element.
	"$PY" - "$tmp/$n/m6.conf.new" <<'EOP'
import re, sys
p = sys.argv[1]; s = open(p).read()
open(p, 'w').write(re.sub(r',\s*\n(\s*\);)', r'\n\1', s))
EOP
	mv "$tmp/$n/m6.conf.new" "$tmp/$n/m6.conf"
	"$MIP6SEC" check-config "$tmp/$n/m6.conf" >/dev/null || fail "node $n config invalid: $("$MIP6SEC" check-config "$tmp/$n/m6.conf" 2>&1)"
}

# The namespaces, links and addresses of the drawing above; no daemon.
tl_topology() {
	for n in $nA $nB $hA $hB; do
		ip netns add "$n" 2>/dev/null || skip "cannot create a network namespace"
		ip -n "$n" link set lo up
	done
	ip link add oa netns "$nA" type veth peer name ob netns "$nB" || fail "veth"
	ip link add ia netns "$nA" type veth peer name eth0 netns "$hA" || fail "veth"
	ip link add ib netns "$nB" type veth peer name eth0 netns "$hB" || fail "veth"
	ip -n "$nA" addr add $OUT_A/64 dev oa nodad
	ip -n "$nB" addr add $OUT_B/64 dev ob nodad
	ip -n "$nA" addr add fd00:a::fe/64 dev ia nodad
	ip -n "$nB" addr add fd00:b::fe/64 dev ib nodad
	ip -n "$hA" addr add fd00:a::1/64 dev eth0 nodad
	ip -n "$hB" addr add fd00:b::1/64 dev eth0 nodad
	for l in "$nA oa" "$nA ia" "$nB ob" "$nB ib" "$hA eth0" "$hB eth0"; do
		set -- $l; ip -n "$1" link set "$2" up
	done
	ip -n "$hA" route add default via fd00:a::fe
	ip -n "$hB" route add default via fd00:b::fe
	for n in $nA $nB; do in_ns "$n" sysctl -qw net.ipv6.conf.all.forwarding=1; done
	mkdir -p "$tmp/a" "$tmp/b"
}

tl_setup() {
	tl_topology
	tl_keys
	tl_write_conf a
	tl_write_conf b
	tl_start a
	tl_start b
}

tl_start() { # node [extra log suffix]
	n=$1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 timeout 120 ip netns exec "$(tl_ns "$n")" \
		"$MIP6SEC" daemon -f -c "$tmp/$n/m6.conf" 2>>"$tmp/$n/daemon.log" &
	tpid=$!
	i=0
	until ctl "$n" status >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "daemon $n did not answer in 10 s"
		kill -0 $tpid 2>/dev/null || fail "daemon $n exited early"
		sleep 0.1
	done
	pid=$(jq_ctl "$n" status 'd["pid"]')
	if [ "$n" = a ]; then pidA=$pid; else pidB=$pid; fi
}

tl_stop() { # node: SIGTERM, wait, check nothing is left
	n=$1
	if [ "$n" = a ]; then pid=$pidA; else pid=$pidB; fi
	kill -TERM "$pid" || fail "no daemon $n"
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "daemon $n did not stop in 10 s"
		sleep 0.1
	done
	if [ "$n" = a ]; then pidA=; else pidB=; fi
	ns=$(tl_ns "$n")
	ip -n "$ns" link show "$TUN" >/dev/null 2>&1 && fail "node $n: TUN left behind"
	[ -z "$(ip -n "$ns" -6 route show proto 186)" ] || fail "node $n: routes left: $(ip -n "$ns" -6 route show proto 186)"
	[ ! -e "$tmp/$n/state/kstate.journal" ] || fail "node $n: journal left behind"
	tl_no_sanitizer "$n"
}

tl_no_sanitizer() { # node
	grep -qE "Sanitizer|runtime error:" "$tmp/$1/daemon.log" && fail "node $1: sanitizer report"
	return 0
}

tl_ping() { # from-host-ns to-address
	in_ns "$1" ping -6 -c 3 -i 0.2 -W 2 "$2" >/dev/null || fail "ping $2 from $1"
}

# Send $1 MB of random bytes from hA to hB over TCP; both ends' sha256 must match.
tl_tcp() {
	mb=$1
	head -c "${mb}M" /dev/urandom > "$tmp/blob"
	want=$(sha256sum < "$tmp/blob" | cut -d' ' -f1)
	in_ns "$hB" "$PY" - > "$tmp/recv.out" <<'EOP' &
import hashlib, socket
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("fd00:b::1", 5001)); s.listen(1); s.settimeout(25)
c, _ = s.accept(); c.settimeout(25)
h, n = hashlib.sha256(), 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    h.update(d); n += len(d)
print(n, h.hexdigest())
EOP
	spid=$!
	sleep 0.3
	in_ns "$hA" "$PY" - "$tmp/blob" <<'EOP' || fail "TCP sender"
import socket, sys, time
for i in range(50):
    try:
        c = socket.create_connection(("fd00:b::1", 5001), timeout=25)
        break
    except OSError:
        time.sleep(0.1)
with open(sys.argv[1], 'rb') as f:
    c.sendfile(f)
c.close()
EOP
	wait $spid || fail "TCP receiver"
	got=$(cat "$tmp/recv.out")
	[ "$got" = "$((mb * 1048576)) $want" ] || fail "TCP transfer: sent $((mb * 1048576)) $want, got $got"
}

# Capture on node A's outer veth while traffic runs; every IPv6 packet
# between the outer addresses must be ESP (or UDP on the tunnel port) and no
# inner address may appear anywhere on the wire.
tl_capture_start() {
	command -v tshark >/dev/null 2>&1 || { CAP=; return; }
	CAP=$tmp/outer.pcapng
	in_ns "$nA" tshark -q -i oa -w "$CAP" -a duration:20 >/dev/null 2>&1 &
	cpid=$!
	i=0
	until [ -s "$CAP" ]; do i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1; done
	sleep 0.5
}

tl_capture_check() { # expected proto: esp | udp
	[ -n "$CAP" ] || { echo "note: no tshark, capture check skipped"; return 0; }
	sleep 0.5
	kill -INT "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null
	tshark -r "$CAP" -T fields -e ipv6.src -e ipv6.dst -e ipv6.nxt -e udp.dstport -e icmpv6.type \
		> "$tmp/cap.txt" 2>/dev/null || fail "tshark cannot read the capture"
	"$PY" - "$tmp/cap.txt" "$1" "$OUT_A" "$OUT_B" "$UDP_PORT" <<'EOP' || fail "capture check"
import sys
path, want, a, b, port = sys.argv[1:]
tunnel = bad = 0
for line in open(path):
    f = line.rstrip('\n').split('\t')
    f += [''] * (5 - len(f))
    src, dst, nxt, dport, icmp = f[:5]
    if 'fd00:' in line:
        print('inner address on the wire:', line.strip()); bad += 1; continue
    # the veth's own neighbour discovery and MLD (any address) are fine
    housekeeping = icmp.split(',')[0] in ('130', '131', '132', '133', '134', '135', '136', '143')
    if {src, dst} == {a, b} and (nxt == '50' if want == 'esp' else (nxt == '17' and port in dport.split(','))):
        tunnel += 1
    elif not housekeeping:
        print('not', want, 'between the outer addresses:', line.strip()); bad += 1
print(tunnel, 'tunnel packets,', bad, 'bad')
sys.exit(1 if bad or tunnel < 100 else 0)
EOP
}

# SA counters from `sas --json`: packets/bytes of the SA named $2 on node $1.
tl_sa_count() { jq_ctl "$1" sas "[s for s in d if s.get('name') == '$2'][0]['$3']"; }

# The whole traffic check for one encapsulation: MTU, route and journal,
# ping both ways, 50 MB over TCP, the capture, the SA and policy counters,
# and a clean SIGTERM on both nodes.
tl_traffic_test() {
	tl_setup
	# MTU (docs/DATAPLANE.md) for a 1500 outer link and AES-CBC + HMAC-SHA-256-128:
	# ESP:  (1500 - 40 - 8 - 16 - 16) / 16 * 16 - 2 = 1406
	# UDP:  (1500 - 40 - 8 - 8 - 16 - 16) / 16 * 16 - 2 = 1406 (the UDP header fits in the pad slack)
	mtu=$(ip -n "$nA" -o link show "$TUN" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
	[ "$mtu" = 1406 ] || fail "TUN MTU $mtu, want 1406"
	ip -n "$nA" -6 route show proto 186 | grep -q "fd00:b::/64 dev $TUN" || fail "no route into the TUN"
	[ -z "$(ip -n "$nA" -6 addr show dev "$TUN")" ] || fail "the TUN got an address"
	grep -q "^route $TUN fd00:b::/64 1024$" "$tmp/a/state/kstate.journal" || fail "route not journalled"

	tl_capture_start
	tl_ping "$hA" fd00:b::1
	tl_ping "$hB" fd00:a::1
	tl_tcp 50
	tl_capture_check "$ENCAP"

	# ~50 MB in >= 50 MB / 1406 packets went A -> B; the byte counters count
	# inner bytes: at least the payload, at most payload + headers + a few
	# retransmissions. B accepted what A sent (give or take the pings).
	out_pk=$(tl_sa_count a ab packets) out_b=$(tl_sa_count a ab bytes)
	in_pk=$(tl_sa_count b ab packets) in_b=$(tl_sa_count b ab bytes)
	"$PY" -c "
import sys
mb = 50 * 1048576
ok = mb <= $out_b <= mb * 1.2 and mb <= $in_b <= mb * 1.2 and mb / 1406 <= $in_pk <= $out_pk
sys.exit(0 if ok else 1)" || fail "SA counters: A out $out_pk pkts $out_b B, B in $in_pk pkts $in_b B"
	[ "$(jq_ctl a sas "[s for s in d if s.get('name') == 'ab'][0]['encapsulation']")" = "$ENCAP" ] ||
		fail "sas does not show encapsulation $ENCAP"
	[ "$(jq_ctl b status 'd["counters"]["esp.drop_auth"] + d["counters"]["esp.drop_unknown_spi"]')" = 0 ] ||
		fail "ICV or SPI drops on B"
	[ "$(jq_ctl a policies 'sum(p["packets"] for p in d if p["action"] == "protect" and p["direction"] == "out")')" -ge 37000 ] ||
		fail "OUT PROTECT policy counters"

	tl_stop a
	tl_stop b
	echo "PASS: $ENCAP tunnel ($out_pk packets, $out_b bytes A->B)"
}
