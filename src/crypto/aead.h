/*
 * aead: one interface for every ESP (and later IKE) cipher suite.
 *
 * A context is bound to one algorithm, one key and one direction (seal or
 * open), matching a unidirectional SA. It is created once per SA and reused
 * for every packet: aead_seal()/aead_open() do no allocation and work in
 * place on the caller's buffer.
 *
 * Suites (wire-formats.md J; algorithms.md 3.2-3.4):
 *   AES-GCM-16 (RFC 4106)          KEYMAT = key (16/24/32) | salt (4), IV 8, ICV 16
 *   ChaCha20-Poly1305 (RFC 7634)   KEYMAT = key (32) | salt (4),       IV 8, ICV 16
 *   AES-CBC + HMAC-SHA2-256-128    KEYMAT = enc key (16/32) | auth key (32)
 *     (RFC 3602, RFC 4868)         (RFC 7296 2.17 order),             IV 16, ICV 16
 *
 * Authenticated-but-not-encrypted input is given as `aad` (before the IV) and
 * `aad_tail` (after the ciphertext). AEAD suites authenticate aad | aad_tail
 * as their AAD; the separate-integrity suite computes
 *   ICV = first 128 bits of HMAC-SHA-256(K_a, aad | IV | ciphertext | aad_tail)
 * which is exactly RFC 4303 3.3.2.1 with aad = SPI | Seq and aad_tail = the
 * ESN high-order bits (R4303-3.3.2.a).
 */
#ifndef M6_CRYPTO_AEAD_H
#define M6_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum aead_alg {
	AEAD_AES128_GCM16 = 1,
	AEAD_AES192_GCM16, /* MAY (R8221-5.a); GCM-ESP-7 covers it */
	AEAD_AES256_GCM16,
	AEAD_CHACHA20_POLY1305,
	AEAD_AES128_CBC_HMAC_SHA256_128,
	AEAD_AES256_CBC_HMAC_SHA256_128,
};
#define AEAD_ALG_MIN AEAD_AES128_GCM16
#define AEAD_ALG_MAX AEAD_AES256_CBC_HMAC_SHA256_128

enum aead_dir { AEAD_SEAL = 0, AEAD_OPEN = 1 };

#define AEAD_MAX_IV 16
#define AEAD_MAX_ICV 16
#define AEAD_MAX_KEYMAT 64
#define AEAD_SALT_LEN 4

struct aead;

/* Properties of a suite; 0 / NULL-free "unknown" for a value outside the enum. */
const char *aead_alg_name(enum aead_alg alg);
bool aead_alg_valid(int alg);
size_t aead_keymat_len(enum aead_alg alg);
size_t aead_iv_len(enum aead_alg alg);
size_t aead_icv_len(enum aead_alg alg);
/* Plaintext must be a multiple of this: the cipher block (16 for CBC) or 4
 * for AEAD suites, where only the ICV alignment applies (algorithms.md 3.1). */
size_t aead_block_len(enum aead_alg alg);
/* true for combined-mode suites (GCM, ChaCha20-Poly1305). */
bool aead_is_combined(enum aead_alg alg);

/* Create a context. keymat must be exactly aead_keymat_len(alg) bytes; it is
 * copied into OpenSSL's key schedule and may be wiped by the caller at once.
 * 0, M6E_INVAL (bad alg or key length), M6E_NOMEM or M6E_IO (OpenSSL). */
int aead_new(struct aead **out, enum aead_alg alg, enum aead_dir dir, const uint8_t *keymat,
	     size_t keymat_len);
/* Wipe and free; NULL is fine. */
void aead_free(struct aead *a);
enum aead_alg aead_alg(const struct aead *a);

/*
 * Derive the explicit IV for a packet from a per-SA counter (the 64-bit
 * sequence number, never reused under one key):
 *   AEAD: the counter itself, big-endian (RFC 4106 3.1, R4106-3.1.a).
 *   CBC:  AES-ECB under the encryption key of 0^64 | counter, which is
 *         unpredictable to anyone without the key (RFC 3602 2.3; NIST SP
 *         800-38A Appendix C).
 * Only on seal contexts. iv receives aead_iv_len() bytes.
 */
int aead_make_iv(struct aead *a, uint64_t counter, uint8_t *iv);

struct aead_op {
	const uint8_t *iv; /* aead_iv_len() bytes */
	const uint8_t *aad; /* may be NULL when aad_len is 0 */
	size_t aad_len;
	const uint8_t *aad_tail; /* see the header comment */
	size_t aad_tail_len;
	uint8_t *data; /* encrypted/decrypted in place */
	size_t len; /* a multiple of aead_block_len() for CBC */
	uint8_t *icv; /* aead_icv_len() bytes: written by seal, read by open */
};

/* Encrypt op->data in place and write op->icv. 0, M6E_INVAL (wrong direction,
 * unaligned length) or M6E_IO. */
int aead_seal(struct aead *a, const struct aead_op *op);
/* Verify and decrypt op->data in place. The ICV is checked in constant time;
 * for CBC it is checked before anything is decrypted (algorithms.md 3.2).
 * 0, M6E_AUTH (ICV mismatch: the data must not be used; combined suites
 * decrypt while they verify, so it may have been overwritten), M6E_INVAL or
 * M6E_IO. */
int aead_open(struct aead *a, const struct aead_op *op);

#endif
