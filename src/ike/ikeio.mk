# src/ike/ikeio: the daemon's IKEv2 adapter (sockets, SA table, timers,
# CHILD_SAs into ipsecdb) and ikepeer (PAD and connection lookups, pure).
libm6_a_SOURCES += src/ike/ikeio.c src/ike/ikeio.h src/ike/ikeio_int.h src/ike/ikeio_net.c src/ike/ikeio_child.c \
	src/ike/ikeio_dump.c src/ike/ikeio_mip6.c src/ike/ikepeer.c src/ike/ikepeer.h

check_PROGRAMS += tests/unit/test_ikepeer
TESTS += tests/unit/test_ikepeer
tests_unit_test_ikepeer_SOURCES = tests/unit/test_ikepeer.c tests/unit/ikesa_pair.h tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ikepeer_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ikepeer_LDADD = $(TEST_LDADD)

# `mip6sec ike` and the "ike" section of `mip6sec status` (ctl sits above
# ike, so the rendering lives in src/ctl).
libm6_a_SOURCES += src/ctl/ike_show.c src/ctl/ike_show.h

include $(srcdir)/tests/interop/ike-daemon.mk

# The engine's spi_taken hook the adapter uses (R4303-2.1.a).
check_PROGRAMS += tests/unit/test_ikespi
TESTS += tests/unit/test_ikespi
tests_unit_test_ikespi_SOURCES = tests/unit/test_ikespi.c tests/unit/ikesa_pair.h tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ikespi_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ikespi_LDADD = $(TEST_LDADD)
