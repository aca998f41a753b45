# src/ipsec: ESP, SAD, SPD
libm6_a_SOURCES += \
	src/ipsec/esp.c src/ipsec/esp.h \
	src/ipsec/espinudp.c src/ipsec/espinudp.h \
	src/ipsec/replay.c src/ipsec/replay.h \
	src/ipsec/sa.c src/ipsec/sa.h \
	src/ipsec/sad.c src/ipsec/sad.h

check_PROGRAMS += tests/unit/test_esp
TESTS += tests/unit/test_esp
tests_unit_test_esp_SOURCES = tests/unit/test_esp.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_esp_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_esp_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_replay
TESTS += tests/unit/test_replay
tests_unit_test_replay_SOURCES = tests/unit/test_replay.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_replay_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_replay_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_sad
TESTS += tests/unit/test_sad
tests_unit_test_sad_SOURCES = tests/unit/test_sad.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_sad_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_sad_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/fuzz/replay_esp
TESTS += tests/fuzz/replay_esp
tests_fuzz_replay_esp_SOURCES = tests/fuzz/fuzz_esp.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_esp.py

# Throughput benchmark, built on demand only: make bench/esp_bench
# (the first EXTRA_PROGRAMS in the tree: a later fragment must use +=)
EXTRA_PROGRAMS = bench/esp_bench
bench_esp_bench_SOURCES = bench/esp_bench.c
bench_esp_bench_LDADD = libm6.a $(M6_LIBS)
CLEANFILES += bench/esp_bench
