/*
 * ike_crypto: IKEv2 cryptography on OpenSSL 3 EVP (see the header for the
 * contract). Every primitive is OpenSSL's: HMAC through EVP_MAC, key
 * agreement through EVP_PKEY_derive, AES-GCM through crypto/aead.c; nothing
 * here reimplements a construction. Signatures and certificates live in
 * ike_sig.c.
 */
#include "crypto/ike_crypto.h"

#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/names.h"
#include "crypto/aead.h"
#include "crypto/crypto.h"
#include "crypto/xform.h"

#define GCM_SALT_LEN 4
#define GCM_IV_LEN 8
#define GCM_ICV_LEN 16
#define CBC_BLOCK 16
#define IKE_HDR_LEN 28
#define IKE_HDR_LENGTH_OFF 24

static const struct name_entry reason_names[] = {
	{ IKE_CR_OK, "ok" },
	{ IKE_CR_DH_LENGTH, "KE data of the wrong length" },
	{ IKE_CR_DH_RANGE, "MODP public value out of range" },
	{ IKE_CR_DH_NOT_ON_CURVE, "ECP public value not on the curve" },
	{ IKE_CR_DH_ZERO_SECRET, "X25519 shared secret all zero" },
	{ IKE_CR_SK_TRUNC, "SK payload truncated" },
	{ IKE_CR_SK_ALIGN, "SK ciphertext not a whole number of blocks" },
	{ IKE_CR_SK_ICV, "SK integrity check failed" },
	{ IKE_CR_SK_PADDING, "SK pad length exceeds the ciphertext" },
};

const char *ike_crypto_reason_name(enum ike_crypto_reason r)
{
	return names_get(reason_names, NAMES_COUNT(reason_names), (unsigned)r);
}

static void set_why(enum ike_crypto_reason *why, enum ike_crypto_reason r)
{
	if (why)
		*why = r;
}

/* ---- HMAC plumbing ---------------------------------------------------- */

struct chunk {
	const uint8_t *p;
	size_t len;
};

static const char *prf_digest(unsigned prf)
{
	switch (prf) {
	case XFORM_PRF_HMAC_SHA1:
		return "SHA1";
	case XFORM_PRF_HMAC_SHA2_256:
		return "SHA256";
	case XFORM_PRF_HMAC_SHA2_384:
		return "SHA384";
	case XFORM_PRF_HMAC_SHA2_512:
		return "SHA512";
	default:
		return NULL;
	}
}

size_t ike_prf_len(unsigned prf)
{
	switch (prf) {
	case XFORM_PRF_HMAC_SHA1:
		return 20;
	case XFORM_PRF_HMAC_SHA2_256:
		return 32;
	case XFORM_PRF_HMAC_SHA2_384:
		return 48;
	case XFORM_PRF_HMAC_SHA2_512:
		return 64;
	default:
		return 0;
	}
}

/* An HMAC context for one digest, not yet keyed. */
static int hmac_ctx_new(const char *digest, EVP_MAC_CTX **out)
{
	*out = NULL;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return M6E_IO;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context holds its own reference */
	if (!ctx)
		return M6E_NOMEM;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
		OSSL_PARAM_construct_end(),
	};
	if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return M6E_IO;
	}
	*out = ctx;
	return 0;
}

/* HMAC(key, c[0] | c[1] | ...) into out (out_len = the digest length). A
 * NULL key restarts with the key already set. */
static int hmac_run(EVP_MAC_CTX *ctx, const uint8_t *key, size_t key_len, const struct chunk *c, size_t n,
		    uint8_t *out, size_t out_len)
{
	if (EVP_MAC_init(ctx, key, key_len, NULL) != 1)
		return M6E_IO;
	for (size_t i = 0; i < n; i++)
		if (c[i].len && EVP_MAC_update(ctx, c[i].p, c[i].len) != 1)
			return M6E_IO;
	size_t got = 0;
	if (EVP_MAC_final(ctx, out, &got, out_len) != 1 || got != out_len)
		return M6E_IO;
	return 0;
}

static bool chunks_valid(const struct chunk *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!c[i].p && c[i].len)
			return false;
	return true;
}

/* prf(key, c[0] | ... ) with a one-off context. HMAC keys are never empty
 * in IKE (nonces, SK_d, SKEYSEED, a configured PSK). */
