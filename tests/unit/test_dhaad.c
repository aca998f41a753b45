/*
 * Unit tests for src/mip6/dhaad: the home agents list (RFC 6275 §10.5.1),
 * the DHAAD Request handler (R6275-6.5.a, R6275-10.5.1.b) and the mobile
 * node's DHAAD client (R6275-11.4.1.a), with a fake clock and a recording
 * outbox. Every emitted message is built with the wire/icmp6 builders and
 * parsed back.
 *
 * Addresses follow test-vectors.md §E: home prefix 2001:db8:1::/64, HA
 * 2001:db8:1::1, CoA 2001:db8:2::200.
 */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "mip6/dhaad.h"
#include "mip6/mip6.h"
#include "wire/icmp6.h"
#include "testutil.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	return a;
}

static struct in6_addr nth(const char *base, unsigned i)
{
	struct in6_addr a = A(base);
	a.s6_addr[14] = (uint8_t)(i >> 8);
	a.s6_addr[15] = (uint8_t)i;
	return a;
}

/* An RA with H set from a HA on the home link, one R-bit PIO. */
static struct nd_ra ra_h(uint16_t router_lt, bool ha_info, uint16_t pref, uint16_t ha_lt,
			 const struct in6_addr *global)
{
	struct nd_ra ra;

	memset(&ra, 0, sizeof(ra));
	ra.flags = ND_RA_H;
	ra.router_lifetime = router_lt;
	ra.opts.has_ha_info = ha_info;
	ra.opts.ha_pref = pref;
	ra.opts.ha_lifetime = ha_lt;
	if (global) {
		ra.opts.n_pio = 1;
		ra.opts.pio[0].plen = 64;
		ra.opts.pio[0].flags = ND_PIO_L | ND_PIO_A | ND_PIO_R;
		ra.opts.pio[0].valid = 86400;
		ra.opts.pio[0].preferred = 14400;
		ra.opts.pio[0].prefix = *global;
	}
	return ra;
}

/* Build the reply the adapter would send and parse it back. */
static void reply_round_trip(const struct dhaad_tx *tx, struct icmp6_dhaad *back,
			     size_t *wire_len)
{
	uint8_t buf[ICMP6_MIN_MTU];
	struct wbuf w;
	struct icmp6_msg m;
	enum icmp6_reason why;
	unsigned fit = 0;

	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(icmp6_build_dhaad_rep(&w, &tx->src, &tx->dst, tx->msg.id, tx->msg.ha,
					       tx->msg.n_ha, ICMP6_MAX_IN_MIN_MTU, &fit), 0);
	ck_assert_uint_eq(fit, tx->msg.n_ha);
	*wire_len = wbuf_len(&w);
	ck_assert_int_eq(icmp6_parse_msg(buf, *wire_len, &tx->src, &tx->dst, &m, &why), 0);
	ck_assert_uint_eq(m.type, ICMP6_TYPE_DHAAD_REPLY);
	ck_assert_int_eq(icmp6_parse_dhaad_rep(&m, back, &why), 0);
}

/* R6275-10.5.1.a: each RA rule, as a table over one list. */
START_TEST(hal_ra_rules)
{
	struct dhaad_hal l;
	struct in6_addr r1 = A("fe80::1"), g1 = A("2001:db8:1::1");
	struct in6_addr r2 = A("fe80::2"), g2 = A("2001:db8:1::2");
	const struct dhaad_hal_entry *e;
	struct nd_ra ra;

	dhaad_hal_init(&l);
	/* New entry: no HA info -> pref 0, lifetime = router lifetime. */
	ra = ra_h(1800, false, 0, 0, &g1);
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 1000, &r1, &ra), 0);
	e = dhaad_hal_find(&l, &r1);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->pref, 0);
	ck_assert_uint_eq(e->expires_ms, 1000 + 1800000u);
	ck_assert_uint_eq(e->n_addr, 1);
	ck_assert(addr_eq(&e->addr[0], &g1));
	/* HA info overrides: negative preference (signed), lifetime 60 s. */
	ra = ra_h(1800, true, 0xfffe, 60, &g1);
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 2000, &r1, &ra), 0);
	e = dhaad_hal_find(&l, &r1);
	ck_assert_int_eq(e->pref, -2);
	ck_assert_uint_eq(e->expires_ms, 62000);
	ck_assert_uint_eq(e->n_addr, 1); /* same address not added twice */
	ck_assert_uint_eq(dhaad_hal_next_timeout(&l), 62000);
	/* A PIO without R adds no address. */
	ra = ra_h(1800, false, 0, 0, &g2);
	ra.opts.pio[0].flags = ND_PIO_L | ND_PIO_A;
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 2000, &r2, &ra), 0);
	ck_assert_uint_eq(dhaad_hal_find(&l, &r2)->n_addr, 0);
	/* H clear deletes that router's entry. */
	ra = ra_h(1800, false, 0, 0, NULL);
	ra.flags = 0;
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 3000, &r2, &ra), 0);
	ck_assert_ptr_null(dhaad_hal_find(&l, &r2));
	/* Router lifetime 0 without HA info deletes at once. */
	ra = ra_h(0, false, 0, 0, &g1);
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 3000, &r1, &ra), 0);
	ck_assert_ptr_null(dhaad_hal_find(&l, &r1));
	/* Router lifetime 0 never creates. */
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 3000, &r1, &ra), 0);
	ck_assert_uint_eq(l.n, 0);
	/* HA info lifetime keeps an HA that is not a default router alive. */
	ra = ra_h(0, true, 5, 10, &g1);
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 3000, &r1, &ra), 0);
	ck_assert_ptr_nonnull(dhaad_hal_find(&l, &r1));
}
END_TEST

