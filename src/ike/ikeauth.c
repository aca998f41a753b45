/*
 * ikeauth: certificate credentials and signature AUTH (see ikeauth.h). The
 * cryptography is crypto/ike_crypto.h's; this file decides which method and
 * hash, which payloads, and what the peer must prove.
 */
#include "ike/ikeauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/rbuf.h"
#include "crypto/crypto.h"

#define PEM_FILE_MAX (64 * 1024) /* a chain file is a few certificates */

struct ikeauth_cred {
	struct ike_x509 *chain[IKEAUTH_CHAIN_MAX]; /* [0] the end entity */
	size_t n_chain;
	uint8_t *der[IKEAUTH_CHAIN_MAX];           /* CERT payload data */
	size_t der_len[IKEAUTH_CHAIN_MAX];
	struct ike_pkey *key;
	struct ike_castore *cas;                   /* NULL: verify nothing */
	uint8_t certreq[IKEAUTH_CA_MAX * IKE_NATD_LEN];
	size_t certreq_len;
	time_t verify_time;
	bool rsa_pss;
};

static const char *const fail_names[IKEAUTH_FAIL_COUNT] = {
	[IKEAUTH_OK] = "ok",
	[IKEAUTH_NO_CA] = "no CA configured",
	[IKEAUTH_NO_CERT] = "no certificate",
	[IKEAUTH_BAD_CERT] = "malformed certificate",
	[IKEAUTH_CHAIN] = "certificate chain not trusted",
	[IKEAUTH_ID] = "identity not in the certificate",
	[IKEAUTH_METHOD] = "AUTH method does not fit",
	[IKEAUTH_SIGNATURE] = "signature does not verify",
	[IKEAUTH_KEY_USAGE] = "certificate keyUsage allows neither digitalSignature nor nonRepudiation",
};

const char *ikeauth_fail_name(enum ikeauth_fail f)
{
	return (unsigned)f < IKEAUTH_FAIL_COUNT ? fail_names[f] : "?";
}

/* ---- loading ---- */

