/*
 * ike_sig: the public-key half of ike_crypto.h: private keys, AUTH
 * signatures (RFC 7296 3.8 methods 1, 9, 10; RFC 7427 method 14) and X.509
 * chain validation, all through OpenSSL (EVP_DigestSign/Verify, X509_STORE).
 */
#include "crypto/ike_crypto.h"

#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

/* ---- keys and signatures ---------------------------------------------- */

struct ike_pkey {
	EVP_PKEY *pk;
	bool rsa_pss; /* method 14 with an RSA key: RSASSA-PSS, not PKCS#1 v1.5 */
};

static int pkey_wrap(struct ike_pkey **out, EVP_PKEY *pk)
{
	if (!pk)
		return M6E_INVAL;
	struct ike_pkey *k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pk);
		return M6E_NOMEM;
	}
	k->pk = pk;
	*out = k;
	return 0;
}

int ike_pkey_load_pem(struct ike_pkey **out, const char *path)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return M6E_IO;
	EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return pkey_wrap(out, pk);
}

int ike_pkey_from_pem(struct ike_pkey **out, const void *pem, size_t len)
{
	*out = NULL;
	if (!pem || len > INT_MAX)
		return M6E_INVAL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return M6E_NOMEM;
	EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return pkey_wrap(out, pk);
}

void ike_pkey_free(struct ike_pkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pk);
	free(k);
}

/* 256 or 384 for a NIST P-256/P-384 key, else 0. */
static int ec_curve_bits(const EVP_PKEY *pk)
{
	char name[64];
	if (!EVP_PKEY_is_a(pk, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), NULL) != 1)
		return 0;
	int nid = EC_curve_nist2nid(name);
	if (nid == NID_undef)
		nid = OBJ_sn2nid(name);
	return nid == NID_X9_62_prime256v1 ? 256 : nid == NID_secp384r1 ? 384 : 0;
}

enum ike_sig_method ike_pkey_classic_method(const struct ike_pkey *k)
{
	if (EVP_PKEY_is_a(k->pk, "RSA"))
		return IKE_SIG_RSA;
	switch (ec_curve_bits(k->pk)) {
	case 256:
		return IKE_SIG_ECDSA_P256;
	case 384:
		return IKE_SIG_ECDSA_P384;
	default:
		return (enum ike_sig_method)0;
	}
}

static const char *hash_md(enum ike_hash h)
{
	switch (h) {
	case IKE_HASH_SHA1:
		return "SHA1";
	case IKE_HASH_SHA256:
		return "SHA256";
	case IKE_HASH_SHA384:
		return "SHA384";
	case IKE_HASH_SHA512:
		return "SHA512";
	default:
		return NULL;
	}
}

/*
 * RFC 7427 AlgorithmIdentifiers (DER) we sign with and accept:
 * SEQUENCE { OID, NULL } for the PKCS#1 v1.5 OIDs 1.2.840.113549.1.1.11-13,
 * SEQUENCE { OID } for ecdsa-with-SHA256/384/512, 1.2.840.10045.4.3.2-4.
 * SHA-1 variants are absent on purpose (R8247-3.2.a).
 */
struct sig_alg {
	bool rsa;
	enum ike_hash hash;
	uint8_t der_len;
	uint8_t der[15];
};

static const struct sig_alg sig_algs[] = {
	{ true, IKE_HASH_SHA256, 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 } },
	{ true, IKE_HASH_SHA384, 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00 } },
	{ true, IKE_HASH_SHA512, 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00 } },
	{ false, IKE_HASH_SHA256, 12, { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 } },
	{ false, IKE_HASH_SHA384, 12, { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 } },
	{ false, IKE_HASH_SHA512, 12, { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 } },
};

static const struct sig_alg *sig_alg_find(bool rsa, enum ike_hash hash)
{
	for (size_t i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++)
		if (sig_algs[i].rsa == rsa && sig_algs[i].hash == hash)
			return &sig_algs[i];
	return NULL;
}