/* R6275-10.5.1.a: MUST delete an entry when its lifetime expires; our own
 * configured entry never expires and our echoed RAs do not change it. */
START_TEST(hal_expiry)
{
	struct dhaad_hal l;
	struct in6_addr self_ll = A("fe80::1"), self = A("2001:db8:1::1");
	struct in6_addr r2 = A("fe80::2"), g2 = A("2001:db8:1::2");
	struct nd_ra ra = ra_h(30, false, 0, 0, &g2);
	struct nd_ra own = ra_h(30, true, 1, 0xffff, NULL);

	dhaad_hal_init(&l);
	ck_assert_int_eq(dhaad_hal_add_self(&l, &self_ll, &self, 10), 0);
	ck_assert_int_eq(dhaad_hal_add_self(&l, &self_ll, &r2, 10), M6E_INVAL);
	ck_assert_uint_eq(dhaad_hal_next_timeout(&l), MIP6_NEVER);
	own.flags = 0;
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 0, &self_ll, &own), 0);
	ck_assert_int_eq(dhaad_hal_find(&l, &self_ll)->pref, 10);
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 0, &r2, &ra), 0);
	ck_assert_uint_eq(dhaad_hal_next_timeout(&l), 30000);
	dhaad_hal_tick(&l, 29999);
	ck_assert_ptr_nonnull(dhaad_hal_find(&l, &r2));
	dhaad_hal_tick(&l, 30000);
	ck_assert_ptr_null(dhaad_hal_find(&l, &r2));
	ck_assert_ptr_nonnull(dhaad_hal_find(&l, &self_ll));
	ck_assert_uint_eq(dhaad_hal_next_timeout(&l), MIP6_NEVER);
}
END_TEST

static void add_ha(struct dhaad_hal *l, unsigned i, uint16_t pref)
{
	struct in6_addr ll = nth("fe80::", i + 1), g = nth("2001:db8:1::", i + 1);
	struct nd_ra ra = ra_h(1800, true, pref, 1800, &g);
	ck_assert_int_eq(dhaad_hal_input_ra(l, 0, &ll, &ra), 0);
}

static unsigned index_of(const struct in6_addr *a)
{
	return (unsigned)a->s6_addr[14] << 8 | a->s6_addr[15];
}

/* R6275-10.5.1.b: decreasing preference; equal preferences in an order
 * drawn from the seed, so two seeds give two orders, each a permutation. */
