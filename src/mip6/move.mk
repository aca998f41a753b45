# src/mip6/move.mk: movement detection engine
libm6_a_SOURCES += src/mip6/movement.c src/mip6/movement.h

check_PROGRAMS += tests/unit/test_movement
TESTS += tests/unit/test_movement
tests_unit_test_movement_SOURCES = tests/unit/test_movement.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_movement_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_movement_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/fuzz/replay_movement
TESTS += tests/fuzz/replay_movement
tests_fuzz_replay_movement_SOURCES = tests/fuzz/fuzz_movement.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_movement.py
