# src/fwd/fwd.mk: data path and packet I/O
# fwd/: the per-packet path (fwdpath) and its wiring to TUN and sockets (fwd);
# io/: TUN devices, batched outer sockets, rtnetlink, the kernel-state
# journal, descriptor watches.
libm6_a_SOURCES += \
	src/fwd/fwd.c src/fwd/fwd.h \
	src/fwd/fwdpath.c src/fwd/fwdpath.h \
	src/io/tun.c src/io/tun.h \
	src/io/sock.c src/io/sock.h \
	src/io/netlink.c src/io/netlink.h \
	src/io/kstate.c src/io/kstate.h \
	src/io/watch.c src/io/watch.h

EXTRA_DIST += docs/DATAPLANE.md

# Network-namespace tests of the tunnel (root; skip with 77 otherwise).
TESTS += tests/netns/tunnel-esp.sh tests/netns/tunnel-udp.sh tests/netns/tunnel-lifecycle.sh \
	tests/netns/tunnel-ike-keys.sh
EXTRA_DIST += tests/netns/tunnel-lib.sh tests/netns/tunnel-esp.sh tests/netns/tunnel-udp.sh \
	tests/netns/tunnel-lifecycle.sh tests/netns/tunnel-ike-keys.sh

# tunnel-ike-keys.sh: fwd with an IKE-keyed tunnel and a CHILD_SA installed
# the way the IKE adapter does (the adapter's own interop test covers IKE).
check_PROGRAMS += tests/netns/fwd_ike_probe
tests_netns_fwd_ike_probe_SOURCES = tests/netns/fwd_ike_probe.c
tests_netns_fwd_ike_probe_LDADD = libm6.a $(M6_LIBS)

check_PROGRAMS += tests/unit/test_fwdpath
TESTS += tests/unit/test_fwdpath
tests_unit_test_fwdpath_SOURCES = tests/unit/test_fwdpath.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_fwdpath_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_fwdpath_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_kstate
TESTS += tests/unit/test_kstate
tests_unit_test_kstate_SOURCES = tests/unit/test_kstate.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_kstate_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_kstate_LDADD = $(TEST_LDADD)

# Fuzz replays (corpora: tests/fuzz/mkcorpus_fwdpath.py, mkcorpus_kstate.sh).
check_PROGRAMS += tests/fuzz/replay_fwdpath tests/fuzz/replay_kstate
TESTS += tests/fuzz/replay_fwdpath tests/fuzz/replay_kstate
tests_fuzz_replay_fwdpath_SOURCES = tests/fuzz/fuzz_fwdpath.c tests/fuzz/replay.c
tests_fuzz_replay_kstate_SOURCES = tests/fuzz/fuzz_kstate.c tests/fuzz/replay.c
EXTRA_DIST += tests/fuzz/mkcorpus_fwdpath.py tests/fuzz/mkcorpus_kstate.sh
