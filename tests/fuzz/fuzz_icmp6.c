/*
 * Fuzz target for src/wire/icmp6.c and nd.c: the input is one ICMPv6 message.
 * The target fixes its checksum (so the fuzzer is not stuck at the checksum),
 * parses it with the parser for its type, rebuilds it from the parsed struct,
 * and checks that parsing and rebuilding the rebuilt bytes is a fixed point:
 * anything a parser accepts, the builder must reproduce.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/wbuf.h"
#include "wire/cksum.h"
#include "wire/icmp6.h"
#include "wire/nd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG 4096

static const struct in6_addr fz_src = { .s6_addr = { 0xfe, 0x80, [15] = 1 } };
static const struct in6_addr fz_dst = { .s6_addr = { 0xff, 0x02, [15] = 1 } };

static void fz_check(int cond)
{
	if (!cond)
		abort();
}

/* Parse by type and rebuild into w; returns the parse result. */
static int fz_rebuild(const struct icmp6_msg *m, struct wbuf *w)
{
	static struct icmp6_dhaad dh;
	static struct nd_rs rs;
	static struct nd_ra ra;
	static struct nd_ns ns;
	static struct nd_na na;
	static struct nd_mp mp;
	struct icmp6_err er;
	enum icmp6_reason why = ICMP6_R_OK;
	const struct in6_addr *s = &fz_src, *d = &fz_dst;
	int rc, brc = 0;
	switch (m->type) {
	case ICMP6_TYPE_DHAAD_REQUEST:
		if ((rc = icmp6_parse_dhaad_req(m, &dh, &why)) == 0)
			brc = icmp6_build_dhaad_req(w, s, d, dh.id);
		break;
	case ICMP6_TYPE_DHAAD_REPLY:
		if ((rc = icmp6_parse_dhaad_rep(m, &dh, &why)) == 0)
			brc = icmp6_build_dhaad_rep(w, s, d, dh.id, dh.ha, dh.n_ha, ICMP6_MAX_IN_MIN_MTU,
						    NULL);
		break;
	case ICMP6_TYPE_RS:
		if ((rc = nd_parse_rs(m, &rs, &why)) == 0) {
			nd_validate_rs(&rs, s, ND_HOP_LIMIT, &why);
			brc = nd_build_rs(w, s, d, &rs);
		}
		break;
	case ICMP6_TYPE_RA:
		if ((rc = nd_parse_ra(m, &ra, &why)) == 0) {
			nd_validate_ra(s, ND_HOP_LIMIT, &why);
			for (unsigned i = 0; i < ra.opts.n_pio; i++) {
				struct prefix6 p;
				struct in6_addr any;
				fz_check(nd_pio_prefix(&ra.opts.pio[i], &p) == 0);
				icmp6_ha_anycast(&p, &any);
			}
			brc = nd_build_ra(w, s, d, &ra);
		}
		break;
	case ICMP6_TYPE_NS:
		if ((rc = nd_parse_ns(m, &ns, &why)) == 0) {
			nd_validate_ns(&ns, s, d, ND_HOP_LIMIT, &why);
			brc = nd_build_ns(w, s, d, &ns);
		}
		break;
	case ICMP6_TYPE_NA:
		if ((rc = nd_parse_na(m, &na, &why)) == 0) {
			nd_validate_na(&na, d, ND_HOP_LIMIT, &why);
			brc = nd_build_na(w, s, d, &na);
		}
		break;
	case ICMP6_TYPE_MPS:
		if ((rc = nd_parse_mps(m, &mp, &why)) == 0)
			brc = nd_build_mps(w, s, d, &mp);
		break;
	case ICMP6_TYPE_MPA:
		if ((rc = nd_parse_mpa(m, &mp, &why)) == 0)
			brc = nd_build_mpa(w, s, d, &mp);
		break;
	default:
		if ((rc = icmp6_parse_error(m, &er, &why)) == 0)
			brc = icmp6_build_error(w, s, d, er.type, er.code, er.param,
						rbuf_ptr(&er.invoking), rbuf_left(&er.invoking));
		(void)icmp6_code_name(m->type, m->code);
		break;
	}
	/* A rejection always names its reason; an accepted message always rebuilds. */
	fz_check(rc == 0 || why != ICMP6_R_OK);
	fz_check(rc != 0 || brc == 0);
	(void)icmp6_reason_name(why);
	(void)icmp6_type_name(m->type);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t in[MAX_MSG], out1[MAX_MSG], out2[MAX_MSG];
	if (size > MAX_MSG)
		return 0;
	memcpy(in, data, size);
	if (size >= ICMP6_HDR_LEN) {
		in[2] = in[3] = 0;
		uint16_t ck = cksum_pseudo6(&fz_src, &fz_dst, ICMP6_NH, in, size);
		in[2] = (uint8_t)(ck >> 8);
		in[3] = (uint8_t)ck;
	}
	struct icmp6_msg m;
	enum icmp6_reason why;
	if (icmp6_parse_msg(in, size, &fz_src, &fz_dst, &m, &why) != 0)
		return 0;
	struct wbuf w1, w2;
	wbuf_init(&w1, out1, sizeof(out1));
	if (fz_rebuild(&m, &w1) != 0)
		return 0;
	fz_check(icmp6_parse_msg(out1, wbuf_len(&w1), &fz_src, &fz_dst, &m, &why) == 0);
	wbuf_init(&w2, out2, sizeof(out2));
	fz_check(fz_rebuild(&m, &w2) == 0);
	fz_check(wbuf_len(&w1) == wbuf_len(&w2) && memcmp(out1, out2, wbuf_len(&w1)) == 0);
	return 0;
}
