#include "crypto/crypto.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/err.h"

int crypto_random(void *buf, size_t len)
{
	if (len > INT_MAX)
		return M6E_INVAL;
	if (len == 0)
		return 0;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : M6E_IO;
}

bool crypto_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void crypto_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

static int hmac_oneshot(const char *digest, const void *key, size_t key_len, const void *data,
			size_t data_len, uint8_t *out, size_t out_len)
{
	size_t got = 0;
	if (!key && key_len)
		return M6E_INVAL;
	if (!data && data_len)
		return M6E_INVAL;
	/* OpenSSL wants non-NULL pointers even for empty input. */
	static const uint8_t empty;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, digest, NULL, key ? key : &empty, key_len,
		       data ? data : &empty, data_len, out, out_len, &got))
		return M6E_IO;
	return got == out_len ? 0 : M6E_IO;
}

int crypto_hmac_sha1(const void *key, size_t key_len, const void *data, size_t data_len,
		     uint8_t out[CRYPTO_SHA1_LEN])
{
	return hmac_oneshot("SHA1", key, key_len, data, data_len, out, CRYPTO_SHA1_LEN);
}

int crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t data_len,
		       uint8_t out[CRYPTO_SHA256_LEN])
{
	return hmac_oneshot("SHA256", key, key_len, data, data_len, out, CRYPTO_SHA256_LEN);
}
