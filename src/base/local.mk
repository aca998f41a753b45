libm6_a_SOURCES += \
	src/base/addr.c src/base/addr.h \
	src/base/clock.c src/base/clock.h \
	src/base/err.c src/base/err.h \
	src/base/log.c src/base/log.h \
	src/base/names.c src/base/names.h \
	src/base/rbuf.c src/base/rbuf.h \
	src/base/wbuf.c src/base/wbuf.h

check_PROGRAMS += tests/unit/test_base
TESTS += tests/unit/test_base
tests_unit_test_base_SOURCES = tests/unit/test_base.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_base_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_base_LDADD = $(TEST_LDADD)

libm6_a_SOURCES += src/wire/cksum.c src/wire/cksum.h