START_TEST(answer_order)
{
	struct dhaad_hal l;
	struct dhaad_tx tx[2];
	struct in6_addr self = A("2001:db8:1::1"), coa = A("2001:db8:2::200");
	/* HAs 1..8: prefs 5,1,5,5,9,1,5,5 */
	static const uint16_t pref[] = { 5, 1, 5, 5, 9, 1, 5, 5 };
	const uint64_t seeds[2] = { 1, 0x5eed };

	dhaad_hal_init(&l);
	for (unsigned i = 0; i < 8; i++)
		add_ha(&l, i, pref[i]);
	for (unsigned s = 0; s < 2; s++) {
		struct icmp6_dhaad back;
		size_t len;
		unsigned seen = 0;

		ck_assert_int_eq(dhaad_hal_answer(&l, &self, &coa, 0x1234, seeds[s],
						  ICMP6_MAX_IN_MIN_MTU, &tx[s]), 0);
		ck_assert_uint_eq(tx[s].type, ICMP6_TYPE_DHAAD_REPLY);
		ck_assert(addr_eq(&tx[s].src, &self));
		ck_assert(addr_eq(&tx[s].dst, &coa)); /* R6275-6.5.a */
		ck_assert_uint_eq(tx[s].msg.n_ha, 8);
		for (unsigned i = 0; i < 8; i++) {
			unsigned k = index_of(&tx[s].msg.ha[i]) - 1;
			ck_assert_uint_lt(k, 8);
			seen |= 1u << k;
			if (i > 0) {
				unsigned kp = index_of(&tx[s].msg.ha[i - 1]) - 1;
				ck_assert_int_ge(pref[kp], pref[k]);
			}
		}
		ck_assert_uint_eq(seen, 0xff);
		ck_assert_uint_eq(index_of(&tx[s].msg.ha[0]), 5);  /* pref 9 */
		reply_round_trip(&tx[s], &back, &len);
		ck_assert_uint_eq(back.id, 0x1234);
		ck_assert_uint_eq(back.n_ha, 8);
		tu_assert_mem_eq(back.ha, sizeof(back.ha[0]) * 8, tx[s].msg.ha,
				 sizeof(tx[s].msg.ha[0]) * 8);
	}
	/* The five pref-5 HAs are in a different order under the two seeds. */
	ck_assert_int_ne(memcmp(&tx[0].msg.ha[1], &tx[1].msg.ha[1], 5 * sizeof(struct in6_addr)), 0);
	/* The same seed gives the same order: randomness comes only from it. */
	{
		struct dhaad_tx again;
		ck_assert_int_eq(dhaad_hal_answer(&l, &self, &coa, 1, seeds[0],
						  ICMP6_MAX_IN_MIN_MTU, &again), 0);
		ck_assert_int_eq(memcmp(again.msg.ha, tx[0].msg.ha, 8 * sizeof(struct in6_addr)), 0);
	}
	/* Nothing to answer to. */
	{
		struct in6_addr mc = A("ff02::1");
		ck_assert_int_eq(dhaad_hal_answer(&l, &self, &mc, 1, 1, ICMP6_MAX_IN_MIN_MTU,
						  &tx[0]),
				 M6E_INVAL);
	}
}
END_TEST

/* R6275-10.5.1.b: 100 HAs do not fit 1280 octets; the reply keeps the
 * highest preferences and fits the minimum MTU with its IPv6 header. */
START_TEST(answer_truncated)
{
	struct dhaad_hal l;
	struct dhaad_tx tx;
	struct icmp6_dhaad back;
	struct in6_addr self = A("2001:db8:1::1"), coa = A("2001:db8:2::200");
	size_t len;
	int min_kept = 0x7fff;

	dhaad_hal_init(&l);
	for (unsigned i = 0; i < 100; i++)
		add_ha(&l, i, (uint16_t)i); /* HA i+1 has preference i */
	ck_assert_int_eq(dhaad_hal_answer(&l, &self, &coa, 7, 42, ICMP6_MAX_IN_MIN_MTU, &tx), 0);
	ck_assert_uint_eq(tx.msg.n_ha, (1280 - 40 - 8) / 16); /* 77 */
	for (unsigned i = 0; i < tx.msg.n_ha; i++) {
		int p = (int)index_of(&tx.msg.ha[i]) - 1;
		ck_assert_int_eq(p, 99 - (int)i); /* distinct prefs: strict order */
		if (p < min_kept)
			min_kept = p;
	}
	ck_assert_int_eq(min_kept, 100 - 77);
	reply_round_trip(&tx, &back, &len);
	ck_assert_uint_le(len + ICMP6_IP6_HDR_LEN, ICMP6_MIN_MTU);
	ck_assert_uint_eq(back.n_ha, 77);
	/* Less room (e.g. extension headers): fewer addresses. */
	ck_assert_int_eq(dhaad_hal_answer(&l, &self, &coa, 7, 42, ICMP6_MAX_IN_MIN_MTU - 24, &tx),
			 0);
	ck_assert_uint_eq(tx.msg.n_ha, 75);
	ck_assert_int_eq(dhaad_hal_answer(&l, &self, &coa, 7, 42, 7, &tx), 0);
	ck_assert_uint_eq(tx.msg.n_ha, 0);
}
END_TEST