static int prf_v(unsigned prf, const uint8_t *key, size_t key_len, const struct chunk *c, size_t n, uint8_t *out)
{
	const char *digest = prf_digest(prf);
	if (!digest || !key || !key_len || !out || !chunks_valid(c, n))
		return M6E_INVAL;
	EVP_MAC_CTX *ctx;
	int rc = hmac_ctx_new(digest, &ctx);
	if (rc)
		return rc;
	rc = hmac_run(ctx, key, key_len, c, n, out, ike_prf_len(prf));
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int ike_prf(unsigned prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len, uint8_t *out)
{
	struct chunk c = { data, data_len };
	return prf_v(prf, key, key_len, &c, 1, out);
}

/* prf+ over a seed given in pieces: T1 = prf(K, S | 0x01),
 * Tn = prf(K, Tn-1 | S | n) (RFC 7296 2.13). */
static int prf_plus_v(unsigned prf, const uint8_t *key, size_t key_len, const struct chunk *seed, size_t n_seed,
		      uint8_t *out, size_t out_len)
{
	enum { MAX_SEED = 4 };
	const char *digest = prf_digest(prf);
	size_t hlen = ike_prf_len(prf);
	if (!digest || !key || !key_len || (!out && out_len) || n_seed > MAX_SEED || !chunks_valid(seed, n_seed))
		return M6E_INVAL;
	if (out_len > 255 * hlen) /* R7296-2.13: the counter is one octet */
		return M6E_RANGE;
	EVP_MAC_CTX *ctx;
	int rc = hmac_ctx_new(digest, &ctx);
	if (rc)
		return rc;
	uint8_t t[IKE_PRF_MAX];
	size_t t_len = 0;
	uint8_t counter = 1;
	for (size_t done = 0; done < out_len; counter++) {
		struct chunk c[MAX_SEED + 2];
		size_t n = 0;
		c[n++] = (struct chunk){ t, t_len };
		for (size_t i = 0; i < n_seed; i++)
			c[n++] = seed[i];
		c[n++] = (struct chunk){ &counter, 1 };
		/* Keyed once; later blocks restart with the same key. */
		rc = counter == 1 ? hmac_run(ctx, key, key_len, c, n, t, hlen) : hmac_run(ctx, NULL, 0, c, n, t, hlen);
		if (rc)
			break;
		t_len = hlen;
		size_t take = out_len - done < hlen ? out_len - done : hlen;
		memcpy(out + done, t, take);
		done += take;
	}
	crypto_wipe(t, sizeof(t));
	EVP_MAC_CTX_free(ctx);
	if (rc)
		crypto_wipe(out, out_len);
	return rc;
}

int ike_prf_plus(unsigned prf, const uint8_t *key, size_t key_len, const uint8_t *seed, size_t seed_len,
		 uint8_t *out, size_t out_len)
{
	struct chunk c = { seed, seed_len };
	return prf_plus_v(prf, key, key_len, &c, 1, out, out_len);
}

/* ---- transforms and suites ------------------------------------------- */

static size_t integ_key_len(unsigned integ)
{
	switch (integ) {
	case XFORM_INTEG_HMAC_SHA2_256_128:
		return 32; /* R4868-2.1.a: key = output length */
	case XFORM_INTEG_HMAC_SHA2_384_192:
		return 48;
	case XFORM_INTEG_HMAC_SHA2_512_256:
		return 64;
	default:
		return 0;
	}
}

static const char *integ_digest(unsigned integ)
{
	switch (integ) {
	case XFORM_INTEG_HMAC_SHA2_256_128:
		return "SHA256";
	case XFORM_INTEG_HMAC_SHA2_384_192:
		return "SHA384";
	case XFORM_INTEG_HMAC_SHA2_512_256:
		return "SHA512";
	default:
		return NULL;
	}
}

static bool aes_key_bits_ok(unsigned bits)
{
	return bits == 128 || bits == 256;
}

bool ike_crypto_supported(unsigned xform_type, unsigned id, unsigned key_bits)
{
	switch (xform_type) {
	case XFORM_ENCR: /* R8247-2.1.a; R7296-3.3.5.a: Key Length required */
		return (id == XFORM_ENCR_AES_CBC || id == XFORM_ENCR_AES_GCM_16) && aes_key_bits_ok(key_bits);
	case XFORM_PRF: /* R8247-2.2.a (SHA-1 and MD5 refused by policy) */
		return key_bits == 0 && (id == XFORM_PRF_HMAC_SHA2_256 || id == XFORM_PRF_HMAC_SHA2_384 ||
					 id == XFORM_PRF_HMAC_SHA2_512);
	case XFORM_INTEG: /* R8247-2.3.a */
		return key_bits == 0 && integ_key_len(id) != 0;
	case XFORM_DH: /* R8247-2.4.a, group 31 as a product option */
		return key_bits == 0 && ike_dh_public_len(id) != 0;
	case XFORM_ESN:
		return key_bits == 0 && (id == XFORM_ESN_NO || id == XFORM_ESN_YES);
	default:
		return false;
	}
}

bool ike_suite_valid(const struct ike_suite *s)
{
	if (!s || !ike_crypto_supported(XFORM_PRF, s->prf, 0) || !aes_key_bits_ok(s->key_bits))
		return false;
	if (s->encr == XFORM_ENCR_AES_GCM_16)
		return s->integ == XFORM_INTEG_NONE; /* R5282-4.a */
	if (s->encr == XFORM_ENCR_AES_CBC)
		return integ_key_len(s->integ) != 0; /* R7296-5.a: never without integrity */
	return false;
}

/* ---- key schedule ----------------------------------------------------- */

int ike_skeyseed(unsigned prf, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		 const uint8_t *gir, size_t gir_len, uint8_t *out)
{
	/* The KDF vectors use 8-octet nonces, so only the upper bound is
	 * enforced here; the codec enforces R7296-2.10.a. */
	if (!ni || !nr || ni_len > IKE_NONCE_MAX || nr_len > IKE_NONCE_MAX)
		return M6E_INVAL;
	uint8_t key[2 * IKE_NONCE_MAX];
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	struct chunk c = { gir, gir_len };
	int rc = prf_v(prf, key, ni_len + nr_len, &c, 1, out);
	crypto_wipe(key, sizeof(key));
	return rc;
}

int ike_skeyseed_rekey(unsigned old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len, const uint8_t *gir,
		       size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		       uint8_t *out)
{
	/* R7296-2.18.a: a rekey always carries a new DH. */
	if (!gir || !gir_len)
		return M6E_INVAL;
	struct chunk c[] = { { gir, gir_len }, { ni, ni_len }, { nr, nr_len } };
	return prf_v(old_prf, old_sk_d, old_sk_d_len, c, 3, out);
}

int ike_keys_derive(struct ike_keys *k, const struct ike_suite *s, const uint8_t *skeyseed, size_t skeyseed_len,
		    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		    const uint8_t spii[IKE_SPI_LEN], const uint8_t spir[IKE_SPI_LEN])
{
	if (!k || !ike_suite_valid(s) || !spii || !spir)
		return M6E_INVAL;
	memset(k, 0, sizeof(*k));
	k->suite = *s;
	k->prf_len = ike_prf_len(s->prf); /* R7296-2.13.a */
	k->integ_len = integ_key_len(s->integ); /* 0 for GCM (R5282-4.a) */
	k->encr_len = s->key_bits / 8 + (s->encr == XFORM_ENCR_AES_GCM_16 ? GCM_SALT_LEN : 0);
	size_t total = 3 * k->prf_len + 2 * k->integ_len + 2 * k->encr_len;
	uint8_t dkm[3 * IKE_PRF_MAX + 4 * IKE_SK_KEY_MAX];
	struct chunk seed[] = { { ni, ni_len }, { nr, nr_len }, { spii, IKE_SPI_LEN }, { spir, IKE_SPI_LEN } };
	int rc = prf_plus_v(s->prf, skeyseed, skeyseed_len, seed, 4, dkm, total);
	if (rc) {
		ike_keys_wipe(k);
		return rc;
	}
	/* Order of RFC 7296 2.14: SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr. */
	const uint8_t *p = dkm;
	struct {
		uint8_t *dst;
		size_t len;
	} split[] = {
		{ k->sk_d, k->prf_len },    { k->sk_ai, k->integ_len }, { k->sk_ar, k->integ_len },
		{ k->sk_ei, k->encr_len },  { k->sk_er, k->encr_len },  { k->sk_pi, k->prf_len },
		{ k->sk_pr, k->prf_len },
	};
	for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
		memcpy(split[i].dst, p, split[i].len);
		p += split[i].len;
	}
	crypto_wipe(dkm, sizeof(dkm));
	return 0;
}

