# src/wire/ip6: IPv6 header and extension headers, UDP, IPv6-in-IPv6.
libm6_a_SOURCES += \
	src/wire/ip6.c src/wire/ip6.h \
	src/wire/exthdr.c src/wire/exthdr.h \
	src/wire/udp.c src/wire/udp.h \
	src/wire/tunnel6.c src/wire/tunnel6.h

check_PROGRAMS += tests/unit/test_ip6
TESTS += tests/unit/test_ip6
tests_unit_test_ip6_SOURCES = tests/unit/test_ip6.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ip6_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ip6_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/fuzz/replay_ip6
TESTS += tests/fuzz/replay_ip6
tests_fuzz_replay_ip6_SOURCES = tests/fuzz/fuzz_ip6.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_ip6.sh
