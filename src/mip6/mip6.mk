# src/mip6: home agent and mobile node engines (RFC 6275 §10, §11; RFC 3776)
libm6_a_SOURCES += src/mip6/mip6.h src/mip6/bcache.c src/mip6/bcache.h \
	src/mip6/ha.c src/mip6/ha.h src/mip6/bul.c src/mip6/bul.h src/mip6/mn.c src/mip6/mn.h

check_PROGRAMS += tests/unit/test_bcache
TESTS += tests/unit/test_bcache
tests_unit_test_bcache_SOURCES = tests/unit/test_bcache.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_bcache_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_bcache_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_ha
TESTS += tests/unit/test_ha
tests_unit_test_ha_SOURCES = tests/unit/test_ha.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ha_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ha_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_mn
TESTS += tests/unit/test_mn
tests_unit_test_mn_SOURCES = tests/unit/test_mn.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_mn_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mn_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_mip6x
TESTS += tests/unit/test_mip6x
tests_unit_test_mip6x_SOURCES = tests/unit/test_mip6x.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_mip6x_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mip6x_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/fuzz/replay_mip6
TESTS += tests/fuzz/replay_mip6
tests_fuzz_replay_mip6_SOURCES = tests/fuzz/fuzz_mip6.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_mip6.py