void ike_keys_wipe(struct ike_keys *k)
{
	if (k)
		crypto_wipe(k, sizeof(*k));
}

int ike_child_keymat(unsigned prf, const uint8_t *sk_d, size_t sk_d_len, const uint8_t *gir, size_t gir_len,
		     const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, size_t dir_len,
		     uint8_t *i2r, uint8_t *r2i)
{
	enum { MAX_DIR = 2 * AEAD_MAX_KEYMAT };
	if (!i2r || !r2i || !dir_len || dir_len > MAX_DIR)
		return M6E_INVAL;
	uint8_t keymat[2 * MAX_DIR];
	struct chunk seed[] = { { gir, gir ? gir_len : 0 }, { ni, ni_len }, { nr, nr_len } };
	int rc = prf_plus_v(prf, sk_d, sk_d_len, seed, 3, keymat, 2 * dir_len);
	if (rc == 0) {
		/* R7296-2.17.a: initiator-to-responder first. */
		memcpy(i2r, keymat, dir_len);
		memcpy(r2i, keymat + dir_len, dir_len);
	}
	crypto_wipe(keymat, sizeof(keymat));
	return rc;
}

/* ---- Diffie-Hellman ---------------------------------------------------- */

struct dh_group {
	unsigned id;
	const char *keytype; /* EVP_PKEY type name */
	const char *group; /* OpenSSL group name, NULL for X25519 */
	int ec_nid; /* ECP: for ike_dh_new_fixed */
	size_t pub_len;
	size_t secret_len;
};

/* RFC 3526 group 14 is OpenSSL's "modp_2048" (not ffdhe2048, RFC 7919). */
static const struct dh_group dh_groups[] = {
	{ XFORM_DH_MODP_2048, "DH", "modp_2048", 0, 256, 256 },
	{ XFORM_DH_ECP_256, "EC", "P-256", NID_X9_62_prime256v1, 64, 32 },
	{ XFORM_DH_ECP_384, "EC", "P-384", NID_secp384r1, 96, 48 },
	{ XFORM_DH_CURVE25519, "X25519", NULL, 0, 32, 32 },
};

struct ike_dh {
	const struct dh_group *g;
	EVP_PKEY *pkey;
};

static const struct dh_group *dh_group_find(unsigned id)
{
	for (size_t i = 0; i < sizeof(dh_groups) / sizeof(dh_groups[0]); i++)
		if (dh_groups[i].id == id)
			return &dh_groups[i];
	return NULL;
}

size_t ike_dh_public_len(unsigned group)
{
	const struct dh_group *g = dh_group_find(group);
	return g ? g->pub_len : 0;
}

