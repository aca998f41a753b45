#!/usr/bin/env bash
# bench/handover.sh: handover interruption of mip6sec in the netns lab of
# tests/mobility/lab.sh (docs/MOBILITY-LAB.md), issue 4's `bench/handover`.
#
# The MN registers on link a; the CN pings the MN's home address every
# INTERVAL (5 ms); the MN moves a <-> b MOVES (20) times, DWELL (1.5 s)
# on each link (break before make: R's end of the old link goes down, the
# new one comes up with the MN's address and default route, as a radio
# handover with SLAAC would). Movement reaches the daemon only through
# rtnetlink (carrier, addresses, routes); the lab sends no Router
# Advertisements.
#
# Interruption of a move: on a capture on R (dumpcap -i any, Linux cooked
# v2: interface and direction of each packet), the time from the last data
# packet on the old path to the first on the new one, per direction, the
# longer of the two (tests/mobility/lab_gaps.py). Reported: each move,
# median and p95, against the target (median < 100 ms), and the time from
# the move to `mip6sec status` saying registered at the new care-of address
# (an upper bound: polled, and each poll starts processes).
#
# Environment: BUILD (default _build-release: an optimised build without
# sanitizers, configured once if missing), MOVES, INTERVAL, DWELL,
# LAB_PAYLOAD=esp (data in the payload ESP SAs instead of IPv6-in-IPv6),
# KEEP=1 (keep the work directory with captures and logs), NO_BUILD=1 (use
# the binary in BUILD as it is).
#
# Each move also reports the daemon's share: from the moment the MN had its
# new address and default route (the lab's link bring-up is done: both veth
# ends active, R's addresses usable) to the first data packet towards the MN
# on the new path.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
MOVES=${MOVES:-20} INTERVAL=${INTERVAL:-0.005} DWELL=${DWELL:-1.5}
TARGET_MS=100
if [ "${NO_BUILD:-0}" = 1 ]; then
	build=${BUILD:-$top/_build-release}
else
	build=$(bench_build "${BUILD:-$top/_build-release}") || bench_die "build failed"
fi
export MIP6SEC=$build/mip6sec
# shellcheck source=tests/mobility/lab.sh
. "$top/tests/mobility/lab.sh"
LAB_LOG_LEVEL=${LAB_LOG_LEVEL:-notice}
lab_init
lab_need ping dumpcap tshark
lab_up
lab_conf ha
lab_conf mn
lab_start ha
lab_attach a
lab_start mn
lab_wait 10 "first registration" lab_is_registered $COA_A
bench_log "registered at $COA_A; $MOVES moves, ping every $INTERVAL s from the CN to $HOA, ${DWELL} s per link"

lab_capture_r "$LAB_TMP/r.pcapng"
lab_bg "$NS_CN" "$LAB_TMP/ping.out" ping -6 -i "$INTERVAL" -W 1 $HOA
PING=$LAB_BG_PID
regs=() ready=() started=()
cur=a
for i in $(seq "$MOVES"); do
	sleep "$DWELL"
	next=$([ $cur = a ] && echo b || echo a)
	coa=$([ $next = a ] && echo $COA_A || echo $COA_B)
	t=$(lab_ms)
	lab_move $cur $next
	ready+=("$LAB_MOVE_T1")
	started+=("$LAB_MOVE_T0")
	lab_wait 10 "registration at $coa (move $i)" lab_is_registered $coa
	regs+=($(($(lab_ms) - t)))
	cur=$next
done
sleep "$DWELL"
kill -INT $PING
lab_capture_stop
lab_gaps "$LAB_TMP/r.pcapng" --json >"$LAB_TMP/gaps.json" || lab_fail "lab_gaps"
lab_no_sanitizer

"$LAB_PY" - "$LAB_TMP/gaps.json" "$MOVES" "$TARGET_MS" "${regs[*]}" "$INTERVAL" "${LAB_PAYLOAD:-ip6ip6}" "${ready[*]}" "${started[*]}" <<'EOP'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
moves, target = int(sys.argv[2]), float(sys.argv[3])
regs = [int(x) for x in sys.argv[4].split()]
ready = [float(x) for x in sys.argv[7].split()]
started = [float(x) for x in sys.argv[8].split()]
bringup = sorted((r - t) * 1000 for r, t in zip(ready, started))
daemon = []
print("handover interruption, %d moves a <-> b, ping every %s s from the CN to the home address (%s):"
      % (moves, sys.argv[5], sys.argv[6]))
for i, h in enumerate(d["handovers"], 1):
    reg = regs[i - 1] if i <= len(regs) else None
    share = "-"
    if i <= len(ready) and "down_first" in h:
        share = round((h["down_first"] - ready[i - 1]) * 1000, 1)
        daemon.append(share)
    print("  move %2d %s -> %s  interruption %7.1f ms (down %6s, up %6s)  daemon share %6s ms  status registered after %s ms"
          % (i, h["from"], h["to"], h["ms"], h.get("down_ms", "-"), h.get("up_ms", "-"), share, reg))
if d["count"] != moves:
    print("WARNING: %d path changes in the capture for %d moves" % (d["count"], moves))
print("interruption: median %.1f ms, p95 %.1f ms, max %s ms; target median < %.0f ms: %s (median/target %.2f)"
      % (d["median_ms"], d["p95_ms"], d["max_ms"], target, "met" if d["median_ms"] < target else "NOT met",
         d["median_ms"] / target))
if daemon:
    daemon.sort()
    print("daemon share (MN has its new address and router -> first packet to it on the new path): median %.1f ms, "
          "p95 %.1f ms" % (statistics.median(daemon), daemon[min(len(daemon) - 1, round(0.95 * (len(daemon) - 1)))]))
print("lab link bring-up (R's old end down -> MN has its new address and router): median %.1f ms, max %.1f ms"
      % (statistics.median(bringup), bringup[-1]))
print("move -> mip6sec status says registered: median %.0f ms, max %d ms (an upper bound: polled, each poll runs three processes)"
      % (statistics.median(regs), max(regs)))
EOP
grep -E "packets transmitted" "$LAB_TMP/ping.out"
