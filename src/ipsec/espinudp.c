#include "ipsec/espinudp.h"

#include <string.h>

#include "base/err.h"
#include "base/names.h"
#include "base/rbuf.h"
#include "base/wbuf.h"
#include "wire/cksum.h"

#define IPPROTO_UDP_NH 17
#define UDP_CKSUM_OFF 6

static const struct name_entry kind_names[] = {
	{ ESPINUDP_ESP, "ESP" },
	{ ESPINUDP_IKE, "IKE" },
	{ ESPINUDP_KEEPALIVE, "NAT-keepalive" },
};

const char *espinudp_kind_name(enum espinudp_kind k)
{
	return names_get(kind_names, NAMES_COUNT(kind_names), k);
}

int espinudp_parse(const uint8_t *dgram, size_t len, const struct in6_addr *src, const struct in6_addr *dst,
		   struct espinudp_dgram *out)
{
	struct rbuf r, payload;
	uint16_t ulen, sum;
	rbuf_init(&r, dgram, len);
	if (rbuf_u16(&r, &out->sport) != 0 || rbuf_u16(&r, &out->dport) != 0 || rbuf_u16(&r, &ulen) != 0 ||
	    rbuf_u16(&r, &sum) != 0)
		return M6E_TRUNC;
	if (ulen < ESPINUDP_UDP_HDR)
		return M6E_INVAL;
	if (ulen > len)
		return M6E_TRUNC;
	/* Bytes past the UDP length (link padding) are not part of it. */
	if (rbuf_sub(&r, ulen - ESPINUDP_UDP_HDR, &payload) != 0)
		return M6E_TRUNC;
	/* IPv6: a zero checksum is invalid (RFC 8200 8.1; no RFC 6936 mode). */
	if (sum == 0)
		return M6E_INVAL;
	if (cksum_pseudo6(src, dst, IPPROTO_UDP_NH, dgram, ulen) != 0)
		return M6E_CKSUM;

	size_t left = rbuf_left(&payload);
	uint8_t b0;
	uint32_t marker;
	out->off = rbuf_offset(&payload);
	if (left == 1 && rbuf_peek_u8(&payload, 0, &b0) == 0 && b0 == ESPINUDP_KEEPALIVE_BYTE) {
		out->kind = ESPINUDP_KEEPALIVE;
		out->len = 1;
		return 0;
	}
	if (rbuf_u32(&payload, &marker) != 0)
		return left == 1 ? M6E_INVAL : M6E_TRUNC;
	if (marker == 0) {
		out->kind = ESPINUDP_IKE;
		out->off = rbuf_offset(&payload);
		out->len = rbuf_left(&payload);
		return 0;
	}
	/* Non-zero SPI: ESP; it needs its Sequence Number at least. */
	if (left < 8)
		return M6E_TRUNC;
	out->kind = ESPINUDP_ESP;
	out->len = left;
	return 0;
}

static int udp_build(uint8_t *udp, size_t total, const struct in6_addr *src, const struct in6_addr *dst,
		     uint16_t sport, uint16_t dport)
{
	if (total > UINT16_MAX)
		return M6E_RANGE;
	struct wbuf w;
	wbuf_init(&w, udp, ESPINUDP_UDP_HDR);
	wbuf_u16(&w, sport);
	wbuf_u16(&w, dport);
	wbuf_u16(&w, (uint16_t)total);
	wbuf_u16(&w, 0);
	uint16_t sum = cksum_pseudo6(src, dst, IPPROTO_UDP_NH, udp, total);
	/* RFC 768: a computed 0 is sent as all ones. */
	wbuf_put_u16_at(&w, UDP_CKSUM_OFF, sum ? sum : 0xffff);
	return wbuf_status(&w);
}

int espinudp_encap(uint8_t *buf, size_t off, size_t len, const struct in6_addr *src, const struct in6_addr *dst,
		   uint16_t sport, uint16_t dport, size_t *new_off)
{
	if (off < ESPINUDP_UDP_HDR)
		return M6E_NOSPACE;
	int rc = udp_build(buf + off - ESPINUDP_UDP_HDR, len + ESPINUDP_UDP_HDR, src, dst, sport, dport);
	if (rc == 0)
		*new_off = off - ESPINUDP_UDP_HDR;
	return rc;
}

int espinudp_keepalive(uint8_t *buf, size_t cap, const struct in6_addr *src, const struct in6_addr *dst,
		       uint16_t sport, uint16_t dport, size_t *len)
{
	if (cap < ESPINUDP_UDP_HDR + 1)
		return M6E_NOSPACE;
	buf[ESPINUDP_UDP_HDR] = ESPINUDP_KEEPALIVE_BYTE;
	int rc = udp_build(buf, ESPINUDP_UDP_HDR + 1, src, dst, sport, dport);
	if (rc == 0)
		*len = ESPINUDP_UDP_HDR + 1;
	return rc;
}
