/*
 * Unit tests for src/wire/icmp6.c and src/wire/nd.c: known-answer builders,
 * parsing of those bytes, round trips, the malformed-input table with the
 * exact reason, option skip rules, the IP-header validation of ND messages,
 * DHAAD trimming, error messages and the Home-Agents anycast address.
 *
 * Known answers come from scapy (python3-scapy 2.5.0), an encoder independent
 * of ours; tests/fuzz/mkcorpus_icmp6.py holds the exact scapy expressions and
 * prints these bytes with --hex.
 */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "testutil.h"
#include "wire/cksum.h"
#include "wire/icmp6.h"
#include "wire/nd.h"

#define HA "2001:db8:1::1"
#define HA2 "2001:db8:1::2"
#define HOA "2001:db8:1::100"
#define COA "2001:db8:2::100"
#define ANYCAST "2001:db8:1:0:fdff:ffff:ffff:fffe"
#define RTR_LL "fe80::1"
#define MN_LL "fe80::200"
#define ALL_NODES "ff02::1"
#define SN_HOA "ff02::1:ff00:100"

static const uint8_t mac[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac2[6] = { 0x02, 0x00, 0x00, 0x00, 0x02, 0x00 };

/* The packet returned in the Parameter Problem known answer: IPv6 from the
 * CoA to the HA carrying an MH whose Payload Proto is 6 (R6275-9.2.c). */
static const char invoking_hex[] = "6000000000088740"
				   "20010db8000200000000000000000100"
				   "20010db8000100000000000000000001"
				   "0601050000000000";

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_msg(addr_parse(s, &a) == 0, "bad address %s", s);
	return a;
}

static void assert_addr(const struct in6_addr *got, const char *want)
{
	struct in6_addr w = A(want);
	char buf[ADDR_STRLEN];
	ck_assert_msg(addr_eq(got, &w), "address %s, want %s", addr_fmt(got, buf, sizeof(buf)), want);
}

/* Parse the common header of bytes sent from src to dst; must succeed. */
static void parse_ok(const uint8_t *b, size_t n, const char *src, const char *dst,
		     struct icmp6_msg *m)
{
	struct in6_addr s = A(src), d = A(dst);
	enum icmp6_reason why = ICMP6_R__COUNT;
	ck_assert_int_eq(icmp6_parse_msg(b, n, &s, &d, m, &why), 0);
	ck_assert_int_eq(why, ICMP6_R_OK);
}

/* ---- known answers: build, parse, round trip ---- */

typedef int build_fn(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst);
/* Parse m, assert the fields, and rebuild it from the parsed struct into w. */
typedef void check_fn(const struct icmp6_msg *m, struct wbuf *w, const struct in6_addr *src,
		      const struct in6_addr *dst);

static int build_dhaad_req(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	return icmp6_build_dhaad_req(w, src, dst, 0x1234);
}

static int build_dhaad_rep(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct in6_addr ha[2] = { A(HA), A(HA2) };
	/* How many fit is checked by dhaad_reply_trimmed; the bytes tell here. */
	return icmp6_build_dhaad_rep(w, src, dst, 0x1234, ha, 2, ICMP6_MAX_IN_MIN_MTU, NULL);
}

static void check_dhaad(const struct icmp6_msg *m, struct wbuf *w, const struct in6_addr *src,
			const struct in6_addr *dst)
{
	struct icmp6_dhaad d;
	enum icmp6_reason why;
	bool req = m->type == ICMP6_TYPE_DHAAD_REQUEST;
	ck_assert_int_eq(req ? icmp6_parse_dhaad_req(m, &d, &why) : icmp6_parse_dhaad_rep(m, &d, &why),
			 0);
	ck_assert_uint_eq(d.id, 0x1234);
	if (req) {
		ck_assert_uint_eq(d.n_ha, 0);
		ck_assert_int_eq(icmp6_build_dhaad_req(w, src, dst, d.id), 0);
		return;
	}
	ck_assert_uint_eq(d.n_ha, 2);
	ck_assert_uint_eq(d.n_ha_wire, 2);
	assert_addr(&d.ha[0], HA);
	assert_addr(&d.ha[1], HA2);
	ck_assert_int_eq(icmp6_build_dhaad_rep(w, src, dst, d.id, d.ha, d.n_ha, 1240, NULL), 0);
}

static int build_mps(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct nd_mp mp = { .id = 0xbeef };
	return nd_build_mps(w, src, dst, &mp);
}

static void mpa_pio(struct nd_pio *p)
{
	*p = (struct nd_pio){ .plen = 64, .flags = ND_PIO_L | ND_PIO_A | ND_PIO_R,
			      .valid = 86400, .preferred = 14400, .prefix = A(HA) };
}

static int build_mpa(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct nd_mp mp = { .id = 0xbeef, .flags = ND_MPA_M };
	mpa_pio(&mp.opts.pio[0]);
	mp.opts.n_pio = 1;
	return nd_build_mpa(w, src, dst, &mp);
}

static void check_mp(const struct icmp6_msg *m, struct wbuf *w, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	struct nd_mp mp;
	enum icmp6_reason why;
	bool mps = m->type == ICMP6_TYPE_MPS;
	ck_assert_int_eq(mps ? nd_parse_mps(m, &mp, &why) : nd_parse_mpa(m, &mp, &why), 0);
	ck_assert_uint_eq(mp.id, 0xbeef);
	ck_assert_uint_eq(mp.opts.n_ignored, 0);
	if (mps) {
		ck_assert_uint_eq(mp.opts.n_pio, 0);
		ck_assert_int_eq(nd_build_mps(w, src, dst, &mp), 0);
		return;
	}
	ck_assert_uint_eq(mp.flags, ND_MPA_M);
	ck_assert_uint_eq(mp.opts.n_pio, 1);
	struct nd_pio want;
	mpa_pio(&want);
	ck_assert_uint_eq(mp.opts.pio[0].plen, want.plen);
	ck_assert_uint_eq(mp.opts.pio[0].flags, want.flags);
	ck_assert_uint_eq(mp.opts.pio[0].valid, want.valid);
	ck_assert_uint_eq(mp.opts.pio[0].preferred, want.preferred);
	assert_addr(&mp.opts.pio[0].prefix, HA); /* R bit: the HA's full address */
	ck_assert_int_eq(nd_build_mpa(w, src, dst, &mp), 0);
}

