/*
 * Neighbor Discovery messages and options, and the Mobile Prefix messages.
 * See nd.h for the contract.
 */
#include "wire/nd.h"

#include <string.h>

#include "base/err.h"
#include "base/names.h"

static const struct name_entry nd_opt_names[] = {
	{ ND_OPT_SLLA, "source link-layer address" },
	{ ND_OPT_TLLA, "target link-layer address" },
	{ ND_OPT_PREFIX, "prefix information" },
	{ ND_OPT_REDIR_HDR, "redirected header" },
	{ ND_OPT_LINK_MTU, "MTU" },
	{ ND_OPT_ADV_IVAL, "advertisement interval" },
	{ ND_OPT_HA_INFO, "home agent information" },
};

const char *nd_opt_name(unsigned type)
{
	return names_get(nd_opt_names, NAMES_COUNT(nd_opt_names), type);
}

static int fail(enum icmp6_reason *why, enum icmp6_reason r, int err)
{
	*why = r;
	return err;
}

static bool nd_is_unspecified(const struct in6_addr *a)
{
	static const struct in6_addr any; /* all zero */
	return memcmp(a->s6_addr, any.s6_addr, 16) == 0;
}

static bool nd_is_multicast(const struct in6_addr *a) { return a->s6_addr[0] == 0xff; }

/*
 * Options (RFC 4861 §4.6), Length in units of 8 octets including Type and
 * Length:
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |    Length     |              ...              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  ~                              ...                              ~
 *
 * Source/Target Link-Layer Address (types 1, 2; §4.6.1):
 *  |     Type      |    Length     |    Link-Layer Address ...
 *
 * Prefix Information (type 3, Length 4; §4.6.2, RFC 6275 §7.2 R bit):
 *  |     Type      |    Length     | Prefix Length |L|A|R|Reserved1|
 *  |                         Valid Lifetime                        |
 *  |                       Preferred Lifetime                      |
 *  |                           Reserved2                           |
 *  |                    Prefix (16 octets)                         |
 *
 * MTU (type 5, Length 1; §4.6.4):
 *  |     Type      |    Length     |           Reserved            |
 *  |                              MTU                              |
 *
 * Advertisement Interval (type 7, Length 1; RFC 6275 §7.3):
 *  |     Type      |    Length     |           Reserved            |
 *  |                    Advertisement Interval (ms)                |
 *
 * Home Agent Information (type 8, Length 1; RFC 6275 §7.4):
 *  |     Type      |    Length     |           Reserved            |
 *  |    Home Agent Preference      |      Home Agent Lifetime      |
 */
static int nd_opt_lla(struct rbuf *opt, struct nd_lla *lla, unsigned *n_ignored,
		      enum icmp6_reason *why)
{
	size_t n = rbuf_left(opt);
	if (n > ND_LLA_MAX)
		return fail(why, ICMP6_R_OPT_LEN, M6E_INVAL);
	if (lla->present) { /* keep the first; the rest are skipped */
		(*n_ignored)++;
		return 0;
	}
	rbuf_bytes(opt, lla->addr, n);
	lla->len = (uint8_t)n;
	lla->present = true;
	return 0;
}

static int nd_opt_prefix(struct rbuf *opt, struct nd_opts *o, enum icmp6_reason *why)
{
	struct nd_pio p;
	uint32_t reserved2;
	if (rbuf_left(opt) != 30)
		return fail(why, ICMP6_R_OPT_LEN, M6E_INVAL);
	rbuf_u8(opt, &p.plen);
	rbuf_u8(opt, &p.flags);
	rbuf_u32(opt, &p.valid);
	rbuf_u32(opt, &p.preferred);
	rbuf_u32(opt, &reserved2);
	rbuf_bytes(opt, p.prefix.s6_addr, 16);
	if (p.plen > 128)
		return fail(why, ICMP6_R_PIO_PLEN, M6E_INVAL);
	if (o->n_pio < ND_PIO_MAX)
		o->pio[o->n_pio++] = p;
	else
		o->n_pio_dropped++;
	return 0;
}

/* The three one-unit options: reserved(2) then a 32-bit value, or for HA
 * Information two 16-bit values. */
