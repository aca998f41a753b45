#!/usr/bin/env bash
# Capture real strongSwan IKEv2 bytes for tests/unit/test_ike_wire.c (its
# "real strongSwan bytes" vectors came from this script): charon talks to
# itself in a private network and mount namespace, tshark records lo, and
# the UDP payloads are printed one per line as hex (frame, port, payload).
#   tests/tshark/ike-strongswan-capture.sh [OUT.pcap]
# Not part of make check. Needs root, charon-systemd, swanctl, tshark.
#
#   2001:db8:2::100 (mn1.example.com, "init") --lo--> 2001:db8:1::1 (ha.example.com, "resp")
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
charon=/usr/sbin/charon-systemd
for t in "$charon" swanctl tshark; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
out=${1:-}
ns=ikecap$$
tmp=$(mktemp -d)
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat >"$tmp/strongswan.conf" <<CONF
charon-systemd {
	install_routes = no
	journal { default = -1 }
	filelog { stderr { default = 1 } }
	plugins { vici { socket = unix://$tmp/charon.vici } }
	load = random nonce aes sha1 sha2 hmac gcm curve25519 openssl pem pkcs1 kdf kernel-netlink socket-default vici
}
CONF
side() { # name local remote local-id remote-id local-ts remote-ts esp-proposals
	cat <<CONF
	$1 {
		local_addrs = $2
		remote_addrs = $3
		proposals = aes256gcm16-prfsha256-ecp256-x25519, aes128-sha256-prfsha256-ecp256
		fragmentation = yes
		mobike = yes
		local {
			auth = psk
			id = $4
		}
		remote {
			auth = psk
			id = $5
		}
		children {
			bu {
				mode = transport
				esp_proposals = $8
				local_ts = $6
				remote_ts = $7
			}
		}
	}
CONF
}
{
	echo "connections {"
	side init 2001:db8:2::100 2001:db8:1::1 mn1.example.com ha.example.com \
		"2001:db8:2::100[135/1280]" "2001:db8:1::1[135/1536]" "aes128gcm16, aes128-sha256-noesn"
	side resp 2001:db8:1::1 2001:db8:2::100 ha.example.com mn1.example.com \
		"2001:db8:1::1[135/1536]" "2001:db8:2::100[135/1280]" aes128gcm16
	echo "}"
	printf 'secrets {\n\tike-1 {\n\t\tid-1 = mn1.example.com\n\t\tid-2 = ha.example.com\n'
	printf '\t\tsecret = "mip6sec test psk"\n\t}\n}\n'
} >"$tmp/swanctl.conf"

cat >"$tmp/run.sh" <<RUN
set -e
ip link set lo up
ip -6 addr add 2001:db8:1::1/128 dev lo nodad
ip -6 addr add 2001:db8:2::100/128 dev lo nodad
mount -t tmpfs none /run   # charon's runtime files stay in this namespace
timeout 14 tshark -q -i lo -f udp -w "$tmp/cap.pcap" 2>/dev/null &
sleep 2
STRONGSWAN_CONF="$tmp/strongswan.conf" timeout 10 $charon >"$tmp/charon.log" 2>&1 &
sleep 2
swanctl --load-all --file "$tmp/swanctl.conf" --uri "unix://$tmp/charon.vici" >/dev/null 2>&1
timeout 5 swanctl --initiate --child bu --uri "unix://$tmp/charon.vici" >/dev/null || true
wait
RUN
ip netns add "$ns"
timeout 30 ip netns exec "$ns" unshare -m --propagation private sh "$tmp/run.sh"
grep -E '\[ENC\] (generating|parsed)' "$tmp/charon.log" >&2 || true
tshark -r "$tmp/cap.pcap" -T fields -e frame.number -e udp.srcport -e udp.payload 2>/dev/null
[ -z "$out" ] || cp "$tmp/cap.pcap" "$out"