static const struct sig_alg *sig_alg_match(const uint8_t *der, size_t len)
{
	for (size_t i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++)
		if (sig_algs[i].der_len == len && memcmp(sig_algs[i].der, der, len) == 0)
			return &sig_algs[i];
	return NULL;
}

/* A signing or verifying context for md. salt_len >= 0 selects RSASSA-PSS
 * with MGF1 over the same hash and that salt length. NULL on failure. */
static EVP_MD_CTX *sig_ctx(EVP_PKEY *pk, const char *md, int salt_len, bool sign)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	if (!ctx)
		return NULL;
	int ok = sign ? EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, pk, NULL)
		      : EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pk, NULL);
	if (ok == 1 && salt_len >= 0) {
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, (char *)OSSL_PKEY_RSA_PAD_MODE_PSS, 0),
			OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, (char *)md, 0),
			OSSL_PARAM_construct_int(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, &salt_len),
			OSSL_PARAM_construct_end(),
		};
		ok = EVP_PKEY_CTX_set_params(pctx, params);
	}
	if (ok != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Sign (sig receives the signature, *sig_len is the capacity in and the
 * length out) or verify (sig is read, *sig_len octets) the signed octets
 * through ctx, which is freed. */
static int digest_sig(EVP_MD_CTX *ctx, const struct ike_signed_octets *so, bool sign, uint8_t *sig, size_t *sig_len)
{
	const struct {
		const uint8_t *p;
		size_t len;
	} c[3] = { { so->msg, so->msg_len }, { so->nonce, so->nonce_len }, { so->maced_id, so->maced_id_len } };
	if (!ctx)
		return M6E_IO;
	int rc = M6E_IO;
	int (*update)(EVP_MD_CTX *, const void *, size_t) = sign ? EVP_DigestSignUpdate : EVP_DigestVerifyUpdate;
	for (size_t i = 0; i < 3; i++)
		if (c[i].len && update(ctx, c[i].p, c[i].len) != 1)
			goto out;
	if (!sign) {
		rc = EVP_DigestVerifyFinal(ctx, sig, *sig_len) == 1 ? 0 : M6E_AUTH;
		goto out;
	}
	size_t need = 0;
	if (EVP_DigestSignFinal(ctx, NULL, &need) != 1)
		goto out;
	if (need > *sig_len) {
		rc = M6E_NOSPACE;
		goto out;
	}
	if (EVP_DigestSignFinal(ctx, sig, sig_len) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int hash_len(enum ike_hash h)
{
	return h == IKE_HASH_SHA256 ? 32 : h == IKE_HASH_SHA384 ? 48 : h == IKE_HASH_SHA512 ? 64 : 0;
}

static enum ike_hash hash_from_nid(int nid)
{
	switch (nid) {
	case NID_sha256:
		return IKE_HASH_SHA256;
	case NID_sha384:
		return IKE_HASH_SHA384;
	case NID_sha512:
		return IKE_HASH_SHA512;
	default:
		return (enum ike_hash)0; /* SHA-1 (the PSS default) is refused: R8247-3.2.a */
	}
}

/*
 * A verifying context for an RSASSA-PSS AlgorithmIdentifier (RFC 4055 3.1):
 * the hash, MGF1 with the same hash and the salt length come from its
 * parameters; hash and mask generation must be present (their DEFAULT is
 * SHA-1, refused by R8247-3.2.a). NULL if der is anything else.
 */
static EVP_MD_CTX *pss_verify_ctx(EVP_PKEY *pk, const uint8_t *der, size_t der_len)
{
	EVP_MD_CTX *ctx = NULL;
	const uint8_t *p = der;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)der_len);
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	if (!alg || p != der + der_len || OBJ_obj2nid(alg->algorithm) != NID_rsassaPss || !alg->parameter)
		goto out;
	pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter);
	if (!pss || !pss->hashAlgorithm || !pss->maskGenAlgorithm ||
	    OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 || !pss->maskGenAlgorithm->parameter)
		goto out;
	if (pss->trailerField && ASN1_INTEGER_get(pss->trailerField) != 1)
		goto out;
	mgf_md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), pss->maskGenAlgorithm->parameter);
	enum ike_hash h = hash_from_nid(OBJ_obj2nid(pss->hashAlgorithm->algorithm));
	long salt = pss->saltLength ? ASN1_INTEGER_get(pss->saltLength) : 20; /* the DEFAULT of RFC 4055 */
	if (!mgf_md || !h || hash_from_nid(OBJ_obj2nid(mgf_md->algorithm)) != h || salt < 0 || salt > 1024)
		goto out;
	ctx = sig_ctx(pk, hash_md(h), (int)salt, false);
