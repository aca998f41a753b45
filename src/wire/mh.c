/*
 * Mobility Header codec (RFC 6275 §6.1, §6.2; wire-formats.md §B, §C).
 *
 * Common header (RFC 6275 §6.1.1):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Payload Proto |  Header Len   |   MH Type     |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               |
 *   .                       Message Data                            .
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Message Data from offset 6, per type (§6.1.2-§6.1.9):
 *
 *   BRR (0)        |           Reserved            |
 *   HoTI/CoTI (1/2)|           Reserved            |  + Init Cookie (8)
 *   HoT/CoT (3/4)  |        Nonce Index            |  + Init Cookie (8)
 *                                                     + Keygen Token (8)
 *   BU (5)         |          Sequence #           |
 *                  |A|H|L|K|        Reserved       |           Lifetime            |
 *   BA (6)         |    Status     |K|  Reserved   |
 *                  |          Sequence #           |           Lifetime            |
 *   BE (7)         |    Status     |   Reserved    |  + Home Address (16)
 *
 * then Mobility Options up to (Header Len + 1) * 8 octets.
 *
 * Mobility option (§6.2.1), Pad1 being the single octet 0:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
 *   |  Option Type  | Option Length |   Option Data...
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- - - - - - - - -
 *
 *   PadN (1)      len N-2, data ignored (R6275-6.2.3.a)
 *   BRA (2)       len 2, 2n:    Refresh Interval (2)
 *   Alt CoA (3)   len 16, 8n+6: Alternate Care-of Address (16)
 *   Nonce Idx (4) len 4, 2n:    Home Nonce Index (2) | Care-of Nonce Index (2)
 *   BAD (5)       len L, implicitly 8n+2, last, no padding after: Authenticator
 */
#include "wire/mh.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/names.h"
#include "base/rbuf.h"
#include "wire/cksum.h"

#define OPT_BIT(t) (1u << (t))

/* Per-type layout (wire-formats.md §B.2; R6275-9.2.d, options §6.1.2-§6.1.9). */
struct mh_type_rule {
	uint8_t fixed_len; /* octets up to the first option */
	uint8_t min_hlen;
	uint8_t opts;      /* OPT_BIT() of the options valid in this type */
};

static const struct mh_type_rule type_rules[] = {
	[MH_TYPE_BRR] = { 8, 0, 0 },
	[MH_TYPE_HOTI] = { 16, 1, 0 },
	[MH_TYPE_COTI] = { 16, 1, 0 },
	[MH_TYPE_HOT] = { 24, 2, 0 },
	[MH_TYPE_COT] = { 24, 2, 0 },
	[MH_TYPE_BU] = { 12, 1, OPT_BIT(MH_OPT_NONCE_IDX) | OPT_BIT(MH_OPT_ALT_COA) | OPT_BIT(MH_OPT_AUTH) },
	[MH_TYPE_BA] = { 12, 1, OPT_BIT(MH_OPT_BRA) | OPT_BIT(MH_OPT_AUTH) },
	[MH_TYPE_BE] = { 24, 2, 0 },
};

/* Length and alignment (xn+y) of the options with a fixed layout
 * (R6275-6.2.1.b). BAD has a variable length and its 8n+2 is checked once it
 * is known to be last. */
struct mh_opt_rule {
	uint8_t len;
	uint8_t x, y;
};

static const struct mh_opt_rule opt_rules[] = {
	[MH_OPT_BRA] = { 2, 2, 0 },
	[MH_OPT_ALT_COA] = { 16, 8, 6 },
	[MH_OPT_NONCE_IDX] = { 4, 2, 0 },
	[MH_OPT_AUTH] = { 0, 8, 2 },
};

struct mh_reason_rule {
	const char *name;
	int err;
	enum mh_action action;
	int pp_ptr;
};

