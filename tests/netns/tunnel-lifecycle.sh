#!/bin/sh
# The tunnel across reloads and crashes (topology: tests/netns/tunnel-lib.sh):
#  - SIGHUP with new keys on both nodes: the TUN device stays (same ifindex),
#    the SAs are rebuilt, traffic flows again once both sides reloaded;
#  - a reload whose TUN cannot be created fails as a whole: the running
#    tunnel keeps working and status reports the failure;
#  - kill -9 leaves the journal; the next start undoes what it lists (a
#    route on another device planted here stands for state that outlives
#    the process), counts a torn last line, and works;
#  - SIGTERM leaves no TUN, route or journal, and no sanitizer report.
ENCAP=esp
# Anti-replay off (the default for manual SAs, R4303-3.3.3.a): a restarted
# sender starts its sequence numbers at 1 again, which a receiver with the
# window on would reject until it reloads too (docs/DATAPLANE.md).
REPLAY=false
. "${top_srcdir:-.}/tests/netns/tunnel-lib.sh"

tl_setup
tl_ping "$hA" fd00:b::1
ifindex=$(ip -n "$nA" -o link show "$TUN" | cut -d: -f1)

# New keys on both sides, one reload each.
old_key=$KEY_AB
tl_keys
[ "$KEY_AB" != "$old_key" ] || fail "openssl rand repeated a key"
tl_write_conf a
tl_write_conf b
kill -HUP "$pidA" "$pidB"
for n in a b; do
	i=0
	until [ "$(jq_ctl $n status 'd["config"]["generation"]')" = 2 ]; do
		i=$((i + 1)); [ $i -lt 50 ] || fail "node $n did not reload"; sleep 0.1
	done
	[ "$(jq_ctl $n status 'd["reload"]["last_result"]')" = ok ] || fail "node $n reload result"
done
[ "$(ip -n "$nA" -o link show "$TUN" | cut -d: -f1)" = "$ifindex" ] || fail "TUN re-created on reload"
tl_ping "$hA" fd00:b::1
tl_ping "$hB" fd00:a::1
# Fresh SAs: their counters only hold the traffic since the reload.
[ "$(tl_sa_count a ab packets)" -lt 20 ] || fail "SA counters not reset by the rekey"

# A reload that cannot be applied: the tunnel's new name is taken by a
# device of another type. Nothing of it may take effect.
ip -n "$nA" link add m6busy type veth peer name m6busy2 || fail "dummy link"
sed -i "s/name = \"$TUN\";/name = \"m6busy\";/" "$tmp/a/m6.conf"
kill -HUP "$pidA"
i=0
until [ "$(jq_ctl a status 'd["reload"]["failures"]')" = 1 ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "bad reload not reported"; sleep 0.1
done
[ "$(jq_ctl a status 'd["config"]["generation"]')" = 2 ] || fail "bad reload swapped the config"
jq_ctl a status 'd["reload"]["last_error"]' | grep -q "m6busy" || fail "reload error does not name the device"
tl_ping "$hA" fd00:b::1
tl_write_conf a

# Crash: the kernel removes the TUN with the process; the journal stays.
kill -KILL "$pidA"
i=0
while ip -n "$nA" link show "$TUN" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "TUN outlived kill -9"; sleep 0.1
done
pidA=
journal=$tmp/a/state/kstate.journal
grep -q "^route $TUN fd00:b::/64 1024$" "$journal" || fail "journal lost by the crash"
# State that outlives a process (as proxy entries and routes on the home
# link will): a route on another device, listed in the journal; and a last
# line cut by the crash.
ip -n "$nA" link add m6stale type veth peer name m6stale2 && ip -n "$nA" link set m6stale up || fail "dummy link"
ip -n "$nA" -6 route add fd00:c::/64 dev m6stale proto 186 metric 1024 || fail "stale route"
printf 'route m6stale fd00:c::/64 1024\nroute m6t fd0' >> "$journal"
: > "$tmp/a/daemon.log.2"
tl_start a
grep -q "stale kernel state from a previous run: 1 removed, 1 already gone, 0 failed, 1 bad journal lines" \
	"$tmp/a/daemon.log" || fail "restart did not report the stale state"
[ -z "$(ip -n "$nA" -6 route show dev m6stale proto 186)" ] || fail "stale route not removed"
grep -q "m6stale" "$journal" && fail "stale entry still journalled"
tl_ping "$hA" fd00:b::1
tl_ping "$hB" fd00:a::1

tl_stop a
tl_stop b
echo "PASS: tunnel reloads and crash recovery"
