#!/usr/bin/env bash
# A daemon that starts after a crash undoes the kernel state its journal
# records, whatever module made it: here an nft table (the Parameter Problem
# silencer of the Mobile IPv6 socket layer) left by a killed run.
#
#   [ netns m6rec-PID: lo ]   state-dir/kstate.journal: "nft m6stale"
set -u
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v nft >/dev/null || { echo "SKIP: nft not installed"; exit 77; }
ns=m6rec-$$
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && cat "$tmp/log"; exit 1; }
ip netns add "$ns" || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip -n "$ns" link set lo up
mkdir -m 700 "$tmp/state"
cat >"$tmp/m6.conf" <<EOC
global = { control-socket = "$tmp/ctl.sock"; state-dir = "$tmp/state"; };
EOC
ip netns exec "$ns" nft add table inet m6stale || fail "cannot create the stale table"
printf 'nft m6stale\n' >"$tmp/state/kstate.journal"
chmod 600 "$tmp/state/kstate.journal"

ip netns exec "$ns" "$MIP6SEC" daemon -f -c "$tmp/m6.conf" 2>"$tmp/log" &
pid=$!
for _ in $(seq 50); do "$MIP6SEC" status -s "$tmp/ctl.sock" >/dev/null 2>&1 && break; sleep 0.1; done
"$MIP6SEC" status -s "$tmp/ctl.sock" >/dev/null 2>&1 || fail "daemon did not come up"
ip netns exec "$ns" nft list tables | grep -q m6stale && fail "stale nft table still there"
grep -q 'removed stale nft m6stale' "$tmp/log" || fail "recovery not logged"
[ -e "$tmp/state/kstate.journal" ] && fail "journal not removed after recovery"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || fail "daemon exit status $rc"
grep -qE 'Sanitizer|runtime error' "$tmp/log" && fail "sanitizer report"
echo "stale nft table removed at start"
exit 0
