#!/bin/bash
# return-home.sh with IKEv2-keyed MN-HA SAs (RFC 4877; LAB_KEYING=ike): the
# deregistration BU from the home address leaves over the IKE BU/BA SA, the
# SAs may stay at home (RFC 4877), and leaving home again runs IKE from the
# new care-of address before the BU.
export LAB_KEYING=ike
exec bash "$(dirname "$0")/return-home.sh"
