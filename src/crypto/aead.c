/*
 * aead: ESP/IKE cipher suites on OpenSSL EVP, one context per SA direction.
 *
 * Every EVP object is fetched and keyed once in aead_new(); per packet only
 * the IV is set (EVP_*Init_ex2 with a NULL cipher and key keeps the key
 * schedule) and the HMAC is restarted with a NULL key, which reuses the
 * keyed inner/outer pads. Our code allocates nothing per packet.
 *
 * One cost we accept: OpenSSL 3.0 restarts an HMAC (EVP_MAC_init) by
 * EVP_MD_CTX_copy_ex of the keyed digest contexts, which duplicates the
 * provider context, so the AES-CBC + HMAC-SHA-256-128 suites make 2
 * allocations per packet inside libcrypto (bench/esp_bench counts them).
 * Avoiding it would mean assembling RFC 2104 ourselves over the deprecated
 * SHA256_CTX API, and the project does not hand-roll cryptography: every
 * construction is OpenSSL's (docs/BENCHMARKS.md has the measured cost).
 */
#include "crypto/aead.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "crypto/crypto.h"

#define HMAC_SHA256_KEY_LEN 32 /* R4868-2.1.a: exactly the output length */
#define GCM_NONCE_LEN 12

struct aead_suite {
	enum aead_alg alg;
	const char *name;
	const char *evp_cipher;
	const char *evp_ecb; /* CBC only: IV generator */
	size_t key_len; /* encryption key, without salt or integrity key */
	size_t iv_len;
	size_t block_len;
	bool combined;
};

static const struct aead_suite suites[] = {
	{ AEAD_AES128_GCM16, "aes128-gcm16", "AES-128-GCM", NULL, 16, 8, 4, true },
	{ AEAD_AES192_GCM16, "aes192-gcm16", "AES-192-GCM", NULL, 24, 8, 4, true },
	{ AEAD_AES256_GCM16, "aes256-gcm16", "AES-256-GCM", NULL, 32, 8, 4, true },
	{ AEAD_CHACHA20_POLY1305, "chacha20-poly1305", "ChaCha20-Poly1305", NULL, 32, 8, 4, true },
	{ AEAD_AES128_CBC_HMAC_SHA256_128, "aes128-cbc-hmac-sha256-128", "AES-128-CBC", "AES-128-ECB",
	  16, 16, 16, false },
	{ AEAD_AES256_CBC_HMAC_SHA256_128, "aes256-cbc-hmac-sha256-128", "AES-256-CBC", "AES-256-ECB",
	  32, 16, 16, false },
};

struct aead {
	const struct aead_suite *suite;
	enum aead_dir dir;
	EVP_CIPHER *cipher;
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *ecb; /* CBC seal: IV generator under the data key */
	EVP_CIPHER_CTX *iv_ctx;
	EVP_MAC *mac; /* CBC: HMAC-SHA-256 */
	EVP_MAC_CTX *mac_ctx;
	uint8_t salt[AEAD_SALT_LEN]; /* combined suites: nonce = salt | IV */
};

static const struct aead_suite *suite_find(int alg)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if ((int)suites[i].alg == alg)
			return &suites[i];
	return NULL;
}

bool aead_alg_valid(int alg)
{
	return suite_find(alg) != NULL;
}

const char *aead_alg_name(enum aead_alg alg)
{
	const struct aead_suite *s = suite_find((int)alg);
	return s ? s->name : "unknown";
}

size_t aead_keymat_len(enum aead_alg alg)
{
	const struct aead_suite *s = suite_find((int)alg);
	if (!s)
		return 0;
	return s->key_len + (s->combined ? AEAD_SALT_LEN : HMAC_SHA256_KEY_LEN);
}

size_t aead_iv_len(enum aead_alg alg)
{
	const struct aead_suite *s = suite_find((int)alg);
	return s ? s->iv_len : 0;
}

size_t aead_icv_len(enum aead_alg alg)
{
	/* 16 for all: AES-GCM-16 (R4106-6.a), RFC 7634, HMAC-SHA2-256-128. */
	return suite_find((int)alg) ? 16 : 0;
}

size_t aead_block_len(enum aead_alg alg)
{
	const struct aead_suite *s = suite_find((int)alg);
	return s ? s->block_len : 0;
}

bool aead_is_combined(enum aead_alg alg)
{
	const struct aead_suite *s = suite_find((int)alg);
	return s && s->combined;
}

enum aead_alg aead_alg(const struct aead *a)
{
	return a->suite->alg;
}