out:
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	X509_ALGOR_free(alg);
	return ctx;
}

/* RFC 7427 Authentication Data with RSASSA-PSS: OpenSSL writes the
 * AlgorithmIdentifier for the context it signs with (salt = hash length). */
static int pss_sign(EVP_PKEY *pk, enum ike_hash hash, const struct ike_signed_octets *so, uint8_t *out, size_t cap,
		    size_t *out_len)
{
	EVP_MD_CTX *ctx = sig_ctx(pk, hash_md(hash), hash_len(hash), true);
	if (!ctx)
		return M6E_INVAL;
	uint8_t aid[128];
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, aid, sizeof(aid)),
		OSSL_PARAM_construct_end(),
	};
	if (EVP_PKEY_CTX_get_params(EVP_MD_CTX_get_pkey_ctx(ctx), params) != 1 || !OSSL_PARAM_modified(params) ||
	    params[0].return_size > 255) {
		EVP_MD_CTX_free(ctx);
		return M6E_IO;
	}
	size_t hdr = 1 + params[0].return_size;
	if (cap < hdr) {
		EVP_MD_CTX_free(ctx);
		return M6E_NOSPACE;
	}
	out[0] = (uint8_t)params[0].return_size;
	memcpy(out + 1, aid, params[0].return_size);
	size_t sig_len = cap - hdr;
	int rc = digest_sig(ctx, so, true, out + hdr, &sig_len);
	if (rc == 0)
		*out_len = hdr + sig_len;
	return rc;
}

/* DER ECDSA-Sig-Value -> r | s, each n octets (RFC 4754 7). */
static int ecdsa_der_to_raw(const uint8_t *der, size_t der_len, uint8_t *out, size_t n)
{
	const uint8_t *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!sig)
		return M6E_IO;
	const BIGNUM *r, *s;
	ECDSA_SIG_get0(sig, &r, &s);
	int rc = BN_bn2binpad(r, out, (int)n) == (int)n && BN_bn2binpad(s, out + n, (int)n) == (int)n ? 0 : M6E_IO;
	ECDSA_SIG_free(sig);
	return rc;
}

/* r | s -> DER into der (cap octets), *der_len its length. */
static int ecdsa_raw_to_der(const uint8_t *raw, size_t n, uint8_t *der, size_t cap, size_t *der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)n, NULL), *s = BN_bin2bn(raw + n, (int)n, NULL);
	int rc = M6E_IO;
	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	int len = i2d_ECDSA_SIG(sig, NULL);
	if (len <= 0 || (size_t)len > cap)
		goto out;
	uint8_t *p = der;
	if (i2d_ECDSA_SIG(sig, &p) == len) {
		*der_len = (size_t)len;
		rc = 0;
	}
out:
	ECDSA_SIG_free(sig);
	return rc;
}

#define ECDSA_DER_MAX 150 /* SEQUENCE of two INTEGERs up to P-521 */

/* The digest of a classic method (1, 9, 10) if it fits the key, and the
 * r/s length for ECDSA (0 for RSA); NULL when the method does not fit. */
