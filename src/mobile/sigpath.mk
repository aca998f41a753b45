# src/mobile/sigpath.mk: the signalling path between the raw sockets and the
# Mobile IPv6 engines (RFC 3776 header orders, manual-key ESP, SPD checks).
libm6_a_SOURCES += src/mobile/sigpath.c src/mobile/sigpath.h

check_PROGRAMS += tests/unit/test_sigpath
TESTS += tests/unit/test_sigpath
tests_unit_test_sigpath_SOURCES = tests/unit/test_sigpath.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_sigpath_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_sigpath_LDADD = $(TEST_LDADD)

# Fuzz replay; the seed corpus tests/fuzz/corpus/sigpath/ is written by the
# unit test: SIGPATH_CORPUS=DIR tests/unit/test_sigpath.
check_PROGRAMS += tests/fuzz/replay_sigpath
TESTS += tests/fuzz/replay_sigpath
tests_fuzz_replay_sigpath_SOURCES = tests/fuzz/fuzz_sigpath.c tests/fuzz/replay.c

# scapy builds BUs we did not write and reads the ones we build
# (tests/mobility/sigpath-scapy.py drives tests/mobility/sigpath_probe).
check_PROGRAMS += tests/mobility/sigpath_probe
tests_mobility_sigpath_probe_SOURCES = tests/mobility/sigpath_probe.c
tests_mobility_sigpath_probe_LDADD = libm6.a $(M6_LIBS)
TESTS += tests/mobility/sigpath-scapy.py
EXTRA_DIST += tests/mobility/sigpath-scapy.py
