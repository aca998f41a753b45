# src/wire/ike: IKEv2 message and payload codec (RFC 7296 §3, RFC 7383 §2.5).
libm6_a_SOURCES += src/wire/ike.c src/wire/ike.h

check_PROGRAMS += tests/unit/test_ike_wire
TESTS += tests/unit/test_ike_wire
tests_unit_test_ike_wire_SOURCES = tests/unit/test_ike_wire.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ike_wire_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ike_wire_LDADD = $(TEST_LDADD)
