# src/crypto/ike_crypto: IKEv2 cryptography (RFC 7296) on OpenSSL EVP
libm6_a_SOURCES += src/crypto/ike_crypto.c src/crypto/ike_crypto.h src/crypto/ike_sig.c

check_PROGRAMS += tests/unit/test_ike_crypto
TESTS += tests/unit/test_ike_crypto
tests_unit_test_ike_crypto_SOURCES = tests/unit/test_ike_crypto.c tests/unit/testutil.c tests/unit/testutil.h
tests_unit_test_ike_crypto_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ike_crypto_LDADD = $(TEST_LDADD)

# python3-cryptography, an independent implementation, seals what we open and
# opens what we seal (tests/unit/ike_sk_crosscheck.py drives ike_sk_probe).
check_PROGRAMS += tests/unit/ike_sk_probe
tests_unit_ike_sk_probe_SOURCES = tests/unit/ike_sk_probe.c
tests_unit_ike_sk_probe_LDADD = libm6.a $(M6_LIBS)
TESTS += tests/unit/ike_sk_crosscheck.py
EXTRA_DIST += tests/unit/ike_sk_crosscheck.py

# What a peer hands to ike_crypto, fuzzed (seeds: IKE_CRYPTO_CORPUS=tests/fuzz/corpus/ike_crypto
# tests/unit/test_ike_crypto); replayed over its corpus in make check.
check_PROGRAMS += tests/fuzz/replay_ike_crypto
TESTS += tests/fuzz/replay_ike_crypto
tests_fuzz_replay_ike_crypto_SOURCES = tests/fuzz/fuzz_ike_crypto.c tests/fuzz/replay.c
