# src/crypto/ike_crypto: IKEv2 cryptography (RFC 7296) on OpenSSL EVP
libm6_a_SOURCES += src/crypto/ike_crypto.c src/crypto/ike_crypto.h

check_PROGRAMS += tests/unit/test_ike_crypto
TESTS += tests/unit/test_ike_crypto
tests_unit_test_ike_crypto_SOURCES = tests/unit/test_ike_crypto.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ike_crypto_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ike_crypto_LDADD = $(TEST_LDADD)
