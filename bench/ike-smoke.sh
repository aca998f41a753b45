#!/usr/bin/env bash
# bench/ike-smoke.sh (make check): the IKE bench tools work, nothing is timed.
#   ike_load (src/ike/ikesa initiators) --> ike_resp (ikesa_accept + SAD)
#   on [::1], two high ports per side drawn from this run's pid, no root.
# 1. 40 setups with a CHILD_SA and Delete: every one completes on both
#    sides, the responder installed 40 children and removed all their SAs.
# 2. 20 childless setups without Delete: the responder keeps 20 IKE SAs and
#    no ESP SA.
# 3. ike_mem brings 20 IKE SAs with two CHILD_SAs each up in process, and
#    an established, idle one holds neither its message buffers nor its
#    IKE_SA_INIT copies (the engine's own count, part=ikesa, under 6 KB:
#    either alone would be 8 KB or 4 KB more).
# shellcheck disable=SC2015,SC2317 # A && B || fail on purpose; cleanup runs from the trap
set -uo pipefail
b=${top_builddir:-.}/bench
for t in ike_load ike_resp ike_mem; do
	[ -x "$b/$t" ] || { echo "FAIL: $b/$t not built"; exit 1; }
done
tmp=$(mktemp -d /tmp/ike-smoke.XXXXXX)
rpid=
cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
base=$((20000 + ($$ % 10000) * 4))
RP=$base RN=$((base + 1)) LP=$((base + 2)) LN=$((base + 3))
PSK="smoke test psk"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" "$1" | head -n1; } # FILE KEY

start_resp() {
	"$b/ike_resp" --local ::1 --port "$RP" --natt-port "$RN" --psk "$PSK" --local-id ha.smoke.test \
		--remote-id mn.smoke.test >"$tmp/resp.out" 2>"$tmp/resp.err" &
	rpid=$!
	for _ in $(seq 50); do grep -q '^ike_resp ready' "$tmp/resp.out" && return 0; sleep 0.1; done
	fail "ike_resp did not start: $(cat "$tmp/resp.err")"
	exit 1
}
stop_resp() { # ike_resp exits 0 on SIGTERM; a sanitizer report makes it fail
	kill "$rpid"
	wait "$rpid" || fail "ike_resp exit $?: $(cat "$tmp/resp.err")"
	rpid=
}
load() { # OUT ARGS...
	local out=$1
	shift
	timeout 30 "$b/ike_load" --local ::1 --remote ::1 --port "$LP" --natt-port "$LN" --peer-port "$RP" \
		--peer-natt-port "$RN" --psk "$PSK" --local-id mn.smoke.test --remote-id ha.smoke.test "$@" \
		>"$out" 2>"$out.err"
}

# 1
start_resp
load "$tmp/l1" --count 40 --concurrency 8 --delete || fail "case 1: ike_load exit $?: $(cat "$tmp/l1" "$tmp/l1.err")"
stop_resp
r=$(tail -n1 "$tmp/resp.out")
[ "$(field "$tmp/l1" setups)" = 40 ] && [ "$(field "$tmp/l1" failed)" = 0 ] ||
	fail "case 1: ike_load: $(cat "$tmp/l1")"
[ "$(field "$tmp/resp.out" established)" = 40 ] && [ "$(field "$tmp/resp.out" children)" = 40 ] &&
	[ "$(field "$tmp/resp.out" deleted)" = 40 ] && [ "$(field "$tmp/resp.out" live)" = 0 ] &&
	[ "$(field "$tmp/resp.out" sad)" = 0 ] || fail "case 1: ike_resp: $r"
[ "$fails" = 0 ] && echo "ok: case 1: 40 setups with CHILD_SA and Delete ($r)"

# 2
start_resp
load "$tmp/l2" --count 20 --concurrency 4 --childless || fail "case 2: ike_load exit $?: $(cat "$tmp/l2" "$tmp/l2.err")"
stop_resp
r=$(tail -n1 "$tmp/resp.out")
[ "$(field "$tmp/l2" setups)" = 20 ] && [ "$(field "$tmp/l2" child)" = 0 ] || fail "case 2: ike_load: $(cat "$tmp/l2")"
[ "$(field "$tmp/resp.out" established)" = 20 ] && [ "$(field "$tmp/resp.out" live)" = 20 ] &&
	[ "$(field "$tmp/resp.out" children)" = 0 ] && [ "$(field "$tmp/resp.out" sad)" = 0 ] ||
	fail "case 2: ike_resp: $r"
[ "$fails" = 0 ] && echo "ok: case 2: 20 childless setups kept by the responder ($r)"

# 3
timeout 60 "$b/ike_mem" --count 20 >"$tmp/mem" 2>&1 || fail "case 3: ike_mem exit $?: $(cat "$tmp/mem")"
[ "$(field "$tmp/mem" up)" = 20 ] && [ "$(field "$tmp/mem" sad)" = 80 ] || fail "case 3: ike_mem: $(cat "$tmp/mem")"
idle=$(sed -n 's/^ike_mem part=ikesa bytes=\([0-9]*\).*/\1/p' "$tmp/mem")
[ -n "$idle" ] && [ "$idle" -lt 6144 ] || fail "case 3: an idle IKE SA holds ${idle:-?} bytes: $(cat "$tmp/mem")"
[ "$fails" = 0 ] && echo "ok: case 3: $(head -n1 "$tmp/mem")"
exit $((fails != 0))
