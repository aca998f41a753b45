#!/bin/sh
# bench/deps.sh: install what bench/throughput.sh, bench/esp_speed.sh and
# bench/soak.sh need (Debian packages). Idempotent: installs only what is missing.
set -eu
pkgs="iperf3 wireguard-go wireguard-tools openvpn charon-systemd strongswan-swanctl
libcharon-extra-plugins libstrongswan-standard-plugins libstrongswan-extra-plugins tcpdump openssl iproute2 nftables procps"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "bench/deps.sh: all present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "bench/deps.sh: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# --no-install-recommends: charon-systemd recommends pulling in a whole IKE stack
# we don't start; iperf3's debconf question about a system service defaults to no.
# shellcheck disable=SC2086 # one word per package
apt-get install -y -q --no-install-recommends $missing