static const char *classic_md(EVP_PKEY *pk, enum ike_sig_method method, enum ike_hash hash, size_t *ecdsa_n)
{
	*ecdsa_n = 0;
	switch (method) {
	case IKE_SIG_RSA:
		/* SHA-1 stays possible for peers that use it with method 1. */
		if (!EVP_PKEY_is_a(pk, "RSA") || hash == IKE_HASH_SHA512)
			return NULL;
		return hash_md(hash);
	case IKE_SIG_ECDSA_P256:
		*ecdsa_n = 32;
		return ec_curve_bits(pk) == 256 ? "SHA256" : NULL;
	case IKE_SIG_ECDSA_P384:
		*ecdsa_n = 48;
		return ec_curve_bits(pk) == 384 ? "SHA384" : NULL;
	default:
		return NULL;
	}
}

int ike_auth_sign(const struct ike_pkey *key, enum ike_sig_method method, enum ike_hash hash,
		  const struct ike_signed_octets *so, uint8_t *out, size_t cap, size_t *out_len)
{
	if (!key || !so || !out || !out_len)
		return M6E_INVAL;
	EVP_PKEY *pk = key->pk;
	if (method == IKE_SIG_DIGITAL) {
		bool rsa = EVP_PKEY_is_a(pk, "RSA");
		if (rsa && key->rsa_pss)
			return hash_len(hash) ? pss_sign(pk, hash, so, out, cap, out_len) : M6E_INVAL;
		const struct sig_alg *alg = (rsa || ec_curve_bits(pk)) ? sig_alg_find(rsa, hash) : NULL;
		if (!alg)
			return M6E_INVAL;
		size_t hdr = 1 + alg->der_len; /* R7427-3.a */
		if (cap < hdr)
			return M6E_NOSPACE;
		out[0] = alg->der_len;
		memcpy(out + 1, alg->der, alg->der_len);
		size_t sig_len = cap - hdr;
		int rc = digest_sig(sig_ctx(pk, hash_md(hash), -1, true), so, true, out + hdr, &sig_len);
		if (rc == 0)
			*out_len = hdr + sig_len;
		return rc;
	}
	size_t n;
	const char *md = classic_md(pk, method, hash, &n);
	if (!md)
		return M6E_INVAL;
	if (!n) {
		*out_len = cap;
		return digest_sig(sig_ctx(pk, md, -1, true), so, true, out, out_len);
	}
	if (cap < 2 * n)
		return M6E_NOSPACE;
	uint8_t der[ECDSA_DER_MAX];
	size_t der_len = sizeof(der);
	int rc = digest_sig(sig_ctx(pk, md, -1, true), so, true, der, &der_len);
	if (rc == 0)
		rc = ecdsa_der_to_raw(der, der_len, out, n);
	if (rc == 0)
		*out_len = 2 * n;
	return rc;
}

int ike_auth_verify(const struct ike_pkey *key, enum ike_sig_method method, enum ike_hash hash,
		    const struct ike_signed_octets *so, const uint8_t *auth, size_t auth_len)
{
	if (!key || !so || !auth)
		return M6E_INVAL;
	EVP_PKEY *pk = key->pk;
	/* OpenSSL only reads the signature; its API is not const. */
	uint8_t *sig = (uint8_t *)auth;
	size_t sig_len = auth_len;
	if (method == IKE_SIG_DIGITAL) {
		if (auth_len < 1 || (size_t)auth[0] + 1 > auth_len)
			return M6E_AUTH;
		const struct sig_alg *alg = sig_alg_match(auth + 1, auth[0]);
		bool rsa = EVP_PKEY_is_a(pk, "RSA");
		EVP_MD_CTX *ctx;
		if (alg) {
			if (alg->rsa ? !rsa : !ec_curve_bits(pk))
				return M6E_INVAL;
			ctx = sig_ctx(pk, hash_md(alg->hash), -1, false);
		} else {
			ctx = rsa ? pss_verify_ctx(pk, auth + 1, auth[0]) : NULL;
			if (!ctx)
				return M6E_AUTH; /* an AlgorithmIdentifier we do not accept */
		}
		sig += 1 + auth[0];
		sig_len -= 1 + (size_t)auth[0];
		return digest_sig(ctx, so, false, sig, &sig_len);
	}
	size_t n;
	const char *md = classic_md(pk, method, hash, &n);
	if (!md)
		return M6E_INVAL;
	if (!n)
		return digest_sig(sig_ctx(pk, md, -1, false), so, false, sig, &sig_len);
	if (auth_len != 2 * n)
		return M6E_AUTH;
	uint8_t der[ECDSA_DER_MAX];
	size_t der_len = 0;
	if (ecdsa_raw_to_der(auth, n, der, sizeof(der), &der_len) != 0)
		return M6E_AUTH;
	return digest_sig(sig_ctx(pk, md, -1, false), so, false, der, &der_len);
}