/* The list is bounded: a new HA past DHAAD_HAL_MAX is refused and counted,
 * a known one is still refreshed; addresses per HA are capped. */
START_TEST(hal_full)
{
	struct dhaad_hal l;
	struct in6_addr ll = nth("fe80::", 0xfff), g = nth("2001:db8:1::", 0xfff);
	struct nd_ra ra = ra_h(1800, false, 0, 0, &g);
	struct in6_addr first = nth("fe80::", 1);

	dhaad_hal_init(&l);
	for (unsigned i = 0; i < DHAAD_HAL_MAX; i++)
		add_ha(&l, i, 1);
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 0, &ll, &ra), M6E_NOSPACE);
	ck_assert_uint_eq(l.n_full, 1);
	ck_assert_int_eq(dhaad_hal_add_self(&l, &ll, &g, 0), M6E_NOSPACE);
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 5000, &first, &ra), 0);
	ck_assert_uint_eq(dhaad_hal_find(&l, &first)->expires_ms, 5000 + 1800000u);

	dhaad_hal_init(&l);
	ra.opts.n_pio = DHAAD_HA_ADDR_MAX + 2;
	for (unsigned i = 0; i < ra.opts.n_pio; i++) {
		ra.opts.pio[i] = ra.opts.pio[0];
		ra.opts.pio[i].prefix = nth("2001:db8:1::", 0x100 + i);
	}
	ck_assert_int_eq(dhaad_hal_input_ra(&l, 0, &ll, &ra), 0);
	ck_assert_uint_eq(dhaad_hal_find(&l, &ll)->n_addr, DHAAD_HA_ADDR_MAX);
}
END_TEST

/* ---- client ---- */

struct fake {
	struct dhaad_tx tx[8];
	uint64_t tx_ms[8];
	unsigned n_tx;
	uint64_t now;
	int status;
	struct in6_addr ha;
	unsigned n_ha;
	unsigned n_result;
};

static int fake_send(void *arg, const struct dhaad_tx *tx)
{
	struct fake *f = arg;
	ck_assert_uint_lt(f->n_tx, 8);
	f->tx_ms[f->n_tx] = f->now;
	f->tx[f->n_tx++] = *tx;
	return 0;
}

static void fake_result(void *arg, int status, const struct in6_addr *ha, unsigned n)
{
	struct fake *f = arg;
	f->status = status;
	f->n_ha = n;
	if (ha)
		f->ha = *ha;
	f->n_result++;
}

static const struct dhaad_client_ops fake_ops = { fake_send, fake_result };

static void run_to(struct dhaad_client *c, struct fake *f, uint64_t until)
{
	uint64_t t;
	while ((t = dhaad_client_next_timeout(c)) != MIP6_NEVER && t <= until) {
		f->now = t;
		dhaad_client_tick(c, t);
	}
	f->now = until;
}

/* R6275-11.4.1.a: sent to the Home-Agents anycast address (algorithms.md
 * §4.10 example), retransmitted after 3, 6, 12, 24 s, failure 48 s later. */
START_TEST(client_schedule)
{
	struct fake f;
	struct dhaad_client c;
	struct prefix6 home;
	struct in6_addr coa = A("2001:db8:2::200");
	struct in6_addr any = A("2001:db8:1:0:fdff:ffff:ffff:fffe");
	static const uint64_t want[] = { 100, 3100, 9100, 21100, 45100 };

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(prefix_parse("2001:db8:1::/64", &home, false), 0);
	dhaad_client_init(&c, &fake_ops, &f);
	f.now = 100;
	ck_assert_int_eq(dhaad_client_start(&c, 100, &coa, &home, 0xbeef), 0);
	run_to(&c, &f, 93099);
	ck_assert_uint_eq(f.n_result, 0);
	ck_assert_uint_eq(f.n_tx, 5); /* first + DHAAD_RETRIES */
	for (unsigned i = 0; i < 5; i++) {
		uint8_t buf[64];
		struct wbuf w;
		struct icmp6_msg m;
		struct icmp6_dhaad req;
		enum icmp6_reason why;

		ck_assert_uint_eq(f.tx_ms[i], want[i]);
		ck_assert_uint_eq(f.tx[i].type, ICMP6_TYPE_DHAAD_REQUEST);
		ck_assert(addr_eq(&f.tx[i].src, &coa));
		ck_assert(addr_eq(&f.tx[i].dst, &any));
		wbuf_init(&w, buf, sizeof(buf));
		ck_assert_int_eq(icmp6_build_dhaad_req(&w, &f.tx[i].src, &f.tx[i].dst,
						       f.tx[i].msg.id), 0);
		ck_assert_int_eq(icmp6_parse_msg(buf, wbuf_len(&w), &coa, &any, &m, &why), 0);
		ck_assert_int_eq(icmp6_parse_dhaad_req(&m, &req, &why), 0);
		ck_assert_uint_eq(req.id, 0xbeef);
	}
	run_to(&c, &f, 93100);
	ck_assert_uint_eq(f.n_result, 1);
	ck_assert_int_eq(f.status, M6E_AGAIN);
	ck_assert_uint_eq(c.state, DHAAD_CLIENT_FAILED);
	ck_assert_uint_eq(dhaad_client_next_timeout(&c), MIP6_NEVER);
	/* A /128 home prefix has no anycast address. */
	ck_assert_int_eq(prefix_parse("2001:db8:1::1/128", &home, false), 0);
	ck_assert_int_eq(dhaad_client_start(&c, 0, &coa, &home, 1), M6E_RANGE);
}
END_TEST

