# src/ctl: control protocol codec, JSON writer and command dispatch (no I/O).
libm6_a_SOURCES += \
	src/ctl/ctlproto.c src/ctl/ctlproto.h \
	src/ctl/json.c src/ctl/json.h \
	src/ctl/ctl.c src/ctl/ctl.h

check_PROGRAMS += tests/unit/test_ctl
TESTS += tests/unit/test_ctl
tests_unit_test_ctl_SOURCES = tests/unit/test_ctl.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ctl_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ctl_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/fuzz/replay_ctl
TESTS += tests/fuzz/replay_ctl
tests_fuzz_replay_ctl_SOURCES = tests/fuzz/fuzz_ctl.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_ctl.py

# The sas/policies listings: ctl sits above ipsec, so the rendering of the
# SAD and SPD lives here.
libm6_a_SOURCES += src/ctl/ipsec_show.c src/ctl/ipsec_show.h

# `mip6sec bindings` and the role sections of `status`.
libm6_a_SOURCES += src/ctl/mip6_show.c src/ctl/mip6_show.h
