#!/bin/bash
# shellcheck disable=SC2086 # pid lists split on purpose
# bench/soak.sh: full-rate traffic through the mip6sec ESP tunnel for SOAK
# seconds (default 60) with both daemons built with AddressSanitizer and
# UndefinedBehaviorSanitizer (the test build). Passes when
#   - no sanitizer report appears (LeakSanitizer runs when the daemons exit),
#   - both daemons exit 0 on SIGTERM,
#   - each daemon's RSS, sampled every 5 s, grows less than 10% between the
#     end of the warm-up (WARMUP s, default 10) and the end of the run,
#   - the traffic really went through the tunnel (ping + outer capture shows
#     ESP and no plaintext, as in throughput.sh) and iperf3 moved data.
# Load: iperf3 TCP with 2 streams plus a 100-byte UDP stream at UDP_RATE
# (default 10M), both for the whole run: large and small packets at once.
#
#   bench/soak.sh      (root; exit 77 = skipped: tunnel unavailable)
#
# Environment: SOAK, WARMUP, UDP_RATE, ENCAP (esp|udp), MIP6SEC (a sanitizer
# build of the daemon; default: configured with --enable-sanitizers in
# BUILD=$SRC/_build-soak), KEEP=1 (keep logs). Topology: bench/netns.sh.
set -eu
# shellcheck source=bench/netns.sh
. "$(dirname "$0")/netns.sh"

SOAK=${SOAK:-60}
WARMUP=${WARMUP:-10}
UDP_RATE=${UDP_RATE:-10M}
ENCAP=${ENCAP:-esp}
INTERVAL=5
[ "$SOAK" -gt "$WARMUP" ] || bench_die "SOAK ($SOAK) must exceed WARMUP ($WARMUP)"

netns_init
if [ -z "${MIP6SEC:-}" ]; then
	b=$(bench_build "${BUILD:-$BENCH_SRC/_build-soak}" --enable-sanitizers) || bench_die "sanitizer build failed"
	MIP6SEC=$b/mip6sec
fi
nm "$MIP6SEC" 2>/dev/null | grep -q __asan_init || bench_die "$MIP6SEC is not built with AddressSanitizer"
# Inherited through `ip netns exec`. Reports go to files we check afterwards.
# ASan keeps freed blocks in a quarantine (256 MB by default) to catch
# use-after-free; any allocation per packet fills it and reads as RSS
# growth for minutes. 16 MB still catches recent use-after-free and lets RSS
# settle within the warm-up, so what grows afterwards is memory kept.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:quarantine_size_mb=16:log_path=$WORK/asan"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$WORK/ubsan"
export LSAN_OPTIONS="suppressions=$BENCH_SRC/tests/lsan.supp"

topology
if ! mip6sec_up >"$WORK/mip6sec.up" 2>&1 || ! verify mip6sec >"$WORK/mip6sec.up" 2>&1; then
	echo "SKIP: mip6sec tunnel unavailable: $(tail -n 1 "$WORK/mip6sec.up")"
	exit 77
fi
bench_log "$(cat "$WORK/mip6sec.verify")"
read -r PID_A PID_B <<<"$VPN_PIDS"

iperf_server 5201
iperf_server 5202
spawn "$NS_C" "$WORK/tcp.json" iperf3 -6 -c "$S_IN" -p 5201 -t "$SOAK" -P 2 -J
tcp=$LAST_PID
spawn "$NS_C" "$WORK/udp.json" iperf3 -6 -c "$S_IN" -p 5202 -t "$SOAK" -u -b "$UDP_RATE" -l 100 -J
udp=$LAST_PID

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
bench_log "soak ${SOAK}s; RSS in KiB of daemon A and B every ${INTERVAL}s"
printf '%5s %10s %10s\n' t rss-A rss-B
base_a=0 base_b=0
for ((t = INTERVAL; t <= SOAK; t += INTERVAL)); do
	sleep "$INTERVAL"
	if ! kill -0 "$PID_A" 2>/dev/null || ! kill -0 "$PID_B" 2>/dev/null; then
		KEEP=1
		bench_die "a daemon died at ${t}s (see $WORK)"
	fi
	ra=$(rss "$PID_A") rb=$(rss "$PID_B")
	printf '%5d %10d %10d\n' "$t" "$ra" "$rb"
	if [ "$t" -le "$WARMUP" ]; then base_a=$ra base_b=$rb; fi
done
wait "$tcp" "$udp" || true

fail=0
for side in "A $PID_A $base_a" "B $PID_B $base_b"; do
	set -- $side
	final=$(rss "$2")
	growth=$(awk -v a="$3" -v b="$final" 'BEGIN { printf "%.1f", a ? 100 * (b - a) / a : 100 }')
	if awk -v g="$growth" 'BEGIN { exit !(g < 10) }'; then
		bench_log "daemon $1: RSS ${3} -> ${final} KiB after warm-up (${growth}%): flat"
	else
		bench_log "FAIL: daemon $1: RSS ${3} -> ${final} KiB after warm-up (${growth}%, limit 10%)"
		fail=1
	fi
done

# SIGTERM: the daemons shut down cleanly, then LeakSanitizer checks the heap.
for p in $PID_A $PID_B; do kill "$p"; done
for p in $PID_A $PID_B; do
	rc=0
	wait "$p" || rc=$?
	[ "$rc" = 0 ] || { bench_log "FAIL: daemon pid $p exited $rc"; fail=1; }
done
VPN_PIDS=""
if ls "$WORK"/asan.* "$WORK"/ubsan.* >/dev/null 2>&1 ||
	grep -lE 'Sanitizer|runtime error' "$WORK"/mip6sec-?.log >/dev/null 2>&1; then
	bench_log "FAIL: sanitizer report:"
	cat "$WORK"/asan.* "$WORK"/ubsan.* 2>/dev/null | head -60 >&2
	grep -hE -A20 'Sanitizer|runtime error' "$WORK"/mip6sec-?.log | head -60 >&2
	fail=1
else
	bench_log "no sanitizer report"
fi

mbps() { # JSON-FILE: the receiver's rate in Mb/s
	python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["end"]
print("%.1f" % ((e.get("sum_received") or e.get("sum") or {}).get("bits_per_second", 0) / 1e6))' "$1" 2>/dev/null ||
		echo 0
}
tcp_mbps=$(mbps "$WORK/tcp.json")
udp_mbps=$(mbps "$WORK/udp.json")
bench_log "carried: TCP ${tcp_mbps} Mb/s, UDP 100 B ${udp_mbps} Mb/s (received)"
awk -v x="$tcp_mbps" 'BEGIN { exit !(x > 0) }' || { bench_log "FAIL: no TCP data went through"; fail=1; }

if [ "$fail" = 0 ]; then
	echo "soak: PASS (${SOAK}s, ENCAP=$ENCAP)"
else
	KEEP=1
	echo "soak: FAIL (logs in $WORK)"
fi
exit "$fail"