static const struct mh_reason_rule reason_rules[MH_R_COUNT] = {
	[MH_R_OK] = { "ok", 0, MH_ACT_ACCEPT, MH_PP_NONE },
	[MH_R_TRUNC_HEADER] = { "truncated header", M6E_TRUNC, MH_ACT_DROP, MH_PP_NONE },
	[MH_R_LEN_NOT_MULT8] = { "length not a multiple of 8", M6E_INVAL, MH_ACT_DROP, MH_PP_NONE },
	[MH_R_HLEN_LONG] = { "header len exceeds data", M6E_TRUNC, MH_ACT_DROP, MH_PP_NONE },
	[MH_R_HLEN_SHORT] = { "data beyond header len", M6E_INVAL, MH_ACT_DROP, MH_PP_NONE },
	[MH_R_CKSUM] = { "bad checksum", M6E_CKSUM, MH_ACT_DROP, MH_PP_NONE },
	/* R6275-9.2.c: pointer at Payload Proto */
	[MH_R_PROTO_NOT_NONE] = { "payload proto not 59", M6E_PROTO, MH_ACT_PARAM_PROB, 0 },
	/* R6275-9.2.b: Binding Error status 2 */
	[MH_R_UNKNOWN_TYPE] = { "unknown MH type", M6E_UNSUPP, MH_ACT_BE_UNKNOWN, MH_PP_NONE },
	/* R6275-9.2.d: pointer at Header Len */
	[MH_R_HLEN_BELOW_MIN] = { "header len below minimum", M6E_INVAL, MH_ACT_PARAM_PROB, 1 },
	[MH_R_OPT_TRUNC] = { "option runs past end", M6E_TRUNC, MH_ACT_DROP, MH_PP_NONE },
	[MH_R_OPT_BAD_LEN] = { "option length wrong", M6E_INVAL, MH_ACT_DROP, MH_PP_NONE },
	[MH_R_OPT_MISALIGNED] = { "option misaligned", M6E_ALIGN, MH_ACT_DROP, MH_PP_NONE },
	[MH_R_OPT_DUP] = { "duplicate option", M6E_DUP, MH_ACT_DROP, MH_PP_NONE },
	[MH_R_AUTH_NOT_LAST] = { "option after binding authorization data", M6E_ORDER, MH_ACT_DROP,
				 MH_PP_NONE },
	[MH_R_AUTH_TRAIL_PAD] = { "padding after binding authorization data", M6E_ORDER, MH_ACT_DROP,
				  MH_PP_NONE },
};

static const struct name_entry type_names[] = {
	{ MH_TYPE_BRR, "Binding Refresh Request" },
	{ MH_TYPE_HOTI, "Home Test Init" },
	{ MH_TYPE_COTI, "Care-of Test Init" },
	{ MH_TYPE_HOT, "Home Test" },
	{ MH_TYPE_COT, "Care-of Test" },
	{ MH_TYPE_BU, "Binding Update" },
	{ MH_TYPE_BA, "Binding Acknowledgement" },
	{ MH_TYPE_BE, "Binding Error" },
};

static const struct name_entry opt_names[] = {
	{ MH_OPT_PAD1, "Pad1" },
	{ MH_OPT_PADN, "PadN" },
	{ MH_OPT_BRA, "Binding Refresh Advice" },
	{ MH_OPT_ALT_COA, "Alternate Care-of Address" },
	{ MH_OPT_NONCE_IDX, "Nonce Indices" },
	{ MH_OPT_AUTH, "Binding Authorization Data" },
};

/* wire-formats.md §L */
static const struct name_entry ba_status_names[] = {
	{ MH_BA_ACCEPTED, "binding update accepted" },
	{ MH_BA_ACCEPTED_PREFIX_DISC, "accepted but prefix discovery necessary" },
	{ MH_BA_UNSPECIFIED, "reason unspecified" },
	{ MH_BA_PROHIBITED, "administratively prohibited" },
	{ MH_BA_NO_RESOURCES, "insufficient resources" },
	{ MH_BA_HOME_REG_UNSUPP, "home registration not supported" },
	{ MH_BA_NOT_HOME_SUBNET, "not home subnet" },
	{ MH_BA_NOT_HA_FOR_MN, "not home agent for this mobile node" },
	{ MH_BA_DAD_FAILED, "duplicate address detection failed" },
	{ MH_BA_SEQ_OUT_OF_WINDOW, "sequence number out of window" },
	{ MH_BA_EXPIRED_HOME_NONCE, "expired home nonce index" },
	{ MH_BA_EXPIRED_COA_NONCE, "expired care-of nonce index" },
	{ MH_BA_EXPIRED_NONCES, "expired nonces" },
	{ MH_BA_REG_TYPE_CHANGE, "registration type change disallowed" },
	{ MH_BA_INVALID_COA, "invalid care-of address" },
};