void ike_pkey_set_rsa_pss(struct ike_pkey *k, bool pss)
{
	k->rsa_pss = pss;
}

/* ---- certificates ------------------------------------------------------ */

struct ike_x509 {
	X509 *x;
	struct ike_pkey pub; /* borrowed from x */
};

struct ike_castore {
	X509_STORE *store;
};

static int cert_wrap(struct ike_x509 **out, X509 *x)
{
	if (!x)
		return M6E_INVAL;
	struct ike_x509 *c = calloc(1, sizeof(*c));
	if (!c) {
		X509_free(x);
		return M6E_NOMEM;
	}
	c->x = x;
	c->pub.pk = X509_get0_pubkey(x);
	if (!c->pub.pk) {
		ike_x509_free(c);
		return M6E_INVAL;
	}
	*out = c;
	return 0;
}

int ike_x509_from_der(struct ike_x509 **out, const uint8_t *der, size_t len)
{
	*out = NULL;
	if (!der || !len || len > LONG_MAX)
		return M6E_INVAL;
	const uint8_t *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) { /* trailing bytes: not one certificate */
		X509_free(x);
		return M6E_INVAL;
	}
	return cert_wrap(out, x);
}

int ike_x509_load_pem(struct ike_x509 **out, const char *path)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return M6E_IO;
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return cert_wrap(out, x);
}

int ike_x509_der(const struct ike_x509 *c, uint8_t *out, size_t cap, size_t *len)
{
	int need = i2d_X509(c->x, NULL);
	if (need <= 0)
		return M6E_IO;
	if ((size_t)need > cap)
		return M6E_NOSPACE;
	uint8_t *p = out;
	if (i2d_X509(c->x, &p) != need)
		return M6E_IO;
	*len = (size_t)need;
	return 0;
}

const struct ike_pkey *ike_x509_pubkey(const struct ike_x509 *c)
{
	return &c->pub;
}

void ike_x509_free(struct ike_x509 *c)
{
	if (!c)
		return;
	X509_free(c->x);
	free(c);
}

int ike_x509_subject(const struct ike_x509 *c, uint8_t *out, size_t cap, size_t *len)
{
	const X509_NAME *name = X509_get_subject_name(c->x);
	const unsigned char *der = NULL;
	size_t n = 0;
	if (!name || X509_NAME_get0_der((X509_NAME *)name, &der, &n) != 1)
		return M6E_IO;
	if (n > cap)
		return M6E_NOSPACE;
	memcpy(out, der, n);
	*len = n;
	return 0;
}

/* ID payload types (RFC 7296 3.5; wire/ike.h has the enum). */
#define ID_IPV4_ADDR 1
#define ID_FQDN 2
#define ID_RFC822_ADDR 3
#define ID_IPV6_ADDR 5
#define ID_DER_ASN1_DN 9