size_t ike_dh_secret_len(unsigned group)
{
	const struct dh_group *g = dh_group_find(group);
	return g ? g->secret_len : 0;
}

static int dh_wrap(struct ike_dh **out, const struct dh_group *g, EVP_PKEY *pkey)
{
	if (!pkey)
		return M6E_IO;
	struct ike_dh *dh = calloc(1, sizeof(*dh));
	if (!dh) {
		EVP_PKEY_free(pkey);
		return M6E_NOMEM;
	}
	dh->g = g;
	dh->pkey = pkey;
	*out = dh;
	return 0;
}

int ike_dh_new(struct ike_dh **out, unsigned group)
{
	*out = NULL;
	const struct dh_group *g = dh_group_find(group);
	if (!g)
		return M6E_UNSUPP;
	if (!g->group)
		return dh_wrap(out, g, EVP_PKEY_Q_keygen(NULL, NULL, g->keytype));
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, g->keytype, NULL);
	EVP_PKEY *pkey = NULL;
	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_group_name(ctx, g->group) == 1)
		EVP_PKEY_generate(ctx, &pkey);
	EVP_PKEY_CTX_free(ctx);
	return dh_wrap(out, g, pkey);
}

/* EVP_PKEY from OSSL_PARAMs of one key type. */
static EVP_PKEY *pkey_fromdata(const char *keytype, int selection, OSSL_PARAM *params)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, keytype, NULL);
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pkey, selection, params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* ECP key pair from a scalar: the public point is OpenSSL's priv * G. */
static EVP_PKEY *ec_fixed(const struct dh_group *g, const uint8_t *priv, size_t priv_len)
{
	EVP_PKEY *pkey = NULL;
	uint8_t pub[1 + 2 * 66];
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(g->ec_nid);
	EC_POINT *pt = grp ? EC_POINT_new(grp) : NULL;
	BIGNUM *d = BN_bin2bn(priv, (int)priv_len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	if (!pt || !d || !bld || EC_POINT_mul(grp, pt, d, NULL, NULL, NULL) != 1)
		goto out;
	size_t pub_len = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), NULL);
	if (pub_len != 1 + g->pub_len)
		goto out;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params)
		pkey = pkey_fromdata(g->keytype, EVP_PKEY_KEYPAIR, params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return pkey;
}

int ike_dh_new_fixed(struct ike_dh **out, unsigned group, const uint8_t *priv, size_t priv_len)
{
	*out = NULL;
	const struct dh_group *g = dh_group_find(group);
	if (!g)
		return M6E_UNSUPP;
	if (!priv || priv_len != g->secret_len || priv_len > INT_MAX)
		return M6E_INVAL;
	if (!g->group)
		return dh_wrap(out, g, EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, priv_len));
	if (g->ec_nid)
		return dh_wrap(out, g, ec_fixed(g, priv, priv_len));
	return M6E_UNSUPP; /* MODP: no published vector to run */
}

void ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->pkey); /* clears the private key (R7296-2.12.a) */
	free(dh);
}

unsigned ike_dh_group(const struct ike_dh *dh)
{
	return dh->g->id;
}

int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap)
{
	const struct dh_group *g = dh->g;
	if (!out || cap < g->pub_len)
		return M6E_NOSPACE;
	if (!g->group) {
		size_t len = g->pub_len;
		return EVP_PKEY_get_raw_public_key(dh->pkey, out, &len) == 1 && len == g->pub_len ? 0 : M6E_IO;
	}
	if (g->ec_nid) {
		/* R5903-7.a: x | y without the SEC1 0x04 prefix. */
		uint8_t pt[1 + 2 * 66];
		size_t len = 0;
		if (EVP_PKEY_get_octet_string_param(dh->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
						    &len) != 1 ||
		    len != 1 + g->pub_len || pt[0] != 0x04)
			return M6E_IO;
		memcpy(out, pt + 1, g->pub_len);
		return 0;
	}
	/* R7296-3.4.a: MODP value left-padded to the modulus length. */
	BIGNUM *y = NULL;
	int rc = M6E_IO;
	if (EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 &&
	    BN_bn2binpad(y, out, (int)g->pub_len) == (int)g->pub_len)
		rc = 0;
	BN_free(y);
	return rc;
}

/* Peer MODP value as a key, after R6989-2.3.a: 1 < y < p - 1. */
static EVP_PKEY *modp_peer(const struct ike_dh *dh, const uint8_t *peer, size_t len, enum ike_crypto_reason *why)
{
	EVP_PKEY *pkey = NULL;
	BIGNUM *p = NULL, *y = BN_bin2bn(peer, (int)len, NULL);
	BIGNUM *p1 = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	if (!y || !p1 || !bld || EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
	    !BN_sub(p1, p, BN_value_one()))
		goto out;
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p1) >= 0) {
		set_why(why, IKE_CR_DH_RANGE);
		goto out;
	}
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, dh->g->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params)
		pkey = pkey_fromdata("DH", EVP_PKEY_PUBLIC_KEY, params);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p1);
	BN_free(p);
	BN_free(y);
	return pkey;
}

