/*
 * IPv6 extension header chain walker and the Mobile IPv6 headers (HAO, RH2).
 * Layouts are drawn in exthdr.h. Every length read from the wire is checked
 * against the bytes left through the rbuf cursor before it is used.
 */
#include "wire/exthdr.h"

#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/names.h"
#include "base/rbuf.h"

/* Facts only this walk needs: where we are in the RFC 8200 §4.1 order. */
struct walk_state {
	unsigned index;      /* extension headers walked so far */
	bool dstopt_pending; /* a Destination Options header since the last RH */
};

static int walk_fail(struct ip6_view *v, enum ip6_drop drop, int err)
{
	v->drop = drop;
	return err;
}

/* Carve one length-prefixed extension header ((Hdr Ext Len + 1) * 8 octets)
 * out of r into *hdr. */
static int take_ext(struct rbuf *r, struct rbuf *hdr, struct ip6_view *v)
{
	uint8_t hel;
	if (rbuf_peek_u8(r, 1, &hel) != 0 || rbuf_sub(r, ((size_t)hel + 1) * 8, hdr) != 0)
		return walk_fail(v, IP6_DROP_EXT_TRUNC, M6E_TRUNC);
	return 0;
}

/* The Home Address option, R6275-6.3.a: length 16, alignment 8n+6, at most
 * one per IPv6 header, after any RH and before any Fragment header. */
static int take_hao(struct rbuf *data, size_t opt_off, size_t hdr_off, struct ip6_view *v)
{
	if (rbuf_left(data) != EXTHDR_HAO_LEN)
		return walk_fail(v, IP6_DROP_HAO_LEN, M6E_INVAL);
	/* Headers are 8-aligned, so the offset within the header decides. */
	if ((opt_off - hdr_off) % 8 != 6)
		return walk_fail(v, IP6_DROP_HAO_ALIGN, M6E_ALIGN);
	if (v->hao.present)
		return walk_fail(v, IP6_DROP_HAO_DUP, M6E_DUP);
	v->hao.present = true;
	v->hao.hdr_off = hdr_off;
	v->hao.opt_off = opt_off;
	rbuf_bytes(data, &v->hao.addr, sizeof(v->hao.addr));
	if (!addr_is_unicast_routable(&v->hao.addr))
		v->violations |= IP6_V_HAO_NOT_UNICAST;
	if (v->frag.present)
		v->violations |= IP6_V_HAO_AFTER_FRAG;
	return 0;
}

/* RFC 8200 §4.2: an unrecognised option is skipped or discards the packet
 * according to the two high-order bits of its type. */
static int take_unknown(uint8_t type, size_t opt_off, struct ip6_view *v)
{
	struct ip6_opt_unknown *u = &v->unknown;
	v->n_unknown++;
	u->type = type;
	u->action = type >> 6;
	u->pointer = v->pkt_base + opt_off;
	u->send_icmp = u->action == EXTHDR_ACT_DISCARD_ICMP ||
		       (u->action == EXTHDR_ACT_DISCARD_ICMP_UC && !IN6_IS_ADDR_MULTICAST(&v->dst));
	if (u->action != EXTHDR_ACT_SKIP)
		return walk_fail(v, IP6_DROP_OPT_UNKNOWN, M6E_PROTO);
	return 0;
}

/* Options of one Hop-by-Hop or Destination Options header; opts covers the
 * header after its first two octets. */
