# src/io/mip6io.mk: Mobile IPv6 packet I/O (HAO/RH2 raw sockets, nft rule)
libm6_a_SOURCES += \
	src/io/mip6sock.c src/io/mip6sock.h \
	src/io/nft.c src/io/nft.h

check_PROGRAMS += tests/unit/test_mip6io
TESTS += tests/unit/test_mip6io
tests_unit_test_mip6io_SOURCES = tests/unit/test_mip6io.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_mip6io_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mip6io_LDADD = $(TEST_LDADD)

# The netns test driver (no CLI of its own: issue 4's engines do not exist yet).
check_PROGRAMS += tests/netns/mip6io_probe
tests_netns_mip6io_probe_SOURCES = tests/netns/mip6io_probe.c
tests_netns_mip6io_probe_LDADD = libm6.a $(M6_LIBS)

MIP6IO_NETNS = tests/netns/mip6io-send-recv.sh tests/netns/mip6io-nft.sh \
	tests/netns/mip6io-scapy.sh tests/netns/mip6io-limits.sh
TESTS += $(MIP6IO_NETNS)
EXTRA_DIST += $(MIP6IO_NETNS) tests/netns/mip6io-lib.sh tests/netns/mip6io_scapy.py
