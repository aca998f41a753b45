# tests/interop/ike: the IKE SA engine (src/ike/ikesa) against strongSwan
# charon over real UDP in two network namespaces. ike_probe runs one engine
# on sockets; ike-strongswan.sh drives both directions. Root only (77 else).
check_PROGRAMS += tests/interop/ike_probe
tests_interop_ike_probe_SOURCES = tests/interop/ike_probe.c
tests_interop_ike_probe_LDADD = libm6.a $(M6_LIBS)
IKE_INTEROP_TESTS = tests/interop/ike-strongswan.sh
TESTS += $(IKE_INTEROP_TESTS)
EXTRA_DIST += $(IKE_INTEROP_TESTS)
