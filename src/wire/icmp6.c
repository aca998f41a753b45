/*
 * ICMPv6 common header, DHAAD, error messages and the Home-Agents anycast
 * address. See icmp6.h for the contract.
 *
 * Every ICMPv6 message (RFC 4443 §2.1):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         Message Body                          |
 */
#include "wire/icmp6.h"

#include <string.h>

#include "base/err.h"
#include "base/names.h"
#include "wire/cksum.h"

static const struct name_entry icmp6_type_names[] = {
	{ ICMP6_TYPE_DST_UNREACH, "destination unreachable" },
	{ ICMP6_TYPE_PACKET_TOO_BIG, "packet too big" },
	{ ICMP6_TYPE_TIME_EXCEEDED, "time exceeded" },
	{ ICMP6_TYPE_PARAM_PROB, "parameter problem" },
	{ ICMP6_TYPE_ECHO_REQUEST, "echo request" },
	{ ICMP6_TYPE_ECHO_REPLY, "echo reply" },
	{ ICMP6_TYPE_RS, "router solicitation" },
	{ ICMP6_TYPE_RA, "router advertisement" },
	{ ICMP6_TYPE_NS, "neighbor solicitation" },
	{ ICMP6_TYPE_NA, "neighbor advertisement" },
	{ ICMP6_TYPE_REDIRECT, "redirect" },
	{ ICMP6_TYPE_DHAAD_REQUEST, "home agent address discovery request" },
	{ ICMP6_TYPE_DHAAD_REPLY, "home agent address discovery reply" },
	{ ICMP6_TYPE_MPS, "mobile prefix solicitation" },
	{ ICMP6_TYPE_MPA, "mobile prefix advertisement" },
};

/* RFC 4443 §3.1-§3.4. */
static const struct name_entry icmp6_unreach_names[] = {
	{ 0, "no route to destination" },
	{ 1, "administratively prohibited" },
	{ 2, "beyond scope of source address" },
	{ 3, "address unreachable" },
	{ 4, "port unreachable" },
	{ 5, "source address failed ingress/egress policy" },
	{ 6, "reject route to destination" },
};

static const struct name_entry icmp6_time_names[] = {
	{ 0, "hop limit exceeded in transit" },
	{ 1, "fragment reassembly time exceeded" },
};

static const struct name_entry icmp6_pp_names[] = {
	{ ICMP6_PP_HEADER, "erroneous header field" },
	{ ICMP6_PP_NEXT_HDR, "unrecognized next header" },
	{ ICMP6_PP_OPTION, "unrecognized IPv6 option" },
};

static const struct name_entry icmp6_reason_names[] = {
	{ ICMP6_R_OK, "ok" },
	{ ICMP6_R_TRUNC, "truncated" },
	{ ICMP6_R_CKSUM, "bad checksum" },
	{ ICMP6_R_TYPE, "unexpected type" },
	{ ICMP6_R_CODE, "nonzero code" },
	{ ICMP6_R_DHAAD_LEN, "DHAAD address list not a multiple of 16" },
	{ ICMP6_R_OPT_LEN0, "ND option length 0" },
	{ ICMP6_R_OPT_OVERRUN, "ND option past end" },
	{ ICMP6_R_OPT_LEN, "ND option wrong length" },
	{ ICMP6_R_PIO_PLEN, "prefix length > 128" },
	{ ICMP6_R_HAINFO_LIFETIME, "home agent lifetime 0" },
	{ ICMP6_R_HOP_LIMIT, "hop limit not 255" },
	{ ICMP6_R_TARGET_MCAST, "multicast target" },
	{ ICMP6_R_DAD_DST, "DAD probe not to solicited-node group" },
	{ ICMP6_R_UNSPEC_SLLA, "SLLA from unspecified source" },
	{ ICMP6_R_NA_SOLICITED_MCAST, "solicited NA to multicast" },
	{ ICMP6_R_RA_SRC, "RA source not link-local" },
	{ ICMP6_R_NOT_ERROR, "not an error message" },
};

const char *icmp6_type_name(unsigned type)
{
	return names_get(icmp6_type_names, NAMES_COUNT(icmp6_type_names), type);
}

const char *icmp6_code_name(unsigned type, unsigned code)
{
	switch (type) {
	case ICMP6_TYPE_DST_UNREACH:
		return names_get(icmp6_unreach_names, NAMES_COUNT(icmp6_unreach_names), code);
	case ICMP6_TYPE_TIME_EXCEEDED:
		return names_get(icmp6_time_names, NAMES_COUNT(icmp6_time_names), code);
	case ICMP6_TYPE_PARAM_PROB:
		return names_get(icmp6_pp_names, NAMES_COUNT(icmp6_pp_names), code);
	default:
		return "";
	}
}