static void set_lla(struct nd_lla *l, const uint8_t *addr)
{
	l->present = true;
	l->len = 6;
	memcpy(l->addr, addr, 6);
}

static int build_ra(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct nd_ra ra = { .cur_hop_limit = 64, .flags = ND_RA_H, .router_lifetime = 1800,
			    .reachable_ms = 30000, .retrans_ms = 1000 };
	set_lla(&ra.opts.slla, mac);
	ra.opts.pio[0] = (struct nd_pio){ .plen = 64, .flags = ND_PIO_L | ND_PIO_A | ND_PIO_R,
					  .valid = 2592000, .preferred = 604800, .prefix = A(HA) };
	ra.opts.n_pio = 1;
	ra.opts.has_mtu = true;
	ra.opts.mtu = 1500;
	ra.opts.has_adv_ival = true;
	ra.opts.adv_ival_ms = 3000;
	ra.opts.has_ha_info = true;
	ra.opts.ha_pref = 10;
	ra.opts.ha_lifetime = 1800;
	return nd_build_ra(w, src, dst, &ra);
}

static void check_ra(const struct icmp6_msg *m, struct wbuf *w, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	struct nd_ra ra;
	enum icmp6_reason why;
	ck_assert_int_eq(nd_parse_ra(m, &ra, &why), 0);
	ck_assert_uint_eq(ra.cur_hop_limit, 64);
	ck_assert_uint_eq(ra.flags, ND_RA_H);
	ck_assert_uint_eq(ra.router_lifetime, 1800);
	ck_assert_uint_eq(ra.reachable_ms, 30000);
	ck_assert_uint_eq(ra.retrans_ms, 1000);
	ck_assert(ra.opts.slla.present && ra.opts.slla.len == 6);
	tu_assert_mem_eq(ra.opts.slla.addr, 6, mac, 6);
	ck_assert_uint_eq(ra.opts.n_pio, 1);
	ck_assert_uint_eq(ra.opts.pio[0].flags, ND_PIO_L | ND_PIO_A | ND_PIO_R);
	ck_assert_uint_eq(ra.opts.pio[0].valid, 2592000);
	ck_assert_uint_eq(ra.opts.pio[0].preferred, 604800);
	assert_addr(&ra.opts.pio[0].prefix, HA);
	struct prefix6 p;
	ck_assert_int_eq(nd_pio_prefix(&ra.opts.pio[0], &p), 0);
	ck_assert_uint_eq(p.len, 64);
	assert_addr(&p.addr, "2001:db8:1::");
	ck_assert(ra.opts.has_mtu && ra.opts.mtu == 1500);
	ck_assert(ra.opts.has_adv_ival && ra.opts.adv_ival_ms == 3000);
	ck_assert(ra.opts.has_ha_info && ra.opts.ha_pref == 10 && ra.opts.ha_lifetime == 1800);
	ck_assert_uint_eq(ra.opts.n_ignored, 0);
	ck_assert_int_eq(nd_validate_ra(src, 255, &why), 0);
	ck_assert_int_eq(nd_build_ra(w, src, dst, &ra), 0);
}

static int build_rs(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct nd_rs rs = { 0 };
	set_lla(&rs.opts.slla, mac2);
	return nd_build_rs(w, src, dst, &rs);
}

static void check_rs(const struct icmp6_msg *m, struct wbuf *w, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	struct nd_rs rs;
	enum icmp6_reason why;
	ck_assert_int_eq(nd_parse_rs(m, &rs, &why), 0);
	ck_assert(rs.opts.slla.present);
	tu_assert_mem_eq(rs.opts.slla.addr, rs.opts.slla.len, mac2, 6);
	ck_assert_int_eq(nd_validate_rs(&rs, src, 255, &why), 0);
	ck_assert_int_eq(nd_build_rs(w, src, dst, &rs), 0);
}

static int build_ns(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct nd_ns ns = { .target = A(HOA) };
	set_lla(&ns.opts.slla, mac);
	return nd_build_ns(w, src, dst, &ns);
}

static int build_dad_ns(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct in6_addr target = A(HOA), sn;
	(void)src;
	int rc = nd_build_dad_ns(w, &target, &sn);
	ck_assert(addr_eq(&sn, dst));
	return rc;
}

static void check_ns(const struct icmp6_msg *m, struct wbuf *w, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	struct nd_ns ns;
	enum icmp6_reason why;
	ck_assert_int_eq(nd_parse_ns(m, &ns, &why), 0);
	assert_addr(&ns.target, HOA);
	struct in6_addr any = A("::");
	/* The DAD probe is the NS from :: and must carry no SLLA. */
	ck_assert_int_eq(ns.opts.slla.present, !addr_eq(src, &any));
	if (ns.opts.slla.present)
		tu_assert_mem_eq(ns.opts.slla.addr, ns.opts.slla.len, mac, 6);
	ck_assert_int_eq(nd_validate_ns(&ns, src, dst, 255, &why), 0);
	ck_assert_int_eq(nd_build_ns(w, src, dst, &ns), 0);
}

static int build_proxy_na(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	struct in6_addr target = A(HOA), to;
	int rc = nd_build_proxy_na(w, src, &target, mac, sizeof(mac), &to);
	ck_assert(addr_eq(&to, dst));
	return rc;
}

static void check_na(const struct icmp6_msg *m, struct wbuf *w, const struct in6_addr *src,
		     const struct in6_addr *dst)
{
	struct nd_na na;
	enum icmp6_reason why;
	ck_assert_int_eq(nd_parse_na(m, &na, &why), 0);
	ck_assert_uint_eq(na.flags, ND_NA_O); /* R6275-10.4.1.a: R=0 S=0 O=1 */
	assert_addr(&na.target, HOA);
	ck_assert(na.opts.tlla.present && !na.opts.slla.present);
	tu_assert_mem_eq(na.opts.tlla.addr, na.opts.tlla.len, mac, 6);
	ck_assert_int_eq(nd_validate_na(&na, dst, 255, &why), 0);
	ck_assert_int_eq(nd_build_na(w, src, dst, &na), 0);
}