bool ike_x509_has_id(const struct ike_x509 *c, unsigned id_type, const uint8_t *id, size_t id_len)
{
	/* Only the names the certificate states; a CN is not an FQDN. */
	const unsigned flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_WILDCARDS;
	if (!c || !id || !id_len || id_len > 255)
		return false;
	switch (id_type) {
	case ID_FQDN:
		return X509_check_host(c->x, (const char *)id, id_len, flags, NULL) == 1;
	case ID_RFC822_ADDR:
		return X509_check_email(c->x, (const char *)id, id_len, flags) == 1;
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		if (id_len != (id_type == ID_IPV4_ADDR ? 4u : 16u))
			return false;
		return X509_check_ip(c->x, id, id_len, flags) == 1;
	case ID_DER_ASN1_DN: {
		const uint8_t *p = id;
		X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)id_len);
		bool same = name && p == id + id_len && X509_NAME_cmp(name, X509_get_subject_name(c->x)) == 0;
		X509_NAME_free(name);
		return same;
	}
	default:
		return false;
	}
}

bool ike_x509_may_sign(const struct ike_x509 *c)
{
	/* UINT32_MAX: no keyUsage; 0 as well when the extensions do not parse. */
	uint32_t ku = c != NULL ? X509_get_key_usage(c->x) : 0;
	return ku == UINT32_MAX || (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
}

static int spki_sha1(X509 *x, uint8_t out[IKE_NATD_LEN])
{
	uint8_t *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	unsigned int got = 0;
	int rc = n > 0 && EVP_Digest(der, (size_t)n, out, &got, EVP_sha1(), NULL) == 1 && got == IKE_NATD_LEN
			 ? 0
			 : M6E_IO;
	OPENSSL_free(der);
	return rc;
}

int ike_x509_spki_sha1(const struct ike_x509 *c, uint8_t out[IKE_NATD_LEN])
{
	return spki_sha1(c->x, out);
}

int ike_castore_new(struct ike_castore **out)
{
	*out = NULL;
	struct ike_castore *s = calloc(1, sizeof(*s));
	if (!s)
		return M6E_NOMEM;
	s->store = X509_STORE_new();
	if (!s->store) {
		free(s);
		return M6E_NOMEM;
	}
	*out = s;
	return 0;
}

int ike_castore_add_pem(struct ike_castore *s, const char *path)
{
	return X509_STORE_load_file(s->store, path) == 1 ? 0 : M6E_INVAL;
}

int ike_castore_add(struct ike_castore *s, const struct ike_x509 *c)
{
	return X509_STORE_add_cert(s->store, c->x) == 1 ? 0 : M6E_INVAL; /* takes its own reference */
}

void ike_castore_free(struct ike_castore *s)
{
	if (!s)
		return;
	X509_STORE_free(s->store);
	free(s);
}

int ike_castore_certreq(const struct ike_castore *s, uint8_t *out, size_t cap, size_t *len)
{
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(s->store);
	size_t n = 0;
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		if (!x) /* a CRL */
			continue;
		if (cap - n < IKE_NATD_LEN)
			return M6E_NOSPACE;
		int rc = spki_sha1(x, out + n);
		if (rc)
			return rc;
		n += IKE_NATD_LEN;
	}
	*len = n;
	return 0;
}

int ike_x509_verify_chain(struct ike_castore *s, const struct ike_x509 *leaf, const struct ike_x509 *const *chain,
			  size_t chain_len, time_t now, char *reason, size_t reason_cap)
{
	if (reason && reason_cap)
		reason[0] = '\0';
	if (!s || !leaf || (!chain && chain_len))
		return M6E_INVAL;
	int rc = M6E_NOMEM;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	if (!ctx || !untrusted)
		goto out;
	for (size_t i = 0; i < chain_len; i++)
		if (!sk_X509_push(untrusted, chain[i]->x)) /* borrowed: freed with sk_X509_free only */
			goto out;
	rc = M6E_IO;
	if (X509_STORE_CTX_init(ctx, s->store, leaf->x, untrusted) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY) != 1)
		goto out;
	if (now)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
		goto out;
	}
	rc = M6E_AUTH;
	if (reason && reason_cap)
		snprintf(reason, reason_cap, "%s (depth %d)", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)),
			 X509_STORE_CTX_get_error_depth(ctx));
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	return rc;
}
