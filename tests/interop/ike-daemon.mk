# tests/interop/ike-daemon: the daemon's IKE adapter (src/ike/ikeio) against
# strongSwan charon in five network namespaces: both roles, DH groups, CBC,
# DPD, SIGTERM, NAT66, tshark with the key dump, reload, cookies, rate limit,
# CHILD_SA and IKE SA rekeying under traffic, certificate AUTH (RSA, ECDSA,
# FQDN and DN identities, wrong CAs) and fragmented IKE_AUTH (RSA-4096 chain;
# the test PKI comes from ike-daemon-pki.sh, made at run time).
# ike-daemon-pair: two mip6sec daemons keying their tunnel with their own
# IKEv2 (plain ESP: no NAT). Root only (77 else).
IKE_DAEMON_TESTS = tests/interop/ike-daemon.sh tests/interop/ike-daemon-pair.sh
TESTS += $(IKE_DAEMON_TESTS)
EXTRA_DIST += $(IKE_DAEMON_TESTS) tests/interop/ike-daemon-pki.sh