/* Peer ECP point; OpenSSL's decoder refuses a point off the curve. */
static EVP_PKEY *ecp_peer(const struct ike_dh *dh, const uint8_t *peer, size_t len, enum ike_crypto_reason *why)
{
	uint8_t pt[1 + 2 * 66];
	pt[0] = 0x04;
	memcpy(pt + 1, peer, len);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)dh->g->group, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, len + 1),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY *pkey = pkey_fromdata("EC", EVP_PKEY_PUBLIC_KEY, params);
	if (!pkey)
		set_why(why, IKE_CR_DH_NOT_ON_CURVE);
	return pkey;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

int ike_dh_compute(struct ike_dh *dh, const uint8_t *peer, size_t peer_len, uint8_t *secret, size_t cap,
		   enum ike_crypto_reason *why)
{
	const struct dh_group *g = dh->g;
	set_why(why, IKE_CR_OK);
	if (!secret || cap < g->secret_len)
		return M6E_NOSPACE;
	if (!peer || peer_len != g->pub_len) { /* R7296-3.4.a, R5903-7.a, R8031-2.a */
		set_why(why, IKE_CR_DH_LENGTH);
		return M6E_INVAL;
	}
	enum ike_crypto_reason bad = IKE_CR_OK;
	EVP_PKEY *peer_key;
	if (!g->group) /* R8031-2.a: OpenSSL masks the top bit, accepts non-canonical u */
		peer_key = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, peer_len);
	else if (g->ec_nid)
		peer_key = ecp_peer(dh, peer, peer_len, &bad);
	else
		peer_key = modp_peer(dh, peer, peer_len, &bad);
	if (!peer_key) {
		set_why(why, bad);
		return bad ? M6E_INVAL : M6E_IO;
	}
	int rc = M6E_IO;
	size_t len = g->secret_len;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	/* MODP: keep leading zeros, g^ir is padded to the prime (RFC 7296 2.14). */
	if (g->id == XFORM_DH_MODP_2048 && EVP_PKEY_CTX_set_dh_pad(ctx, 1) != 1)
		goto out;
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 1) != 1) {
		/* The full public-key check: a MODP value outside the subgroup,
		 * an ECP point that slipped through. */
		set_why(why, g->ec_nid ? IKE_CR_DH_NOT_ON_CURVE : IKE_CR_DH_RANGE);
		rc = M6E_INVAL;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, secret, &len) != 1 || len != g->secret_len) {
		/* OpenSSL's X25519 fails on an all-zero result (low-order point). */
		if (!g->group) {
			set_why(why, IKE_CR_DH_ZERO_SECRET);
			rc = M6E_INVAL;
		}
		crypto_wipe(secret, g->secret_len);
		goto out;
	}
	if (!g->group && all_zero(secret, len)) { /* RFC 8031 2.1, whatever the library does */
		set_why(why, IKE_CR_DH_ZERO_SECRET);
		rc = M6E_INVAL;
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	return rc;
}

/* ---- PSK AUTH ---------------------------------------------------------- */

int ike_signed_octets_init(struct ike_signed_octets *so, unsigned prf, const uint8_t *msg, size_t msg_len,
			   const uint8_t *nonce, size_t nonce_len, const uint8_t *sk_p, size_t sk_p_len,
			   const uint8_t *id_body, size_t id_body_len)
{
	if (!so || !msg || !msg_len || !nonce || !nonce_len)
		return M6E_INVAL;
	memset(so, 0, sizeof(*so));
	so->msg = msg;
	so->msg_len = msg_len;
	so->nonce = nonce;
	so->nonce_len = nonce_len;
	so->maced_id_len = ike_prf_len(prf);
	return ike_prf(prf, sk_p, sk_p_len, id_body, id_body_len, so->maced_id);
}

static void so_chunks(const struct ike_signed_octets *so, struct chunk c[3])
{
	c[0] = (struct chunk){ so->msg, so->msg_len };
	c[1] = (struct chunk){ so->nonce, so->nonce_len };
	c[2] = (struct chunk){ so->maced_id, so->maced_id_len };
}

int ike_auth_psk(unsigned prf, const uint8_t *psk, size_t psk_len, const struct ike_signed_octets *so,
		 uint8_t *out)
{
	static const char key_pad[] = "Key Pad for IKEv2"; /* 17 octets, no NUL */
	if (!so)
		return M6E_INVAL;
	uint8_t padded[IKE_PRF_MAX];
	int rc = ike_prf(prf, psk, psk_len, (const uint8_t *)key_pad, sizeof(key_pad) - 1, padded);
	if (rc == 0) {
		struct chunk c[3];
		so_chunks(so, c);
		rc = prf_v(prf, padded, ike_prf_len(prf), c, 3, out);
	}
	crypto_wipe(padded, sizeof(padded));
	return rc;
}

int ike_auth_psk_check(unsigned prf, const uint8_t *psk, size_t psk_len, const struct ike_signed_octets *so,
		       const uint8_t *auth, size_t auth_len)
{
	uint8_t want[IKE_PRF_MAX];
	int rc = ike_auth_psk(prf, psk, psk_len, so, want);
	if (rc == 0 && (!auth || auth_len != ike_prf_len(prf) || !crypto_memeq(want, auth, auth_len)))
		rc = M6E_AUTH;
	crypto_wipe(want, sizeof(want));
	return rc;
}

/* ---- NAT detection, cookies, tie-break --------------------------------- */