static int nd_opt_short(struct rbuf *opt, uint8_t type, struct nd_opts *o, enum icmp6_reason *why)
{
	uint16_t reserved;
	uint32_t v;
	if (rbuf_left(opt) != 6)
		return fail(why, ICMP6_R_OPT_LEN, M6E_INVAL);
	rbuf_u16(opt, &reserved);
	rbuf_u32(opt, &v);
	bool *has = type == ND_OPT_LINK_MTU ? &o->has_mtu
		    : type == ND_OPT_ADV_IVAL ? &o->has_adv_ival
					       : &o->has_ha_info;
	/* R6275-7.4.a: the lifetime is never 0; check before dropping repeats
	 * so every malformed copy is caught. */
	if (type == ND_OPT_HA_INFO && (v & 0xffff) == 0)
		return fail(why, ICMP6_R_HAINFO_LIFETIME, M6E_INVAL);
	if (*has) {
		o->n_ignored++;
		return 0;
	}
	*has = true;
	if (type == ND_OPT_LINK_MTU) {
		o->mtu = v;
	} else if (type == ND_OPT_ADV_IVAL) {
		o->adv_ival_ms = v;
	} else {
		o->ha_pref = (uint16_t)(v >> 16);
		o->ha_lifetime = (uint16_t)v;
	}
	return 0;
}

