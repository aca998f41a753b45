#!/bin/sh
# The capture of a mip6sec tunnel with ESP-in-UDP (RFC 3948, port 4500) decrypted by
# espcap, tshark and scapy, then replayed into the receiver: every replayed
# packet dropped and counted, none delivered. See tests/interop/tunnel-replay.sh.
ENCAP=udp
. "${top_srcdir:-.}/tests/interop/tunnel-replay.sh"
