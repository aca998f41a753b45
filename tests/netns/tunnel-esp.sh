#!/bin/sh
# A manually keyed ESP tunnel (IP protocol 50) between two mip6sec nodes:
# ping both ways, a 50 MB TCP transfer arrives byte-exact, the wire carries
# only ESP between the outer addresses, the SA and policy counters match the
# traffic, and SIGTERM leaves no TUN, route or journal behind. Topology and
# helpers: tests/netns/tunnel-lib.sh. Skips (77) when not root.
ENCAP=esp
. "${top_srcdir:-.}/tests/netns/tunnel-lib.sh"
tl_traffic_test
