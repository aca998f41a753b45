#!/bin/bash
# Handover A -> B under an open TCP connection (RFC 6275 11.5, 10.3.1):
# the MN sends 3 MB of a known pattern from its home address to the CN at
# about 600 kB/s while the CN pings the home address every 20 ms; 1.5 s in,
# link a goes down and link b comes up. The MN re-registers at the new
# care-of address with a newer sequence number, the HA's entry moves, the
# TCP stream arrives byte for byte (sha256) from the home address, and the
# interruption measured on R (last data packet on a, first on b, both
# directions) stays under 1.5 s: the first BU from b is accepted without a
# retransmission. LAB_PAYLOAD=esp runs the data through the payload SAs
# (handover-tcp-esp.sh).
. "$(dirname "$0")/lab.sh"
lab_init
lab_need ping dumpcap tshark
lab_up
lab_register_on a
seq_a=$(lab_bce sequence)
handovers=$(lab_mn handovers)
lab_capture_r "$LAB_TMP/r.pcapng"
lab_bg "$NS_CN" "$LAB_TMP/ping.out" ping -6 -i 0.02 -W 1 $HOA
PING=$LAB_BG_PID
lab_tcp_start "$NS_MN" $CN_ADDR 5001 3000000 600000
sleep 1.5
t_move=$(lab_ms)
lab_move a b
lab_wait 10 "registration at $COA_B" lab_is_registered $COA_B
echo "registered at $COA_B $(($(lab_ms) - t_move)) ms after the move"
lab_tcp_check
[ "$LAB_TCP_PEER" = $HOA ] || lab_fail "TCP came from $LAB_TCP_PEER, want $HOA"
kill -INT $PING
lab_capture_stop
seq_b=$(lab_bce sequence)
d=$(((seq_b - seq_a + 65536) % 65536))
[ $d -ge 1 ] && [ $d -lt 32768 ] || lab_fail "sequence $seq_a -> $seq_b, want newer"
[ "$(lab_mn handovers)" -gt "$handovers" ] || lab_fail "MN handovers did not count the move"
[ "$(lab_mn interface)" = mn-b ] || lab_fail "MN interface $(lab_mn interface)"
grep -q "binding moved: hoa $HOA coa $COA_B" "$LAB_TMP/ha/daemon.log" || lab_fail "no 'binding moved' log line on the HA"
lab_gaps "$LAB_TMP/r.pcapng" | tee "$LAB_TMP/gaps.txt"
gap=$(lab_gaps "$LAB_TMP/r.pcapng" --json | "$LAB_PY" -c '
import json, sys
d = json.load(sys.stdin)
hs = [h for h in d["handovers"] if h["from"] == "a" and h["to"] == "b"]
print(hs[0]["ms"] if len(hs) == 1 and d["count"] == 1 else "bad:%s" % d)')
case $gap in bad*) lab_fail "want exactly one a -> b handover in the capture: $gap" ;; esac
"$LAB_PY" -c "import sys; sys.exit(0 if $gap < 1500 else 1)" || lab_fail "interruption $gap ms"
tail -2 "$LAB_TMP/ping.out"
lab_finish
echo "PASS: handover a -> b (${LAB_PAYLOAD:-ip6ip6}), 3000000 TCP bytes intact, interruption $gap ms"
