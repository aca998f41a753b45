#include "crypto/xform.h"

#include "base/err.h"

/* wire-formats.md J, Type 1. */
static const struct name_entry encr_names[] = {
	{ 1, "ENCR_DES_IV64" },
	{ 2, "ENCR_DES" },
	{ 3, "ENCR_3DES" },
	{ 4, "ENCR_RC5" },
	{ 5, "ENCR_IDEA" },
	{ 6, "ENCR_CAST" },
	{ 7, "ENCR_BLOWFISH" },
	{ 8, "ENCR_3IDEA" },
	{ 9, "ENCR_DES_IV32" },
	{ 11, "ENCR_NULL" },
	{ 12, "ENCR_AES_CBC" },
	{ 13, "ENCR_AES_CTR" },
	{ 14, "ENCR_AES_CCM_8" },
	{ 15, "ENCR_AES_CCM_12" },
	{ 16, "ENCR_AES_CCM_16" },
	{ 18, "ENCR_AES_GCM_8" },
	{ 19, "ENCR_AES_GCM_12" },
	{ 20, "ENCR_AES_GCM_16" },
	{ 21, "ENCR_NULL_AUTH_AES_GMAC" },
	{ 28, "ENCR_CHACHA20_POLY1305" },
};

/* Type 2; PRF_AES128_XCBC = 4 is [UNVERIFIED] in the spec, listed anyway. */
static const struct name_entry prf_names[] = {
	{ 1, "PRF_HMAC_MD5" },	    { 2, "PRF_HMAC_SHA1" },	  { 3, "PRF_HMAC_TIGER" },
	{ 4, "PRF_AES128_XCBC" },   { 5, "PRF_HMAC_SHA2_256" },	  { 6, "PRF_HMAC_SHA2_384" },
	{ 7, "PRF_HMAC_SHA2_512" },
};

/* Type 3. */
static const struct name_entry integ_names[] = {
	{ 0, "NONE" },
	{ 1, "AUTH_HMAC_MD5_96" },
	{ 2, "AUTH_HMAC_SHA1_96" },
	{ 3, "AUTH_DES_MAC" },
	{ 4, "AUTH_KPDK_MD5" },
	{ 5, "AUTH_AES_XCBC_96" },
	{ 9, "AUTH_AES_128_GMAC" },
	{ 10, "AUTH_AES_192_GMAC" },
	{ 11, "AUTH_AES_256_GMAC" },
	{ 12, "AUTH_HMAC_SHA2_256_128" },
	{ 13, "AUTH_HMAC_SHA2_384_192" },
	{ 14, "AUTH_HMAC_SHA2_512_256" },
};

/* Type 4. */
static const struct name_entry dh_names[] = {
	{ 0, "NONE" },
	{ 1, "768-bit MODP" },
	{ 2, "1024-bit MODP" },
	{ 5, "1536-bit MODP" },
	{ 14, "2048-bit MODP" },
	{ 15, "3072-bit MODP" },
	{ 16, "4096-bit MODP" },
	{ 17, "6144-bit MODP" },
	{ 18, "8192-bit MODP" },
	{ 19, "256-bit random ECP" },
	{ 20, "384-bit random ECP" },
	{ 21, "521-bit random ECP" },
	{ 22, "1024-bit MODP with 160-bit subgroup" },
	{ 23, "2048-bit MODP with 224-bit subgroup" },
	{ 24, "2048-bit MODP with 256-bit subgroup" },
	{ 25, "192-bit random ECP" },
	{ 26, "224-bit random ECP" },
	{ 31, "Curve25519" },
	{ 32, "Curve448" },
};

/* Type 5. */
static const struct name_entry esn_names[] = {
	{ 0, "No ESN" },
	{ 1, "ESN" },
};

static const struct name_entry type_names[] = {
	{ XFORM_ENCR, "ENCR" }, { XFORM_PRF, "PRF" }, { XFORM_INTEG, "INTEG" },
	{ XFORM_DH, "DH" },	{ XFORM_ESN, "ESN" },
};

const char *xform_type_name(enum xform_type type)
{
	return names_get(type_names, NAMES_COUNT(type_names), type);
}

const char *xform_name(enum xform_type type, unsigned id)
{
	switch (type) {
	case XFORM_ENCR:
		return names_get(encr_names, NAMES_COUNT(encr_names), id);
	case XFORM_PRF:
		return names_get(prf_names, NAMES_COUNT(prf_names), id);
	case XFORM_INTEG:
		return names_get(integ_names, NAMES_COUNT(integ_names), id);
	case XFORM_DH:
		return names_get(dh_names, NAMES_COUNT(dh_names), id);
	case XFORM_ESN:
		return names_get(esn_names, NAMES_COUNT(esn_names), id);
	}
	return "unknown";
}

int xform_to_aead(unsigned encr, unsigned key_bits, unsigned integ, enum aead_alg *out)
{
	switch (encr) {
	case XFORM_ENCR_AES_GCM_16:
		/* AEAD: no integrity transform (R5282-4.a, R7634-2.a). */
		if (integ != XFORM_INTEG_NONE)
			return M6E_INVAL;
		/* R4106-8.a: Key Length attribute 128, 192 or 256 is mandatory. */
		if (key_bits == 128)
			*out = AEAD_AES128_GCM16;
		else if (key_bits == 192)
			*out = AEAD_AES192_GCM16;
		else if (key_bits == 256)
			*out = AEAD_AES256_GCM16;
		else
			return M6E_INVAL;
		return 0;
	case XFORM_ENCR_CHACHA20_POLY1305:
		/* RFC 7634 4: no Key Length attribute. */
		if (integ != XFORM_INTEG_NONE || key_bits != 0)
			return M6E_INVAL;
		*out = AEAD_CHACHA20_POLY1305;
		return 0;
	case XFORM_ENCR_AES_CBC:
		/* R8221-4.a / R8221-6.a: never without integrity. */
		if (integ == XFORM_INTEG_NONE)
			return M6E_INVAL;
		if (key_bits != 128 && key_bits != 192 && key_bits != 256)
			return M6E_INVAL;
		if (integ != XFORM_INTEG_HMAC_SHA2_256_128 || key_bits == 192)
			return M6E_UNSUPP;
		*out = key_bits == 128 ? AEAD_AES128_CBC_HMAC_SHA256_128 : AEAD_AES256_CBC_HMAC_SHA256_128;
		return 0;
	case XFORM_ENCR_DES:
	case 1: /* DES_IV64 */
	case 8: /* 3IDEA */
	case 9: /* DES_IV32 */
	case 7: /* BLOWFISH */
		return M6E_INVAL; /* R8221-5.a: MUST NOT */
	default:
		return M6E_UNSUPP;
	}
}
