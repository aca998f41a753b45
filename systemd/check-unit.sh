#!/bin/sh
# systemd/mip6sec.service passes `systemd-analyze verify` (skipped, exit 77,
# when systemd-analyze is not installed). ExecStart must name an existing
# binary, so the check runs on a copy that points at the built one.
set -eu
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze"; exit 77; }
unit=${top_builddir:-.}/systemd/mip6sec.service
[ -f "$unit" ] || { echo "FAIL: $unit not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
sed -e "s|^ExecStartPre=[^ ]*|ExecStartPre=$MIP6SEC|" -e "s|^ExecStart=[^ ]*|ExecStart=$MIP6SEC|" \
	"$unit" > "$tmp/mip6sec.service"
# Every hardening line we promise is there.
for want in 'CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW' 'NoNewPrivileges=yes' \
	'ProtectSystem=strict' 'RuntimeDirectoryMode=0700' 'DeviceAllow=/dev/net/tun rw' \
	'ExecReload=/bin/kill -HUP $MAINPID'; do
	grep -qxF "$want" "$tmp/mip6sec.service" || { echo "FAIL: missing '$want'"; exit 1; }
done
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$tmp/mip6sec.service" 2>&1) || {
	echo "$out"; echo "FAIL: systemd-analyze verify"; exit 1; }
# verify exits 0 on some warnings; treat any line about our unit as a failure.
if printf '%s\n' "$out" | grep -q 'mip6sec.service'; then
	echo "$out"; echo "FAIL: systemd-analyze reported problems"; exit 1
fi
echo "PASS: systemd-analyze verify"
