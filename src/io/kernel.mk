# src/io/kernel.mk: kernel plumbing for the mobility adapters (issue 4):
# the kstate kernel side (routes in any table, rules, proxy NDP, sysctls)
# and the rtnetlink monitor.
libm6_a_SOURCES += \
	src/io/kernel.c src/io/kernel.h \
	src/io/nlmon.c src/io/nlmon.h \
	src/io/nlmon_parse.c

# The netns test driver for the scripts below.
check_PROGRAMS += tests/netns/kernel_probe
tests_netns_kernel_probe_SOURCES = tests/netns/kernel_probe.c
tests_netns_kernel_probe_LDADD = libm6.a $(M6_LIBS)

KERNEL_NETNS = tests/netns/kernel-rules.sh tests/netns/kernel-proxy.sh tests/netns/kernel-recovery.sh \
	tests/netns/kernel-nlmon.sh tests/netns/kernel-raw41.sh
TESTS += $(KERNEL_NETNS)
EXTRA_DIST += $(KERNEL_NETNS) tests/netns/kernel-lib.sh

check_PROGRAMS += tests/unit/test_nlmon
TESTS += tests/unit/test_nlmon
tests_unit_test_nlmon_SOURCES = tests/unit/test_nlmon.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_nlmon_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_nlmon_LDADD = $(TEST_LDADD)

# Fuzz replay of nlmon_parse (corpus: tests/fuzz/mkcorpus_nlmon.sh).
check_PROGRAMS += tests/fuzz/replay_nlmon
TESTS += tests/fuzz/replay_nlmon
tests_fuzz_replay_nlmon_SOURCES = tests/fuzz/fuzz_nlmon.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_nlmon.sh
