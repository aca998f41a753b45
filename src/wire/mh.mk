# src/wire/mh: Mobility Header codec (RFC 6275 §6.1, §6.2)
libm6_a_SOURCES += src/wire/mh.c src/wire/mh.h

check_PROGRAMS += tests/unit/test_mh
TESTS += tests/unit/test_mh
tests_unit_test_mh_SOURCES = tests/unit/test_mh.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_mh_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mh_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/fuzz/replay_mh
TESTS += tests/fuzz/replay_mh
tests_fuzz_replay_mh_SOURCES = tests/fuzz/fuzz_mh.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_mh.py
