# src/ipsec/spd.mk: SPD and ipsecdb (the listings are src/ctl/ipsec_show.c)
libm6_a_SOURCES += \
	src/ipsec/spd.c src/ipsec/spd.h \
	src/ipsec/ipsecdb.c src/ipsec/ipsecdb.h

check_PROGRAMS += tests/unit/test_spd
TESTS += tests/unit/test_spd
tests_unit_test_spd_SOURCES = tests/unit/test_spd.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_spd_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_spd_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_ipsecdb
TESTS += tests/unit/test_ipsecdb
tests_unit_test_ipsecdb_SOURCES = tests/unit/test_ipsecdb.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ipsecdb_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ipsecdb_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/fuzz/replay_spd
TESTS += tests/fuzz/replay_spd
tests_fuzz_replay_spd_SOURCES = tests/fuzz/fuzz_spd.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_spd.py

# Lookup rate at 10, 1k and 10k entries, built on demand only:
#   make bench/spd_bench && ./bench/spd_bench
EXTRA_PROGRAMS += bench/spd_bench
bench_spd_bench_SOURCES = bench/spd_bench.c
bench_spd_bench_LDADD = libm6.a $(M6_LIBS)
CLEANFILES += bench/spd_bench