static int cipher_open(EVP_CIPHER **cipher, EVP_CIPHER_CTX **ctx, const char *name, const uint8_t *key,
		       int enc, bool nopad)
{
	*cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!*cipher)
		return M6E_IO;
	*ctx = EVP_CIPHER_CTX_new();
	if (!*ctx)
		return M6E_NOMEM;
	if (EVP_CipherInit_ex2(*ctx, *cipher, key, NULL, enc, NULL) != 1)
		return M6E_IO;
	if (nopad && EVP_CIPHER_CTX_set_padding(*ctx, 0) != 1)
		return M6E_IO;
	return 0;
}

static int mac_open(struct aead *a, const uint8_t *key)
{
	a->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!a->mac)
		return M6E_IO;
	a->mac_ctx = EVP_MAC_CTX_new(a->mac);
	if (!a->mac_ctx)
		return M6E_NOMEM;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (EVP_MAC_init(a->mac_ctx, key, HMAC_SHA256_KEY_LEN, params) != 1)
		return M6E_IO;
	return 0;
}

int aead_new(struct aead **out, enum aead_alg alg, enum aead_dir dir, const uint8_t *keymat,
	     size_t keymat_len)
{
	*out = NULL;
	const struct aead_suite *s = suite_find((int)alg);
	if (!s || (dir != AEAD_SEAL && dir != AEAD_OPEN) || !keymat || keymat_len != aead_keymat_len(alg))
		return M6E_INVAL;
	struct aead *a = calloc(1, sizeof(*a));
	if (!a)
		return M6E_NOMEM;
	a->suite = s;
	a->dir = dir;
	int enc = dir == AEAD_SEAL ? 1 : 0;
	int rc = cipher_open(&a->cipher, &a->ctx, s->evp_cipher, keymat, enc, !s->combined);
	if (rc)
		goto out;
	if (s->combined) {
		memcpy(a->salt, keymat + s->key_len, AEAD_SALT_LEN);
	} else {
		rc = mac_open(a, keymat + s->key_len);
		if (rc)
			goto out;
		if (dir == AEAD_SEAL)
			rc = cipher_open(&a->ecb, &a->iv_ctx, s->evp_ecb, keymat, 1, true);
	}
out:
	if (rc) {
		aead_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void aead_free(struct aead *a)
{
	if (!a)
		return;
	/* The EVP frees cleanse their key schedules. */
	EVP_CIPHER_CTX_free(a->ctx);
	EVP_CIPHER_free(a->cipher);
	EVP_CIPHER_CTX_free(a->iv_ctx);
	EVP_CIPHER_free(a->ecb);
	EVP_MAC_CTX_free(a->mac_ctx);
	EVP_MAC_free(a->mac);
	crypto_wipe(a, sizeof(*a)); /* the salt */
	free(a);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int aead_make_iv(struct aead *a, uint64_t counter, uint8_t *iv)
{
	if (a->dir != AEAD_SEAL)
		return M6E_INVAL;
	if (a->suite->combined) {
		put_be64(iv, counter);
		return 0;
	}
	uint8_t block[16] = { 0 };
	put_be64(block + 8, counter);
	int outl = 0;
	if (EVP_EncryptUpdate(a->iv_ctx, iv, &outl, block, sizeof(block)) != 1 || outl != 16)
		return M6E_IO;
	return 0;
}

static bool op_valid(const struct aead *a, const struct aead_op *op)
{
	if (!op->iv || !op->icv || (!op->data && op->len))
		return false;
	if ((!op->aad && op->aad_len) || (!op->aad_tail && op->aad_tail_len))
		return false;
	if (op->len > INT_MAX || op->aad_len > INT_MAX || op->aad_tail_len > INT_MAX)
		return false;
	return a->suite->combined || op->len % a->suite->block_len == 0;
}

/* Encrypt or decrypt op->data in place with the IV already set; both the
 * combined suites and CBC end with this step. */
static int cipher_in_place(struct aead *a, const struct aead_op *op)
{
	int outl;
	if (op->len && (EVP_CipherUpdate(a->ctx, op->data, &outl, op->data, (int)op->len) != 1 ||
			(size_t)outl != op->len))
		return M6E_IO;
	return 0;
}

/* Nonce, AAD and payload through a combined-mode context (RFC 4106 4-5,
 * RFC 7634 2): nonce = salt | IV, AAD = aad | aad_tail. On open, tag is the
 * expected ICV, handed to the provider with the nonce. Every EVP call costs a
 * dispatch and a parameter walk, so the ESP AAD (SPI | Seq, 8 or 12 bytes)
 * goes in as one update. */
static int combined_run(struct aead *a, const struct aead_op *op, uint8_t *tag)
{
	uint8_t nonce[GCM_NONCE_LEN];
	memcpy(nonce, a->salt, AEAD_SALT_LEN);
	memcpy(nonce + AEAD_SALT_LEN, op->iv, 8);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, AEAD_MAX_ICV),
		OSSL_PARAM_construct_end(),
	};
	int outl;
	if (EVP_CipherInit_ex2(a->ctx, NULL, NULL, nonce, -1, tag ? params : NULL) != 1)
		return M6E_IO;
	const uint8_t *aad = op->aad, *tail = op->aad_tail;
	size_t aad_len = op->aad_len, tail_len = op->aad_tail_len;
	uint8_t joined[16];
	if (tail_len && aad_len + tail_len <= sizeof(joined)) {
		if (aad_len)
			memcpy(joined, aad, aad_len);
		memcpy(joined + aad_len, tail, tail_len);
		aad = joined;
		aad_len += tail_len;
		tail_len = 0;
	}
	if (aad_len && EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aad_len) != 1)
		return M6E_IO;
	if (tail_len && EVP_CipherUpdate(a->ctx, NULL, &outl, tail, (int)tail_len) != 1)
		return M6E_IO;
	return cipher_in_place(a, op);
}

