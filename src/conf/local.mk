# src/conf: mip6sec.conf schema, loader, validation, check-config; its
# examples, man page and tests.
libm6_a_SOURCES += \
	src/conf/conf.c src/conf/conf.h src/conf/conf_priv.h \
	src/conf/conf_schema.c src/conf/conf_walk.c src/conf/conf_key.c \
	src/conf/conf_alg.c src/conf/conf_rules.c src/conf/conf_check.c

dist_man_MANS += man/mip6sec.conf.5
dist_sysconf_DATA += etc/mip6sec.conf
EXTRA_DIST += etc/examples tests/conf/broken tests/conf/check-config.sh tests/conf/man-page.sh \
	tests/fuzz/mkcorpus_conf.sh

check_PROGRAMS += tests/unit/test_conf
TESTS += tests/unit/test_conf
tests_unit_test_conf_SOURCES = tests/unit/test_conf.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_conf_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_conf_LDADD = $(TEST_LDADD)

# Prints the KEYS part of mip6sec.conf(5) from the schema; man-page.sh
# compares it with the page.
check_PROGRAMS += tests/conf/man-keys
tests_conf_man_keys_SOURCES = tests/conf/man-keys.c

TESTS += tests/conf/check-config.sh tests/conf/man-page.sh

check_PROGRAMS += tests/fuzz/replay_conf
TESTS += tests/fuzz/replay_conf
tests_fuzz_replay_conf_SOURCES = tests/fuzz/fuzz_conf.c tests/fuzz/replay.c
