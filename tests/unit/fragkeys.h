/*
 * Two ikesa_cx contexts holding the keys of one IKE SA (initiator and
 * responder side, a real ECP-256 exchange), so src/ike/frag.c can seal on
 * one and reassemble on the other. Shared by test_ikefrag.c and
 * tests/fuzz/fuzz_ikefrag.c (header-only).
 */
#ifndef M6_TESTS_FRAGKEYS_H
#define M6_TESTS_FRAGKEYS_H

#include <string.h>

#include "crypto/ike_crypto.h"
#include "crypto/xform.h"
#include "ike/frag.h"
#include "ike/ikesa_crypto.h"

struct fk_pair {
	struct ikesa_cx *i, *r;
	struct ike_hdr hdr; /* of the fragmented message: an IKE_AUTH request */
};

/* suite 0: AES-GCM-16-256; 1: AES-CBC-256 + HMAC-SHA2-256-128. */
static inline int fk_init(struct fk_pair *k, int suite)
{
	uint8_t pub_i[IKE_DH_MAX], pub_r[IKE_DH_MAX];
	size_t len_i = 0, len_r = 0;
	uint8_t ni[32], nr[32], spii[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, spir[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };
	unsigned encr = suite == 0 ? XFORM_ENCR_AES_GCM_16 : XFORM_ENCR_AES_CBC;
	unsigned integ = suite == 0 ? XFORM_INTEG_NONE : XFORM_INTEG_HMAC_SHA2_256_128;
	memset(ni, 0x11, sizeof(ni));
	memset(nr, 0x22, sizeof(nr));
	memset(k, 0, sizeof(*k));
	if (ikesa_cx_new(&k->i) != 0 || ikesa_cx_new(&k->r) != 0 ||
	    ikesa_cx_dh_start(k->i, XFORM_DH_ECP_256, pub_i, sizeof(pub_i), &len_i) != 0 ||
	    ikesa_cx_dh_start(k->r, XFORM_DH_ECP_256, pub_r, sizeof(pub_r), &len_r) != 0 ||
	    ikesa_cx_derive(k->i, encr, 256, integ, XFORM_PRF_HMAC_SHA2_256, pub_r, len_r, ni, sizeof(ni), nr,
			    sizeof(nr), spii, spir, true, NULL) != 0 ||
	    ikesa_cx_derive(k->r, encr, 256, integ, XFORM_PRF_HMAC_SHA2_256, pub_i, len_i, ni, sizeof(ni), nr,
			    sizeof(nr), spii, spir, false, NULL) != 0)
		return -1;
	k->hdr.spi_i = 0x0102030405060708ull;
	k->hdr.spi_r = 0x090a0b0c0d0e0f10ull;
	k->hdr.version = IKE_VERSION;
	k->hdr.exchange = IKE_EXCH_AUTH;
	k->hdr.flags = IKE_FLAG_I;
	k->hdr.msg_id = 1;
	return 0;
}

static inline void fk_fini(struct fk_pair *k)
{
	ikesa_cx_free(k->i);
	ikesa_cx_free(k->r);
	memset(k, 0, sizeof(*k));
}

/* A plaintext whose every octet depends on its position. */
static inline void fk_pattern(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* The i-th datagram of a frag_set in buf. */
static inline const uint8_t *fk_nth(const uint8_t *buf, const struct frag_set *set, unsigned i, size_t *len)
{
	size_t off = 0;
	for (unsigned k = 0; k < i; k++)
		off += set->len[k];
	*len = set->len[i];
	return buf + off;
}

#endif