int ike_natd_hash(const uint8_t spii[IKE_SPI_LEN], const uint8_t spir[IKE_SPI_LEN], const uint8_t *ip,
		  size_t ip_len, uint16_t port, uint8_t out[IKE_NATD_LEN])
{
	if (!spii || !spir || !ip || (ip_len != 4 && ip_len != 16) || !out)
		return M6E_INVAL;
	uint8_t buf[2 * IKE_SPI_LEN + 16 + 2];
	size_t n = 0;
	memcpy(buf, spii, IKE_SPI_LEN);
	memcpy(buf + IKE_SPI_LEN, spir, IKE_SPI_LEN);
	n = 2 * IKE_SPI_LEN;
	memcpy(buf + n, ip, ip_len);
	n += ip_len;
	buf[n++] = (uint8_t)(port >> 8);
	buf[n++] = (uint8_t)port;
	unsigned int got = 0;
	if (EVP_Digest(buf, n, out, &got, EVP_sha1(), NULL) != 1 || got != IKE_NATD_LEN)
		return M6E_IO;
	return 0;
}

void ike_cookie_set(struct ike_cookie_secrets *s, const uint8_t secret[IKE_COOKIE_SECRET_LEN])
{
	if (s->have_cur) {
		memcpy(s->prev, s->cur, sizeof(s->prev));
		s->have_prev = true;
	}
	memcpy(s->cur, secret, sizeof(s->cur));
	s->have_cur = true;
	s->version++;
}

int ike_cookie_rotate(struct ike_cookie_secrets *s)
{
	uint8_t fresh[IKE_COOKIE_SECRET_LEN];
	int rc = crypto_random(fresh, sizeof(fresh));
	if (rc == 0)
		ike_cookie_set(s, fresh);
	crypto_wipe(fresh, sizeof(fresh));
	return rc;
}

void ike_cookie_wipe(struct ike_cookie_secrets *s)
{
	if (s)
		crypto_wipe(s, sizeof(*s));
}

static int cookie_mac(const uint8_t secret[IKE_COOKIE_SECRET_LEN], uint8_t version, const uint8_t *ni, size_t ni_len,
		      const uint8_t *ip, size_t ip_len, const uint8_t spii[IKE_SPI_LEN], uint8_t out[IKE_COOKIE_LEN])
{
	if (!ni || !ni_len || ni_len > IKE_NONCE_MAX || !ip || (ip_len != 4 && ip_len != 16) || !spii)
		return M6E_INVAL;
	uint8_t buf[IKE_NONCE_MAX + 16 + IKE_SPI_LEN];
	memcpy(buf, ni, ni_len);
	memcpy(buf + ni_len, ip, ip_len);
	memcpy(buf + ni_len + ip_len, spii, IKE_SPI_LEN);
	out[0] = version;
	return crypto_hmac_sha256(secret, IKE_COOKIE_SECRET_LEN, buf, ni_len + ip_len + IKE_SPI_LEN, out + 1);
}

int ike_cookie_make(const struct ike_cookie_secrets *s, const uint8_t *ni, size_t ni_len, const uint8_t *ip,
		    size_t ip_len, const uint8_t spii[IKE_SPI_LEN], uint8_t out[IKE_COOKIE_LEN])
{
	return cookie_mac(s->cur, s->version, ni, ni_len, ip, ip_len, spii, out);
}

bool ike_cookie_check(const struct ike_cookie_secrets *s, const uint8_t *ni, size_t ni_len, const uint8_t *ip,
		      size_t ip_len, const uint8_t spii[IKE_SPI_LEN], const uint8_t *cookie, size_t cookie_len)
{
	if (!cookie || cookie_len != IKE_COOKIE_LEN)
		return false;
	const uint8_t *secret;
	if (cookie[0] == s->version)
		secret = s->cur;
	else if (s->have_prev && cookie[0] == (uint8_t)(s->version - 1))
		secret = s->prev;
	else
		return false;
	uint8_t want[IKE_COOKIE_LEN];
	bool ok = cookie_mac(secret, cookie[0], ni, ni_len, ip, ip_len, spii, want) == 0 &&
		  crypto_memeq(want, cookie, IKE_COOKIE_LEN);
	crypto_wipe(want, sizeof(want));
	return ok;
}

int ike_nonce_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	size_t n = a_len < b_len ? a_len : b_len;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c;
	return (a_len > b_len) - (a_len < b_len);
}

bool ike_rekey_we_lose(const uint8_t *our_ni, size_t our_ni_len, const uint8_t *our_nr, size_t our_nr_len,
		       const uint8_t *peer_ni, size_t peer_ni_len, const uint8_t *peer_nr, size_t peer_nr_len)
{
	bool our_i_low = ike_nonce_cmp(our_ni, our_ni_len, our_nr, our_nr_len) <= 0;
	const uint8_t *ours = our_i_low ? our_ni : our_nr;
	size_t ours_len = our_i_low ? our_ni_len : our_nr_len;
	bool peer_i_low = ike_nonce_cmp(peer_ni, peer_ni_len, peer_nr, peer_nr_len) <= 0;
	const uint8_t *peers = peer_i_low ? peer_ni : peer_nr;
	size_t peers_len = peer_i_low ? peer_ni_len : peer_nr_len;
	return ike_nonce_cmp(ours, ours_len, peers, peers_len) < 0;
}

