/*
 * Algorithm names in mip6sec.conf.
 *
 * Proposal strings are '-'-separated tokens, one proposal per string:
 *   IKE:  ENCR[-INTEG][-PRF]-DH[-DH...]   "aes256gcm16-prfsha256-ecp256",
 *                                         "aes128-sha256-modp2048"
 *   ESP:  ENCR[-INTEG][-DH...][-esn|-noesn] "aes256gcm16", "aes128-sha256-esn"
 * An AEAD cipher (gcm, ccm, chacha20poly1305) takes no INTEG; any other
 * cipher needs one. IKE needs a PRF with AEAD; otherwise the PRF defaults to
 * the INTEG hash. Transform IDs are those of wire-formats.md J; algorithms
 * RFC 8247 (IKE) or RFC 8221 (ESP) mark MUST NOT are refused, naming the rule.
 *
 * Manual SAs allow only aes-cbc or null with hmac-sha256-128 (spec README
 * conflict 4, DEC-3): counter modes and AEAD need automated keying.
 */
#include "conf/conf_priv.h"

#include <stdio.h>
#include <string.h>

enum tok_kind { TK_ENCR, TK_INTEG, TK_PRF, TK_DH, TK_ESN };

/* Where a token may be used. */
#define USE_IKE 0x1u
#define USE_ESP 0x2u

struct alg_token {
	const char *name;
	enum tok_kind kind;
	uint16_t id;
	uint16_t keybits;
	bool aead;
	unsigned use;        /* where it is allowed */
	const char *refused; /* MUST NOT: the rule, for the error */
};

