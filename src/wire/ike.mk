# src/wire/ike: IKEv2 message and payload codec (RFC 7296 §3, RFC 7383 §2.5).
libm6_a_SOURCES += src/wire/ike.c src/wire/ike.h

check_PROGRAMS += tests/unit/test_ike_wire
TESTS += tests/unit/test_ike_wire
tests_unit_test_ike_wire_SOURCES = tests/unit/test_ike_wire.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ike_wire_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ike_wire_LDADD = $(TEST_LDADD)

# Seeds: IKE_CORPUS=tests/fuzz/corpus/ike tests/unit/test_ike_wire
check_PROGRAMS += tests/fuzz/replay_ike
TESTS += tests/fuzz/replay_ike
tests_fuzz_replay_ike_SOURCES = tests/fuzz/fuzz_ike.c tests/fuzz/replay.c

# tshark reads what our builders write (IKE_SA_INIT, IKE_AUTH with SK/SKF,
# port 4500 with the Non-ESP Marker, every other payload's layout).
check_PROGRAMS += tests/tshark/ikepcap
tests_tshark_ikepcap_SOURCES = tests/tshark/ikepcap.c
tests_tshark_ikepcap_LDADD = libm6.a $(M6_LIBS)
TESTS += tests/tshark/ike-tshark.sh
EXTRA_DIST += tests/tshark/ike-tshark.sh
# Regenerates the strongSwan vectors of test_ike_wire (root, charon; manual).
EXTRA_DIST += tests/tshark/ike-strongswan-capture.sh