static int build_param_prob(struct wbuf *w, const struct in6_addr *src, const struct in6_addr *dst)
{
	uint8_t inv[64];
	size_t n = tu_hex(invoking_hex, inv, sizeof(inv));
	return icmp6_build_param_prob(w, src, dst, ICMP6_PP_HEADER, 40, inv, n);
}

static void check_param_prob(const struct icmp6_msg *m, struct wbuf *w, const struct in6_addr *src,
			     const struct in6_addr *dst)
{
	struct icmp6_err e;
	enum icmp6_reason why;
	ck_assert_int_eq(icmp6_parse_error(m, &e, &why), 0);
	ck_assert_uint_eq(e.type, ICMP6_TYPE_PARAM_PROB);
	ck_assert_uint_eq(e.code, ICMP6_PP_HEADER);
	ck_assert_uint_eq(e.param, 40);
	ck_assert(e.has_ip6);
	ck_assert_uint_eq(e.inv_next_header, 135);
	assert_addr(&e.inv_src, COA);
	assert_addr(&e.inv_dst, HA);
	uint8_t inv[64];
	size_t n = tu_hex(invoking_hex, inv, sizeof(inv));
	tu_assert_mem_eq(rbuf_ptr(&e.invoking), rbuf_left(&e.invoking), inv, n);
	ck_assert_int_eq(icmp6_build_error(w, src, dst, e.type, e.code, e.param, rbuf_ptr(&e.invoking),
					   rbuf_left(&e.invoking)),
			 0);
}

static const struct kat {
	const char *name, *src, *dst;
	const char *hex; /* scapy, expression in tests/fuzz/mkcorpus_icmp6.py */
	build_fn *build;
	check_fn *check;
} kats[] = {
	/* IPv6(src=COA, dst=ANYCAST)/ICMPv6HAADRequest(id=0x1234, R=0) */
	{ "dhaad_req", COA, ANYCAST, "9000031512340000", build_dhaad_req, check_dhaad },
	/* IPv6(src=HA, dst=COA)/ICMPv6HAADReply(id=0x1234, R=0, addresses=[HA, HA2]) */
	{ "dhaad_rep", HA, COA,
	  "9100a47b12340000"
	  "20010db8000100000000000000000001"
	  "20010db8000100000000000000000002",
	  build_dhaad_rep, check_dhaad },
	/* IPv6(src=HOA, dst=HA)/ICMPv6MPSol(id=0xbeef) */
	{ "mps", HOA, HA, "92005258beef0000", build_mps, check_mp },
	/* IPv6(src=HA, dst=HOA)/ICMPv6MPAdv(id=0xbeef, flags=2)/ICMPv6NDOptPrefixInfo(
	 *   prefixlen=64, L=1, A=1, R=1, validlifetime=86400, preferredlifetime=14400, prefix=HA) */
	{ "mpa", HA, HOA,
	  "9300d5d6beef8000"
	  "030440e0000151800000384000000000 20010db8000100000000000000000001",
	  build_mpa, check_mp },
	/* IPv6(src=RTR_LL, dst="ff02::1", hlim=255)/ICMPv6ND_RA(chlim=64, H=1, prf=0,
	 *   routerlifetime=1800, reachabletime=30000, retranstimer=1000)
	 *   /ICMPv6NDOptSrcLLAddr(lladdr=MAC)/ICMPv6NDOptPrefixInfo(prefixlen=64, L=1, A=1, R=1,
	 *   validlifetime=2592000, preferredlifetime=604800, prefix=HA)/ICMPv6NDOptMTU(mtu=1500)
	 *   /ICMPv6NDOptAdvInterval(advint=3000)/ICMPv6NDOptHAInfo(pref=10, lifetime=1800) */
	{ "ra", RTR_LL, ALL_NODES,
	  "8600ee1a40200708 00007530 000003e8"
	  "0101001122334455"
	  "030440e000278d0000093a8000000000 20010db8000100000000000000000001"
	  "05010000000005dc"
	  "0701000000000bb8"
	  "08010000000a0708",
	  build_ra, check_ra },
	/* IPv6(src=MN_LL, dst="ff02::2", hlim=255)/ICMPv6ND_RS()/ICMPv6NDOptSrcLLAddr(lladdr=MAC2) */
	{ "rs", MN_LL, "ff02::2", "8500762e00000000 0101020000000200", build_rs, check_rs },
	/* IPv6(src=RTR_LL, dst="ff02::1:ff00:100", hlim=255)/ICMPv6ND_NS(tgt=HOA)
	 *   /ICMPv6NDOptSrcLLAddr(lladdr=MAC) */
	{ "ns", RTR_LL, SN_HOA,
	  "8700e4c900000000 20010db8000100000000000000000100 0101001122334455", build_ns,
	  check_ns },
	/* IPv6(src="::", dst="ff02::1:ff00:100", hlim=255)/ICMPv6ND_NS(tgt=HOA) */
	{ "dad_ns", "::", SN_HOA, "87004aee00000000 20010db8000100000000000000000100",
	  build_dad_ns, check_ns },
	/* IPv6(src=HA, dst="ff02::1", hlim=255)/ICMPv6ND_NA(R=0, S=0, O=1, tgt=HOA)
	 *   /ICMPv6NDOptDstLLAddr(lladdr=MAC) */
	{ "proxy_na", HA, ALL_NODES,
	  "8800939120000000 20010db8000100000000000000000100 0201001122334455", build_proxy_na,
	  check_na },
	/* IPv6(src=HA, dst=COA)/ICMPv6ParamProblem(code=0, ptr=40)/IPv6(src=COA, dst=HA, nh=135)
	 *   /Raw(bytes.fromhex("0601050000000000")) */
	{ "param_prob", HA, COA,
	  "0400502f00000028"
	  "600000000008874020010db800020000000000000000010020010db8000100000000000000000001"
	  "0601050000000000",
	  build_param_prob, check_param_prob },
};

/* Builders reproduce scapy's bytes exactly. */
START_TEST(kat_build)
{
	const struct kat *k = &kats[_i];
	uint8_t want[256], got[256];
	size_t n = tu_hex(k->hex, want, sizeof(want));
	struct in6_addr s = A(k->src), d = A(k->dst);
	struct wbuf w;
	wbuf_init(&w, got, sizeof(got));
	ck_assert_msg(k->build(&w, &s, &d) == 0, "%s: build failed", k->name);
	tu_assert_mem_eq(got, wbuf_len(&w), want, n);
}
END_TEST

