#!/bin/bash
# BU retransmission (RFC 6275 11.8, R6275-11.8.*): R drops the MN's first
# BU (an nftables rule on ESP SPI 0x1001, removed as soon as it counted one
# packet). The MN retransmits after INITIAL_BINDACK_TIMEOUT_FIRSTREG
# (1.5 s, jittered up by less than 10 %) and that BU registers. Checked on
# R's capture: the first two BUs leave the MN 1.4 to 1.75 s apart.
. "$(dirname "$0")/lab.sh"
lab_init
lab_need nft dumpcap tshark
lab_up
in_ns "$NS_R" nft -f - <<'EON' || lab_fail "nft"
table ip6 m6lab {
	chain forward_filter {
		type filter hook forward priority 0;
		esp spi 0x1001 counter drop
	}
}
EON
lab_capture_r "$LAB_TMP/r.pcapng"
lab_conf ha
lab_conf mn
lab_start ha
lab_attach a
lab_start mn
dropped() { in_ns "$NS_R" nft list table ip6 m6lab | grep -q "counter packets [1-9]"; }
lab_wait 10 "the first BU" dropped
in_ns "$NS_R" nft delete table ip6 m6lab
lab_wait 10 "registration after the retransmission" lab_is_registered $COA_A
lab_capture_stop
# Each BU once, as R received it on r-a (incoming).
tshark -n -r "$LAB_TMP/r.pcapng" -Y "sll.pkttype != 4 && esp.spi == 0x1001 && ipv6.src == $COA_A" -T fields \
	-e frame.time_epoch -e esp.sequence 2>/dev/null >"$LAB_TMP/bu.txt"
cat "$LAB_TMP/bu.txt"
[ "$(wc -l <"$LAB_TMP/bu.txt")" -ge 2 ] || lab_fail "fewer than 2 BUs on link a"
"$LAB_PY" - "$LAB_TMP/bu.txt" <<'EOP' || lab_fail "retransmission timing"
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1])]
dt = t[1] - t[0]
print("first retransmission %.3f s after the first BU" % dt)
sys.exit(0 if 1.4 <= dt <= 1.75 else 1)
EOP
[ "$(lab_mn registrations)" = 1 ] || lab_fail "MN registrations $(lab_mn registrations), want 1"
lab_finish
echo "PASS: first BU dropped, retransmission registered"
