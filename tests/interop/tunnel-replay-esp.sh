#!/bin/sh
# The capture of a mip6sec tunnel with raw ESP (IP protocol 50) decrypted by
# espcap, tshark and scapy, then replayed into the receiver: every replayed
# packet dropped and counted, none delivered. See ${top_srcdir:-.}/tests/interop/tunnel-replay.sh.
ENCAP=esp
. "${top_srcdir:-.}/tests/interop/tunnel-replay.sh"
