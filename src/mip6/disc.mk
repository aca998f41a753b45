# src/mip6/disc.mk: DHAAD and mobile prefix discovery engines
# (RFC 6275 §10.5.1, §10.6, §11.4)
libm6_a_SOURCES += src/mip6/dhaad.c src/mip6/dhaad.h src/mip6/mpd.c src/mip6/mpd.h

check_PROGRAMS += tests/unit/test_dhaad
TESTS += tests/unit/test_dhaad
tests_unit_test_dhaad_SOURCES = tests/unit/test_dhaad.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_dhaad_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_dhaad_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_mpd
TESTS += tests/unit/test_mpd
tests_unit_test_mpd_SOURCES = tests/unit/test_mpd.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_mpd_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_mpd_LDADD = $(TEST_LDADD)
