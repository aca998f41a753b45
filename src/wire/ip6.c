/*
 * IPv6 fixed header codec, whole-packet parse and build, upper-layer
 * checksums. The fixed header layout is drawn in ip6.h.
 */
#include "wire/ip6.h"

#include <string.h>

#include "base/err.h"
#include "base/names.h"
#include "wire/cksum.h"
#include "wire/exthdr.h"

int ip6_parse_fixed(struct rbuf *r, struct ip6_fixed *h, enum ip6_drop *drop)
{
	struct rbuf c = *r; /* work on a copy: a failed parse leaves r unchanged */
	enum ip6_drop d = IP6_DROP_NONE;
	struct ip6_fixed f;
	uint32_t w0;
	int rc = 0;
	if (rbuf_left(&c) < IP6_HDR_LEN) {
		d = IP6_DROP_SHORT;
		rc = M6E_TRUNC;
		goto out;
	}
	rbuf_u32(&c, &w0);
	rbuf_u16(&c, &f.plen);
	rbuf_u8(&c, &f.next);
	rbuf_u8(&c, &f.hlim);
	rbuf_bytes(&c, &f.src, sizeof(f.src));
	rbuf_bytes(&c, &f.dst, sizeof(f.dst));
	if (w0 >> 28 != 6) {
		d = IP6_DROP_VERSION;
		rc = M6E_INVAL;
		goto out;
	}
	/* RFC 8200 §3: Payload Length counts what follows the fixed header; it
	 * may not claim more than arrived. Fewer is link padding, trimmed. */
	if (f.plen > rbuf_left(&c)) {
		d = IP6_DROP_PLEN;
		rc = M6E_TRUNC;
		goto out;
	}
	f.tclass = (uint8_t)(w0 >> 20);
	f.flow = w0 & 0xfffff;
	*h = f;
	*r = c;
out:
	if (drop)
		*drop = d;
	return rc;
}

void ip6_build_fixed(struct wbuf *w, const struct ip6_fixed *h)
{
	wbuf_u32(w, 6u << 28 | (uint32_t)h->tclass << 20 | (h->flow & 0xfffff));
	wbuf_u16(w, h->plen);
	wbuf_u8(w, h->next);
	wbuf_u8(w, h->hlim);
	wbuf_bytes(w, &h->src, sizeof(h->src));
	wbuf_bytes(w, &h->dst, sizeof(h->dst));
}

int ip6_parse(const void *pkt, size_t len, struct ip6_view *v)
{
	struct rbuf r, payload;
	memset(v, 0, sizeof(*v));
	v->full = true;
	rbuf_init(&r, pkt, len);
	int rc = ip6_parse_fixed(&r, &v->hdr, &v->drop);
	if (rc != 0)
		return rc;
	v->src = v->hdr.src;
	v->dst = v->hdr.dst;
	v->len = IP6_HDR_LEN + v->hdr.plen;
	rbuf_sub(&r, v->hdr.plen, &payload); /* fits: checked by ip6_parse_fixed */
	return exthdr_walk(&payload, v);
}

int ip6_cksum_offset(uint8_t proto, size_t *off)
{
	switch (proto) {
	case IP6_NH_MH:
		*off = IP6_CKSUM_OFF_MH;
		return 0;
	case IP6_NH_ICMPV6:
		*off = IP6_CKSUM_OFF_ICMPV6;
		return 0;
	case IP6_NH_UDP:
		*off = IP6_CKSUM_OFF_UDP;
		return 0;
	default:
		return M6E_UNSUPP;
	}
}

uint16_t ip6_upper_cksum(const struct in6_addr *src, const struct in6_addr *dst, uint8_t proto,
			 const void *msg, size_t len)
{
	uint16_t sum = cksum_pseudo6(src, dst, proto, msg, len);
	return sum == 0 && proto == IP6_NH_UDP ? 0xffff : sum;
}

int ip6_build_packet(struct wbuf *w, const struct ip6_pkt_spec *spec, const void *upper,
		     size_t upper_len)
{
	size_t ext = (spec->hao ? EXTHDR_HAO_HDR_LEN : 0) + (spec->rh2 ? EXTHDR_RH2_LEN : 0);
	size_t ck_off = 0;
	bool ck = ip6_cksum_offset(spec->proto, &ck_off) == 0;
	if (upper_len > IP6_MAX_PLEN - ext)
		return M6E_RANGE;
	if (ck && upper_len < ck_off + 2)
		return M6E_INVAL;

	/* RFC 6275 §6.3/§6.4.1: IPv6 · RH2 · DestOpt{HAO} · upper. */
	uint8_t after_rh2 = spec->hao ? IP6_NH_DSTOPTS : spec->proto;
	struct ip6_fixed h = {
		.tclass = spec->tclass,
		.flow = spec->flow,
		.plen = (uint16_t)(ext + upper_len),
		.next = spec->rh2 ? IP6_NH_ROUTING : after_rh2,
		.hlim = spec->hlim ? spec->hlim : IP6_DEFAULT_HLIM,
		.src = spec->src,
		.dst = spec->dst,
	};
	ip6_build_fixed(w, &h);
	if (spec->rh2)
		exthdr_build_rh2(w, after_rh2, spec->rh2);
	if (spec->hao)
		exthdr_build_hao(w, spec->proto, spec->hao);
	size_t up = wbuf_len(w);
	wbuf_bytes(w, upper, upper_len);
	int rc = wbuf_status(w);
	if (rc != 0 || !ck)
		return rc;
	/* R6275-6.1.1.d: with a HAO the pseudo-header source is the home
	 * address; with RH2 the destination is the final one, the home address. */
	wbuf_put_u16_at(w, up + ck_off, 0);
	uint16_t sum = ip6_upper_cksum(spec->hao ? spec->hao : &spec->src,
				       spec->rh2 ? spec->rh2 : &spec->dst, spec->proto, w->base + up,
				       upper_len);
	wbuf_put_u16_at(w, up + ck_off, sum);
	return wbuf_status(w);
}

