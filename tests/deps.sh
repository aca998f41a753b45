#!/usr/bin/env bash
# Install the Debian packages mip6sec needs to build, test and run its demo.
# Idempotent: installs only what is missing (apt-get update first, as CI needs).
set -euo pipefail
pkgs=(
	build-essential autoconf automake pkg-config clang libclang-rt-dev
	libevent-dev libssl-dev libconfig-dev check libsystemd-dev
	iproute2 nftables iputils-ping procps psmisc python3 python3-scapy tshark
	openssl charon-systemd strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