const char *icmp6_reason_name(enum icmp6_reason reason)
{
	return names_get(icmp6_reason_names, NAMES_COUNT(icmp6_reason_names), (unsigned)reason);
}

/* Record the reason and return the error class in one statement. */
static int fail(enum icmp6_reason *why, enum icmp6_reason r, int err)
{
	*why = r;
	return err;
}

int icmp6_parse_msg(const void *msg, size_t len, const struct in6_addr *src,
		    const struct in6_addr *dst, struct icmp6_msg *m, enum icmp6_reason *why)
{
	struct rbuf r;
	rbuf_init(&r, msg, len);
	uint16_t cksum;
	if (rbuf_u8(&r, &m->type) || rbuf_u8(&r, &m->code) || rbuf_u16(&r, &cksum))
		return fail(why, ICMP6_R_TRUNC, M6E_TRUNC);
	/* A correct message, checksum field included, sums to zero (RFC 4443 §2.3). */
	if (cksum_pseudo6(src, dst, ICMP6_NH, msg, len) != 0)
		return fail(why, ICMP6_R_CKSUM, M6E_CKSUM);
	m->body = r;
	*why = ICMP6_R_OK;
	return 0;
}

size_t icmp6_begin(struct wbuf *w, uint8_t type, uint8_t code)
{
	size_t start = wbuf_len(w);
	wbuf_u8(w, type);
	wbuf_u8(w, code);
	wbuf_u16(w, 0); /* checksum, filled by icmp6_finish() */
	return start;
}

int icmp6_finish(struct wbuf *w, size_t start, const struct in6_addr *src,
		 const struct in6_addr *dst)
{
	int rc = wbuf_status(w);
	if (rc)
		return rc;
	if (start > wbuf_len(w) || wbuf_len(w) - start < ICMP6_HDR_LEN)
		return M6E_INVAL;
	uint16_t ck = cksum_pseudo6(src, dst, ICMP6_NH, w->base + start, wbuf_len(w) - start);
	wbuf_put_u16_at(w, start + 2, ck);
	return wbuf_status(w);
}

/*
 * DHAAD Request (RFC 6275 §6.5) and Reply (§6.6):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |            Checksum           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Identifier           |            Reserved           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                                                               |
 *  +                  Home Agent Addresses (reply only)            +
 *  |                  (16 octets each)                             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static int dhaad_parse_fixed(const struct icmp6_msg *m, uint8_t type, struct rbuf *body,
			     struct icmp6_dhaad *out, enum icmp6_reason *why)
{
	if (m->type != type)
		return fail(why, ICMP6_R_TYPE, M6E_INVAL);
	if (m->code != 0)
		return fail(why, ICMP6_R_CODE, M6E_INVAL);
	*body = m->body;
	uint16_t reserved;
	if (rbuf_u16(body, &out->id) || rbuf_u16(body, &reserved))
		return fail(why, ICMP6_R_TRUNC, M6E_TRUNC);
	out->n_ha = 0;
	out->n_ha_wire = 0;
	*why = ICMP6_R_OK;
	return 0;
}

int icmp6_parse_dhaad_req(const struct icmp6_msg *m, struct icmp6_dhaad *out,
			  enum icmp6_reason *why)
{
	/* Anything after the 8 octets is ignored: future extensions. */
	struct rbuf body;
	return dhaad_parse_fixed(m, ICMP6_TYPE_DHAAD_REQUEST, &body, out, why);
}

int icmp6_parse_dhaad_rep(const struct icmp6_msg *m, struct icmp6_dhaad *out,
			  enum icmp6_reason *why)
{
	struct rbuf body;
	int rc = dhaad_parse_fixed(m, ICMP6_TYPE_DHAAD_REPLY, &body, out, why);
	if (rc)
		return rc;
	/* RFC 6275 §6.6: the count is the remaining length / 16; a remainder
	 * means the sender and we disagree on the format. */
	if (rbuf_left(&body) % 16 != 0)
		return fail(why, ICMP6_R_DHAAD_LEN, M6E_INVAL);
	out->n_ha_wire = (unsigned)(rbuf_left(&body) / 16);
	while (rbuf_left(&body) >= 16) {
		struct in6_addr a;
		rbuf_bytes(&body, a.s6_addr, 16);
		if (out->n_ha < ICMP6_DHAAD_MAX_HA)
			out->ha[out->n_ha++] = a;
	}
	return 0;
}

int icmp6_build_dhaad_req(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
			  uint16_t id)
{
	size_t start = icmp6_begin(w, ICMP6_TYPE_DHAAD_REQUEST, 0);
	wbuf_u16(w, id);
	wbuf_u16(w, 0);
	return icmp6_finish(w, start, src, dst);
}