static const struct name_entry be_status_names[] = {
	{ MH_BE_UNKNOWN_HAO, "unknown binding for home address destination option" },
	{ MH_BE_UNKNOWN_TYPE, "unrecognized MH type value" },
};

const char *mh_type_name(unsigned type) { return names_get(type_names, NAMES_COUNT(type_names), type); }
const char *mh_opt_name(unsigned type) { return names_get(opt_names, NAMES_COUNT(opt_names), type); }

const char *mh_ba_status_name(unsigned status)
{
	return names_get(ba_status_names, NAMES_COUNT(ba_status_names), status);
}

const char *mh_be_status_name(unsigned status)
{
	return names_get(be_status_names, NAMES_COUNT(be_status_names), status);
}

const char *mh_reason_name(enum mh_reason r)
{
	if ((unsigned)r >= MH_R_COUNT)
		return "unknown";
	return reason_rules[r].name;
}

enum mh_action mh_reason_action(enum mh_reason r)
{
	if ((unsigned)r >= MH_R_COUNT)
		return MH_ACT_DROP;
	return reason_rules[r].action;
}

const char *mh_ba_status_fmt(unsigned status, char *buf, size_t len)
{
	if (len > 0)
		snprintf(buf, len, "%u (%s)", status, mh_ba_status_name(status));
	return buf;
}

int mh_min_hlen(unsigned type)
{
	if (type > MH_TYPE_MAX)
		return -1;
	return type_rules[type].min_hlen;
}

/* Record the reason and return its error code. */
static int fail(struct mh_diag *d, enum mh_reason r, size_t offset)
{
	d->reason = r;
	d->pp_ptr = reason_rules[r].pp_ptr;
	d->offset = offset;
	return reason_rules[r].err;
}

/* ---- checksum (R6275-6.1.1.d, algorithms.md §4.4) ---- */

bool mh_cksum_ok(const void *mh, size_t len, const struct mh_pseudo *ph)
{
	/* Summing a message over its own correct checksum yields 0. */
	return cksum_pseudo6(&ph->src, &ph->dst, MH_IPPROTO, mh, len) == 0;
}

int mh_cksum_fill(void *mh, size_t len, const struct mh_pseudo *ph)
{
	uint8_t *p = mh;

	if (len < MH_MIN_LEN)
		return M6E_INVAL;
	p[4] = 0;
	p[5] = 0;
	uint16_t c = cksum_pseudo6(&ph->src, &ph->dst, MH_IPPROTO, p, len);
	p[4] = (uint8_t)(c >> 8);
	p[5] = (uint8_t)c;
	return 0;
}

/* ---- parsing ---- */

