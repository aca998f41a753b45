/* UDP codec; layout in udp.h. */
#include "wire/udp.h"

#include "base/err.h"
#include "base/names.h"
#include "wire/cksum.h"
#include "wire/ip6.h"

int udp_parse(struct rbuf *r, const struct in6_addr *src, const struct in6_addr *dst,
	      struct udp_header *h, struct rbuf *payload, enum udp_drop *drop)
{
	struct rbuf c = *r, dgram;
	struct udp_header u;
	enum udp_drop d = UDP_DROP_NONE;
	int rc = 0;
	if (rbuf_left(&c) < UDP_HDR_LEN) {
		d = UDP_DROP_SHORT;
		rc = M6E_TRUNC;
		goto out;
	}
	rbuf_peek_u16(&c, 4, &u.len);
	if (u.len < UDP_HDR_LEN) {
		d = UDP_DROP_LEN;
		rc = M6E_INVAL;
		goto out;
	}
	if (rbuf_sub(&c, u.len, &dgram) != 0) {
		d = UDP_DROP_LEN;
		rc = M6E_TRUNC;
		goto out;
	}
	/* The checksum covers exactly Length octets (RFC 8200 §8.1). */
	const uint8_t *msg = rbuf_ptr(&dgram);
	rbuf_u16(&dgram, &u.sport);
	rbuf_u16(&dgram, &u.dport);
	rbuf_skip(&dgram, 2);
	rbuf_u16(&dgram, &u.cksum);
	if (u.cksum == 0) {
		d = UDP_DROP_ZERO_CKSUM; /* R3948-2.1.b: mandatory over IPv6 */
		rc = M6E_CKSUM;
		goto out;
	}
	if (cksum_pseudo6(src, dst, IP6_NH_UDP, msg, u.len) != 0) {
		d = UDP_DROP_CKSUM;
		rc = M6E_CKSUM;
		goto out;
	}
	*h = u;
	if (payload)
		*payload = dgram;
	*r = c;
out:
	if (drop)
		*drop = d;
	return rc;
}

int udp_build(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
	      uint16_t sport, uint16_t dport, const void *data, size_t len)
{
	if (len > IP6_MAX_PLEN - UDP_HDR_LEN)
		return M6E_RANGE;
	size_t start = wbuf_len(w);
	wbuf_u16(w, sport);
	wbuf_u16(w, dport);
	wbuf_u16(w, (uint16_t)(UDP_HDR_LEN + len));
	size_t ck = wbuf_reserve(w, 2);
	wbuf_bytes(w, data, len);
	int rc = wbuf_status(w);
	if (rc != 0)
		return rc;
	wbuf_put_u16_at(w, ck, ip6_upper_cksum(src, dst, IP6_NH_UDP, w->base + start, UDP_HDR_LEN + len));
	return wbuf_status(w);
}

enum udp_encap udp_encap_classify(const struct rbuf *data)
{
	uint8_t b0;
	uint16_t hi, lo;
	/* RFC 3948 §2.3: NAT-keepalive is the single octet 0xFF. */
	if (rbuf_left(data) == 1)
		return rbuf_peek_u8(data, 0, &b0) == 0 && b0 == 0xff ? UDP_ENCAP_KEEPALIVE
								     : UDP_ENCAP_INVALID;
	if (rbuf_peek_u16(data, 0, &hi) != 0 || rbuf_peek_u16(data, 2, &lo) != 0)
		return UDP_ENCAP_INVALID;
	/* RFC 3948 §2.2: the Non-ESP Marker; §2.1: otherwise an SPI, and an ESP
	 * header is at least SPI and Sequence Number. */
	if (hi == 0 && lo == 0)
		return UDP_ENCAP_IKE;
	return rbuf_left(data) >= 8 ? UDP_ENCAP_ESP : UDP_ENCAP_INVALID;
}

static const struct name_entry drop_names[] = {
	{ UDP_DROP_NONE, "none" },
	{ UDP_DROP_SHORT, "shorter than the UDP header" },
	{ UDP_DROP_LEN, "UDP length invalid" },
	{ UDP_DROP_ZERO_CKSUM, "zero UDP checksum over IPv6" },
	{ UDP_DROP_CKSUM, "bad UDP checksum" },
};

static const struct name_entry encap_names[] = {
	{ UDP_ENCAP_INVALID, "invalid" },
	{ UDP_ENCAP_ESP, "ESP-in-UDP" },
	{ UDP_ENCAP_IKE, "IKE (Non-ESP Marker)" },
	{ UDP_ENCAP_KEEPALIVE, "NAT-keepalive" },
};

const char *udp_drop_name(enum udp_drop d)
{
	return names_get(drop_names, NAMES_COUNT(drop_names), d);
}

const char *udp_encap_name(enum udp_encap e)
{
	return names_get(encap_names, NAMES_COUNT(encap_names), e);
}
