# src/ike: the IKEv2 engines (docs/IKE.md). ikesa: one IKE SA, pure, in one
# file per exchange (ikesa_init/auth/create/info.c) around ikesa.c.
libm6_a_SOURCES += src/ike/ikesa.c src/ike/ikesa.h src/ike/ikesa_int.h src/ike/ikesa_init.c \
	src/ike/ikesa_auth.c src/ike/ikesa_create.c src/ike/ikesa_info.c src/ike/ikesa_crypto.c \
	src/ike/ikesa_crypto.h src/ike/child.c src/ike/child.h

check_PROGRAMS += tests/unit/test_ikesa
TESTS += tests/unit/test_ikesa
tests_unit_test_ikesa_SOURCES = tests/unit/test_ikesa.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ikesa_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ikesa_LDADD = $(TEST_LDADD)

# A handshake prefix, then fuzzed datagrams to a waiting engine: nothing may
# move without a verified SK (tests/fuzz/fuzz_ikesa.c).
check_PROGRAMS += tests/fuzz/replay_ikesa
TESTS += tests/fuzz/replay_ikesa
tests_fuzz_replay_ikesa_SOURCES = tests/fuzz/fuzz_ikesa.c tests/fuzz/replay.c tests/unit/ikesa_pair.h

# tshark decrypts the IKE_AUTH our two engines produce (keys from the debug
# dump) and must find IDi, AUTH, SA, TSi, TSr inside.
check_PROGRAMS += tests/tshark/ikesapcap
tests_tshark_ikesapcap_SOURCES = tests/tshark/ikesapcap.c tests/unit/ikesa_pair.h
tests_tshark_ikesapcap_LDADD = libm6.a $(M6_LIBS)
TESTS += tests/tshark/ikesa-tshark.sh
EXTRA_DIST += tests/tshark/ikesa-tshark.sh

# CHILD_SAs beyond the first and rekeying of CHILD and IKE SAs (tier 2).
check_PROGRAMS += tests/unit/test_ikechild
TESTS += tests/unit/test_ikechild
tests_unit_test_ikechild_SOURCES = tests/unit/test_ikechild.c tests/unit/ikesa_pair.h tests/unit/testutil.c \
	tests/unit/testutil.h
tests_unit_test_ikechild_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ikechild_LDADD = $(TEST_LDADD)