static int parse_fixed(struct rbuf *r, struct mh_msg *m)
{
	int rc;
	uint8_t flags = 0;

	switch (m->type) {
	case MH_TYPE_BRR:
		return rbuf_skip(r, 2); /* Reserved (R6275-6.1.1.c) */
	case MH_TYPE_HOTI:
	case MH_TYPE_COTI:
		rc = rbuf_skip(r, 2);
		if (rc == 0)
			rc = rbuf_bytes(r, m->u.ti.cookie, MH_COOKIE_LEN);
		return rc;
	case MH_TYPE_HOT:
	case MH_TYPE_COT:
		rc = rbuf_u16(r, &m->u.test.nonce_idx);
		if (rc == 0)
			rc = rbuf_bytes(r, m->u.test.cookie, MH_COOKIE_LEN);
		if (rc == 0)
			rc = rbuf_bytes(r, m->u.test.token, MH_TOKEN_LEN);
		return rc;
	case MH_TYPE_BU:
		rc = rbuf_u16(r, &m->u.bu.seq);
		if (rc == 0)
			rc = rbuf_u16(r, &m->u.bu.flags);
		if (rc == 0)
			rc = rbuf_u16(r, &m->u.bu.lifetime);
		m->u.bu.flags &= MH_BU_F_ALL; /* reserved bits ignored */
		return rc;
	case MH_TYPE_BA:
		rc = rbuf_u8(r, &m->u.ba.status);
		if (rc == 0)
			rc = rbuf_u8(r, &flags);
		if (rc == 0)
			rc = rbuf_u16(r, &m->u.ba.seq);
		if (rc == 0)
			rc = rbuf_u16(r, &m->u.ba.lifetime);
		m->u.ba.flags = flags & MH_BA_F_K;
		return rc;
	case MH_TYPE_BE:
		rc = rbuf_u8(r, &m->u.be.status);
		if (rc == 0)
			rc = rbuf_skip(r, 1);
		if (rc == 0)
			rc = rbuf_bytes(r, m->u.be.hoa.s6_addr, 16);
		return rc;
	default:
		return M6E_INVAL;
	}
}

/* Decode one option valid for the message type; o holds its data only. */
static int parse_opt(struct rbuf *o, uint8_t type, size_t off, struct mh_msg *m, struct mh_diag *d)
{
	const struct mh_opt_rule *rule = &opt_rules[type];
	struct mh_opts *op = &m->opts;
	size_t len = rbuf_left(o);
	bool dup;
	int rc;

	if (rule->len != 0 && len != rule->len)
		return fail(d, MH_R_OPT_BAD_LEN, off);
	if (type != MH_OPT_AUTH && off % rule->x != rule->y)
		return fail(d, MH_R_OPT_MISALIGNED, off);
	switch (type) {
	case MH_OPT_BRA:
		dup = op->has_bra;
		rc = rbuf_u16(o, &op->bra_interval);
		op->has_bra = true;
		break;
	case MH_OPT_ALT_COA:
		dup = op->has_alt_coa;
		rc = rbuf_bytes(o, op->alt_coa.s6_addr, 16);
		op->has_alt_coa = true;
		break;
	case MH_OPT_NONCE_IDX:
		dup = op->has_nonce_idx;
		rc = rbuf_u16(o, &op->home_nonce_idx);
		if (rc == 0)
			rc = rbuf_u16(o, &op->coa_nonce_idx);
		op->has_nonce_idx = true;
		break;
	case MH_OPT_AUTH:
		/* A second BAD is caught as "not last" before it gets here. */
		dup = false;
		op->auth_len = (uint8_t)len;
		op->auth_off = off + 2;
		rc = rbuf_bytes(o, op->auth, len);
		op->has_auth = true;
		break;
	default:
		return fail(d, MH_R_OPT_BAD_LEN, off);
	}
	if (dup)
		return fail(d, MH_R_OPT_DUP, off);
	return rc == 0 ? 0 : fail(d, MH_R_OPT_TRUNC, off);
}

/* Options from the end of the fixed part to the end of the MH (§6.2). */
static int parse_opts(struct rbuf *r, struct mh_msg *m, struct mh_diag *d)
{
	const struct mh_type_rule *tr = &type_rules[m->type];
	struct mh_opts *op = &m->opts;

	while (rbuf_left(r) > 0) {
		size_t off = rbuf_offset(r);
		uint8_t type, len;
		struct rbuf o;
		int rc;

		if (rbuf_u8(r, &type) != 0)
			return fail(d, MH_R_OPT_TRUNC, off);
		/* R6275-6.2.a: BAD is last, with no padding after it. */
		if (op->has_auth)
			return fail(d, type == MH_OPT_PAD1 || type == MH_OPT_PADN ? MH_R_AUTH_TRAIL_PAD
										 : MH_R_AUTH_NOT_LAST,
				    off);
		if (type == MH_OPT_PAD1)
			continue;
		/* Never trust the declared length: carve it from what is left. */
		if (rbuf_u8(r, &len) != 0 || rbuf_sub(r, len, &o) != 0)
			return fail(d, MH_R_OPT_TRUNC, off);
		if (type == MH_OPT_PADN)
			continue; /* R6275-6.2.3.a: content ignored */
		if (type > MH_OPT_AUTH) {
			op->unknown++; /* R6275-6.2.1.a: skip, keep going */
			continue;
		}
		if (!(tr->opts & OPT_BIT(type))) {
			/* R6275-6.1.x.a: not understood in this type; skip, but
			 * let the engine see it. */
			op->invalid++;
			op->invalid_mask |= OPT_BIT(type);
			continue;
		}
		rc = parse_opt(&o, type, off, m, d);
		if (rc != 0)
			return rc;
	}
	/* Implicit 8n+2 (§6.2.7): only meaningful once BAD is known to be last. */
	if (op->has_auth && (op->auth_off - 2) % 8 != 2)
		return fail(d, MH_R_OPT_MISALIGNED, op->auth_off - 2);
	return 0;
}

