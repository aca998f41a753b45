#!/bin/sh
# Mobile IPv6 packets built by scapy, not by src/wire (topology in
# mip6io-lib.sh): a BU with a HAO and a BA with RH2 from A are received by
# the probe in B on the Next Header 60 / 43 raw sockets and parse the same
# way ours do, the MH checksum scapy computed verifying with the home
# address (R6275-6.1.1.d). Needs root and python3-scapy; skips otherwise.
. "${top_srcdir:-.}/tests/netns/mip6io-lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c "import scapy" 2>/dev/null || skip "no python3-scapy"
SCAPY=$top_srcdir/tests/netns/mip6io_scapy.py
ml_setup

ml_recv hao dstopt 1 15
inA "$PY" "$SCAPY" bu $A $B $HOA 4242 >"$tmp/scapy-bu.out" 2>&1 || fail "scapy send bu"
ml_recv_wait
ml_expect hao "^got kind=dstopts len=[0-9]+ src=$A dst=$B hlim=64 parse=ok hao=$HOA upper=Mobility Header mh=Binding Update seq=4242 cksum=ok$"

ml_recv rh2 rh 1 15
inA "$PY" "$SCAPY" ba $A $B $HOB 4243 >"$tmp/scapy-ba.out" 2>&1 || fail "scapy send ba"
ml_recv_wait
ml_expect rh2 "^got kind=routing len=[0-9]+ src=$A dst=$B hlim=64 parse=ok rh2=$HOB upper=Mobility Header mh=Binding Acknowledgement seq=4243 cksum=ok$"
echo "PASS: scapy's BU+HAO and BA+RH2 received and parsed, checksums verified"