/* HMAC-SHA-256-128 over aad | IV | ciphertext | aad_tail (RFC 4303 3.3.2.1). */
static int cbc_icv(struct aead *a, const struct aead_op *op, uint8_t icv[16])
{
	uint8_t full[CRYPTO_SHA256_LEN];
	size_t got = 0;
	if (EVP_MAC_init(a->mac_ctx, NULL, 0, NULL) != 1)
		return M6E_IO;
	if ((op->aad_len && EVP_MAC_update(a->mac_ctx, op->aad, op->aad_len) != 1) ||
	    EVP_MAC_update(a->mac_ctx, op->iv, a->suite->iv_len) != 1 ||
	    (op->len && EVP_MAC_update(a->mac_ctx, op->data, op->len) != 1) ||
	    (op->aad_tail_len && EVP_MAC_update(a->mac_ctx, op->aad_tail, op->aad_tail_len) != 1))
		return M6E_IO;
	if (EVP_MAC_final(a->mac_ctx, full, &got, sizeof(full)) != 1 || got != sizeof(full))
		return M6E_IO;
	memcpy(icv, full, 16); /* R4868-2.1.a: truncate to the first 128 bits */
	crypto_wipe(full, sizeof(full));
	return 0;
}

static int cbc_run(struct aead *a, const struct aead_op *op)
{
	if (EVP_CipherInit_ex2(a->ctx, NULL, NULL, op->iv, -1, NULL) != 1)
		return M6E_IO;
	return cipher_in_place(a, op);
}

int aead_seal(struct aead *a, const struct aead_op *op)
{
	if (a->dir != AEAD_SEAL || !op_valid(a, op))
		return M6E_INVAL;
	int outl, rc;
	if (a->suite->combined) {
		rc = combined_run(a, op, NULL);
		if (rc)
			return rc;
		uint8_t none[16]; /* combined modes emit nothing at Final */
		if (EVP_EncryptFinal_ex(a->ctx, none, &outl) != 1 || outl != 0)
			return M6E_IO;
		/* The parameter directly: EVP_CTRL_AEAD_GET_TAG builds the same
		 * OSSL_PARAM through the legacy ctrl shim, ~10% of a 100-byte GCM seal. */
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, op->icv, AEAD_MAX_ICV),
			OSSL_PARAM_construct_end(),
		};
		if (EVP_CIPHER_CTX_get_params(a->ctx, params) != 1)
			return M6E_IO;
		return 0;
	}
	/* Encrypt, then MAC the ciphertext (R4303-3.3.2.a). */
	rc = cbc_run(a, op);
	return rc ? rc : cbc_icv(a, op, op->icv);
}

int aead_open(struct aead *a, const struct aead_op *op)
{
	if (a->dir != AEAD_OPEN || !op_valid(a, op))
		return M6E_INVAL;
	int outl, rc;
	if (a->suite->combined) {
		rc = combined_run(a, op, op->icv);
		if (rc)
			return rc;
		/* The provider compares the tag with CRYPTO_memcmp. */
		uint8_t none[16];
		if (EVP_DecryptFinal_ex(a->ctx, none, &outl) != 1)
			return M6E_AUTH;
		return 0;
	}
	/* Verify before decrypting anything (algorithms.md 3.2, R4303-3.4.4.a). */
	uint8_t icv[16];
	rc = cbc_icv(a, op, icv);
	if (rc)
		return rc;
	if (!crypto_memeq(icv, op->icv, sizeof(icv)))
		return M6E_AUTH;
	return cbc_run(a, op);
}
