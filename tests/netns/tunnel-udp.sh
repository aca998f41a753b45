#!/bin/sh
# The same tunnel as tunnel-esp.sh with encapsulation = "udp" (RFC 3948
# ESP-in-UDP on port 4500, no NAT): only UDP 4500 between the outer
# addresses on the wire. Topology and helpers: tests/netns/tunnel-lib.sh.
ENCAP=udp
. "${top_srcdir:-.}/tests/netns/tunnel-lib.sh"
tl_traffic_test
