#!/bin/bash
# handover-tcp.sh with the MN's data in ESP tunnel mode (the payload SAs,
# RFC 3776 3.2): the HA must re-point the tunnel-mode SAs at the new care-of
# address when, and only when, the BU is accepted.
export LAB_PAYLOAD=esp
exec bash "$(dirname "$0")/handover-tcp.sh"
