# Sourced by tests/interop/tunnel-replay-{esp,udp}.sh with ENCAP set: the
# capture of a real mip6sec tunnel, decrypted by independent ESP
# implementations and replayed into the receiver.
#
# Topology: tests/netns/tunnel-lib.sh (two mip6sec nodes nA, nB joined by the
# veth pair oa--ob, hosts hA and hB behind them, manual AES-CBC +
# HMAC-SHA-256-128 SAs 0x1001 A->B and 0x1002 B->A with anti-replay on):
#
#   hA ---- nA [mip6sec] oa ===== ob [mip6sec] nB ---- hB
#                              ^ tshark -i ob -w outer.pcap
#                       scapy sendp(oa) replays A->B frames
#
# 1. hA pings hB and sends UDP to it; the outer link is captured on ob.
# 2. espcap, tshark (given the keys; ICV verified) and scapy's
#    SecurityAssociation all decrypt every ESP packet of the capture to the
#    same inner bytes; nothing but ESP and ND/MLD is on the outer link.
# 3. The captured A->B ESP frames are sent again from nA: node B drops every
#    one as a replay (R4303-3.4.3.a), counted on SA 0x1001 and in the esp
#    counters, and none reaches hB (its ICMPv6 echo and UDP counters stand).
# 4. The tunnel still works afterwards.
#
# Skips (77) when not root, without tshark or scapy, or when the data-plane
# tunnel (tests/netns/tunnel-lib.sh, `mip6sec sas`) is not there.
: "${ENCAP:?set ENCAP to esp or udp}"
lib=${top_srcdir:-.}/tests/netns/tunnel-lib.sh
[ -f "$lib" ] || { echo "SKIP: no tests/netns/tunnel-lib.sh (the data-plane tunnel tests)"; exit 77; }
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark not installed"; exit 77; }
/usr/bin/python3 -c 'import scapy.all' 2>/dev/null || { echo "SKIP: python3-scapy not installed"; exit 77; }
. "$lib"
here=${top_srcdir:-.}/tests/interop
# (tunnel-lib.sh's helpers assign n, ns, pid: this script's names differ.)
export top_builddir=${top_builddir:-.}

tl_setup
[ "$(jq_ctl b sas 'len(d)')" -ge 2 ] || skip "node B lists no SAs after start: tunnels not supported yet"
# Real checksums on the outer link, so the capture is what a wire carries.
in_ns "$nA" "$PY" "$here/tunnel-capture.py" txcsum-off oa || fail "tx checksum offload on oa"
in_ns "$nB" "$PY" "$here/tunnel-capture.py" txcsum-off ob || fail "tx checksum offload on ob"

# Counters of node B and host hB that a replay must (not) move.
sa_ab() { jq_ctl b sas "[s for s in d if s['spi'] == 0x1001 and s['direction'] == 'in'][0]$1"; }
esp_replay() { jq_ctl b status 'd["counters"]["esp.drop_replay"]'; }
hb_in() { in_ns "$hB" awk '$1 == "Icmp6InEchos" || $1 == "Udp6InDatagrams" || $1 == "Udp6NoPorts" { n += $2 } END { print n }' /proc/net/snmp6; }

# 1. Traffic, captured on the receiver's outer interface (pcap, not pcapng:
# espcap reads pcap).
cap=$tmp/outer.pcap
# Not through in_ns: its timeout(1) would not pass our SIGINT on.
ip netns exec "$nB" tshark -q -i ob -F pcap -w "$cap" -a duration:60 >/dev/null 2>&1 &
cpid=$!
trap 'kill -INT "$cpid" 2>/dev/null; tl_cleanup' EXIT
i=0
until [ -s "$cap" ]; do i=$((i + 1)); [ $i -lt 50 ] || fail "tshark did not start capturing"; sleep 0.1; done
sleep 0.5
in_ns "$hA" ping -6 -c 20 -i 0.05 -s 300 -W 2 fd00:b::1 >/dev/null || fail "ping through the tunnel"
in_ns "$hA" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"mip6sec interop %d " % i * (i + 1), ("fd00:b::1", 33434))
' || fail "UDP sender"
sleep 0.5
kill -INT "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null
[ -s "$cap" ] || fail "no capture"

# 2. Three implementations decrypt the capture.
cat > "$tmp/sas" <<EOS
sa spi=0x1001 alg=aes128-cbc-hmac-sha256-128 mode=tunnel encap=$ENCAP esn=0 src=$OUT_A dst=$OUT_B keymat=$KEY_AB$AUTH_AB
sa spi=0x1002 alg=aes128-cbc-hmac-sha256-128 mode=tunnel encap=$ENCAP esn=0 src=$OUT_B dst=$OUT_A keymat=$KEY_BA$AUTH_BA
EOS
out=$("$PY" "$here/tunnel-capture.py" decrypt "$cap" "$tmp/sas") || fail "decrypting the capture: $out"
echo "$out" | tail -1
# 20 echo requests and 20 UDP datagrams A->B, 20 replies B->A at least.
set -- $(echo "$out" | tail -1)
[ "$1" = esp ] && [ "$2" -ge 60 ] || fail "capture holds $2 ESP packets, want >= 60"

# 3. Replay the A->B frames from node A's side of the link.
pk0=$(sa_ab "['packets']") rd0=$(sa_ab "['drops']['replay']") er0=$(esp_replay) hb0=$(hb_in)
sent=$(in_ns "$nA" "$PY" "$here/tunnel-capture.py" replay "$cap" "$OUT_A" oa) || fail "replay sender"
[ "$sent" -ge 40 ] || fail "only $sent A->B frames to replay"
i=0
until [ "$(sa_ab "['drops']['replay']")" -ge $((rd0 + sent)) ]; do
	i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
done
pk1=$(sa_ab "['packets']") rd1=$(sa_ab "['drops']['replay']") er1=$(esp_replay) hb1=$(hb_in)
[ $((rd1 - rd0)) -eq "$sent" ] || fail "replayed $sent frames, SA 0x1001 counted $((rd1 - rd0)) replay drops"
[ $((er1 - er0)) -eq "$sent" ] || fail "replayed $sent frames, esp.drop_replay moved by $((er1 - er0))"
[ "$pk1" -eq "$pk0" ] || fail "SA 0x1001 accepted $((pk1 - pk0)) replayed packets"
[ "$hb1" -eq "$hb0" ] || fail "$((hb1 - hb0)) replayed packets reached host B"

# 4. The SA survived the replay.
tl_ping "$hA" fd00:b::1
tl_stop a
tl_stop b
echo "PASS: $ENCAP tunnel capture decrypted by espcap, tshark and scapy; $sent replayed frames dropped and counted"