static const struct alg_token tokens[] = {
	{"aes128", TK_ENCR, 12, 128, false, USE_IKE | USE_ESP, NULL},
	{"aes192", TK_ENCR, 12, 192, false, USE_IKE | USE_ESP, NULL},
	{"aes256", TK_ENCR, 12, 256, false, USE_IKE | USE_ESP, NULL},
	{"aes128ctr", TK_ENCR, 13, 128, false, USE_ESP, NULL},
	{"aes256ctr", TK_ENCR, 13, 256, false, USE_ESP, NULL},
	{"aes128ccm8", TK_ENCR, 14, 128, true, USE_IKE | USE_ESP, NULL},
	{"aes128ccm16", TK_ENCR, 16, 128, true, USE_IKE | USE_ESP, NULL},
	{"aes256ccm16", TK_ENCR, 16, 256, true, USE_IKE | USE_ESP, NULL},
	{"aes128gcm8", TK_ENCR, 18, 128, true, USE_IKE | USE_ESP, NULL},
	{"aes128gcm12", TK_ENCR, 19, 128, true, USE_IKE | USE_ESP, NULL},
	{"aes128gcm16", TK_ENCR, 20, 128, true, USE_IKE | USE_ESP, NULL},
	{"aes192gcm16", TK_ENCR, 20, 192, true, USE_IKE | USE_ESP, NULL},
	{"aes256gcm8", TK_ENCR, 18, 256, true, USE_IKE | USE_ESP, NULL},
	{"aes256gcm12", TK_ENCR, 19, 256, true, USE_IKE | USE_ESP, NULL},
	{"aes256gcm16", TK_ENCR, 20, 256, true, USE_IKE | USE_ESP, NULL},
	{"chacha20poly1305", TK_ENCR, 28, 0, true, USE_IKE | USE_ESP, NULL},
	{"3des", TK_ENCR, 3, 0, false, USE_IKE | USE_ESP, NULL},
	{"null", TK_ENCR, 11, 0, false, USE_ESP, NULL},
	{"des", TK_ENCR, 2, 0, false, USE_IKE | USE_ESP, "ENCR_DES MUST NOT be used (RFC 8247 2.1, RFC 8221 5)"},
	{"blowfish", TK_ENCR, 7, 0, false, USE_ESP, "ENCR_BLOWFISH MUST NOT be used (RFC 8221 5)"},
	{"sha1", TK_INTEG, 2, 0, false, USE_IKE | USE_ESP, NULL},
	{"aesxcbc", TK_INTEG, 5, 0, false, USE_IKE | USE_ESP, NULL},
	{"sha256", TK_INTEG, 12, 0, false, USE_IKE | USE_ESP, NULL},
	{"sha384", TK_INTEG, 13, 0, false, USE_IKE | USE_ESP, NULL},
	{"sha512", TK_INTEG, 14, 0, false, USE_IKE | USE_ESP, NULL},
	{"md5", TK_INTEG, 1, 0, false, USE_IKE | USE_ESP,
	 "AUTH_HMAC_MD5_96 MUST NOT be used (RFC 8247 2.3, RFC 8221 6)"},
	{"prfsha1", TK_PRF, 2, 0, false, USE_IKE, NULL},
	{"prfaesxcbc", TK_PRF, 4, 0, false, USE_IKE, NULL},
	{"prfsha256", TK_PRF, 5, 0, false, USE_IKE, NULL},
	{"prfsha384", TK_PRF, 6, 0, false, USE_IKE, NULL},
	{"prfsha512", TK_PRF, 7, 0, false, USE_IKE, NULL},
	{"prfmd5", TK_PRF, 1, 0, false, USE_IKE, "PRF_HMAC_MD5 MUST NOT be used (RFC 8247 2.2)"},
	{"modp768", TK_DH, 1, 0, false, USE_IKE | USE_ESP, "DH group 1 MUST NOT be used (RFC 8247 2.4)"},
	{"modp1024", TK_DH, 2, 0, false, USE_IKE | USE_ESP, NULL},
	{"modp1536", TK_DH, 5, 0, false, USE_IKE | USE_ESP, NULL},
	{"modp2048", TK_DH, 14, 0, false, USE_IKE | USE_ESP, NULL},
	{"modp3072", TK_DH, 15, 0, false, USE_IKE | USE_ESP, NULL},
	{"modp4096", TK_DH, 16, 0, false, USE_IKE | USE_ESP, NULL},
	{"modp6144", TK_DH, 17, 0, false, USE_IKE | USE_ESP, NULL},
	{"modp8192", TK_DH, 18, 0, false, USE_IKE | USE_ESP, NULL},
	{"ecp256", TK_DH, 19, 0, false, USE_IKE | USE_ESP, NULL},
	{"ecp384", TK_DH, 20, 0, false, USE_IKE | USE_ESP, NULL},
	{"ecp521", TK_DH, 21, 0, false, USE_IKE | USE_ESP, NULL},
	{"modp1024s160", TK_DH, 22, 0, false, USE_IKE | USE_ESP, "DH group 22 MUST NOT be used (RFC 8247 2.4)"},
	{"modp2048s224", TK_DH, 23, 0, false, USE_IKE | USE_ESP, NULL},
	{"modp2048s256", TK_DH, 24, 0, false, USE_IKE | USE_ESP, NULL},
	{"curve25519", TK_DH, 31, 0, false, USE_IKE | USE_ESP, NULL},
	{"esn", TK_ESN, 1, 0, false, USE_ESP, NULL},
	{"noesn", TK_ESN, 0, 0, false, USE_ESP, NULL},
};

/* INTEG id -> the PRF on the same hash (IKE without AEAD). */
static uint16_t prf_for_integ(uint16_t integ)
{
	switch (integ) {
	case 2:
		return 2;
	case 5:
		return 4;
	case 12:
		return 5;
	case 13:
		return 6;
	case 14:
		return 7;
	default:
		return 0;
	}
}

static const struct alg_token *token_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		if (strlen(tokens[i].name) == len && strncmp(tokens[i].name, name, len) == 0)
			return &tokens[i];
	return NULL;
}