int mh_parse(const void *data, size_t len, const struct mh_pseudo *ph, struct mh_msg *m,
	     struct mh_diag *d)
{
	struct mh_diag local;
	struct rbuf r;
	uint8_t proto, hlen, rsv;
	uint16_t cksum;
	size_t total;
	int rc;

	if (d == NULL)
		d = &local;
	memset(m, 0, sizeof(*m));
	fail(d, MH_R_OK, 0);
	rbuf_init(&r, data, len);

	if (rbuf_u8(&r, &proto) != 0 || rbuf_u8(&r, &hlen) != 0 || rbuf_u8(&r, &m->type) != 0 ||
	    rbuf_u8(&r, &rsv) != 0 || rbuf_u16(&r, &cksum) != 0 || len < MH_MIN_LEN)
		return fail(d, MH_R_TRUNC_HEADER, len);
	/* R6275-6.1.1.b: (Header Len + 1) * 8 octets, exactly the bytes given. */
	if (len % 8 != 0)
		return fail(d, MH_R_LEN_NOT_MULT8, len);
	total = ((size_t)hlen + 1) * 8;
	if (total > len)
		return fail(d, MH_R_HLEN_LONG, 1);
	if (total < len)
		return fail(d, MH_R_HLEN_SHORT, total);
	/* R6275-9.2.a: checksum first; a caller that verified passes ph NULL. */
	if (ph != NULL && !mh_cksum_ok(data, len, ph))
		return fail(d, MH_R_CKSUM, 4);
	if (proto != MH_PROTO_NONE)
		return fail(d, MH_R_PROTO_NOT_NONE, 0);
	if (m->type > MH_TYPE_MAX)
		return fail(d, MH_R_UNKNOWN_TYPE, 2);
	if (hlen < type_rules[m->type].min_hlen)
		return fail(d, MH_R_HLEN_BELOW_MIN, 1);
	/* With Header Len at the minimum, the fixed part is always there. */
	rc = parse_fixed(&r, m);
	if (rc != 0)
		return fail(d, MH_R_HLEN_BELOW_MIN, 1);
	return parse_opts(&r, m, d);
}

/* ---- building ---- */

/* n octets of padding: Pad1, or PadN with zero data. */
static void put_pad(struct wbuf *w, size_t n)
{
	if (n == 0)
		return;
	if (n == 1) {
		wbuf_u8(w, MH_OPT_PAD1);
		return;
	}
	wbuf_u8(w, MH_OPT_PADN);
	wbuf_u8(w, (uint8_t)(n - 2));
	wbuf_zero(w, n - 2);
}

/* Pad so the next octet sits at x*n + y from the MH start. */
static void put_align(struct wbuf *w, size_t start, unsigned x, unsigned y)
{
	size_t pos = (wbuf_len(w) - start) % x;
	put_pad(w, (x + y - pos) % x);
}

/* Option header at its alignment from opt_rules. */
static void put_opt_hdr(struct wbuf *w, size_t start, uint8_t type, uint8_t len)
{
	put_align(w, start, opt_rules[type].x, opt_rules[type].y);
	wbuf_u8(w, type);
	wbuf_u8(w, len);
}

