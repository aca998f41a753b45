/* IPv6-in-IPv6 encapsulation (RFC 2473); layout in tunnel6.h. */
#include "wire/tunnel6.h"

#include "base/err.h"
#include "base/rbuf.h"
#include "base/wbuf.h"

/* The inner packet must be exactly one IPv6 packet: a valid fixed header
 * whose payload length accounts for every byte. */
static int inner_check(const uint8_t *pkt, size_t len, struct ip6_fixed *h)
{
	struct rbuf r;
	rbuf_init(&r, pkt, len);
	int rc = ip6_parse_fixed(&r, h, NULL);
	if (rc != 0)
		return rc;
	return rbuf_left(&r) == h->plen ? 0 : M6E_INVAL;
}

int tunnel6_encap(uint8_t *buf, size_t headroom, size_t inner_len, const struct tunnel6_params *p,
		  size_t *out_off)
{
	struct ip6_fixed inner;
	if (headroom < IP6_HDR_LEN)
		return M6E_NOSPACE;
	if (inner_len > IP6_MAX_PLEN)
		return M6E_RANGE;
	int rc = inner_check(buf + headroom, inner_len, &inner);
	if (rc != 0)
		return M6E_INVAL;
	struct ip6_fixed outer = {
		.tclass = p->copy_tclass ? inner.tclass : p->tclass,
		.flow = p->flow,
		.plen = (uint16_t)inner_len,
		.next = IP6_NH_IPV6,
		.hlim = p->hlim ? p->hlim : IP6_DEFAULT_HLIM,
		.src = p->src,
		.dst = p->dst,
	};
	struct wbuf w;
	wbuf_init(&w, buf + headroom - IP6_HDR_LEN, IP6_HDR_LEN);
	ip6_build_fixed(&w, &outer);
	rc = wbuf_status(&w);
	if (rc == 0)
		*out_off = headroom - IP6_HDR_LEN;
	return rc;
}

int tunnel6_decap(struct ip6_view *v, const void *buf, size_t *inner_off, size_t *inner_len,
		  struct ip6_fixed *inner)
{
	struct ip6_fixed h;
	if (v->upper.proto != IP6_NH_IPV6 || !v->complete || (v->frag.present && v->frag.more)) {
		v->drop = IP6_DROP_NOT_TUNNEL;
		return M6E_PROTO;
	}
	int rc = inner_check((const uint8_t *)buf + v->upper.off, v->upper.len, &h);
	if (rc != 0) {
		v->drop = IP6_DROP_INNER;
		return rc;
	}
	*inner_off = v->upper.off;
	*inner_len = v->upper.len;
	if (inner)
		*inner = h;
	return 0;
}