static int b64_value(uint8_t ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* The base64 body of one PEM block (whitespace skipped, '=' ends it) into
 * out[cap]. M6E_INVAL for a character outside the alphabet. */
static int b64_decode(struct rbuf *r, uint8_t *out, size_t cap, size_t *len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	uint8_t ch;
	while (rbuf_u8(r, &ch) == 0) {
		if (ch == '=')
			break;
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		int v = b64_value(ch);
		if (v < 0)
			return M6E_INVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return M6E_NOSPACE;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	*len = n;
	return 0;
}

static const uint8_t *find(const uint8_t *hay, size_t hay_len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; hay_len >= n && i <= hay_len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return M6E_IO;
	uint8_t *buf = malloc(PEM_FILE_MAX);
	size_t n = buf != NULL ? fread(buf, 1, PEM_FILE_MAX, f) : 0;
	bool more = buf != NULL && fgetc(f) != EOF;
	fclose(f);
	if (buf == NULL)
		return M6E_NOMEM;
	if (more) {
		free(buf);
		return M6E_RANGE;
	}
	*out = buf;
	*len = n;
	return 0;
}

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

/* Every CERTIFICATE block of a PEM file, in file order, into c->chain. */
static int load_chain(struct ikeauth_cred *c, const char *path, char *err, size_t errlen)
{
	uint8_t *text = NULL, *der = NULL;
	size_t text_len = 0;
	int rc = read_file(path, &text, &text_len);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot read (%s)", path, err_str(rc));
		return rc;
	}
	der = malloc(IKEAUTH_CERT_MAX);
	rc = der == NULL ? M6E_NOMEM : 0;
	const uint8_t *p = text, *end = text + text_len;
	while (rc == 0) {
		const uint8_t *b = find(p, (size_t)(end - p), PEM_BEGIN);
		if (b == NULL)
			break;
		b += strlen(PEM_BEGIN);
		const uint8_t *e = find(b, (size_t)(end - b), PEM_END);
		if (e == NULL) {
			snprintf(err, errlen, "%s: certificate without END line", path);
			rc = M6E_INVAL;
			break;
		}
		if (c->n_chain == IKEAUTH_CHAIN_MAX) { /* R7296-3.6.a */
			snprintf(err, errlen, "%s: more than %d certificates", path, IKEAUTH_CHAIN_MAX);
			rc = M6E_RANGE;
			break;
		}
		struct rbuf r;
		size_t der_len = 0;
		rbuf_init(&r, b, (size_t)(e - b));
		rc = b64_decode(&r, der, IKEAUTH_CERT_MAX, &der_len);
		if (rc == 0)
			rc = ike_x509_from_der(&c->chain[c->n_chain], der, der_len);
		if (rc == 0) {
			c->der[c->n_chain] = malloc(der_len);
			rc = c->der[c->n_chain] == NULL ? M6E_NOMEM : 0;
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s: certificate %zu unusable (%s)", path, c->n_chain + 1, err_str(rc));
			ike_x509_free(c->chain[c->n_chain]);
			c->chain[c->n_chain] = NULL;
			break;
		}
		memcpy(c->der[c->n_chain], der, der_len);
		c->der_len[c->n_chain++] = der_len;
		p = e + strlen(PEM_END);
	}
	if (rc == 0 && c->n_chain == 0) {
		snprintf(err, errlen, "%s: no certificate", path);
		rc = M6E_NOTFOUND;
	}
	free(der);
	free(text);
	return rc;
}

/* The private key must be the certificate's: sign once, verify with the
 * certificate's public key. */
static int key_matches(const struct ikeauth_cred *c)
{
	static const uint8_t probe[] = "mip6sec key check";
	struct ike_signed_octets so = { .msg = probe, .msg_len = sizeof(probe) };
	uint8_t sig[IKEAUTH_SIG_MAX];
	size_t sig_len = 0;
	enum ike_sig_method m = ike_pkey_classic_method(c->key);
	if (m == 0 || m != ike_pkey_classic_method(ike_x509_pubkey(c->chain[0])))
		return M6E_UNSUPP;
	int rc = ike_auth_sign(c->key, m, IKE_HASH_SHA256, &so, sig, sizeof(sig), &sig_len);
	if (rc == 0)
		rc = ike_auth_verify(ike_x509_pubkey(c->chain[0]), m, IKE_HASH_SHA256, &so, sig, sig_len);
	return rc;
}

int ikeauth_cred_load(const char *cert_path, const char *key_path, const char *ca_path, struct ikeauth_cred **out,
		      char *err, size_t errlen)
{
	char dummy[1];
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	*out = NULL;
	if ((cert_path == NULL) != (key_path == NULL) || (cert_path == NULL && ca_path == NULL)) {
		snprintf(err, errlen, "certificate and private key go together");
		return M6E_INVAL;
	}
	struct ikeauth_cred *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return M6E_NOMEM;
	c->rsa_pss = true;
	int rc = 0;
	if (cert_path != NULL) {
		rc = load_chain(c, cert_path, err, errlen);
		if (rc == 0 && (rc = ike_pkey_load_pem(&c->key, key_path)) != 0)
			snprintf(err, errlen, "%s: no private key (%s)", key_path, err_str(rc));
		if (rc == 0 && (rc = key_matches(c)) != 0)
			snprintf(err, errlen, "%s: not the key of %s, or not RSA/P-256/P-384 (%s)", key_path,
				 cert_path, err_str(rc));
		if (rc == 0)
			ike_pkey_set_rsa_pss(c->key, c->rsa_pss);
	}
	if (rc == 0 && ca_path != NULL) {
		rc = ike_castore_new(&c->cas);
		if (rc == 0 && (rc = ike_castore_add_pem(c->cas, ca_path)) != 0)
			snprintf(err, errlen, "%s: no CA certificate", ca_path);
		if (rc == 0 && (rc = ike_castore_certreq(c->cas, c->certreq, sizeof(c->certreq), &c->certreq_len)) != 0)
			snprintf(err, errlen, "%s: more than %d CAs", ca_path, IKEAUTH_CA_MAX);
	}
	if (rc != 0) {
		ikeauth_cred_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void ikeauth_cred_free(struct ikeauth_cred *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_chain; i++) {
		ike_x509_free(c->chain[i]);
		free(c->der[i]);
	}
	ike_pkey_free(c->key);
	ike_castore_free(c->cas);
	crypto_wipe(c, sizeof(*c));
	free(c);
}

void ikeauth_cred_set_verify_time(struct ikeauth_cred *c, time_t t)
{
	c->verify_time = t;
}

void ikeauth_cred_set_rsa_pss(struct ikeauth_cred *c, bool pss)
{
	c->rsa_pss = pss;
	if (c->key != NULL)
		ike_pkey_set_rsa_pss(c->key, pss);
}

bool ikeauth_cred_can_sign(const struct ikeauth_cred *c)
{
	return c != NULL && c->key != NULL && c->n_chain > 0;
}

bool ikeauth_cred_has_ca(const struct ikeauth_cred *c)
{
	return c != NULL && c->cas != NULL && c->certreq_len > 0;
}

size_t ikeauth_cred_chain_len(const struct ikeauth_cred *c)
{
	return c != NULL ? c->n_chain : 0;
}

int ikeauth_cred_id(const struct ikeauth_cred *c, uint8_t *type, uint8_t *data, size_t cap, size_t *len)
{
	if (!ikeauth_cred_can_sign(c))
		return M6E_NOTFOUND;
	*type = IKE_ID_DER_ASN1_DN; /* always stated by the certificate */
	return ike_x509_subject(c->chain[0], data, cap, len);
}

/* ---- SIGNATURE_HASH_ALGORITHMS ---- */

void ikeauth_hash_notify(uint8_t out[IKEAUTH_HASH_NOTIFY_LEN])
{
	static const uint8_t ours[IKEAUTH_HASH_NOTIFY_LEN] = { 0, IKE_HASH_SHA256, 0, IKE_HASH_SHA384, 0, IKE_HASH_SHA512 };
	memcpy(out, ours, sizeof(ours));
}

unsigned ikeauth_peer_hashes(const struct ike_chain *c, bool *sent)
{
	struct ike_notify n;
	unsigned set = 0;
	*sent = ike_chain_find_notify(c, IKE_N_SIGNATURE_HASH_ALGORITHMS, &n) == 0;
	if (!*sent)
		return 0;
	struct rbuf r;
	uint16_t h;
	rbuf_init(&r, n.data.ptr, n.data.len);
	while (rbuf_u16(&r, &h) == 0)
		if (h < 16)
			set |= IKEAUTH_HASH_BIT(h);
	return set;
}

/* ---- building ---- */

void ikeauth_build_certreq(const struct ikeauth_cred *c, struct ike_builder *b)
{
	if (ikeauth_cred_has_ca(c)) /* R7296-3.7: SHA-1 of each trust anchor's SPKI */
		ike_build_cert(b, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, c->certreq, c->certreq_len);
}

void ikeauth_build_certs(const struct ikeauth_cred *c, struct ike_builder *b)
{
	/* R7296-1.2.a: the first CERT holds the key that verifies AUTH. */
	for (size_t i = 0; c != NULL && i < c->n_chain; i++)
		ike_build_cert(b, IKE_PL_CERT, IKE_CERT_X509_SIG, c->der[i], c->der_len[i]);
}

bool ikeauth_is_signature(uint8_t method)
{
	return method == IKE_AUTH_RSA_SIG || method == IKE_AUTH_ECDSA_256 || method == IKE_AUTH_ECDSA_384 ||
	       method == IKE_AUTH_DIGITAL_SIG;
}

int ikeauth_sign(const struct ikeauth_cred *c, bool hashes_ok, unsigned peer_hashes,
		 const struct ike_signed_octets *so, uint8_t *method, uint8_t *out, size_t cap, size_t *len)
{
	if (!ikeauth_cred_can_sign(c))
		return M6E_NOTFOUND;
	enum ike_sig_method classic = ike_pkey_classic_method(c->key);
	if (hashes_ok) {
		/* R7427-3.a: a hash the peer listed; R8247-3.2.a: SHA2 only. */
		static const enum ike_hash pref_p384[] = { IKE_HASH_SHA384, IKE_HASH_SHA256, IKE_HASH_SHA512 };
		static const enum ike_hash pref[] = { IKE_HASH_SHA256, IKE_HASH_SHA384, IKE_HASH_SHA512 };
		const enum ike_hash *order = classic == IKE_SIG_ECDSA_P384 ? pref_p384 : pref;
		for (size_t i = 0; i < 3; i++) {
			if (!(peer_hashes & IKEAUTH_HASH_BIT(order[i])))
				continue;
			*method = IKE_AUTH_DIGITAL_SIG;
			return ike_auth_sign(c->key, IKE_SIG_DIGITAL, order[i], so, out, cap, len);
		}
	}
	if (classic == 0)
		return M6E_UNSUPP;
	*method = (uint8_t)classic;
	/* Method 1 is PKCS#1 v1.5 over SHA-1 in RFC 7296 practice (strongSwan
	 * verifies nothing else); 9 and 10 fix their hash. */
	return ike_auth_sign(c->key, classic, IKE_HASH_SHA1, so, out, cap, len);
}

/* ---- verifying the peer ---- */

static int fail(enum ikeauth_fail f, enum ikeauth_fail *why)
{
	if (why != NULL)
		*why = f;
	return M6E_AUTH;
}

int ikeauth_verify_peer(const struct ikeauth_cred *cred, const struct ike_chain *c, const struct ike_id *id,
			const struct ike_auth *a, const struct ike_signed_octets *so, enum ikeauth_fail *why,
			char *reason, size_t reason_cap)
{
	struct ike_x509 *certs[IKEAUTH_CHAIN_MAX + 1];
	size_t n = 0;
	int rc;
	enum ikeauth_fail f = IKEAUTH_OK;
	if (reason != NULL && reason_cap > 0)
		reason[0] = '\0';
	if (!ikeauth_cred_has_ca(cred))
		return fail(IKEAUTH_NO_CA, why);
	if (!ikeauth_is_signature(a->method))
		return fail(IKEAUTH_METHOD, why);
	for (int i = ike_chain_find(c, IKE_PL_CERT, 0); i >= 0; i = ike_chain_find(c, IKE_PL_CERT, (unsigned)i + 1)) {
		struct ike_cert pc;
		if (ike_parse_cert(&c->pl[i], &pc, NULL) != 0) {
			f = IKEAUTH_BAD_CERT;
			goto out;
		}
		if (pc.encoding != IKE_CERT_X509_SIG) /* Hash-and-URL, CRLs: not used here */
			continue;
		if (n == IKEAUTH_CHAIN_MAX) { /* R7296-3.6.a: four are enough */
			f = IKEAUTH_BAD_CERT;
			goto out;
		}
		if (ike_x509_from_der(&certs[n], pc.data.ptr, pc.data.len) != 0) {
			f = IKEAUTH_BAD_CERT;
			goto out;
		}
		n++;
	}
	if (n == 0) {
		f = IKEAUTH_NO_CERT;
		goto out;
	}
	if (ike_x509_verify_chain(cred->cas, certs[0], (const struct ike_x509 *const *)&certs[1], n - 1,
				  cred->verify_time, reason, reason_cap) != 0) {
		f = IKEAUTH_CHAIN;
		goto out;
	}
	/* RFC 4945 5.1.3.2 (no requirement ID of its own; R7296-1.2.a: this
	 * certificate's key is the one that signed AUTH): a keyUsage present in
	 * the end entity must allow digitalSignature or nonRepudiation. */
	if (!ike_x509_may_sign(certs[0])) {
		f = IKEAUTH_KEY_USAGE;
		goto out;
	}
	/* R7296-1.2.a, R7296-3.5.a: the ID must be one the certificate states. */
	if (!ike_x509_has_id(certs[0], id->type, id->data.ptr, id->data.len)) {
		f = IKEAUTH_ID;
		goto out;
	}
	const struct ike_pkey *pub = ike_x509_pubkey(certs[0]);
	if (a->method != IKE_AUTH_DIGITAL_SIG && a->method != ike_pkey_classic_method(pub)) {
		f = IKEAUTH_METHOD;
		goto out;
	}
	rc = ike_auth_verify(pub, (enum ike_sig_method)a->method, IKE_HASH_SHA1, so, a->data.ptr, a->data.len);
	if (rc == M6E_INVAL)
		f = IKEAUTH_METHOD;
	else if (rc != 0)
		f = IKEAUTH_SIGNATURE;
out:
	for (size_t i = 0; i < n; i++)
		ike_x509_free(certs[i]);
	if (f != IKEAUTH_OK)
		return fail(f, why);
	if (why != NULL)
		*why = IKEAUTH_OK;
	return 0;
}