/* Parsers read scapy's bytes into the expected fields, and rebuilding from
 * the parsed struct gives the same bytes back. */
START_TEST(kat_parse_roundtrip)
{
	const struct kat *k = &kats[_i];
	uint8_t want[256], got[256];
	size_t n = tu_hex(k->hex, want, sizeof(want));
	struct in6_addr s = A(k->src), d = A(k->dst);
	struct icmp6_msg m;
	enum icmp6_reason why;
	/* The pseudo-header binds the message to its addresses (with a HAO the
	 * caller passes the home address). */
	struct in6_addr other = A(HA2);
	ck_assert_int_eq(icmp6_parse_msg(want, n, &other, &d, &m, &why), M6E_CKSUM);
	ck_assert_int_eq(why, ICMP6_R_CKSUM);
	parse_ok(want, n, k->src, k->dst, &m);
	struct wbuf w;
	wbuf_init(&w, got, sizeof(got));
	k->check(&m, &w, &s, &d);
	tu_assert_mem_eq(got, wbuf_len(&w), want, n);
}
END_TEST

/* Every builder reports a buffer too small for its message. */
START_TEST(kat_build_nospace)
{
	const struct kat *k = &kats[_i];
	uint8_t want[256], got[256];
	size_t n = tu_hex(k->hex, want, sizeof(want));
	struct in6_addr s = A(k->src), d = A(k->dst);
	struct wbuf w;
	wbuf_init(&w, got, n - 1);
	int rc = k->build(&w, &s, &d);
	/* DHAAD replies and errors shrink to fit (tested below); the rest fail. */
	if (k->build == build_dhaad_rep || k->build == build_param_prob) {
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_lt(wbuf_len(&w), n);
	} else {
		ck_assert_int_eq(rc, M6E_NOSPACE);
	}
}
END_TEST

/* ---- malformed input, each with its exact reason ---- */

enum which { P_MSG, P_DHAAD_REQ, P_DHAAD_REP, P_RS, P_RA, P_NS, P_NA, P_MPS, P_MPA, P_ERR };

static const struct bad {
	const char *name;
	enum which parser;
	const char *hex;
	enum { CK_FIX, CK_KEEP, CK_BREAK } ck; /* how the test sets the checksum field */
	int err;
	enum icmp6_reason why;
} bads[] = {
	{ "empty", P_MSG, "", CK_KEEP, M6E_TRUNC, ICMP6_R_TRUNC },
	{ "3 octets", P_MSG, "900000", CK_KEEP, M6E_TRUNC, ICMP6_R_TRUNC },
	{ "bad checksum", P_MSG, "9000000012340000", CK_BREAK, M6E_CKSUM, ICMP6_R_CKSUM },
	{ "dhaad req 6 octets", P_DHAAD_REQ, "900000001234", CK_FIX, M6E_TRUNC, ICMP6_R_TRUNC },
	{ "dhaad req code 1", P_DHAAD_REQ, "9001000012340000", CK_FIX, M6E_INVAL, ICMP6_R_CODE },
	{ "dhaad reply parsed as request", P_DHAAD_REQ, "9100000012340000", CK_FIX, M6E_INVAL,
	  ICMP6_R_TYPE },
	{ "dhaad reply 15 trailing", P_DHAAD_REP,
	  "9100000012340000 20010db80001000000000000000000", CK_FIX, M6E_INVAL, ICMP6_R_DHAAD_LEN },
	{ "dhaad reply 17 trailing", P_DHAAD_REP,
	  "9100000012340000 20010db8000100000000000000000001 20", CK_FIX, M6E_INVAL,
	  ICMP6_R_DHAAD_LEN },
	{ "ra truncated", P_RA, "860000004020070800007530000003", CK_FIX, M6E_TRUNC, ICMP6_R_TRUNC },
	{ "ra option length 0", P_RA, "8600000040200708 00007530 000003e8 0100001122334455", CK_FIX,
	  M6E_INVAL, ICMP6_R_OPT_LEN0 },
	{ "ra option past end", P_RA, "8600000040200708 00007530 000003e8 0102001122334455", CK_FIX,
	  M6E_TRUNC, ICMP6_R_OPT_OVERRUN },
	{ "ra one trailing octet", P_RA, "8600000040200708 00007530 000003e8 0101001122334455 01",
	  CK_FIX, M6E_TRUNC, ICMP6_R_OPT_OVERRUN },
	{ "pio length 3", P_RA,
	  "8600000040200708 00007530 000003e8"
	  "030340e000278d0000093a8000000000 20010db80001000000000000",
	  CK_FIX, M6E_INVAL, ICMP6_R_OPT_LEN },
	{ "pio length 5", P_RA,
	  "8600000040200708 00007530 000003e8"
	  "030540e000278d0000093a8000000000 20010db8000100000000000000000001 0000000000000000",
	  CK_FIX, M6E_INVAL, ICMP6_R_OPT_LEN },
	{ "pio prefix length 129", P_RA,
	  "8600000040200708 00007530 000003e8"
	  "030481e000278d0000093a8000000000 20010db8000100000000000000000001",
	  CK_FIX, M6E_INVAL, ICMP6_R_PIO_PLEN },
	{ "ha info lifetime 0", P_RA, "8600000040200708 00007530 000003e8 08010000000a0000", CK_FIX,
	  M6E_INVAL, ICMP6_R_HAINFO_LIFETIME },
	{ "ha info length 2", P_RA,
	  "8600000040200708 00007530 000003e8 0802000000000a07 0800000000000000", CK_FIX, M6E_INVAL,
	  ICMP6_R_OPT_LEN },
	{ "adv interval length 2", P_RA,
	  "8600000040200708 00007530 000003e8 0702000000000bb8 0000000000000000", CK_FIX, M6E_INVAL,
	  ICMP6_R_OPT_LEN },
	{ "mtu length 2", P_RA, "8600000040200708 00007530 000003e8 05020000000005dc 0000000000000000",
	  CK_FIX, M6E_INVAL, ICMP6_R_OPT_LEN },
	{ "slla longer than kept", P_RA,
	  "8600000040200708 00007530 000003e8 0105 00112233445566778899aabbccddeeff"
	  "00112233445566778899aabbccddeeff001122334455",
	  CK_FIX, M6E_INVAL, ICMP6_R_OPT_LEN },
	{ "ra code 1", P_RA, "8601000040200708 00007530 000003e8", CK_FIX, M6E_INVAL, ICMP6_R_CODE },
	{ "rs truncated", P_RS, "850000000000", CK_FIX, M6E_TRUNC, ICMP6_R_TRUNC },
	{ "ns code 1", P_NS, "8701000000000000 20010db8000100000000000000000100", CK_FIX, M6E_INVAL,
	  ICMP6_R_CODE },
	{ "ns target cut", P_NS, "8700000000000000 20010db800010000000000000000", CK_FIX, M6E_TRUNC,
	  ICMP6_R_TRUNC },
	{ "ns multicast target", P_NS, "8700000000000000 ff020000000000000000000000000001", CK_FIX,
	  M6E_INVAL, ICMP6_R_TARGET_MCAST },
	{ "na multicast target", P_NA, "8800000020000000 ff020000000000000000000000000001", CK_FIX,
	  M6E_INVAL, ICMP6_R_TARGET_MCAST },
	{ "na unused option length 0", P_NA,
	  "8800000020000000 20010db8000100000000000000000100 0300000000000000", CK_FIX, M6E_INVAL,
	  ICMP6_R_OPT_LEN0 },
	{ "mps ignored option length 0", P_MPS, "92000000beef0000 c800000000000000", CK_FIX, M6E_INVAL,
	  ICMP6_R_OPT_LEN0 },
	{ "mpa pio past end", P_MPA, "93000000beef8000 030440e000015180", CK_FIX, M6E_TRUNC,
	  ICMP6_R_OPT_OVERRUN },
	{ "mpa code 1", P_MPA, "93010000beef0000", CK_FIX, M6E_INVAL, ICMP6_R_CODE },
	{ "error parser given echo", P_ERR, "8000000000010001", CK_FIX, M6E_INVAL, ICMP6_R_NOT_ERROR },
	{ "param prob without pointer", P_ERR, "040000000000", CK_FIX, M6E_TRUNC, ICMP6_R_TRUNC },
};

