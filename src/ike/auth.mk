# src/ike: certificate authentication (ikeauth) and RFC 7383 fragmentation
# (frag) of the IKE SA engine (docs/IKE.md, "Certificates and fragmentation").
libm6_a_SOURCES += src/ike/ikeauth.c src/ike/ikeauth.h src/ike/frag.c src/ike/frag.h

# Certificates: credentials, CERT/CERTREQ/AUTH, chains, IDs, and two engines
# completing IKE_AUTH with certificates (test chains made at run time).
check_PROGRAMS += tests/unit/test_ikeauth
TESTS += tests/unit/test_ikeauth
tests_unit_test_ikeauth_SOURCES = tests/unit/test_ikeauth.c tests/unit/certgen.h tests/unit/certpair.h tests/unit/ikesa_pair.h \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ikeauth_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ikeauth_LDADD = $(TEST_LDADD)

# Fragmentation: split/reassemble, loss, reordering, duplicates, forgeries, limits.
check_PROGRAMS += tests/unit/test_ikefrag
TESTS += tests/unit/test_ikefrag
tests_unit_test_ikefrag_SOURCES = tests/unit/test_ikefrag.c tests/unit/fragkeys.h tests/unit/certgen.h tests/unit/certpair.h tests/unit/ikesa_pair.h \
	tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ikefrag_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ikefrag_LDADD = $(TEST_LDADD)

# The reassembler under fuzzed SKF fragments (tests/fuzz/fuzz_ikefrag.c).
check_PROGRAMS += tests/fuzz/replay_ikefrag
TESTS += tests/fuzz/replay_ikefrag
tests_fuzz_replay_ikefrag_SOURCES = tests/fuzz/fuzz_ikefrag.c tests/fuzz/replay.c tests/unit/fragkeys.h
