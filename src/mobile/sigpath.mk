# src/mobile/sigpath.mk: the signalling path between the raw sockets and the
# Mobile IPv6 engines (RFC 3776 header orders, manual-key ESP, SPD checks).
libm6_a_SOURCES += src/mobile/sigpath.c src/mobile/sigpath.h

check_PROGRAMS += tests/unit/test_sigpath
TESTS += tests/unit/test_sigpath
tests_unit_test_sigpath_SOURCES = tests/unit/test_sigpath.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_sigpath_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_sigpath_LDADD = $(TEST_LDADD)