static int parse_as(enum which p, const struct icmp6_msg *m, enum icmp6_reason *why)
{
	/* Only the verdict matters here; one static scratch for every type. */
	static union {
		struct icmp6_dhaad dh;
		struct nd_rs rs;
		struct nd_ra ra;
		struct nd_ns ns;
		struct nd_na na;
		struct nd_mp mp;
		struct icmp6_err er;
	} u;
	switch (p) {
	case P_DHAAD_REQ:
		return icmp6_parse_dhaad_req(m, &u.dh, why);
	case P_DHAAD_REP:
		return icmp6_parse_dhaad_rep(m, &u.dh, why);
	case P_RS:
		return nd_parse_rs(m, &u.rs, why);
	case P_RA:
		return nd_parse_ra(m, &u.ra, why);
	case P_NS:
		return nd_parse_ns(m, &u.ns, why);
	case P_NA:
		return nd_parse_na(m, &u.na, why);
	case P_MPS:
		return nd_parse_mps(m, &u.mp, why);
	case P_MPA:
		return nd_parse_mpa(m, &u.mp, why);
	case P_ERR:
		return icmp6_parse_error(m, &u.er, why);
	case P_MSG:
		break;
	}
	*why = ICMP6_R_OK;
	return 0;
}

START_TEST(malformed)
{
	const struct bad *b = &bads[_i];
	uint8_t buf[128];
	size_t n = tu_hex(b->hex, buf, sizeof(buf));
	struct in6_addr s = A(RTR_LL), d = A(ALL_NODES);
	if (b->ck != CK_KEEP) {
		ck_assert_uint_ge(n, 4);
		buf[2] = buf[3] = 0;
		uint16_t ck = cksum_pseudo6(&s, &d, ICMP6_NH, buf, n);
		if (b->ck == CK_BREAK)
			ck++;
		buf[2] = (uint8_t)(ck >> 8);
		buf[3] = (uint8_t)ck;
	}
	struct icmp6_msg m;
	enum icmp6_reason why = ICMP6_R__COUNT;
	int rc = icmp6_parse_msg(buf, n, &s, &d, &m, &why);
	if (rc == 0)
		rc = parse_as(b->parser, &m, &why);
	ck_assert_msg(rc == b->err && why == b->why, "%s: got %d (%s), want %d (%s)", b->name, rc,
		      icmp6_reason_name(why), b->err, icmp6_reason_name(b->why));
}
END_TEST

/* ---- option skip rules ---- */

/* RA header with H set; options appended per case. */
#define RA_H "8600000040200708 00007530 000003e8"
#define RA_NOH "8600000040000708 00007530 000003e8"
#define NS_HDR "8700000000000000 20010db8000100000000000000000100"

static const struct skip {
	const char *name;
	enum which parser;
	const char *hex;
	unsigned ignored;
	bool ha_info, adv_ival, slla;
	unsigned n_pio;
} skips[] = {
	/* RFC 4861 §4.6: unrecognized options are skipped. */
	{ "ra unknown option", P_RA, RA_H "c801000000000000", 1, false, false, false, 0 },
	/* R6275-7.4.a: HA Information only counts in an RA with H. */
	{ "ha info without H", P_RA, RA_NOH "08010000000a0708", 1, false, false, false, 0 },
	{ "ha info with H", P_RA, RA_H "08010000000a0708", 0, true, false, false, 0 },
	/* R6275-7.3.a, R6275-7.4.a: ignored outside RAs, even malformed. */
	{ "adv interval in NS", P_NS, NS_HDR "0701000000000bb8", 1, false, false, false, 0 },
	{ "ha info lifetime 0 in NS", P_NS, NS_HDR "08010000000a0000", 1, false, false, false, 0 },
	/* RFC 4861 §4.6.2: PIO outside RA/MPA is ignored, wrong length or not. */
	{ "pio length 3 in NS", P_NS, NS_HDR "030340e000278d0000093a8000000000 0000000000000000", 1,
	  false, false, false, 0 },
	/* R6275-6.7.a: every MPS option is ignored. */
	{ "mps options", P_MPS, "92000000beef0000 0101001122334455 c802000000000000 0000000000000000",
	  2, false, false, false, 0 },
	/* Repeats of single-valued options: first kept, rest counted. */
	{ "duplicate slla", P_NS, NS_HDR "0101001122334455 0101020000000200", 1, false, false, true,
	  0 },
	{ "duplicate adv interval", P_RA, RA_H "0701000000000bb8 0701000000000fa0", 1, false, true,
	  false, 0 },
	{ "two prefixes", P_MPA,
	  "93000000beef0000 030440e000015180000038400000000020010db8000100000000000000000001"
	  "030430c000015180000038400000000020010db8000200000000000000000000",
	  0, false, false, false, 2 },
};