void ip6_pseudo_addrs(const struct ip6_view *v, struct in6_addr *src, struct in6_addr *dst)
{
	/* Before the swap the home address sits in the option; after it, in
	 * the current address. Either way it is what the checksum covers. */
	*src = v->hao.present && !v->hao.applied ? v->hao.addr : v->src;
	*dst = v->rh2.present && !v->rh2.applied ? v->rh2.addr : v->dst;
}

int ip6_verify_upper_cksum(const struct ip6_view *v, const void *buf)
{
	size_t ck_off;
	if (ip6_cksum_offset(v->upper.proto, &ck_off) != 0)
		return M6E_UNSUPP;
	/* A fragment holds only part of what the checksum covers. */
	if (!v->complete || (v->frag.present && v->frag.more))
		return M6E_UNSUPP;
	if (v->upper.len < ck_off + 2)
		return M6E_TRUNC;
	struct rbuf r, up;
	uint16_t stored;
	rbuf_init(&r, buf, v->len);
	if (rbuf_skip(&r, v->upper.off) != 0 || rbuf_sub(&r, v->upper.len, &up) != 0)
		return M6E_TRUNC;
	rbuf_peek_u16(&up, ck_off, &stored);
	/* RFC 8200 §8.1: a zero UDP checksum is invalid over IPv6. */
	if (v->upper.proto == IP6_NH_UDP && stored == 0)
		return M6E_CKSUM;
	struct in6_addr src, dst;
	ip6_pseudo_addrs(v, &src, &dst);
	if (cksum_pseudo6(&src, &dst, v->upper.proto, rbuf_ptr(&up), rbuf_left(&up)) != 0)
		return M6E_CKSUM;
	return 0;
}

static const struct name_entry nh_names[] = {
	{ IP6_NH_HOPOPTS, "Hop-by-Hop Options" },
	{ IP6_NH_TCP, "TCP" },
	{ IP6_NH_UDP, "UDP" },
	{ IP6_NH_IPV6, "IPv6" },
	{ IP6_NH_ROUTING, "Routing" },
	{ IP6_NH_FRAGMENT, "Fragment" },
	{ IP6_NH_ESP, "ESP" },
	{ IP6_NH_AH, "AH" },
	{ IP6_NH_ICMPV6, "ICMPv6" },
	{ IP6_NH_NONE, "No Next Header" },
	{ IP6_NH_DSTOPTS, "Destination Options" },
	{ IP6_NH_MH, "Mobility Header" },
};

static const struct name_entry drop_names[] = {
	{ IP6_DROP_NONE, "none" },
	{ IP6_DROP_SHORT, "shorter than the IPv6 header" },
	{ IP6_DROP_VERSION, "IP version not 6" },
	{ IP6_DROP_PLEN, "payload length past the end" },
	{ IP6_DROP_EXT_TRUNC, "extension header past the end" },
	{ IP6_DROP_OPT_TRUNC, "option past the end of its header" },
	{ IP6_DROP_HAO_LEN, "Home Address option length not 16" },
	{ IP6_DROP_HAO_ALIGN, "Home Address option not at 8n+6" },
	{ IP6_DROP_HAO_DUP, "second Home Address option" },
	{ IP6_DROP_OPT_UNKNOWN, "unknown option with a discard action" },
	{ IP6_DROP_FRAG_LEN, "fragment length not a multiple of 8" },
	{ IP6_DROP_INNER, "tunnelled packet is not valid IPv6" },
	{ IP6_DROP_NOT_TUNNEL, "not an IPv6-in-IPv6 packet" },
};

static const struct name_entry violation_names[] = {
	{ IP6_V_HBH_NOT_FIRST, "Hop-by-Hop not first" },
	{ IP6_V_HAO_BEFORE_RH, "Home Address option before a routing header" },
	{ IP6_V_HAO_AFTER_FRAG, "Home Address option after a Fragment header" },
	{ IP6_V_RH2_BEFORE_RH, "type 2 routing header before another routing header" },
	{ IP6_V_RH2_MALFORMED, "type 2 routing header malformed" },
	{ IP6_V_DUP_EXT, "extension header repeated" },
	{ IP6_V_HAO_NOT_UNICAST, "home address not unicast routable" },
};

const char *ip6_nh_name(unsigned nh)
{
	return names_get(nh_names, NAMES_COUNT(nh_names), nh);
}

const char *ip6_drop_name(enum ip6_drop d)
{
	return names_get(drop_names, NAMES_COUNT(drop_names), d);
}

const char *ip6_violation_name(unsigned bit)
{
	return names_get(violation_names, NAMES_COUNT(violation_names), bit);
}
