# src/wire/icmp6: ICMPv6 (DHAAD, errors, anycast) and Neighbor Discovery
# (RS/RA/NS/NA, Mobile Prefix messages) codecs.
libm6_a_SOURCES += \
	src/wire/icmp6.c src/wire/icmp6.h \
	src/wire/nd.c src/wire/nd.h

check_PROGRAMS += tests/unit/test_icmp6
TESTS += tests/unit/test_icmp6
tests_unit_test_icmp6_SOURCES = tests/unit/test_icmp6.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_icmp6_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_icmp6_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/fuzz/replay_icmp6
TESTS += tests/fuzz/replay_icmp6
tests_fuzz_replay_icmp6_SOURCES = tests/fuzz/fuzz_icmp6.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_icmp6.py
