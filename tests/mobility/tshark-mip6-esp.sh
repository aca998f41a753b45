#!/bin/bash
# tshark-mip6.sh with the MN's data in the payload ESP SAs (tunnel mode,
# RFC 3776 3.2): tshark must also authenticate and decrypt every data
# packet, before and after the SAs follow the care-of address.
export LAB_PAYLOAD=esp
exec bash "$(dirname "$0")/tshark-mip6.sh"
