/*
 * ikesa_crypto: thin glue from the IKE SA engine to crypto/ike_crypto (see
 * ikesa_crypto.h for why it is a file of its own).
 */
#include "ike/ikesa_crypto.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "crypto/crypto.h"
#include "crypto/ike_crypto.h"

struct ikesa_cx {
	struct ike_dh *dh;
	struct ike_keys keys;
	struct ike_sk *sk;
};

int ikesa_cx_new(struct ikesa_cx **out)
{
	struct ikesa_cx *cx = calloc(1, sizeof(*cx));
	if (cx == NULL)
		return M6E_NOMEM;
	*out = cx;
	return 0;
}

void ikesa_cx_free(struct ikesa_cx *cx)
{
	if (cx == NULL)
		return;
	ike_dh_free(cx->dh);
	ike_sk_free(cx->sk);
	ike_keys_wipe(&cx->keys);
	free(cx);
}

bool ikesa_cx_supported(unsigned xform_type, unsigned id, unsigned key_bits)
{
	return ike_crypto_supported(xform_type, id, key_bits);
}

size_t ikesa_cx_dh_public_len(unsigned group)
{
	return ike_dh_public_len(group);
}

int ikesa_cx_dh_start(struct ikesa_cx *cx, unsigned group, uint8_t *pub, size_t cap, size_t *len)
{
	ike_dh_free(cx->dh);
	cx->dh = NULL;
	int rc = ike_dh_new(&cx->dh, group);
	if (rc != 0)
		return rc;
	rc = ike_dh_public(cx->dh, pub, cap);
	if (rc != 0)
		return rc;
	*len = ike_dh_public_len(group);
	return 0;
}

int ikesa_cx_derive(struct ikesa_cx *cx, unsigned encr, unsigned key_bits, unsigned integ, unsigned prf,
		    const uint8_t *peer_ke, size_t peer_ke_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		    size_t nr_len, const uint8_t spii[8], const uint8_t spir[8], bool original_initiator, int *why)
{
	uint8_t gir[IKE_DH_MAX], skeyseed[IKE_PRF_MAX];
	enum ike_crypto_reason r = IKE_CR_OK;
	struct ike_suite s = { .encr = encr, .key_bits = key_bits, .integ = integ, .prf = prf };
	int rc = M6E_INVAL;
	if (cx->dh == NULL || cx->sk != NULL || !ike_suite_valid(&s))
		goto out;
	rc = ike_dh_compute(cx->dh, peer_ke, peer_ke_len, gir, sizeof(gir), &r);
	if (rc != 0)
		goto out;
	size_t gir_len = ike_dh_secret_len(ike_dh_group(cx->dh));
	rc = ike_skeyseed(prf, ni, ni_len, nr, nr_len, gir, gir_len, skeyseed);
	if (rc != 0)
		goto out;
	rc = ike_keys_derive(&cx->keys, &s, skeyseed, ike_prf_len(prf), ni, ni_len, nr, nr_len, spii, spir);
	if (rc != 0)
		goto out;
	rc = ike_sk_new(&cx->sk, &cx->keys, original_initiator);
out:
	if (why != NULL)
		*why = (int)r;
	crypto_wipe(gir, sizeof(gir));
	crypto_wipe(skeyseed, sizeof(skeyseed));
	ike_dh_free(cx->dh);
	cx->dh = NULL;
	return rc;
}

bool ikesa_cx_has_keys(const struct ikesa_cx *cx)
{
	return cx->sk != NULL;
}

size_t ikesa_cx_sk_iv_len(const struct ikesa_cx *cx)
{
	return ike_sk_iv_len(cx->sk);
}

size_t ikesa_cx_sk_body_len(const struct ikesa_cx *cx, size_t plain_len)
{
	return ike_sk_body_len(cx->sk, plain_len);
}

int ikesa_cx_seal(struct ikesa_cx *cx, uint8_t *msg, size_t msg_len, size_t body_off, size_t plain_len)
{
	return ike_sk_seal(cx->sk, msg, msg_len, body_off, plain_len);
}

int ikesa_cx_open(struct ikesa_cx *cx, uint8_t *msg, size_t msg_len, size_t body_off, size_t *plain_off,
		  size_t *plain_len, int *why)
{
	enum ike_crypto_reason r = IKE_CR_OK;
	int rc = ike_sk_open(cx->sk, msg, msg_len, body_off, plain_off, plain_len, &r);
	if (why != NULL)
		*why = (int)r;
	return rc;
}

