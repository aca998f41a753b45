# Fuzz targets: tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput. In
# `make check` each is linked with replay.c (gcc, sanitizers) and replays its
# seed corpus tests/fuzz/corpus/NAME/. tests/fuzz/run-fuzzers.sh runs the
# real libFuzzer builds with clang. Add a target with three lines:
#   check_PROGRAMS += tests/fuzz/replay_NAME
#   TESTS += tests/fuzz/replay_NAME
#   tests_fuzz_replay_NAME_SOURCES = tests/fuzz/fuzz_NAME.c tests/fuzz/replay.c
# (the LDADD below is shared through FUZZ_LDADD).
FUZZ_LDADD = libm6.a $(M6_LIBS)
EXTRA_DIST += tests/fuzz/run-fuzzers.sh tests/fuzz/corpus
LDADD = $(FUZZ_LDADD)