static void build_fixed(struct wbuf *w, const struct mh_msg *m)
{
	switch (m->type) {
	case MH_TYPE_BRR:
		wbuf_zero(w, 2);
		break;
	case MH_TYPE_HOTI:
	case MH_TYPE_COTI:
		wbuf_zero(w, 2);
		wbuf_bytes(w, m->u.ti.cookie, MH_COOKIE_LEN);
		break;
	case MH_TYPE_HOT:
	case MH_TYPE_COT:
		wbuf_u16(w, m->u.test.nonce_idx);
		wbuf_bytes(w, m->u.test.cookie, MH_COOKIE_LEN);
		wbuf_bytes(w, m->u.test.token, MH_TOKEN_LEN);
		break;
	case MH_TYPE_BU:
		wbuf_u16(w, m->u.bu.seq);
		wbuf_u16(w, m->u.bu.flags & MH_BU_F_ALL); /* reserved sent as 0 */
		wbuf_u16(w, m->u.bu.lifetime);
		break;
	case MH_TYPE_BA:
		wbuf_u8(w, m->u.ba.status);
		wbuf_u8(w, m->u.ba.flags & MH_BA_F_K);
		wbuf_u16(w, m->u.ba.seq);
		wbuf_u16(w, m->u.ba.lifetime);
		break;
	case MH_TYPE_BE:
		wbuf_u8(w, m->u.be.status);
		wbuf_u8(w, 0);
		wbuf_bytes(w, m->u.be.hoa.s6_addr, 16);
		break;
	default:
		break;
	}
}

static unsigned opts_present(const struct mh_opts *op)
{
	return (op->has_bra ? OPT_BIT(MH_OPT_BRA) : 0) | (op->has_alt_coa ? OPT_BIT(MH_OPT_ALT_COA) : 0) |
	       (op->has_nonce_idx ? OPT_BIT(MH_OPT_NONCE_IDX) : 0) | (op->has_auth ? OPT_BIT(MH_OPT_AUTH) : 0);
}

int mh_build(struct wbuf *w, const struct mh_msg *m, const struct mh_pseudo *ph, size_t *auth_off)
{
	const struct mh_opts *op = &m->opts;
	size_t start = wbuf_len(w), hlen_at, total, aoff = 0;
	int rc;

	if (auth_off != NULL)
		*auth_off = 0;
	if (m->type > MH_TYPE_MAX || (opts_present(op) & ~(unsigned)type_rules[m->type].opts) != 0)
		return M6E_INVAL;
	/* BAD at 8n+2 must end on a multiple of 8 with no padding after it. */
	if (op->has_auth && (2u + 2u + op->auth_len) % 8 != 0)
		return M6E_ALIGN;

	wbuf_u8(w, MH_PROTO_NONE); /* R6275-6.1.1.a */
	hlen_at = wbuf_reserve(w, 1);
	wbuf_u8(w, m->type);
	wbuf_u8(w, 0);  /* Reserved */
	wbuf_u16(w, 0); /* Checksum, filled below */
	build_fixed(w, m);

	/* Options in type order, each at its alignment (R6275-6.2.1.b). */
	if (op->has_bra) {
		put_opt_hdr(w, start, MH_OPT_BRA, 2);
		wbuf_u16(w, op->bra_interval);
	}
	if (op->has_nonce_idx) {
		put_opt_hdr(w, start, MH_OPT_NONCE_IDX, 4);
		wbuf_u16(w, op->home_nonce_idx);
		wbuf_u16(w, op->coa_nonce_idx);
	}
	if (op->has_alt_coa) {
		put_opt_hdr(w, start, MH_OPT_ALT_COA, 16);
		wbuf_bytes(w, op->alt_coa.s6_addr, 16);
	}
	if (op->has_auth) {
		/* R6275-6.2.a: last, and its length leaves no padding after. */
		put_opt_hdr(w, start, MH_OPT_AUTH, op->auth_len);
		aoff = wbuf_len(w) - start;
		wbuf_bytes(w, op->auth, op->auth_len);
	}
	put_align(w, start, 8, 0); /* R6275-6.1.1.e */

	rc = wbuf_status(w);
	if (rc != 0)
		return rc;
	total = wbuf_len(w) - start;
	if (total > MH_MAX_LEN)
		return M6E_INVAL;
	wbuf_put_u8_at(w, hlen_at, (uint8_t)(total / 8 - 1));
	if (ph != NULL)
		rc = mh_cksum_fill(w->base + start, total, ph);
	if (rc == 0 && auth_off != NULL)
		*auth_off = aoff;
	return rc;
}