int icmp6_build_dhaad_rep(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
			  uint16_t id, const struct in6_addr *ha, unsigned n_ha, size_t room,
			  unsigned *n_fit)
{
	if (room > wbuf_room(w))
		room = wbuf_room(w);
	if (room < 8)
		return M6E_NOSPACE;
	/* R6275-10.5.1.b: trim so the reply fits; the caller ordered by preference. */
	size_t fit = (room - 8) / 16;
	unsigned n = n_ha < fit ? n_ha : (unsigned)fit;
	size_t start = icmp6_begin(w, ICMP6_TYPE_DHAAD_REPLY, 0);
	wbuf_u16(w, id);
	wbuf_u16(w, 0);
	for (unsigned i = 0; i < n; i++)
		wbuf_bytes(w, ha[i].s6_addr, 16);
	int rc = icmp6_finish(w, start, src, dst);
	if (rc == 0 && n_fit)
		*n_fit = n;
	return rc;
}

int icmp6_ha_anycast(const struct prefix6 *p, struct in6_addr *out)
{
	if (p->len > 121)
		return M6E_RANGE;
	struct in6_addr a;
	/* Keep the prefix bits, set every bit after them. */
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = p->len > i * 8 ? p->len - i * 8 : 0;
		uint8_t keep = bits >= 8 ? 0xff : (uint8_t)(0xff00u >> bits);
		a.s6_addr[i] = (uint8_t)((p->addr.s6_addr[i] & keep) | (uint8_t)~keep);
	}
	/* Anycast ID 0x7e in the low 7 bits: all ones but the last bit. */
	a.s6_addr[15] &= 0xfe;
	/* RFC 2526 §2: with an EUI-64 interface identifier the universal/local
	 * bit (bit 6 of the IID's first octet) is 0, giving fdff:...:fffe. */
	if (p->len == 64)
		a.s6_addr[8] &= 0xfd;
	*out = a;
	return 0;
}

/*
 * Error messages (RFC 4443 §3.1-§3.4):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            Unused / MTU / Pointer (type 2: MTU, 4: Pointer)   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    As much of invoking packet                 |
 *  +               as possible without the ICMPv6 packet           +
 *  |               exceeding the minimum IPv6 MTU                  |
 */
int icmp6_parse_error(const struct icmp6_msg *m, struct icmp6_err *out, enum icmp6_reason *why)
{
	if (m->type >= ICMP6_TYPE_ECHO_REQUEST)
		return fail(why, ICMP6_R_NOT_ERROR, M6E_INVAL);
	struct rbuf body = m->body;
	if (rbuf_u32(&body, &out->param))
		return fail(why, ICMP6_R_TRUNC, M6E_TRUNC);
	out->type = m->type;
	out->code = m->code;
	out->invoking = body;
	out->has_ip6 = false;
	uint8_t vers;
	/* Look into the invoking IPv6 header only if it came back whole. */
	if (rbuf_left(&body) >= ICMP6_IP6_HDR_LEN && rbuf_peek_u8(&body, 0, &vers) == 0 &&
	    vers >> 4 == 6) {
		struct rbuf ip = body;
		rbuf_skip(&ip, 6);
		rbuf_u8(&ip, &out->inv_next_header);
		rbuf_skip(&ip, 1);
		rbuf_bytes(&ip, out->inv_src.s6_addr, 16);
		rbuf_bytes(&ip, out->inv_dst.s6_addr, 16);
		out->has_ip6 = true;
	}
	*why = ICMP6_R_OK;
	return 0;
}

int icmp6_build_error(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
		      uint8_t type, uint8_t code, uint32_t param, const void *invoking,
		      size_t invoking_len)
{
	if (type >= ICMP6_TYPE_ECHO_REQUEST)
		return M6E_INVAL;
	size_t room = wbuf_room(w);
	if (room > ICMP6_MAX_IN_MIN_MTU)
		room = ICMP6_MAX_IN_MIN_MTU;
	if (room < 8)
		return M6E_NOSPACE;
	/* RFC 4443 §2.4(c): as much of the invoking packet as fits. */
	if (invoking_len > room - 8)
		invoking_len = room - 8;
	size_t start = icmp6_begin(w, type, code);
	wbuf_u32(w, param);
	wbuf_bytes(w, invoking, invoking_len);
	return icmp6_finish(w, start, src, dst);
}

int icmp6_build_param_prob(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst,
			   enum icmp6_pp_code code, uint32_t pointer, const void *invoking,
			   size_t invoking_len)
{
	return icmp6_build_error(w, src, dst, ICMP6_TYPE_PARAM_PROB, (uint8_t)code, pointer,
				 invoking, invoking_len);
}
