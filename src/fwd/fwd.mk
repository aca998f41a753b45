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
TESTS += tests/netns/tunnel-esp.sh tests/netns/tunnel-udp.sh tests/netns/tunnel-lifecycle.sh
EXTRA_DIST += tests/netns/tunnel-lib.sh tests/netns/tunnel-esp.sh tests/netns/tunnel-udp.sh \
	tests/netns/tunnel-lifecycle.sh