int mh_auth_finish(void *mh, size_t len, const uint8_t *auth, size_t auth_len,
		   const struct mh_pseudo *ph)
{
	uint8_t *p = mh;

	if (len < MH_MIN_LEN || auth_len > MH_AUTH_MAX || len < 6 + 2 + auth_len)
		return M6E_INVAL;
	size_t aoff = len - auth_len;
	if (p[aoff - 2] != MH_OPT_AUTH || p[aoff - 1] != auth_len)
		return M6E_INVAL;
	memcpy(p + aoff, auth, auth_len);
	/* algorithms.md §4.3: authenticator first, checksum over the result. */
	if (ph != NULL)
		return mh_cksum_fill(p, len, ph);
	p[4] = p[5] = 0;
	return 0;
}

int mh_auth_data(const void *mh, size_t len, const struct mh_msg *m, uint8_t *out, size_t cap,
		 size_t *out_len)
{
	const struct mh_opts *op = &m->opts;

	if (!op->has_auth)
		return M6E_NOTFOUND;
	if (op->auth_off < 6 || op->auth_off + op->auth_len != len)
		return M6E_INVAL;
	if (op->auth_off > cap)
		return M6E_NOSPACE;
	memcpy(out, mh, op->auth_off);
	out[4] = out[5] = 0; /* MH Data is taken with a zero checksum */
	*out_len = op->auth_off;
	return 0;
}

/* ---- comparison ---- */

static bool fixed_eq(const struct mh_msg *a, const struct mh_msg *b)
{
	switch (a->type) {
	case MH_TYPE_BRR:
		return true;
	case MH_TYPE_HOTI:
	case MH_TYPE_COTI:
		return memcmp(a->u.ti.cookie, b->u.ti.cookie, MH_COOKIE_LEN) == 0;
	case MH_TYPE_HOT:
	case MH_TYPE_COT:
		return a->u.test.nonce_idx == b->u.test.nonce_idx &&
		       memcmp(a->u.test.cookie, b->u.test.cookie, MH_COOKIE_LEN) == 0 &&
		       memcmp(a->u.test.token, b->u.test.token, MH_TOKEN_LEN) == 0;
	case MH_TYPE_BU:
		return a->u.bu.seq == b->u.bu.seq && a->u.bu.flags == b->u.bu.flags &&
		       a->u.bu.lifetime == b->u.bu.lifetime;
	case MH_TYPE_BA:
		return a->u.ba.status == b->u.ba.status && a->u.ba.flags == b->u.ba.flags &&
		       a->u.ba.seq == b->u.ba.seq && a->u.ba.lifetime == b->u.ba.lifetime;
	case MH_TYPE_BE:
		return a->u.be.status == b->u.be.status &&
		       memcmp(a->u.be.hoa.s6_addr, b->u.be.hoa.s6_addr, 16) == 0;
	default:
		return false;
	}
}

bool mh_msg_eq(const struct mh_msg *a, const struct mh_msg *b)
{
	const struct mh_opts *x = &a->opts, *y = &b->opts;

	if (a->type != b->type || !fixed_eq(a, b) || opts_present(x) != opts_present(y))
		return false;
	if (x->has_bra && x->bra_interval != y->bra_interval)
		return false;
	if (x->has_alt_coa && memcmp(x->alt_coa.s6_addr, y->alt_coa.s6_addr, 16) != 0)
		return false;
	if (x->has_nonce_idx &&
	    (x->home_nonce_idx != y->home_nonce_idx || x->coa_nonce_idx != y->coa_nonce_idx))
		return false;
	if (x->has_auth && (x->auth_len != y->auth_len || memcmp(x->auth, y->auth, x->auth_len) != 0))
		return false;
	return true;
}
