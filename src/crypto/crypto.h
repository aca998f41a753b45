/*
 * Small crypto helpers shared by every engine: randomness, constant-time
 * comparison, key wiping and one-shot HMACs. src/crypto/ is the only code that
 * includes OpenSSL headers; everything above it sees these functions.
 */
#ifndef M6_CRYPTO_CRYPTO_H
#define M6_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA1_LEN 20
#define CRYPTO_SHA256_LEN 32

/* Fill buf with len bytes from the CSPRNG; 0 or M6E_IO if it failed. */
int crypto_random(void *buf, size_t len);
/* true when a and b hold the same len bytes; time depends on len only, so
 * MAC and ICV comparisons leak nothing about where they differ. */
bool crypto_memeq(const void *a, const void *b, size_t len);
/* Wipe secret material in a way the compiler cannot drop. */
void crypto_wipe(void *p, size_t len);

/* HMAC-SHA-1 (RFC 2104; Mobile IPv6 return routability, RFC 6275 5.2.5):
 * out receives CRYPTO_SHA1_LEN bytes. 0 or M6E_INVAL/M6E_IO. */
int crypto_hmac_sha1(const void *key, size_t key_len, const void *data, size_t data_len,
		     uint8_t out[CRYPTO_SHA1_LEN]);
/* HMAC-SHA-256 (RFC 4231; PRF_HMAC_SHA2_256, RFC 4868): out receives
 * CRYPTO_SHA256_LEN bytes. 0 or M6E_INVAL/M6E_IO. */
int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t data_len,
		       uint8_t out[CRYPTO_SHA256_LEN]);

#endif