int nd_parse_opts(struct rbuf *r, unsigned use, bool ha_info_ok, struct nd_opts *o,
		  enum icmp6_reason *why)
{
	memset(o, 0, sizeof(*o));
	*why = ICMP6_R_OK;
	while (rbuf_left(r) > 0) {
		uint8_t type, units;
		if (rbuf_peek_u8(r, 0, &type) || rbuf_peek_u8(r, 1, &units))
			return fail(why, ICMP6_R_OPT_OVERRUN, M6E_TRUNC);
		/* RFC 4861 §4.6: length 0 is invalid; discard the whole message
		 * (it would also loop forever). */
		if (units == 0)
			return fail(why, ICMP6_R_OPT_LEN0, M6E_INVAL);
		struct rbuf opt;
		if (rbuf_sub(r, (size_t)units * 8, &opt))
			return fail(why, ICMP6_R_OPT_OVERRUN, M6E_TRUNC);
		rbuf_skip(&opt, 2);
		bool used = type < 32 && (use & (1u << type));
		/* R6275-7.3.a, R6275-7.4.a, R6275-6.7.a, RFC 4861 §4.6.2:
		 * options outside the messages that define them are ignored. */
		if (type == ND_OPT_HA_INFO && !ha_info_ok)
			used = false;
		if (!used) {
			o->n_ignored++;
			continue;
		}
		int rc;
		switch (type) {
		case ND_OPT_SLLA:
			rc = nd_opt_lla(&opt, &o->slla, &o->n_ignored, why);
			break;
		case ND_OPT_TLLA:
			rc = nd_opt_lla(&opt, &o->tlla, &o->n_ignored, why);
			break;
		case ND_OPT_PREFIX:
			rc = nd_opt_prefix(&opt, o, why);
			break;
		case ND_OPT_LINK_MTU:
		case ND_OPT_ADV_IVAL:
		case ND_OPT_HA_INFO:
			rc = nd_opt_short(&opt, type, o, why);
			break;
		default: /* a caller asked for a type this codec does not decode */
			o->n_ignored++;
			rc = 0;
			break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static void nd_put_lla(struct wbuf *w, uint8_t type, const struct nd_lla *lla)
{
	size_t total = (2 + (size_t)lla->len + 7) / 8 * 8;
	wbuf_u8(w, type);
	wbuf_u8(w, (uint8_t)(total / 8));
	wbuf_bytes(w, lla->addr, lla->len);
	wbuf_zero(w, total - 2 - lla->len);
}

int nd_build_opts(struct wbuf *w, const struct nd_opts *o)
{
	if ((o->slla.present && o->slla.len > ND_LLA_MAX) ||
	    (o->tlla.present && o->tlla.len > ND_LLA_MAX) || o->n_pio > ND_PIO_MAX)
		return M6E_INVAL;
	if (o->has_ha_info && o->ha_lifetime == 0) /* R6275-7.4.a */
		return M6E_INVAL;
	if (o->slla.present)
		nd_put_lla(w, ND_OPT_SLLA, &o->slla);
	if (o->tlla.present)
		nd_put_lla(w, ND_OPT_TLLA, &o->tlla);
	for (unsigned i = 0; i < o->n_pio; i++) {
		const struct nd_pio *p = &o->pio[i];
		wbuf_u8(w, ND_OPT_PREFIX);
		wbuf_u8(w, 4);
		wbuf_u8(w, p->plen);
		wbuf_u8(w, p->flags);
		wbuf_u32(w, p->valid);
		wbuf_u32(w, p->preferred);
		wbuf_u32(w, 0);
		wbuf_bytes(w, p->prefix.s6_addr, 16);
	}
	if (o->has_mtu) {
		wbuf_u8(w, ND_OPT_LINK_MTU);
		wbuf_u8(w, 1);
		wbuf_u16(w, 0);
		wbuf_u32(w, o->mtu);
	}
	if (o->has_adv_ival) {
		wbuf_u8(w, ND_OPT_ADV_IVAL);
		wbuf_u8(w, 1);
		wbuf_u16(w, 0);
		wbuf_u32(w, o->adv_ival_ms);
	}
	if (o->has_ha_info) {
		wbuf_u8(w, ND_OPT_HA_INFO);
		wbuf_u8(w, 1);
		wbuf_u16(w, 0);
		wbuf_u16(w, o->ha_pref);
		wbuf_u16(w, o->ha_lifetime);
	}
	return wbuf_status(w);
}

/* Type, code 0 (RFC 4861 §6.1, §7.1; RFC 6275 §6.7, §6.8) and the fixed
 * part's length; *body is left at the fixed part. */
static int nd_begin(const struct icmp6_msg *m, uint8_t type, size_t fixed, struct rbuf *body,
		    enum icmp6_reason *why)
{
	if (m->type != type)
		return fail(why, ICMP6_R_TYPE, M6E_INVAL);
	if (m->code != 0)
		return fail(why, ICMP6_R_CODE, M6E_INVAL);
	if (rbuf_left(&m->body) < fixed)
		return fail(why, ICMP6_R_TRUNC, M6E_TRUNC);
	*body = m->body;
	return 0;
}

#define OPT_BIT(t) (1u << (t))

/*
 * Router Solicitation (type 133; RFC 4861 §4.1):
 *  |     Type      |     Code      |          Checksum             |
 *  |                            Reserved                           |
 *  |   Options ...
 */
int nd_parse_rs(const struct icmp6_msg *m, struct nd_rs *out, enum icmp6_reason *why)
{
	struct rbuf b;
	int rc = nd_begin(m, ICMP6_TYPE_RS, 4, &b, why);
	if (rc)
		return rc;
	rbuf_skip(&b, 4);
	return nd_parse_opts(&b, OPT_BIT(ND_OPT_SLLA), false, &out->opts, why);
}

int nd_build_rs(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		const struct nd_rs *rs)
{
	size_t start = icmp6_begin(w, ICMP6_TYPE_RS, 0);
	wbuf_u32(w, 0);
	int rc = nd_build_opts(w, &rs->opts);
	return rc ? rc : icmp6_finish(w, start, src, dst);
}

/*
 * Router Advertisement (type 134; RFC 4861 §4.2, H bit RFC 6275 §7.1):
 *  |     Type      |     Code      |          Checksum             |
 *  | Cur Hop Limit |M|O|H|Reserved |       Router Lifetime         |
 *  |                         Reachable Time                        |
 *  |                          Retrans Timer                        |
 *  |   Options ...
 */
int nd_parse_ra(const struct icmp6_msg *m, struct nd_ra *out, enum icmp6_reason *why)
{
	struct rbuf b;
	int rc = nd_begin(m, ICMP6_TYPE_RA, 12, &b, why);
	if (rc)
		return rc;
	rbuf_u8(&b, &out->cur_hop_limit);
	rbuf_u8(&b, &out->flags);
	rbuf_u16(&b, &out->router_lifetime);
	rbuf_u32(&b, &out->reachable_ms);
	rbuf_u32(&b, &out->retrans_ms);
	unsigned use = OPT_BIT(ND_OPT_SLLA) | OPT_BIT(ND_OPT_PREFIX) | OPT_BIT(ND_OPT_LINK_MTU) |
		       OPT_BIT(ND_OPT_ADV_IVAL) | OPT_BIT(ND_OPT_HA_INFO);
	/* R6275-7.4.a: HA Information belongs only in RAs with H set. */
	return nd_parse_opts(&b, use, (out->flags & ND_RA_H) != 0, &out->opts, why);
}

int nd_build_ra(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		const struct nd_ra *ra)
{
	if (ra->opts.has_ha_info && !(ra->flags & ND_RA_H)) /* R6275-7.4.a */
		return M6E_PROTO;
	size_t start = icmp6_begin(w, ICMP6_TYPE_RA, 0);
	wbuf_u8(w, ra->cur_hop_limit);
	wbuf_u8(w, ra->flags);
	wbuf_u16(w, ra->router_lifetime);
	wbuf_u32(w, ra->reachable_ms);
	wbuf_u32(w, ra->retrans_ms);
	int rc = nd_build_opts(w, &ra->opts);
	return rc ? rc : icmp6_finish(w, start, src, dst);
}

/*
 * Neighbor Solicitation (type 135; RFC 4861 §4.3) and Advertisement
 * (type 136; §4.4, flags word R|S|O|Reserved, Reserved for NS):
 *  |     Type      |     Code      |          Checksum             |
 *  |R|S|O|                     Reserved                            |
 *  |                   Target Address (16 octets)                  |
 *  |   Options ...
 */
static int nd_parse_target(struct rbuf *b, uint32_t *word, struct in6_addr *target,
			   enum icmp6_reason *why)
{
	rbuf_u32(b, word);
	rbuf_bytes(b, target->s6_addr, 16);
	/* RFC 4861 §7.1.1, §7.1.2 */
	if (nd_is_multicast(target))
		return fail(why, ICMP6_R_TARGET_MCAST, M6E_INVAL);
	return 0;
}

int nd_parse_ns(const struct icmp6_msg *m, struct nd_ns *out, enum icmp6_reason *why)
{
	struct rbuf b;
	uint32_t reserved;
	int rc = nd_begin(m, ICMP6_TYPE_NS, 20, &b, why);
	if (rc == 0)
		rc = nd_parse_target(&b, &reserved, &out->target, why);
	if (rc)
		return rc;
	return nd_parse_opts(&b, OPT_BIT(ND_OPT_SLLA), false, &out->opts, why);
}

int nd_parse_na(const struct icmp6_msg *m, struct nd_na *out, enum icmp6_reason *why)
{
	struct rbuf b;
	uint32_t word;
	int rc = nd_begin(m, ICMP6_TYPE_NA, 20, &b, why);
	if (rc == 0)
		rc = nd_parse_target(&b, &word, &out->target, why);
	if (rc)
		return rc;
	out->flags = (uint8_t)(word >> 24);
	return nd_parse_opts(&b, OPT_BIT(ND_OPT_TLLA), false, &out->opts, why);
}

static int nd_build_target(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
			   uint8_t type, uint8_t flags, const struct in6_addr *target,
			   const struct nd_opts *opts)
{
	size_t start = icmp6_begin(w, type, 0);
	wbuf_u32(w, (uint32_t)flags << 24);
	wbuf_bytes(w, target->s6_addr, 16);
	int rc = nd_build_opts(w, opts);
	return rc ? rc : icmp6_finish(w, start, src, dst);
}

int nd_build_ns(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		const struct nd_ns *ns)
{
	return nd_build_target(w, src, dst, ICMP6_TYPE_NS, 0, &ns->target, &ns->opts);
}

int nd_build_na(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		const struct nd_na *na)
{
	return nd_build_target(w, src, dst, ICMP6_TYPE_NA, na->flags, &na->target, &na->opts);
}

/*
 * Mobile Prefix Solicitation (type 146; RFC 6275 §6.7) and Advertisement
 * (type 147; §6.8, M and O flags; Reserved for the MPS):
 *  |     Type      |     Code      |            Checksum           |
 *  |           Identifier          |M|O|        Reserved           |
 *  |   Options ...
 */
static int nd_parse_mp(const struct icmp6_msg *m, uint8_t type, unsigned use, struct nd_mp *out,
		       enum icmp6_reason *why)
{
	struct rbuf b;
	int rc = nd_begin(m, type, 4, &b, why);
	if (rc)
		return rc;
	rbuf_u16(&b, &out->id);
	rbuf_u16(&b, &out->flags);
	return nd_parse_opts(&b, use, false, &out->opts, why);
}

int nd_parse_mps(const struct icmp6_msg *m, struct nd_mp *out, enum icmp6_reason *why)
{
	/* R6275-6.7.a: no option is defined for the MPS; all are ignored. */
	int rc = nd_parse_mp(m, ICMP6_TYPE_MPS, 0, out, why);
	out->flags = 0;
	return rc;
}

int nd_parse_mpa(const struct icmp6_msg *m, struct nd_mp *out, enum icmp6_reason *why)
{
	/* R6275-6.8.a: the prefixes come as (modified) Prefix Information. */
	return nd_parse_mp(m, ICMP6_TYPE_MPA, OPT_BIT(ND_OPT_PREFIX), out, why);
}

static int nd_build_mp(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		       uint8_t type, uint16_t flags, const struct nd_mp *mp)
{
	size_t start = icmp6_begin(w, type, 0);
	wbuf_u16(w, mp->id);
	wbuf_u16(w, flags);
	int rc = nd_build_opts(w, &mp->opts);
	return rc ? rc : icmp6_finish(w, start, src, dst);
}

int nd_build_mps(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		 const struct nd_mp *mp)
{
	return nd_build_mp(w, src, dst, ICMP6_TYPE_MPS, 0, mp);
}

int nd_build_mpa(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		 const struct nd_mp *mp)
{
	return nd_build_mp(w, src, dst, ICMP6_TYPE_MPA, mp->flags, mp);
}

/* RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2: a hop limit of 255 proves the
 * packet was not forwarded by a router. */
static int nd_check_hop(unsigned hop_limit, enum icmp6_reason *why)
{
	if (hop_limit != ND_HOP_LIMIT)
		return fail(why, ICMP6_R_HOP_LIMIT, M6E_PROTO);
	*why = ICMP6_R_OK;
	return 0;
}

int nd_validate_rs(const struct nd_rs *rs, const struct in6_addr *src, unsigned hop_limit,
		   enum icmp6_reason *why)
{
	int rc = nd_check_hop(hop_limit, why);
	if (rc)
		return rc;
	if (nd_is_unspecified(src) && rs->opts.slla.present) /* §6.1.1 */
		return fail(why, ICMP6_R_UNSPEC_SLLA, M6E_PROTO);
	return 0;
}

int nd_validate_ra(const struct in6_addr *src, unsigned hop_limit, enum icmp6_reason *why)
{
	int rc = nd_check_hop(hop_limit, why);
	if (rc)
		return rc;
	/* §6.1.2: routers identify themselves by link-local address (fe80::/10). */
	if (src->s6_addr[0] != 0xfe || (src->s6_addr[1] & 0xc0) != 0x80)
		return fail(why, ICMP6_R_RA_SRC, M6E_PROTO);
	return 0;
}

int nd_validate_ns(const struct nd_ns *ns, const struct in6_addr *src, const struct in6_addr *dst,
		   unsigned hop_limit, enum icmp6_reason *why)
{
	int rc = nd_check_hop(hop_limit, why);
	if (rc)
		return rc;
	if (!nd_is_unspecified(src))
		return 0;
	/* §7.1.1: a DAD probe goes to a solicited-node group, without SLLA. */
	static const uint8_t sn_prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
	if (memcmp(dst->s6_addr, sn_prefix, sizeof(sn_prefix)) != 0)
		return fail(why, ICMP6_R_DAD_DST, M6E_PROTO);
	if (ns->opts.slla.present)
		return fail(why, ICMP6_R_UNSPEC_SLLA, M6E_PROTO);
	return 0;
}

int nd_validate_na(const struct nd_na *na, const struct in6_addr *dst, unsigned hop_limit,
		   enum icmp6_reason *why)
{
	int rc = nd_check_hop(hop_limit, why);
	if (rc)
		return rc;
	if (nd_is_multicast(dst) && (na->flags & ND_NA_S)) /* §7.1.2 */
		return fail(why, ICMP6_R_NA_SOLICITED_MCAST, M6E_PROTO);
	return 0;
}

void nd_solicited_node(const struct in6_addr *a, struct in6_addr *out)
{
	struct in6_addr sn = { .s6_addr = { 0xff, 0x02, [11] = 0x01, [12] = 0xff } };
	memcpy(&sn.s6_addr[13], &a->s6_addr[13], 3);
	*out = sn;
}

int nd_build_dad_ns(struct wbuf *w, const struct in6_addr *target, struct in6_addr *dst)
{
	struct nd_ns ns;
	memset(&ns, 0, sizeof(ns)); /* no options: RFC 4862 §5.4.2 forbids the SLLA */
	ns.target = *target;
	static const struct in6_addr any;
	nd_solicited_node(target, dst);
	return nd_build_ns(w, &any, dst, &ns);
}

int nd_build_proxy_na(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *target,
		      const uint8_t *lla, size_t lla_len, struct in6_addr *dst)
{
	if (lla_len > ND_LLA_MAX)
		return M6E_INVAL;
	struct nd_na na;
	memset(&na, 0, sizeof(na));
	/* R6275-10.4.1.a: not a router, unsolicited, overriding caches. */
	na.flags = ND_NA_O;
	na.target = *target;
	na.opts.tlla.present = true;
	na.opts.tlla.len = (uint8_t)lla_len;
	if (lla_len)
		memcpy(na.opts.tlla.addr, lla, lla_len);
	*dst = (struct in6_addr){ .s6_addr = { 0xff, 0x02, [15] = 0x01 } };
	return nd_build_na(w, src, dst, &na);
}

int nd_pio_prefix(const struct nd_pio *pio, struct prefix6 *out)
{
	if (pio->plen > 128)
		return M6E_RANGE;
	out->len = pio->plen;
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = pio->plen > i * 8 ? pio->plen - i * 8 : 0;
		uint8_t keep = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		out->addr.s6_addr[i] = pio->prefix.s6_addr[i] & keep;
	}
	return 0;
}