START_TEST(options_skipped)
{
	const struct skip *k = &skips[_i];
	uint8_t buf[256];
	size_t n = tu_hex(k->hex, buf, sizeof(buf));
	struct in6_addr s = A(RTR_LL), d = A(ALL_NODES);
	uint16_t ck = cksum_pseudo6(&s, &d, ICMP6_NH, buf, n);
	buf[2] = (uint8_t)(ck >> 8);
	buf[3] = (uint8_t)ck;
	struct icmp6_msg m;
	parse_ok(buf, n, RTR_LL, ALL_NODES, &m);
	enum icmp6_reason why;
	struct nd_ra ra;
	struct nd_ns ns;
	struct nd_mp mp;
	const struct nd_opts *o;
	int rc;
	if (k->parser == P_RA) {
		rc = nd_parse_ra(&m, &ra, &why);
		o = &ra.opts;
	} else if (k->parser == P_NS) {
		rc = nd_parse_ns(&m, &ns, &why);
		o = &ns.opts;
	} else {
		rc = k->parser == P_MPS ? nd_parse_mps(&m, &mp, &why) : nd_parse_mpa(&m, &mp, &why);
		o = &mp.opts;
	}
	ck_assert_msg(rc == 0, "%s: %s", k->name, icmp6_reason_name(why));
	ck_assert_uint_eq(o->n_ignored, k->ignored);
	ck_assert_int_eq(o->has_ha_info, k->ha_info);
	ck_assert_int_eq(o->has_adv_ival, k->adv_ival);
	ck_assert_int_eq(o->slla.present, k->slla);
	ck_assert_uint_eq(o->n_pio, k->n_pio);
	if (k->slla) /* the first copy wins */
		tu_assert_mem_eq(o->slla.addr, o->slla.len, mac, 6);
	if (k->adv_ival)
		ck_assert_uint_eq(o->adv_ival_ms, 3000);
}
END_TEST

/* More prefixes than ND_PIO_MAX are counted, not stored past the array. */
START_TEST(pio_overflow_counted)
{
	uint8_t buf[8 + 32 * (ND_PIO_MAX + 2)];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_bytes(&w, "\x93\x00\x00\x00\xbe\xef\x00\x00", 8);
	for (unsigned i = 0; i < ND_PIO_MAX + 2; i++) {
		wbuf_bytes(&w, "\x03\x04\x40\xc0", 4);
		wbuf_zero(&w, 12);
		wbuf_u32(&w, 0x20010db8);
		wbuf_u32(&w, i);
		wbuf_zero(&w, 8);
	}
	ck_assert_int_eq(wbuf_status(&w), 0);
	struct in6_addr s = A(HA), d = A(HOA);
	uint16_t ck = cksum_pseudo6(&s, &d, ICMP6_NH, buf, sizeof(buf));
	buf[2] = (uint8_t)(ck >> 8);
	buf[3] = (uint8_t)ck;
	struct icmp6_msg m;
	parse_ok(buf, sizeof(buf), HA, HOA, &m);
	struct nd_mp mp;
	enum icmp6_reason why;
	ck_assert_int_eq(nd_parse_mpa(&m, &mp, &why), 0);
	ck_assert_uint_eq(mp.opts.n_pio, ND_PIO_MAX);
	ck_assert_uint_eq(mp.opts.n_pio_dropped, 2);
	ck_assert_uint_eq(mp.opts.pio[ND_PIO_MAX - 1].prefix.s6_addr[7], ND_PIO_MAX - 1);
}
END_TEST

/* ---- validation of the IP-header facts (RFC 4861 §6.1, §7.1) ---- */