static int walk_options(struct rbuf *opts, uint8_t hdr_type, size_t hdr_off, struct ip6_view *v)
{
	while (rbuf_left(opts) > 0) {
		size_t opt_off = rbuf_offset(opts);
		uint8_t type, olen;
		struct rbuf data;
		rbuf_u8(opts, &type);
		if (type == EXTHDR_OPT_PAD1)
			continue;
		/* Options (pads included) must not run past the header. */
		if (rbuf_u8(opts, &olen) != 0 || rbuf_sub(opts, olen, &data) != 0)
			return walk_fail(v, IP6_DROP_OPT_TRUNC, M6E_TRUNC);
		if (type == EXTHDR_OPT_PADN)
			continue; /* PadN content is ignored on receipt (RFC 8200 §4.2) */
		int rc;
		if (type == EXTHDR_OPT_HAO && hdr_type == IP6_NH_DSTOPTS)
			rc = take_hao(&data, opt_off, hdr_off, v);
		else
			rc = take_unknown(type, opt_off, v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int walk_options_hdr(struct rbuf *r, uint8_t type, uint8_t *next, struct walk_state *st,
			    struct ip6_view *v)
{
	size_t off = rbuf_offset(r);
	struct rbuf hdr;
	int rc = take_ext(r, &hdr, v);
	if (rc != 0)
		return rc;
	rbuf_u8(&hdr, next);
	rbuf_skip(&hdr, 1);
	if (type == IP6_NH_HOPOPTS) {
		/* RFC 8200 §4.1: Hop-by-Hop only immediately after the IPv6 header. */
		if (st->index != 0 || v->hbh)
			v->violations |= IP6_V_HBH_NOT_FIRST;
		v->hbh = true;
	} else {
		/* RFC 8200 §4.1: at most twice (before a RH and before the upper layer). */
		if (v->n_dstopt >= 2)
			v->violations |= IP6_V_DUP_EXT;
		v->n_dstopt++;
		st->dstopt_pending = true;
	}
	return walk_options(&hdr, type, off, v);
}

static int walk_routing(struct rbuf *r, uint8_t *next, struct walk_state *st, struct ip6_view *v)
{
	size_t off = rbuf_offset(r);
	struct rbuf hdr;
	uint8_t hel, type, segleft;
	int rc = take_ext(r, &hdr, v);
	if (rc != 0)
		return rc;
	rbuf_u8(&hdr, next);
	rbuf_u8(&hdr, &hel);
	rbuf_u8(&hdr, &type);
	rbuf_u8(&hdr, &segleft);
	if (type == EXTHDR_RT_MIP6) {
		if (v->rh2.present)
			v->violations |= IP6_V_DUP_EXT;
		v->rh2.present = true;
		v->rh2.off = off;
		v->rh2.hdr_ext_len = hel;
		v->rh2.segleft = segleft;
		/* R6275-6.4.1.a: Hdr Ext Len 2, Segments Left 1; anything else the
		 * engine discards, so record it rather than guess at the address. */
		v->rh2.malformed = hel != 2 || segleft != 1;
		if (v->rh2.malformed)
			v->violations |= IP6_V_RH2_MALFORMED;
		if (rbuf_skip(&hdr, 4) != 0 || rbuf_bytes(&hdr, &v->rh2.addr, sizeof(v->rh2.addr)) != 0)
			memset(&v->rh2.addr, 0, sizeof(v->rh2.addr));
	} else {
		/* R6275-6.4.1.a: a type 2 RH comes after any other routing header. */
		if (v->rh2.present)
			v->violations |= IP6_V_RH2_BEFORE_RH;
		if (v->rh.present)
			v->violations |= IP6_V_DUP_EXT;
		v->rh.present = true;
		v->rh.off = off;
		v->rh.type = type;
		v->rh.segleft = segleft;
		v->rh.pointer = v->pkt_base + off + 2;
	}
	/* R6275-6.3.a: the HAO-bearing Destination Options header follows any RH. */
	if (v->hao.present)
		v->violations |= IP6_V_HAO_BEFORE_RH;
	if (st->dstopt_pending)
		v->dstopt_before_rh = true;
	st->dstopt_pending = false;
	return 0;
}

/* Returns 1 when the walk must stop here (a later fragment: no upper-layer
 * header in this packet), 0 to go on, or an error. */
static int walk_fragment(struct rbuf *r, uint8_t *next, struct ip6_view *v)
{
	size_t off = rbuf_offset(r);
	struct rbuf hdr;
	uint16_t offm;
	if (rbuf_sub(r, EXTHDR_FRAG_LEN, &hdr) != 0)
		return walk_fail(v, IP6_DROP_EXT_TRUNC, M6E_TRUNC);
	rbuf_u8(&hdr, next);
	rbuf_skip(&hdr, 1);
	rbuf_u16(&hdr, &offm);
	if (v->frag.present)
		v->violations |= IP6_V_DUP_EXT;
	v->frag.present = true;
	v->frag.off = off;
	v->frag.offset = offm >> 3;
	v->frag.more = offm & 1;
	rbuf_u32(&hdr, &v->frag.id);
	v->frag.first = v->frag.offset == 0;
	/* RFC 8200 §4.5: a fragment with M = 1 carries a multiple of 8 octets. */
	if (v->frag.more && rbuf_left(r) % 8 != 0)
		return walk_fail(v, IP6_DROP_FRAG_LEN, M6E_INVAL);
	return v->frag.first ? 0 : 1;
}

static void walk_upper(struct rbuf *r, uint8_t proto, const struct walk_state *st, struct ip6_view *v)
{
	v->upper.proto = proto;
	v->upper.off = rbuf_offset(r);
	v->upper.len = rbuf_left(r);
	if (st->dstopt_pending)
		v->dstopt_final = true;
}

int exthdr_walk(struct rbuf *r, struct ip6_view *v)
{
	struct walk_state st = { 0 };
	uint8_t nh = v->hdr.next;
	/* Each header consumes at least 8 octets, so the loop ends. */
	for (;; st.index++) {
		uint8_t next = 0;
		int rc;
		switch (nh) {
		case IP6_NH_HOPOPTS:
		case IP6_NH_DSTOPTS:
			rc = walk_options_hdr(r, nh, &next, &st, v);
			break;
		case IP6_NH_ROUTING:
			rc = walk_routing(r, &next, &st, v);
			break;
		case IP6_NH_FRAGMENT:
			rc = walk_fragment(r, &next, v);
			if (rc == 1) {
				/* Not the first fragment: record what follows, incomplete. */
				walk_upper(r, next, &st, v);
				return 0;
			}
			break;
		default:
			/* ESP, AH, MH, ICMPv6, UDP, TCP, IPv6, No Next Header, or a
			 * protocol we do not know: the end of the chain for us. */
			walk_upper(r, nh, &st, v);
			v->complete = true;
			return 0;
		}
		if (rc != 0)
			return rc;
		nh = next;
	}
}

int exthdr_parse(uint8_t first_nh, const void *buf, size_t len, const struct in6_addr *src,
		 const struct in6_addr *dst, struct ip6_view *v)
{
	struct rbuf r;
	memset(v, 0, sizeof(*v));
	v->hdr.next = first_nh;
	v->hdr.src = *src;
	v->hdr.dst = *dst;
	v->src = *src;
	v->dst = *dst;
	v->pkt_base = IP6_HDR_LEN;
	v->len = len;
	rbuf_init(&r, buf, len);
	return exthdr_walk(&r, v);
}

void exthdr_build_hao(struct wbuf *w, uint8_t next, const struct in6_addr *home)
{
	wbuf_u8(w, next);
	wbuf_u8(w, EXTHDR_HAO_HDR_LEN / 8 - 1);
	/* PadN(2) puts the option at 8n+6 and the address at 8n (R6275-6.3.a). */
	wbuf_u8(w, EXTHDR_OPT_PADN);
	wbuf_u8(w, 2);
	wbuf_zero(w, 2);
	wbuf_u8(w, EXTHDR_OPT_HAO);
	wbuf_u8(w, EXTHDR_HAO_LEN);
	wbuf_bytes(w, home, sizeof(*home));
}

void exthdr_build_rh2(struct wbuf *w, uint8_t next, const struct in6_addr *home)
{
	wbuf_u8(w, next);
	wbuf_u8(w, EXTHDR_RH2_LEN / 8 - 1);
	wbuf_u8(w, EXTHDR_RT_MIP6);
	wbuf_u8(w, 1); /* Segments Left 1 (R6275-6.4.1.a) */
	wbuf_u32(w, 0);
	wbuf_bytes(w, home, sizeof(*home));
}

static void swap_addr(struct in6_addr *a, struct in6_addr *b)
{
	struct in6_addr t = *a;
	*a = *b;
	*b = t;
}

/* Offsets of the addresses in the fixed header. */
#define IP6_SRC_OFF 8
#define IP6_DST_OFF 24

int exthdr_apply_hao(struct ip6_view *v, uint8_t *buf)
{
	if (!v->hao.present)
		return M6E_NOTFOUND;
	if (v->hao.applied)
		return M6E_EXISTS;
	/* RFC 6275 §9.3.1: the source and the option's address trade places;
	 * R6275-6.3.b: the change is for this packet only. */
	swap_addr(&v->src, &v->hao.addr);
	v->hao.applied = true;
	if (buf) {
		memcpy(buf + v->hao.opt_off + 2, &v->hao.addr, sizeof(v->hao.addr));
		if (v->full)
			memcpy(buf + IP6_SRC_OFF, &v->src, sizeof(v->src));
	}
	return 0;
}

int exthdr_apply_rh2(struct ip6_view *v, uint8_t *buf)
{
	if (!v->rh2.present)
		return M6E_NOTFOUND;
	if (v->rh2.applied)
		return M6E_EXISTS;
	if (v->rh2.malformed)
		return M6E_PROTO; /* R6275-6.4.1.a: silently discard */
	/* RFC 8200 §4.4 with one address: swap it with the destination and
	 * count the segment as visited. */
	swap_addr(&v->dst, &v->rh2.addr);
	v->rh2.segleft--;
	v->rh2.applied = true;
	if (buf) {
		buf[v->rh2.off + 3] = v->rh2.segleft;
		memcpy(buf + v->rh2.off + 8, &v->rh2.addr, sizeof(v->rh2.addr));
		if (v->full)
			memcpy(buf + IP6_DST_OFF, &v->dst, sizeof(v->dst));
	}
	return 0;
}

static const struct name_entry opt_names[] = {
	{ EXTHDR_OPT_PAD1, "Pad1" },
	{ EXTHDR_OPT_PADN, "PadN" },
	{ 0x04, "Tunnel Encapsulation Limit" },
	{ 0x05, "Router Alert" },
	{ 0xc2, "Jumbo Payload" },
	{ EXTHDR_OPT_HAO, "Home Address" },
};

static const struct name_entry action_names[] = {
	{ EXTHDR_ACT_SKIP, "skip" },
	{ EXTHDR_ACT_DISCARD, "discard" },
	{ EXTHDR_ACT_DISCARD_ICMP, "discard and send Parameter Problem" },
	{ EXTHDR_ACT_DISCARD_ICMP_UC, "discard and send Parameter Problem unless multicast" },
};

static const struct name_entry rt_names[] = {
	{ EXTHDR_RT_SOURCE, "Source Route (deprecated)" },
	{ EXTHDR_RT_MIP6, "Type 2 (Mobile IPv6)" },
	{ EXTHDR_RT_RPL, "RPL Source Route" },
	{ EXTHDR_RT_SRH, "Segment Routing" },
};

const char *exthdr_opt_name(unsigned type)
{
	return names_get(opt_names, NAMES_COUNT(opt_names), type);
}

const char *exthdr_action_name(unsigned action)
{
	return names_get(action_names, NAMES_COUNT(action_names), action);
}

const char *exthdr_rt_name(unsigned type)
{
	return names_get(rt_names, NAMES_COUNT(rt_names), type);
}