/* R6275-11.4.1.a: identifier matching, first address chosen, and the HA
 * engine's reply parsed back is what the client accepts. */
START_TEST(client_replies)
{
	static const struct {
		const char *name;
		bool start;
		uint16_t id;
		unsigned n_ha;
		int rc;
		enum dhaad_drop why;
	} cases[] = {
		{ "no request", false, 0x4242, 2, M6E_PROTO, DHAAD_DROP_NOT_WAITING },
		{ "wrong id", true, 0x4243, 2, M6E_PROTO, DHAAD_DROP_ID },
		{ "empty list", true, 0x4242, 0, M6E_PROTO, DHAAD_DROP_EMPTY },
		{ "accepted", true, 0x4242, 2, 0, DHAAD_DROP_NONE },
	};
	struct prefix6 home;
	struct in6_addr coa = A("2001:db8:2::200");

	ck_assert_int_eq(prefix_parse("2001:db8:1::/64", &home, false), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct dhaad_client c;
		struct dhaad_hal l;
		struct dhaad_tx tx;
		struct icmp6_dhaad back;
		struct in6_addr self = A("2001:db8:1::1");
		enum dhaad_drop why = DHAAD_DROP_COUNT;
		size_t len;

		memset(&f, 0, sizeof(f));
		dhaad_client_init(&c, &fake_ops, &f);
		if (cases[i].start)
			ck_assert_int_eq(dhaad_client_start(&c, 0, &coa, &home, 0x4242), 0);
		dhaad_hal_init(&l);
		for (unsigned k = 0; k < cases[i].n_ha; k++)
			add_ha(&l, k, (uint16_t)(10 - k));
		ck_assert_int_eq(dhaad_hal_answer(&l, &self, &coa, cases[i].id, 3,
						  ICMP6_MAX_IN_MIN_MTU, &tx), 0);
		reply_round_trip(&tx, &back, &len);
		ck_assert_msg(dhaad_client_input(&c, 500, &back, &why) == cases[i].rc, "%s",
			      cases[i].name);
		ck_assert_msg(why == cases[i].why, "%s: %s", cases[i].name,
			      dhaad_drop_name(why));
		if (cases[i].rc == 0) {
			struct in6_addr first = A("2001:db8:1::1");
			ck_assert_uint_eq(f.n_result, 1);
			ck_assert_int_eq(f.status, 0);
			ck_assert(addr_eq(&f.ha, &first));
			ck_assert_uint_eq(f.n_ha, 2);
			ck_assert_uint_eq(dhaad_client_next_timeout(&c), MIP6_NEVER);
			/* A duplicate after acceptance is dropped. */
			ck_assert_int_eq(dhaad_client_input(&c, 600, &back, &why), M6E_PROTO);
			ck_assert_uint_eq(why, DHAAD_DROP_NOT_WAITING);
		} else {
			ck_assert_uint_eq(f.n_result, 0);
			ck_assert_uint_eq(c.drops[cases[i].why], 1);
		}
	}
}
END_TEST

static Suite *dhaad_suite(void)
{
	Suite *s = suite_create("dhaad");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hal_ra_rules);
	tcase_add_test(tc, hal_expiry);
	tcase_add_test(tc, hal_full);
	tcase_add_test(tc, answer_order);
	tcase_add_test(tc, answer_truncated);
	tcase_add_test(tc, client_schedule);
	tcase_add_test(tc, client_replies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(dhaad_suite());
}