static int signed_octets(const struct ikesa_cx *cx, bool of_initiator, struct ike_signed_octets *so,
			 const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len,
			 const uint8_t *id_body, size_t id_len)
{
	const struct ike_keys *k = &cx->keys;
	return ike_signed_octets_init(so, k->suite.prf, msg, msg_len, nonce, nonce_len,
				      of_initiator ? k->sk_pi : k->sk_pr, k->prf_len, id_body, id_len);
}

int ikesa_cx_signed_octets(const struct ikesa_cx *cx, bool of_initiator, const uint8_t *msg, size_t msg_len,
			   const uint8_t *nonce, size_t nonce_len, const uint8_t *id_body, size_t id_len,
			   struct ike_signed_octets *so)
{
	if (cx->sk == NULL)
		return M6E_PROTO;
	return signed_octets(cx, of_initiator, so, msg, msg_len, nonce, nonce_len, id_body, id_len);
}

int ikesa_cx_auth_psk(const struct ikesa_cx *cx, bool of_initiator, const uint8_t *psk, size_t psk_len,
		      const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len, const uint8_t *id_body,
		      size_t id_len, uint8_t *out, size_t *out_len)
{
	struct ike_signed_octets so;
	int rc = signed_octets(cx, of_initiator, &so, msg, msg_len, nonce, nonce_len, id_body, id_len);
	if (rc == 0)
		rc = ike_auth_psk(cx->keys.suite.prf, psk, psk_len, &so, out);
	if (rc == 0)
		*out_len = cx->keys.prf_len;
	crypto_wipe(&so, sizeof(so));
	return rc;
}

int ikesa_cx_auth_psk_check(const struct ikesa_cx *cx, bool of_initiator, const uint8_t *psk, size_t psk_len,
			    const uint8_t *msg, size_t msg_len, const uint8_t *nonce, size_t nonce_len,
			    const uint8_t *id_body, size_t id_len, const uint8_t *auth, size_t auth_len)
{
	struct ike_signed_octets so;
	int rc = signed_octets(cx, of_initiator, &so, msg, msg_len, nonce, nonce_len, id_body, id_len);
	if (rc == 0)
		rc = ike_auth_psk_check(cx->keys.suite.prf, psk, psk_len, &so, auth, auth_len);
	crypto_wipe(&so, sizeof(so));
	return rc;
}

int ikesa_cx_debug_sk(const struct ikesa_cx *cx, uint8_t *ei, uint8_t *er, size_t *encr_len, uint8_t *ai,
		      uint8_t *ar, size_t *integ_len)
{
	const struct ike_keys *k = &cx->keys;
	if (cx->sk == NULL || k->encr_len > IKESA_CX_SK_MAX || k->integ_len > IKESA_CX_SK_MAX)
		return M6E_PROTO;
	memcpy(ei, k->sk_ei, k->encr_len);
	memcpy(er, k->sk_er, k->encr_len);
	memcpy(ai, k->sk_ai, k->integ_len);
	memcpy(ar, k->sk_ar, k->integ_len);
	*encr_len = k->encr_len;
	*integ_len = k->integ_len;
	return 0;
}

int ikesa_cx_child_keymat(const struct ikesa_cx *cx, const uint8_t *gir, size_t gir_len, const uint8_t *ni,
			  size_t ni_len, const uint8_t *nr, size_t nr_len, size_t dir_len, uint8_t *i2r, uint8_t *r2i)
{
	const struct ike_keys *k = &cx->keys;
	return ike_child_keymat(k->suite.prf, k->sk_d, k->prf_len, gir, gir_len, ni, ni_len, nr, nr_len, dir_len,
				i2r, r2i);
}

struct ikesa_dh {
	struct ike_dh *dh;
};

int ikesa_dh_new(struct ikesa_dh **out, unsigned group, uint8_t *pub, size_t cap, size_t *len)
{
	struct ikesa_dh *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return M6E_NOMEM;
	int rc = ike_dh_new(&d->dh, group);
	if (rc == 0)
		rc = ike_dh_public(d->dh, pub, cap);
	if (rc != 0) {
		ikesa_dh_free(d);
		return rc;
	}
	*len = ike_dh_public_len(group);
	*out = d;
	return 0;
}

void ikesa_dh_free(struct ikesa_dh *dh)
{
	if (dh == NULL)
		return;
	ike_dh_free(dh->dh);
	free(dh);
}