START_TEST(nd_validation)
{
	enum icmp6_reason why;
	struct in6_addr ll = A(RTR_LL), any = A("::"), glob = A(HA), sn = A(SN_HOA), all = A(ALL_NODES);
	struct nd_rs rs = { 0 };
	struct nd_ns ns = { .target = A(HOA) };
	struct nd_na na = { .flags = ND_NA_S | ND_NA_O, .target = A(HOA) };

	ck_assert_int_eq(nd_validate_rs(&rs, &ll, 254, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_HOP_LIMIT);
	ck_assert_int_eq(nd_validate_rs(&rs, &any, 255, &why), 0);
	set_lla(&rs.opts.slla, mac2);
	ck_assert_int_eq(nd_validate_rs(&rs, &ll, 255, &why), 0);
	ck_assert_int_eq(nd_validate_rs(&rs, &any, 255, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_UNSPEC_SLLA);

	ck_assert_int_eq(nd_validate_ra(&ll, 64, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_HOP_LIMIT);
	ck_assert_int_eq(nd_validate_ra(&glob, 255, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_RA_SRC);
	ck_assert_int_eq(nd_validate_ra(&ll, 255, &why), 0);

	ck_assert_int_eq(nd_validate_ns(&ns, &ll, &sn, 1, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_HOP_LIMIT);
	ck_assert_int_eq(nd_validate_ns(&ns, &any, &sn, 255, &why), 0);
	ck_assert_int_eq(nd_validate_ns(&ns, &any, &all, 255, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_DAD_DST);
	set_lla(&ns.opts.slla, mac);
	ck_assert_int_eq(nd_validate_ns(&ns, &any, &sn, 255, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_UNSPEC_SLLA);
	ck_assert_int_eq(nd_validate_ns(&ns, &ll, &glob, 255, &why), 0);

	ck_assert_int_eq(nd_validate_na(&na, &glob, 255, &why), 0);
	ck_assert_int_eq(nd_validate_na(&na, &all, 255, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_NA_SOLICITED_MCAST);
	na.flags = ND_NA_O;
	ck_assert_int_eq(nd_validate_na(&na, &all, 255, &why), 0);
	ck_assert_int_eq(nd_validate_na(&na, &all, 0, &why), M6E_PROTO);
	ck_assert_int_eq(why, ICMP6_R_HOP_LIMIT);
}
END_TEST

/* ---- builders' own rules ---- */

START_TEST(ra_builder_rules)
{
	uint8_t buf[256];
	struct wbuf w;
	struct in6_addr s = A(RTR_LL), d = A(ALL_NODES);
	struct nd_ra ra = { .router_lifetime = 1800 };
	ra.opts.has_ha_info = true;
	ra.opts.ha_lifetime = 1800;
	wbuf_init(&w, buf, sizeof(buf));
	/* R6275-7.4.a: never in an RA without H ... */
	ck_assert_int_eq(nd_build_ra(&w, &s, &d, &ra), M6E_PROTO);
	/* ... and the lifetime is never 0. */
	ra.flags = ND_RA_H;
	ra.opts.ha_lifetime = 0;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(nd_build_ra(&w, &s, &d, &ra), M6E_INVAL);
	ra.opts.ha_lifetime = 1;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(nd_build_ra(&w, &s, &d, &ra), 0);
	ck_assert_uint_eq(wbuf_len(&w), 16 + 8);

	/* A non-Ethernet link-layer address is padded to 8-octet units. */
	struct nd_rs rs = { 0 };
	rs.opts.slla.present = true;
	rs.opts.slla.len = 8;
	memset(rs.opts.slla.addr, 0xaa, 8);
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(nd_build_rs(&w, &s, &d, &rs), 0);
	ck_assert_uint_eq(wbuf_len(&w), 8 + 16);
	ck_assert_uint_eq(buf[9], 2);
	struct icmp6_msg m;
	parse_ok(buf, wbuf_len(&w), RTR_LL, ALL_NODES, &m);
	struct nd_rs back;
	enum icmp6_reason why;
	ck_assert_int_eq(nd_parse_rs(&m, &back, &why), 0);
	ck_assert_uint_eq(back.opts.slla.len, 14); /* address plus padding */
	tu_assert_mem_eq(back.opts.slla.addr, 8, rs.opts.slla.addr, 8);
}
END_TEST

/* R6275-10.5.1.b: the reply is trimmed to the room left in a 1280 packet. */
START_TEST(dhaad_reply_trimmed)
{
	static const struct {
		size_t room;
		unsigned want;
	} cases[] = {
		{ ICMP6_MAX_IN_MIN_MTU, ICMP6_DHAAD_MAX_HA }, /* (1240 - 8) / 16 = 77 */
		{ ICMP6_MAX_IN_MIN_MTU - 24 - 24, 74 },	      /* HAO-sized and RH2-sized headers */
		{ 8 + 16 * 3 + 15, 3 },
		{ 8, 0 },
	};
	struct in6_addr ha[100];
	for (unsigned i = 0; i < 100; i++) {
		ha[i] = A(HA);
		ha[i].s6_addr[14] = (uint8_t)i;
	}
	struct in6_addr s = A(HA), d = A(COA);
	static uint8_t buf[2048];
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct wbuf w;
		wbuf_init(&w, buf, sizeof(buf));
		unsigned n = 999;
		ck_assert_int_eq(icmp6_build_dhaad_rep(&w, &s, &d, 7, ha, 100, cases[c].room, &n), 0);
		ck_assert_uint_eq(n, cases[c].want);
		ck_assert_uint_eq(wbuf_len(&w), 8 + 16 * (size_t)n);
		struct icmp6_msg m;
		parse_ok(buf, wbuf_len(&w), HA, COA, &m);
		static struct icmp6_dhaad dh;
		enum icmp6_reason why;
		ck_assert_int_eq(icmp6_parse_dhaad_rep(&m, &dh, &why), 0);
		ck_assert_uint_eq(dh.n_ha, n);
		if (n)
			ck_assert(addr_eq(&dh.ha[n - 1], &ha[n - 1])); /* order kept */
	}
	/* The wbuf's own room limits the list too. */
	struct wbuf w;
	wbuf_init(&w, buf, 8 + 16 * 2);
	unsigned n;
	ck_assert_int_eq(icmp6_build_dhaad_rep(&w, &s, &d, 7, ha, 100, 1240, &n), 0);
	ck_assert_uint_eq(n, 2);
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(icmp6_build_dhaad_rep(&w, &s, &d, 7, ha, 100, 7, &n), M6E_NOSPACE);
}
END_TEST

/* A reply longer than the array (possible only past a 1280 packet) keeps the
 * first ICMP6_DHAAD_MAX_HA and reports the true count. */
START_TEST(dhaad_reply_over_cap)
{
	static uint8_t buf[8 + 16 * 80];
	memset(buf, 0x20, sizeof(buf));
	buf[0] = ICMP6_TYPE_DHAAD_REPLY;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	struct in6_addr s = A(HA), d = A(COA);
	uint16_t ck = cksum_pseudo6(&s, &d, ICMP6_NH, buf, sizeof(buf));
	buf[2] = (uint8_t)(ck >> 8);
	buf[3] = (uint8_t)ck;
	struct icmp6_msg m;
	parse_ok(buf, sizeof(buf), HA, COA, &m);
	static struct icmp6_dhaad dh;
	enum icmp6_reason why;
	ck_assert_int_eq(icmp6_parse_dhaad_rep(&m, &dh, &why), 0);
	ck_assert_uint_eq(dh.n_ha, ICMP6_DHAAD_MAX_HA);
	ck_assert_uint_eq(dh.n_ha_wire, 80);
}
END_TEST

/* RFC 4443 §2.4(c): an error carries as much of the invoking packet as fits
 * in a minimum-MTU packet, and no more than the buffer holds. */
START_TEST(error_truncates_invoking)
{
	static uint8_t inv[2000], buf[2000];
	for (size_t i = 0; i < sizeof(inv); i++)
		inv[i] = (uint8_t)i;
	struct in6_addr s = A(HA), d = A(COA);
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(icmp6_build_param_prob(&w, &s, &d, ICMP6_PP_NEXT_HDR, 6, inv, sizeof(inv)),
			 0);
	ck_assert_uint_eq(wbuf_len(&w), ICMP6_MAX_IN_MIN_MTU);
	struct icmp6_msg m;
	parse_ok(buf, wbuf_len(&w), HA, COA, &m);
	struct icmp6_err e;
	enum icmp6_reason why;
	ck_assert_int_eq(icmp6_parse_error(&m, &e, &why), 0);
	ck_assert_uint_eq(e.code, ICMP6_PP_NEXT_HDR);
	ck_assert_uint_eq(e.param, 6);
	ck_assert(!e.has_ip6); /* inv[0] = 0: not version 6 */
	tu_assert_mem_eq(rbuf_ptr(&e.invoking), rbuf_left(&e.invoking), inv, ICMP6_MAX_IN_MIN_MTU - 8);

	wbuf_init(&w, buf, 100);
	ck_assert_int_eq(icmp6_build_error(&w, &s, &d, ICMP6_TYPE_DST_UNREACH, 3, 0, inv, sizeof(inv)),
			 0);
	ck_assert_uint_eq(wbuf_len(&w), 100);
	wbuf_init(&w, buf, 7);
	ck_assert_int_eq(icmp6_build_error(&w, &s, &d, ICMP6_TYPE_PARAM_PROB, 0, 0, inv, 1),
			 M6E_NOSPACE);
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(icmp6_build_error(&w, &s, &d, ICMP6_TYPE_ECHO_REQUEST, 0, 0, inv, 1),
			 M6E_INVAL);
	/* An empty invoking packet is legal. */
	ck_assert_int_eq(icmp6_build_error(&w, &s, &d, ICMP6_TYPE_TIME_EXCEEDED, 0, 0, NULL, 0), 0);
	ck_assert_uint_eq(wbuf_len(&w), 8);
}
END_TEST

/* RFC 2526 §2-§3, wire-formats.md §F.1, algorithms.md §4.10. */
START_TEST(ha_anycast)
{
	static const struct {
		const char *prefix;
		const char *want; /* NULL: M6E_RANGE */
	} cases[] = {
		{ "2001:db8:1::/64", "2001:db8:1:0:fdff:ffff:ffff:fffe" }, /* algorithms.md §4.10 */
		{ "2001:db8:1::1234/64", "2001:db8:1:0:fdff:ffff:ffff:fffe" }, /* host bits ignored */
		{ "2001:db8:1::/48", "2001:db8:1:ffff:ffff:ffff:ffff:fffe" },
		{ "2001:db8:1:200::/56", "2001:db8:1:2ff:ffff:ffff:ffff:fffe" },
		{ "2001:db8::/120", "2001:db8::fe" },
		{ "2001:db8::/121", "2001:db8::7e" },
		{ "2001:db8::/122", NULL },
		{ "::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prefix6 p;
		ck_assert_int_eq(prefix_parse(cases[i].prefix, &p, true), 0);
		struct in6_addr a;
		int rc = icmp6_ha_anycast(&p, &a);
		if (!cases[i].want) {
			ck_assert_int_eq(rc, M6E_RANGE);
			continue;
		}
		ck_assert_int_eq(rc, 0);
		assert_addr(&a, cases[i].want);
	}
}
END_TEST

START_TEST(solicited_node)
{
	struct in6_addr a = A(HOA), sn;
	nd_solicited_node(&a, &sn);
	assert_addr(&sn, SN_HOA);
	a = A("fe80::211:22ff:fe33:4455");
	nd_solicited_node(&a, &sn);
	assert_addr(&sn, "ff02::1:ff33:4455");
}
END_TEST

START_TEST(pio_prefix_masks)
{
	struct nd_pio p = { .plen = 60, .prefix = A("2001:db8:1:ffff::1") };
	struct prefix6 out;
	ck_assert_int_eq(nd_pio_prefix(&p, &out), 0);
	ck_assert_uint_eq(out.len, 60);
	assert_addr(&out.addr, "2001:db8:1:fff0::");
	p.plen = 129;
	ck_assert_int_eq(nd_pio_prefix(&p, &out), M6E_RANGE);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(icmp6_type_name(ICMP6_TYPE_DHAAD_REQUEST),
			 "home agent address discovery request");
	ck_assert_str_eq(icmp6_type_name(147), "mobile prefix advertisement");
	ck_assert_str_eq(icmp6_type_name(200), "unknown");
	ck_assert_str_eq(icmp6_code_name(ICMP6_TYPE_PARAM_PROB, 0), "erroneous header field");
	ck_assert_str_eq(icmp6_code_name(ICMP6_TYPE_DST_UNREACH, 1), "administratively prohibited");
	ck_assert_str_eq(icmp6_code_name(ICMP6_TYPE_TIME_EXCEEDED, 9), "unknown");
	ck_assert_str_eq(icmp6_code_name(ICMP6_TYPE_RA, 0), "");
	ck_assert_str_eq(nd_opt_name(ND_OPT_HA_INFO), "home agent information");
	ck_assert_str_eq(nd_opt_name(ND_OPT_ADV_IVAL), "advertisement interval");
	ck_assert_str_eq(nd_opt_name(6), "unknown");
	/* Every reason has a name, so drop counters are readable. */
	for (int r = 0; r < ICMP6_R__COUNT; r++)
		ck_assert_str_ne(icmp6_reason_name((enum icmp6_reason)r), "unknown");
	ck_assert_str_eq(icmp6_reason_name(ICMP6_R__COUNT), "unknown");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("icmp6");
	TCase *tc = tcase_create("core");
	int nk = (int)(sizeof(kats) / sizeof(kats[0]));
	tcase_add_loop_test(tc, kat_build, 0, nk);
	tcase_add_loop_test(tc, kat_parse_roundtrip, 0, nk);
	tcase_add_loop_test(tc, kat_build_nospace, 0, nk);
	tcase_add_loop_test(tc, malformed, 0, (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_loop_test(tc, options_skipped, 0, (int)(sizeof(skips) / sizeof(skips[0])));
	tcase_add_test(tc, pio_overflow_counted);
	tcase_add_test(tc, nd_validation);
	tcase_add_test(tc, ra_builder_rules);
	tcase_add_test(tc, dhaad_reply_trimmed);
	tcase_add_test(tc, dhaad_reply_over_cap);
	tcase_add_test(tc, error_truncates_invoking);
	tcase_add_test(tc, ha_anycast);
	tcase_add_test(tc, solicited_node);
	tcase_add_test(tc, pio_prefix_masks);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
