/*
 * Test PKI made at run time with OpenSSL (no private key is committed):
 * root CA -> intermediates -> end entity, RSA-2048/3072 or ECDSA
 * P-256/P-384, subjectAltNames as OpenSSL's config syntax
 * ("DNS:ha.example.net,IP:2001:db8:1::1,email:mn1@example.net"), validity
 * relative to now (negative: in the past). Header-only: the unit tests and
 * the fuzz targets include it.
 *
 * cg_chain() writes, in dir:
 *   NAME.crt    end entity first, then the intermediates (nearest first)
 *   NAME.key    the end entity's private key
 *   NAME-ca.crt the root
 */
#ifndef M6_TESTS_CERTGEN_H
#define M6_TESTS_CERTGEN_H

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum cg_alg { CG_RSA2048, CG_RSA3072, CG_P256, CG_P384 };

static inline EVP_PKEY *cg_key(enum cg_alg alg)
{
	switch (alg) {
	case CG_RSA2048:
		return EVP_RSA_gen(2048);
	case CG_RSA3072:
		return EVP_RSA_gen(3072);
	case CG_P256:
		return EVP_EC_gen("P-256");
	default:
		return EVP_EC_gen("P-384");
	}
}

static inline int cg_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v;
	X509V3_set_ctx(&v, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v, nid, value);
	int ok = e != NULL && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* One certificate for key, signed by issuer_key (issuer NULL: self-signed). */
static inline X509 *cg_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
			    long not_before_s, long not_after_s, const char *san)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	if (x == NULL || name == NULL)
		goto fail;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), not_before_s);
	X509_gmtime_adj(X509_getm_notAfter(x), not_after_s);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mip6sec test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509 *iss = issuer != NULL ? issuer : x;
	if (cg_ext(x, iss, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE") != 0 ||
	    cg_ext(x, iss, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") != 0 ||
	    cg_ext(x, iss, NID_subject_key_identifier, "hash") != 0 ||
	    (issuer != NULL && cg_ext(x, iss, NID_authority_key_identifier, "keyid:always") != 0) ||
	    (san != NULL && cg_ext(x, iss, NID_subject_alt_name, san) != 0))
		goto fail;
	if (X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) <= 0)
		goto fail;
	X509_NAME_free(name);
	return x;
fail:
	X509_NAME_free(name);
	X509_free(x);
	return NULL;
}

static inline int cg_write_certs(const char *path, X509 *const *certs, size_t n)
{
	FILE *f = fopen(path, "w");
	int rc = f != NULL ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = PEM_write_X509(f, certs[i]) == 1 ? 0 : -1;
	if (f != NULL)
		fclose(f);
	return rc;
}

static inline int cg_write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	int ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	return ok == 1 ? 0 : -1;
}

#define CG_DAY 86400L

/*
 * A chain NAME in dir: a root (reused from root_of, the NAME of an earlier
 * chain, when not NULL, so several end entities share one CA), n_int
 * intermediates (0..2), the end entity with subject CN cn and san; expired:
 * the end entity's validity ended yesterday. 0 or -1.
 */
static inline int cg_chain(const char *dir, const char *name, const char *root_of, enum cg_alg alg, int n_int,
			   const char *cn, const char *san, bool expired)
{
	char path[512];
	EVP_PKEY *keys[4] = { NULL, NULL, NULL, NULL };
	X509 *certs[4] = { NULL, NULL, NULL, NULL };
	int rc = -1;
	if (n_int < 0 || n_int > 2)
		return -1;
	/* certs[0] root ... certs[n_int + 1] end entity */
	if (root_of != NULL) {
		snprintf(path, sizeof(path), "%s/%s-ca.crt", dir, root_of);
		FILE *f = fopen(path, "r");
		certs[0] = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		if (f != NULL)
			fclose(f);
		snprintf(path, sizeof(path), "%s/%s-ca.key", dir, root_of);
		f = fopen(path, "r");
		keys[0] = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
		if (f != NULL)
			fclose(f);
	} else {
		keys[0] = cg_key(alg);
		certs[0] = keys[0] != NULL ? cg_cert(keys[0], "mip6sec test root", NULL, NULL, true, -60 * CG_DAY,
						     3650 * CG_DAY, NULL)
					   : NULL;
	}
	if (certs[0] == NULL || keys[0] == NULL)
		goto out;
	for (int i = 1; i <= n_int + 1; i++) {
		bool ee = i == n_int + 1;
		char sub[64];
		snprintf(sub, sizeof(sub), "mip6sec test intermediate %d", i);
		keys[i] = cg_key(alg);
		if (keys[i] == NULL)
			goto out;
		certs[i] = cg_cert(keys[i], ee ? cn : sub, certs[i - 1], keys[i - 1], !ee,
				   ee && expired ? -30 * CG_DAY : -60 * CG_DAY, ee && expired ? -CG_DAY : 365 * CG_DAY,
				   ee ? san : NULL);
		if (certs[i] == NULL)
			goto out;
	}
	X509 *sent[3];
	for (int i = 0; i <= n_int; i++)
		sent[i] = certs[n_int + 1 - i];
	snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
	if (cg_write_certs(path, sent, (size_t)n_int + 1) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if (cg_write_key(path, keys[n_int + 1]) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s-ca.crt", dir, name);
	if (cg_write_certs(path, &certs[0], 1) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s-ca.key", dir, name);
	if (cg_write_key(path, keys[0]) != 0)
		goto out;
	rc = 0;
out:
	for (int i = 0; i < 4; i++) {
		X509_free(certs[i]);
		EVP_PKEY_free(keys[i]);
	}
	return rc;
}

#endif