int ikesa_dh_secret(struct ikesa_dh *dh, const uint8_t *peer_ke, size_t peer_ke_len, uint8_t *gir, size_t *gir_len,
		    int *why)
{
	enum ike_crypto_reason r = IKE_CR_OK;
	int rc = ike_dh_compute(dh->dh, peer_ke, peer_ke_len, gir, IKESA_DH_SECRET_MAX, &r);
	if (why != NULL)
		*why = (int)r;
	if (rc == 0)
		*gir_len = ike_dh_secret_len(ike_dh_group(dh->dh));
	return rc;
}

int ikesa_cx_derive_rekey(struct ikesa_cx *cx, const struct ikesa_cx *old, unsigned encr, unsigned key_bits,
			  unsigned integ, unsigned prf, const uint8_t *gir, size_t gir_len, const uint8_t *ni,
			  size_t ni_len, const uint8_t *nr, size_t nr_len, const uint8_t spii[8], const uint8_t spir[8],
			  bool original_initiator)
{
	uint8_t skeyseed[IKE_PRF_MAX];
	struct ike_suite s = { .encr = encr, .key_bits = key_bits, .integ = integ, .prf = prf };
	const struct ike_keys *ok = &old->keys;
	int rc = M6E_INVAL;
	if (cx->sk != NULL || old->sk == NULL || !ike_suite_valid(&s))
		goto out;
	/* The old PRF keys SKEYSEED; the new suite's PRF keys the rest. */
	rc = ike_skeyseed_rekey(ok->suite.prf, ok->sk_d, ok->prf_len, gir, gir_len, ni, ni_len, nr, nr_len, skeyseed);
	if (rc == 0)
		rc = ike_keys_derive(&cx->keys, &s, skeyseed, ike_prf_len(ok->suite.prf), ni, ni_len, nr, nr_len, spii,
				     spir);
	if (rc == 0)
		rc = ike_sk_new(&cx->sk, &cx->keys, original_initiator);
out:
	crypto_wipe(skeyseed, sizeof(skeyseed));
	return rc;
}

bool ikesa_cx_rekey_we_lose(const uint8_t *our_ni, size_t our_ni_len, const uint8_t *our_nr, size_t our_nr_len,
			    const uint8_t *peer_ni, size_t peer_ni_len, const uint8_t *peer_nr, size_t peer_nr_len)
{
	return ike_rekey_we_lose(our_ni, our_ni_len, our_nr, our_nr_len, peer_ni, peer_ni_len, peer_nr, peer_nr_len);
}

int ikesa_cx_natd(const uint8_t spii[8], const uint8_t spir[8], const uint8_t ip[16], uint16_t port,
		  uint8_t out[20])
{
	return ike_natd_hash(spii, spir, ip, 16, port, out);
}

struct ikesa_cx_cookie {
	struct ike_cookie_secrets s;
};

int ikesa_cx_cookie_new(struct ikesa_cx_cookie **out, const uint8_t secret[IKESA_CX_COOKIE_SECRET])
{
	struct ikesa_cx_cookie *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return M6E_NOMEM;
	ike_cookie_set(&c->s, secret);
	*out = c;
	return 0;
}

/* The old current secret stays valid one more period (algorithms.md 6). */
void ikesa_cx_cookie_rotate(struct ikesa_cx_cookie *c, const uint8_t secret[IKESA_CX_COOKIE_SECRET])
{
	ike_cookie_set(&c->s, secret);
}

void ikesa_cx_cookie_free(struct ikesa_cx_cookie *c)
{
	if (c == NULL)
		return;
	ike_cookie_wipe(&c->s);
	free(c);
}

int ikesa_cx_cookie_make(const struct ikesa_cx_cookie *c, const uint8_t *ni, size_t ni_len, const uint8_t ip[16],
			 const uint8_t spii[8], uint8_t out[IKESA_CX_COOKIE_LEN])
{
	return ike_cookie_make(&c->s, ni, ni_len, ip, 16, spii, out);
}

bool ikesa_cx_cookie_check(const struct ikesa_cx_cookie *c, const uint8_t *ni, size_t ni_len, const uint8_t ip[16],
			   const uint8_t spii[8], const uint8_t *cookie, size_t cookie_len)
{
	return ike_cookie_check(&c->s, ni, ni_len, ip, 16, spii, cookie, cookie_len);
}