static const char *parse(const char *s, unsigned use, struct conf_proposal *p, char *why, size_t len)
{
	static const char *const kind_names[] = {"encryption", "integrity", "PRF", "DH group", "ESN"};
	const char *what = use == USE_IKE ? "IKE" : "ESP";
	struct conf_proposal out = {0};
	bool seen[5] = {false}, aead = false;
	const char *tok = s;
	if (!*s) {
		snprintf(why, len, "empty proposal");
		return why;
	}
	while (*tok) {
		size_t n = strcspn(tok, "-");
		const struct alg_token *t = token_find(tok, n);
		if (!t) {
			snprintf(why, len, "\"%s\": unknown algorithm \"%.*s\"", s, (int)(n < 32 ? n : 32), tok);
			return why;
		}
		if (t->refused) {
			snprintf(why, len, "\"%s\": %s", s, t->refused);
			return why;
		}
		if (!(t->use & use)) {
			snprintf(why, len, "\"%s\": %s is not usable in %s proposals%s", s, t->name, what,
				 t->id == 11 ? " (ENCR_NULL MUST NOT be used for IKE, RFC 8247 2.1)" : "");
			return why;
		}
		if (t->kind != TK_DH && seen[t->kind]) {
			snprintf(why, len, "\"%s\": more than one %s algorithm", s, kind_names[t->kind]);
			return why;
		}
		seen[t->kind] = true;
		switch (t->kind) {
		case TK_ENCR:
			out.encr = t->id;
			out.encr_keybits = t->keybits;
			aead = t->aead;
			break;
		case TK_INTEG:
			out.integ = t->id;
			break;
		case TK_PRF:
			out.prf = t->id;
			break;
		case TK_DH:
			if (out.n_dh == sizeof(out.dh) / sizeof(out.dh[0])) {
				snprintf(why, len, "\"%s\": at most 4 DH groups", s);
				return why;
			}
			out.dh[out.n_dh++] = t->id;
			break;
		case TK_ESN:
			out.esn = t->id != 0;
			break;
		}
		tok += n;
		if (*tok == '-' && *++tok == '\0') {
			snprintf(why, len, "\"%s\": trailing '-'", s);
			return why;
		}
	}
	if (!seen[TK_ENCR]) {
		snprintf(why, len, "\"%s\": no encryption algorithm", s);
		return why;
	}
	if (aead && seen[TK_INTEG]) {
		/* RFC 5282 8 (IKE), RFC 4106 / RFC 8221 6 (ESP): AEAD carries its own ICV. */
		snprintf(why, len, "\"%s\": an AEAD cipher takes no integrity algorithm", s);
		return why;
	}
	if (!aead && !seen[TK_INTEG]) {
		/* R8221-4.a: never encryption without authentication. */
		snprintf(why, len, "\"%s\": %s needs an integrity algorithm", s, out.encr == 11 ? "null" : "this cipher");
		return why;
	}
	if (use == USE_IKE) {
		if (!seen[TK_PRF])
			out.prf = prf_for_integ(out.integ);
		if (!out.prf) {
			snprintf(why, len, "\"%s\": needs a PRF (e.g. prfsha256)", s);
			return why;
		}
		if (!out.n_dh) {
			snprintf(why, len, "\"%s\": needs a DH group (e.g. ecp256, modp2048)", s);
			return why;
		}
	}
	if (p)
		*p = out;
	return NULL;
}

const char *conf_alg_parse_ike(const char *s, struct conf_proposal *p, char *why, size_t len)
{
	return parse(s, USE_IKE, p, why, len);
}

const char *conf_alg_parse_esp(const char *s, struct conf_proposal *p, char *why, size_t len)
{
	return parse(s, USE_ESP, p, why, len);
}

const char *conf_alg_check_ike(const char *s, char *why, size_t len)
{
	return parse(s, USE_IKE, NULL, why, len);
}

const char *conf_alg_check_esp(const char *s, char *why, size_t len)
{
	return parse(s, USE_ESP, NULL, why, len);
}

const char *conf_alg_manual_encr_refusal(const char *name, char *why, size_t len)
{
	static const char *const counter_modes[] = {"gcm", "ccm", "ctr", "chacha", "gmac", "poly1305"};
	for (size_t i = 0; i < sizeof(counter_modes) / sizeof(counter_modes[0]); i++) {
		if (strstr(name, counter_modes[i])) {
			/* R8221-3.a, R4106-2.a */
			snprintf(why, len,
				 "%.40s is not allowed on manually keyed SAs: counter-mode and AEAD ciphers need "
				 "automated keying (RFC 8221 3, RFC 4106 2); use aes-cbc",
				 name);
			return why;
		}
	}
	if (strstr(name, "des") || strstr(name, "blowfish")) {
		snprintf(why, len, "%.40s is refused (RFC 8221 5); manual SAs use aes-cbc", name);
		return why;
	}
	return NULL;
}

const char *conf_alg_manual_integ_refusal(const char *name, char *why, size_t len)
{
	if (strstr(name, "md5")) {
		snprintf(why, len, "%.40s MUST NOT be used (RFC 8221 6)", name);
		return why;
	}
	if (strstr(name, "sha") || strstr(name, "xcbc")) {
		snprintf(why, len, "%.40s: manual SAs use hmac-sha256-128 only (spec README conflict 4)", name);
		return why;
	}
	return NULL;
}
