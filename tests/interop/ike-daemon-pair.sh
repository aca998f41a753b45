#!/bin/sh
# Two mip6sec daemons key their site tunnel with their own IKEv2 (src/ike/ikeio.c
# on both ends, no strongSwan): node A initiates (ike.peers[].initiate), node
# B answers. Without a NAT on the path neither side asks for UDP
# encapsulation, so the CHILD_SA is plain ESP (R7296-2.23) - the case charon
# with kernel-libipsec never shows (it always fakes a NAT). Checks:
#  - both `mip6sec ike` listings show the same IKE SPIs ESTABLISHED, roles
#    initiator/responder, no NAT, and crossed CHILD_SA SPIs;
#  - both SADs hold the pair, ESP (not UDP);
#  - ping both ways and 5 MB TCP hA -> hB (sha256 equal); on the wire
#    between the nodes only ESP (tl_capture_check, when tshark is there);
#  - SIGTERM of A: B receives the Delete and drops the IKE SA and its
#    CHILD_SA; A leaves no TUN, route or journal behind.
# Topology and helpers: tests/netns/tunnel-lib.sh. Skips (77) when not root.
ENCAP=esp
. "${top_srcdir:-.}/tests/netns/tunnel-lib.sh"
PSK=$(openssl rand -hex 32)

pair_conf() { # node local remote local-prefix remote-prefix own-id peer-id initiate
	mkdir -p "$tmp/$1/state"
	cat > "$tmp/$1/m6.conf" <<EOC
global = { log-level = "info"; state-dir = "$tmp/$1/state"; control-socket = "$tmp/$1/control.sock"; };
ike = {
	identity = "$6"; auth = "psk";
	proposals = [ "aes256gcm16-prfsha256-ecp256" ];
	esp-proposals = [ "aes256gcm16" ];
	peers = ( { name = "peer"; identity = "$7"; address = "$3"; auth = "psk"; psk = "$PSK"; initiate = $8; } );
};
tunnels = ( { name = "$TUN"; local = "$2"; remote = "$3"; local-prefixes = [ "$4" ];
	      remote-prefixes = [ "$5" ]; ike-peer = "peer"; } );
EOC
	"$MIP6SEC" check-config "$tmp/$1/m6.conf" >/dev/null ||
		fail "node $1 config invalid: $("$MIP6SEC" check-config "$tmp/$1/m6.conf" 2>&1)"
}

# "spi_i spi_r role nat spi_in spi_out encap" of node $1's first established SA.
ike_row() {
	jq_ctl "$1" ike '" ".join(str(x) for x in next(([s["spi_i"], s["spi_r"], s["role"],
		s["nat_local"] or s["nat_remote"], s["children"][0]["spi_in"], s["children"][0]["spi_out"],
		s["children"][0]["encapsulation"]] for s in d if s["state"] == "established" and s["children"]),
		["-"] * 7))' 2>/dev/null
}

tl_topology
pair_conf a $OUT_A $OUT_B fd00:a::/64 fd00:b::/64 a.example.org b.example.org true
pair_conf b $OUT_B $OUT_A fd00:b::/64 fd00:a::/64 b.example.org a.example.org false
tl_start b
tl_start a
i=0
until [ "$(ike_row a | cut -d' ' -f1)" != - ] && [ "$(ike_row b | cut -d' ' -f1)" != - ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no IKE SA with a CHILD_SA: A: $(ctl a ike) B: $(ctl b ike)"
	sleep 0.2
done
set -- $(ike_row a)
a_i=$1 a_r=$2 a_role=$3 a_nat=$4 a_in=$5 a_out=$6 a_encap=$7
set -- $(ike_row b)
[ "$a_i $a_r" = "$1 $2" ] || fail "IKE SPIs differ: A $a_i/$a_r, B $1/$2"
[ "$a_role $3" = "initiator responder" ] || fail "roles: A $a_role, B $3"
[ "$a_nat $4" = "False False" ] || fail "a NAT was detected without one (A $a_nat, B $4)"
[ "$a_in $a_out" = "$6 $5" ] || fail "CHILD_SA SPIs not crossed: A in $a_in out $a_out, B in $5 out $6"
[ "$a_encap $7" = "esp esp" ] || fail "encapsulation: A $a_encap, B $7 (want plain ESP without a NAT)"
for n in a b; do
	[ "$(jq_ctl $n sas "sum(1 for s in d if s.get('tunnel') == '$TUN' and s['encapsulation'] == 'esp')")" = 2 ] ||
		fail "node $n: the SAD does not hold the ESP pair: $(ctl $n sas)"
done
echo "ok: IKE $a_i/$a_r between two mip6sec daemons, ESP in=$a_in out=$a_out on both"

tl_capture_start
tl_ping "$hA" fd00:b::1
tl_ping "$hB" fd00:a::1
tl_tcp 5
tl_capture_check esp
echo "ok: ping both ways and 5 MB TCP through the IKE-keyed ESP tunnel"

tl_stop a
i=0
until [ "$(jq_ctl b ike 'len(d)')" = 0 ]; do
	i=$((i + 1)); [ $i -lt 25 ] || fail "B kept the IKE SA after A's Delete: $(ctl b ike)"
	sleep 0.2
done
[ "$(jq_ctl b sas "sum(1 for s in d if s.get('tunnel') == '$TUN')")" = 0 ] || fail "B kept the CHILD_SA: $(ctl b sas)"
tl_stop b
echo "ok: SIGTERM of A deleted the IKE SA and CHILD_SA at B"
echo "PASS: two mip6sec daemons over their own IKEv2"
