/*
 * IKEv2 transform IDs (wire-formats.md J; RFC 7296 3.3.2, IANA "IKEv2
 * Parameters") with name tables, and the mapping from a negotiated
 * ENCR/INTEG/key-length triple to the ESP suite that implements it.
 */
#ifndef M6_CRYPTO_XFORM_H
#define M6_CRYPTO_XFORM_H

#include <stddef.h>
#include <stdint.h>

#include "base/names.h"
#include "crypto/aead.h"

enum xform_type {
	XFORM_ENCR = 1,
	XFORM_PRF = 2,
	XFORM_INTEG = 3,
	XFORM_DH = 4,
	XFORM_ESN = 5,
};

enum xform_encr {
	XFORM_ENCR_DES = 2,
	XFORM_ENCR_3DES = 3,
	XFORM_ENCR_NULL = 11,
	XFORM_ENCR_AES_CBC = 12,
	XFORM_ENCR_AES_CTR = 13,
	XFORM_ENCR_AES_CCM_8 = 14,
	XFORM_ENCR_AES_CCM_12 = 15,
	XFORM_ENCR_AES_CCM_16 = 16,
	XFORM_ENCR_AES_GCM_8 = 18,
	XFORM_ENCR_AES_GCM_12 = 19,
	XFORM_ENCR_AES_GCM_16 = 20,
	XFORM_ENCR_NULL_AUTH_AES_GMAC = 21,
	XFORM_ENCR_CHACHA20_POLY1305 = 28,
};

enum xform_prf {
	XFORM_PRF_HMAC_MD5 = 1,
	XFORM_PRF_HMAC_SHA1 = 2,
	XFORM_PRF_HMAC_SHA2_256 = 5,
	XFORM_PRF_HMAC_SHA2_384 = 6,
	XFORM_PRF_HMAC_SHA2_512 = 7,
};

enum xform_integ {
	XFORM_INTEG_NONE = 0,
	XFORM_INTEG_HMAC_MD5_96 = 1,
	XFORM_INTEG_HMAC_SHA1_96 = 2,
	XFORM_INTEG_AES_XCBC_96 = 5,
	XFORM_INTEG_HMAC_SHA2_256_128 = 12,
	XFORM_INTEG_HMAC_SHA2_384_192 = 13,
	XFORM_INTEG_HMAC_SHA2_512_256 = 14,
};

enum xform_dh {
	XFORM_DH_NONE = 0,
	XFORM_DH_MODP_2048 = 14,
	XFORM_DH_ECP_256 = 19,
	XFORM_DH_ECP_384 = 20,
	XFORM_DH_CURVE25519 = 31,
};

enum xform_esn { XFORM_ESN_NO = 0, XFORM_ESN_YES = 1 };

/* Name of a transform ID of the given type ("unknown" if none). */
const char *xform_name(enum xform_type type, unsigned id);
const char *xform_type_name(enum xform_type type);

/*
 * The ESP suite for a negotiated ENCR (with its Key Length attribute in bits,
 * 0 when absent) and INTEG transform. AEAD ciphers require INTEG NONE; AES-CBC
 * requires AUTH_HMAC_SHA2_256_128 (the only integrity the engine implements).
 * 0, M6E_INVAL (a combination the RFCs forbid: encryption without
 * authentication R8221-4.a, integrity with AEAD, missing or wrong key length)
 * or M6E_UNSUPP (legal but not implemented).
 */
int xform_to_aead(unsigned encr, unsigned key_bits, unsigned integ, enum aead_alg *out);

#endif