/* ---- SK payload -------------------------------------------------------- */

struct ike_sk {
	bool gcm;
	size_t iv_len, icv_len, block_len;
	uint64_t iv_counter; /* GCM: explicit IV, never repeated under one key */
	struct aead *gcm_out, *gcm_in;
	EVP_CIPHER *cbc;
	EVP_CIPHER_CTX *enc, *dec;
	EVP_MAC_CTX *mac_out, *mac_in;
};

static int cbc_ctx(EVP_CIPHER *cipher, const uint8_t *key, int enc, EVP_CIPHER_CTX **out)
{
	*out = EVP_CIPHER_CTX_new();
	if (!*out)
		return M6E_NOMEM;
	/* IKE pads itself (RFC 7296 3.14): OpenSSL's PKCS#7 padding off. */
	if (EVP_CipherInit_ex2(*out, cipher, key, NULL, enc, NULL) != 1 || EVP_CIPHER_CTX_set_padding(*out, 0) != 1)
		return M6E_IO;
	return 0;
}

static int sk_mac(const char *digest, const uint8_t *key, size_t key_len, EVP_MAC_CTX **out)
{
	int rc = hmac_ctx_new(digest, out);
	if (rc == 0 && EVP_MAC_init(*out, key, key_len, NULL) != 1)
		rc = M6E_IO;
	return rc;
}

int ike_sk_new(struct ike_sk **out, const struct ike_keys *k, bool original_initiator)
{
	*out = NULL;
	if (!k || !ike_suite_valid(&k->suite))
		return M6E_INVAL;
	struct ike_sk *sk = calloc(1, sizeof(*sk));
	if (!sk)
		return M6E_NOMEM;
	/* R7296-3.1.a / algorithms.md 7: the original initiator sends with
	 * SK_ei/SK_ai and receives with SK_er/SK_ar. */
	const uint8_t *e_out = original_initiator ? k->sk_ei : k->sk_er;
	const uint8_t *e_in = original_initiator ? k->sk_er : k->sk_ei;
	const uint8_t *a_out = original_initiator ? k->sk_ai : k->sk_ar;
	const uint8_t *a_in = original_initiator ? k->sk_ar : k->sk_ai;
	int rc;
	if (k->suite.encr == XFORM_ENCR_AES_GCM_16) {
		enum aead_alg alg = k->suite.key_bits == 128 ? AEAD_AES128_GCM16 : AEAD_AES256_GCM16;
		sk->gcm = true;
		sk->iv_len = GCM_IV_LEN;
		sk->icv_len = GCM_ICV_LEN;
		sk->block_len = 1; /* R5282-4.a: no alignment */
		rc = aead_new(&sk->gcm_out, alg, AEAD_SEAL, e_out, k->encr_len);
		if (rc == 0)
			rc = aead_new(&sk->gcm_in, alg, AEAD_OPEN, e_in, k->encr_len);
	} else {
		sk->iv_len = CBC_BLOCK;
		sk->icv_len = integ_key_len(k->suite.integ) / 2; /* 128, 192, 256 bits */
		sk->block_len = CBC_BLOCK;
		sk->cbc = EVP_CIPHER_fetch(NULL, k->suite.key_bits == 128 ? "AES-128-CBC" : "AES-256-CBC", NULL);
		rc = sk->cbc ? 0 : M6E_IO;
		if (rc == 0)
			rc = cbc_ctx(sk->cbc, e_out, 1, &sk->enc);
		if (rc == 0)
			rc = cbc_ctx(sk->cbc, e_in, 0, &sk->dec);
		if (rc == 0)
			rc = sk_mac(integ_digest(k->suite.integ), a_out, k->integ_len, &sk->mac_out);
		if (rc == 0)
			rc = sk_mac(integ_digest(k->suite.integ), a_in, k->integ_len, &sk->mac_in);
	}
	if (rc) {
		ike_sk_free(sk);
		return rc;
	}
	*out = sk;
	return 0;
}

void ike_sk_free(struct ike_sk *sk)
{
	if (!sk)
		return;
	aead_free(sk->gcm_out);
	aead_free(sk->gcm_in);
	EVP_CIPHER_CTX_free(sk->enc); /* the EVP frees cleanse the key schedules */
	EVP_CIPHER_CTX_free(sk->dec);
	EVP_CIPHER_free(sk->cbc);
	EVP_MAC_CTX_free(sk->mac_out);
	EVP_MAC_CTX_free(sk->mac_in);
	crypto_wipe(sk, sizeof(*sk));
	free(sk);
}

size_t ike_sk_iv_len(const struct ike_sk *sk)
{
	return sk->iv_len;
}

size_t ike_sk_icv_len(const struct ike_sk *sk)
{
	return sk->icv_len;
}

/* Minimal padding so inner | padding | Pad Length fills whole blocks. */
static size_t sk_pad_len(const struct ike_sk *sk, size_t plain_len)
{
	size_t b = sk->block_len;
	return (b - (plain_len + 1) % b) % b;
}

size_t ike_sk_body_len(const struct ike_sk *sk, size_t plain_len)
{
	return sk->iv_len + plain_len + sk_pad_len(sk, plain_len) + 1 + sk->icv_len;
}

/* Truncated HMAC over msg[0..len) (R7296-3.14.a: IKE header through the
 * Pad Length octet, IV and ciphertext included). */
static int sk_icv(EVP_MAC_CTX *mac, const uint8_t *msg, size_t len, uint8_t *icv, size_t icv_len)
{
	uint8_t full[IKE_PRF_MAX];
	struct chunk c = { msg, len };
	int rc = hmac_run(mac, NULL, 0, &c, 1, full, 2 * icv_len);
	if (rc == 0)
		memcpy(icv, full, icv_len);
	crypto_wipe(full, sizeof(full));
	return rc;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool sk_layout_ok(const uint8_t *msg, size_t msg_len, size_t body_off)
{
	return msg && msg_len <= INT_MAX && body_off <= msg_len;
}

int ike_sk_seal(struct ike_sk *sk, uint8_t *msg, size_t msg_len, size_t body_off, size_t plain_len)
{
	if (!sk_layout_ok(msg, msg_len, body_off) || plain_len > msg_len ||
	    msg_len - body_off != ike_sk_body_len(sk, plain_len))
		return M6E_INVAL;
	/* The IKE Length must be final before it is authenticated; a mismatch
	 * is a builder bug, caught here rather than by the peer. */
	if (body_off >= IKE_HDR_LEN && get_be32(msg + IKE_HDR_LENGTH_OFF) != msg_len)
		return M6E_INVAL;
	uint8_t *iv = msg + body_off;
	uint8_t *data = iv + sk->iv_len;
	size_t pad = sk_pad_len(sk, plain_len);
	size_t ct_len = plain_len + pad + 1;
	memset(data + plain_len, 0, pad); /* any value is allowed; zeros leak nothing */
	data[plain_len + pad] = (uint8_t)pad;
	uint8_t *icv = data + ct_len;
	if (sk->gcm) {
		if (sk->iv_counter == UINT64_MAX)
			return M6E_RANGE; /* rekey long before */
		int rc = aead_make_iv(sk->gcm_out, ++sk->iv_counter, iv);
		if (rc)
			return rc;
		struct aead_op op = {
			.iv = iv, .aad = msg, .aad_len = body_off, .data = data, .len = ct_len, .icv = icv,
		};
		return aead_seal(sk->gcm_out, &op); /* R5282-4.a */
	}
	/* R7296-3.14.a: a fresh unpredictable IV per message. */
	int rc = crypto_random(iv, sk->iv_len);
	if (rc)
		return rc;
	int outl = 0;
	if (EVP_CipherInit_ex2(sk->enc, NULL, NULL, iv, 1, NULL) != 1 ||
	    EVP_CipherUpdate(sk->enc, data, &outl, data, (int)ct_len) != 1 || (size_t)outl != ct_len)
		return M6E_IO;
	return sk_icv(sk->mac_out, msg, (size_t)(icv - msg), icv, sk->icv_len);
}

int ike_sk_open(struct ike_sk *sk, uint8_t *msg, size_t msg_len, size_t body_off, size_t *plain_off,
		size_t *plain_len, enum ike_crypto_reason *why)
{
	set_why(why, IKE_CR_OK);
	if (!sk_layout_ok(msg, msg_len, body_off) || !plain_off || !plain_len)
		return M6E_INVAL;
	size_t body = msg_len - body_off;
	if (body < sk->iv_len + sk->icv_len + 1) {
		set_why(why, IKE_CR_SK_TRUNC);
		return M6E_INVAL;
	}
	uint8_t *iv = msg + body_off;
	uint8_t *data = iv + sk->iv_len;
	size_t ct_len = body - sk->iv_len - sk->icv_len;
	uint8_t *icv = data + ct_len;
	if (sk->gcm) {
		struct aead_op op = {
			.iv = iv, .aad = msg, .aad_len = body_off, .data = data, .len = ct_len, .icv = icv,
		};
		int rc = aead_open(sk->gcm_in, &op);
		if (rc == M6E_AUTH)
			set_why(why, IKE_CR_SK_ICV);
		if (rc)
			return rc;
	} else {
		if (ct_len % CBC_BLOCK) {
			set_why(why, IKE_CR_SK_ALIGN);
			return M6E_INVAL;
		}
		/* Verify before decrypting anything. */
		uint8_t want[IKE_SK_MAX_ICV];
		int rc = sk_icv(sk->mac_in, msg, (size_t)(icv - msg), want, sk->icv_len);
		if (rc)
			return rc;
		if (!crypto_memeq(want, icv, sk->icv_len)) {
			set_why(why, IKE_CR_SK_ICV);
			return M6E_AUTH;
		}
		int outl = 0;
		if (EVP_CipherInit_ex2(sk->dec, NULL, NULL, iv, 0, NULL) != 1 ||
		    EVP_CipherUpdate(sk->dec, data, &outl, data, (int)ct_len) != 1 || (size_t)outl != ct_len)
			return M6E_IO;
	}
	/* R7296-3.14.a: accept any padding whose length fits. */
	size_t pad = data[ct_len - 1];
	if (pad + 1 > ct_len) {
		set_why(why, IKE_CR_SK_PADDING);
		return M6E_INVAL;
	}
	*plain_off = (size_t)(data - msg);
	*plain_len = ct_len - pad - 1;
	return 0;
}
