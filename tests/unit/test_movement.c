/*
 * Unit tests for src/mip6/movement: movement detection and care-of address
 * selection (RFC 6275 §11.5.1-§11.5.5). Each case is a sequence of inputs
 * (link, address, route, RA, timer) and, per step, the exact events the
 * engine must emit, written as text:
 *   "coa OLD NEW IFINDEX"   coa_changed ("-" for none)
 *   "home IFINDEX"          returned_home
 *   "left"                  left_home
 * joined with "; ". Then an integration test drives a real mn engine.
 *
 * Addresses follow test-vectors.md §E: home prefix 2001:db8:1::/64, HA
 * 2001:db8:1::1, HoA 2001:db8:1::100. Visited links: eth0 (ifindex 1)
 * 2001:db8:a::/64, wlan0 (2) 2001:db8:b::/64, wwan0 (3) 2001:db8:c::/64;
 * usb0 (5) and tun9 (4) are not in the preference list.
 */
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "conf/conf.h"
#include "mip6/mn.h"
#include "mip6/movement.h"
#include "testutil.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	return a;
}

struct rec {
	char log[512];
};

static void rec_add(struct rec *r, const char *s)
{
	size_t n = strlen(r->log);
	snprintf(r->log + n, sizeof(r->log) - n, "%s%s", n ? "; " : "", s);
}

static void rec_coa(void *arg, const struct in6_addr *old, const struct in6_addr *coa,
		    unsigned ifindex, const char *reason)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], s[128];

	ck_assert_ptr_nonnull(reason);
	snprintf(s, sizeof(s), "coa %s %s %u", old ? addr_fmt(old, a, sizeof(a)) : "-",
		 coa ? addr_fmt(coa, b, sizeof(b)) : "-", ifindex);
	rec_add(arg, s);
}

static void rec_home(void *arg, unsigned ifindex, const char *reason)
{
	char s[32];

	ck_assert_ptr_nonnull(reason);
	snprintf(s, sizeof(s), "home %u", ifindex);
	rec_add(arg, s);
}

static void rec_left(void *arg, const char *reason)
{
	ck_assert_ptr_nonnull(reason);
	rec_add(arg, "left");
}

static const struct move_ops rec_ops = { rec_coa, rec_home, rec_left };

enum step_kind {
	S_LINK,  /* on: up; s: name */
	S_ADDR,  /* s: address; flags; life: preferred lifetime (valid infinite) */
	S_SCOPE, /* s: address of scope life (link, site) */
	S_DEL,   /* s: address */
	S_RT,    /* s: router; on: add */
	S_RA,    /* s: "router prefix/len" (prefix optional); life: router lifetime */
	S_TICK,
	S_NEXT,  /* move_next_timeout() must be t + life ms */
};

struct step {
	enum step_kind k;
	uint64_t t;
	unsigned ifx;
	const char *s;
	bool on;
	unsigned flags;
	uint32_t life;
	int rc;
	const char *expect;
};

#define INF MOVE_LIFETIME_INFINITE
/* the last argument is the expectation */
#define UP(t, i, name, ex) { S_LINK, t, i, name, true, 0, 0, 0, ex }
#define DOWN(t, i, name, ex) { S_LINK, t, i, name, false, 0, 0, 0, ex }
#define ADDR(t, i, a, fl, ex) { S_ADDR, t, i, a, false, fl, INF, 0, ex }
#define RT(t, i, r, ex) { S_RT, t, i, r, true, 0, 0, 0, ex }
#define END { S_TICK, 0, 0, NULL, false, 0, 0, 0, NULL }

struct seq {
	const char *name;
	unsigned hold_ms;
	bool home_needs_router;
	struct step steps[24];
};


static const struct seq seqs[] = {
	{ "preference order, tentative ignored until DAD completes", 0, true, {
		{ S_LINK, 0, 3, "wwan0", true, 0, 0, 0, "" },
		{ S_RT, 0, 3, "fe80::c", true, 0, 0, 0, "" },
		{ S_ADDR, 0, 3, "2001:db8:c::3", false, 0, INF, 0, "coa - 2001:db8:c::3 3" },
		{ S_LINK, 10, 2, "wlan0", true, 0, 0, 0, "" },
		{ S_ADDR, 10, 2, "2001:db8:b::2", false, 0, INF, 0, "" }, /* no router yet */
		{ S_RT, 20, 2, "fe80::b", true, 0, 0, 0, "coa 2001:db8:c::3 2001:db8:b::2 2" },
		{ S_LINK, 30, 1, "eth0", true, 0, 0, 0, "" },
		{ S_RT, 30, 1, "fe80::a", true, 0, 0, 0, "" },
		/* R6275-11.5.3.a: DAD is running: not yet usable */
		{ S_ADDR, 30, 1, "2001:db8:a::1", false, MOVE_AF_TENTATIVE, INF, 0, "" },
		{ S_ADDR, 1030, 1, "2001:db8:a::1", false, 0, INF, 0,
		  "coa 2001:db8:b::2 2001:db8:a::1 1" },
		/* link-local, site-scope and DAD-failed addresses never qualify */
		{ S_SCOPE, 1040, 1, "fe80::1", false, 0, MOVE_SCOPE_LINK, 0, "" },
		{ S_ADDR, 1040, 1, "2001:db8:a::0", false, MOVE_AF_DADFAILED, INF, 0, "" },
		{ S_DEL, 1050, 1, "2001:db8:a::1", false, 0, 0, 0, "coa 2001:db8:a::1 2001:db8:b::2 2" },
		END } },
	{ "deprecated vs preferred, preferred lifetime runs out", 0, true, {
		UP(0, 2, "wlan0", ""),
		RT(0, 2, "fe80::b", ""),
		{ S_ADDR, 0, 2, "2001:db8:b::9", false, MOVE_AF_DEPRECATED, INF, 0,
		  "coa - 2001:db8:b::9 2" }, /* deprecated still beats nothing */
		{ S_ADDR, 5, 2, "2001:db8:b::5", false, 0, 10, 0, "coa 2001:db8:b::9 2001:db8:b::5 2" },
		{ S_ADDR, 6, 2, "2001:db8:b::9", false, 0, INF, 0, "" }, /* no churn */
		{ S_NEXT, 6, 0, NULL, false, 0, 9999, 0, "" },
		{ S_TICK, 9000, 0, NULL, false, 0, 0, 0, "" },
		{ S_TICK, 10005, 0, NULL, false, 0, 0, 0, "coa 2001:db8:b::5 2001:db8:b::9 2" },
		END } },
	{ "link down of the current interface reselects at once", 1000, true, {
		UP(0, 1, "eth0", ""), RT(0, 1, "fe80::a", ""),
		ADDR(0, 1, "2001:db8:a::1", 0, "coa - 2001:db8:a::1 1"),
		UP(0, 2, "wlan0", ""), RT(0, 2, "fe80::b", ""), ADDR(0, 2, "2001:db8:b::2", 0, ""),
		DOWN(100, 1, "eth0", "coa 2001:db8:a::1 2001:db8:b::2 2"),
		DOWN(200, 2, "wlan0", "coa 2001:db8:b::2 - 0"),
		/* back up: the adapter re-reports the route */
		UP(300, 1, "eth0", ""),
		RT(300, 1, "fe80::a", "coa - 2001:db8:a::1 1"),
		END } },
	{ "default router change keeps the CoA (no movement for the HA)", 0, true, {
		UP(0, 1, "eth0", ""), RT(0, 1, "fe80::a", ""),
		ADDR(0, 1, "2001:db8:a::1", 0, "coa - 2001:db8:a::1 1"),
		RT(10, 1, "fe80::aa", ""), /* route replaced: same CoA */
		{ S_RA, 20, 1, "fe80::ab 2001:db8:a::/64", false, 0, 1800, 0, "" },
		{ S_RT, 30, 1, "fe80::a", false, 0, 0, M6E_NOTFOUND, "" }, /* not the router */
		{ S_RT, 30, 1, "fe80::aa", false, 0, 0, 0, "" }, /* the RA still counts */
		{ S_NEXT, 30, 0, NULL, false, 0, 1800 * 1000 - 10, 0, "" },
		{ S_TICK, 1800020, 0, NULL, false, 0, 0, 0, "coa 2001:db8:a::1 - 0" },
		END } },
	{ "prefix advertised by the current router wins (R6275-11.5.4.a)", 0, true, {
		UP(0, 1, "eth0", ""), RT(0, 1, "fe80::a", ""),
		ADDR(0, 1, "2001:db8:a::9", 0, "coa - 2001:db8:a::9 1"),
		ADDR(0, 1, "2001:db8:aa::1", 0, ""),
		{ S_RA, 20, 1, "fe80::a 2001:db8:aa::/64", false, 0, 600, 0,
		  "coa 2001:db8:a::9 2001:db8:aa::1 1" },
		END } },
	{ "returning home and leaving home", 0, true, {
		UP(0, 1, "eth0", ""), RT(0, 1, "fe80::a", ""),
		ADDR(0, 1, "2001:db8:a::1", 0, "coa - 2001:db8:a::1 1"),
		UP(10, 2, "wlan0", ""),
		ADDR(10, 2, "2001:db8:1::55", MOVE_AF_TENTATIVE, ""),
		ADDR(20, 2, "2001:db8:1::55", 0, ""), /* no router on the home link yet */
		RT(30, 2, "fe80::1", "home 2"),
		RT(40, 1, "fe80::ab", ""), /* nothing changes at home */
		DOWN(50, 2, "wlan0", "left; coa - 2001:db8:a::1 1"),
		UP(60, 2, "wlan0", ""),
		/* R6275-11.5.2.a: an RA advertising the home prefix */
		{ S_RA, 70, 2, "fe80::1 2001:db8:1::/64", false, 0, 1800, 0, "home 2" },
		DOWN(80, 1, "eth0", ""),
		DOWN(90, 2, "wlan0", "left"),
		END } },
	{ "home needs no router when so configured", 0, false, {
		UP(0, 2, "wlan0", ""),
		ADDR(0, 2, "2001:db8:1::55", 0, "home 2"),
		DOWN(90, 2, "wlan0", "left"),
		END } },
	{ "rapid up/down does not flap (hold 500 ms)", 500, true, {
		UP(0, 3, "wwan0", ""), RT(0, 3, "fe80::c", ""),
		ADDR(0, 3, "2001:db8:c::3", 0, "coa - 2001:db8:c::3 3"),
		UP(1000, 2, "wlan0", ""), RT(1000, 2, "fe80::b", ""),
		ADDR(1000, 2, "2001:db8:b::2", 0, ""), /* better, but only just */
		{ S_NEXT, 1000, 0, NULL, false, 0, 500, 0, "" },
		DOWN(1200, 2, "wlan0", ""),
		UP(1250, 2, "wlan0", ""),
		RT(1300, 2, "fe80::b", ""),
		{ S_TICK, 1500, 0, NULL, false, 0, 0, 0, "" },
		{ S_NEXT, 1500, 0, NULL, false, 0, 300, 0, "" },
		{ S_TICK, 1800, 0, NULL, false, 0, 0, 0, "coa 2001:db8:c::3 2001:db8:b::2 2" },
		/* loss is never held down */
		DOWN(1810, 2, "wlan0", "coa 2001:db8:b::2 2001:db8:c::3 3"),
		END } },
	{ "unknown interfaces rank last, then by ifindex", 0, true, {
		UP(0, 5, "usb0", ""), RT(0, 5, "fe80::5", ""),
		ADDR(0, 5, "2001:db8:5::1", 0, "coa - 2001:db8:5::1 5"),
		UP(0, 4, "tun9", ""), RT(0, 4, "fe80::4", ""),
		ADDR(0, 4, "2001:db8:4::1", 0, "coa 2001:db8:5::1 2001:db8:4::1 4"),
		UP(0, 3, "wwan0", ""), RT(0, 3, "fe80::c", ""),
		ADDR(0, 3, "2001:db8:c::3", 0, "coa 2001:db8:4::1 2001:db8:c::3 3"),
		{ S_DEL, 0, 3, "2001:db8:c::4", false, 0, 0, M6E_NOTFOUND, "" },
		{ S_LINK, 0, 0, "x", true, 0, 0, M6E_INVAL, "" },
		END } },
};

static void step_ra(struct move_ra *ra, unsigned ifx, const char *s, uint32_t life)
{
	char buf[96], *sp;

	memset(ra, 0, sizeof(*ra));
	ra->ifindex = ifx;
	ra->router_lifetime_s = life;
	snprintf(buf, sizeof(buf), "%s", s);
	sp = strchr(buf, ' ');
	if (sp) {
		*sp = '\0';
		ck_assert_int_eq(prefix_parse(sp + 1, &ra->prefixes[0], false), 0);
		ra->n_prefixes = 1;
	}
	ra->router = A(buf);
}

static int step_run(struct move *m, const struct step *st)
{
	struct move_addr a;
	struct move_ra ra;
	struct in6_addr x;

	switch (st->k) {
	case S_LINK:
		return move_link(m, st->t, st->ifx, st->s, st->on);
	case S_ADDR:
	case S_SCOPE:
		memset(&a, 0, sizeof(a));
		a.addr = A(st->s);
		a.plen = 64;
		a.flags = st->flags;
		a.scope = st->k == S_SCOPE ? (enum move_scope)st->life : MOVE_SCOPE_GLOBAL;
		a.preferred_s = st->k == S_SCOPE ? INF : st->life;
		a.valid_s = INF;
		return move_addr_add(m, st->t, st->ifx, &a);
	case S_DEL:
		x = A(st->s);
		return move_addr_del(m, st->t, st->ifx, &x);
	case S_RT:
		x = A(st->s);
		return move_router(m, st->t, st->ifx, &x, st->on);
	case S_RA:
		step_ra(&ra, st->ifx, st->s, st->life);
		return move_ra_input(m, st->t, &ra);
	case S_TICK:
		move_tick(m, st->t);
		return 0;
	case S_NEXT:
		ck_assert_uint_eq(move_next_timeout(m, st->t), st->t + st->life);
		return 0;
	}
	return M6E_INVAL;
}

static void seq_params(struct move_params *p, unsigned hold_ms, bool needs_router)
{
	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(prefix_parse("2001:db8:1::/64", &p->home_prefix, false), 0);
	snprintf(p->pref[0], MOVE_IFNAME_MAX, "eth0");
	snprintf(p->pref[1], MOVE_IFNAME_MAX, "wlan0");
	snprintf(p->pref[2], MOVE_IFNAME_MAX, "wwan0");
	p->n_pref = 3;
	p->hold_ms = hold_ms;
	p->home_needs_router = needs_router;
}

START_TEST(sequences)
{
	const struct seq *q = &seqs[_i];
	struct move_params p;
	struct move m;
	struct rec r;
	size_t j;

	seq_params(&p, q->hold_ms, q->home_needs_router);
	ck_assert_int_eq(move_init(&m, &p, &rec_ops, &r), 0);
	ck_assert_int_eq(m.state, MOVE_ST_START);
	for (j = 0; q->steps[j].expect; j++) {
		const struct step *st = &q->steps[j];

		memset(&r, 0, sizeof(r));
		ck_assert_msg(step_run(&m, st) == st->rc, "%s: step %zu rc", q->name, j);
		ck_assert_msg(strcmp(r.log, st->expect) == 0, "%s: step %zu: got \"%s\" want \"%s\"",
			      q->name, j, r.log, st->expect);
	}
}
END_TEST

/* State follows the decisions; names for logs. */
START_TEST(states_and_names)
{
	struct move_params p;
	struct move m;
	struct rec r;
	struct move_addr a;
	struct in6_addr rt = A("fe80::a");
	unsigned ifx = 99;

	seq_params(&p, 0, true);
	ck_assert_int_eq(move_init(&m, &p, &rec_ops, &r), 0);
	ck_assert_ptr_null(move_coa(&m, &ifx));
	ck_assert_uint_eq(ifx, 0);
	ck_assert_int_eq(move_link(&m, 0, 1, "eth0", true), 0);
	ck_assert_int_eq(m.state, MOVE_ST_DETACHED);
	memset(&a, 0, sizeof(a));
	a.addr = A("2001:db8:a::1");
	a.plen = 64;
	a.preferred_s = a.valid_s = INF;
	ck_assert_int_eq(move_addr_add(&m, 0, 1, &a), 0);
	ck_assert_int_eq(move_router(&m, 0, 1, &rt, true), 0);
	ck_assert_int_eq(m.state, MOVE_ST_AWAY);
	ck_assert(addr_eq(move_coa(&m, &ifx), &a.addr));
	ck_assert_uint_eq(ifx, 1);
	a.plen = 129;
	ck_assert_int_eq(move_addr_add(&m, 0, 1, &a), M6E_INVAL);
	ck_assert_str_eq(move_state_name(MOVE_ST_HOME), "home");
	ck_assert_str_eq(move_state_name(MOVE_ST_DETACHED), "detached");
	ck_assert_str_eq(move_state_name(77), "unknown");
	/* valid lifetime end removes the candidate */
	a.plen = 64;
	a.valid_s = 30;
	ck_assert_int_eq(move_addr_add(&m, 0, 1, &a), 0);
	ck_assert_uint_eq(move_next_timeout(&m, 0), 30000);
	move_tick(&m, 30000);
	ck_assert_int_eq(m.state, MOVE_ST_DETACHED);
	ck_assert_ptr_null(move_coa(&m, NULL));
	ck_assert_uint_eq(move_next_timeout(&m, 30000), UINT64_MAX);
	p.home_prefix.len = 129;
	ck_assert_int_eq(move_init(&m, &p, &rec_ops, &r), M6E_INVAL);
	ck_assert_int_eq(move_init(&m, &p, NULL, &r), M6E_INVAL);
}
END_TEST

/* The config's home prefix and interface order reach the engine. */
START_TEST(params_from_conf)
{
	struct conf_mobile_node c;
	struct move_params p;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(prefix_parse("2001:db8:1::/64", &c.home_prefix, false), 0);
	snprintf(c.preferred_interfaces[0], CONF_IFNAME_MAX, "wlan0");
	snprintf(c.preferred_interfaces[1], CONF_IFNAME_MAX, "eth0");
	c.n_preferred_interfaces = 2;
	move_params_from_conf(&c, &p);
	ck_assert_uint_eq(p.home_prefix.len, 64);
	ck_assert(addr_eq(&p.home_prefix.addr, &c.home_prefix.addr));
	ck_assert_uint_eq(p.n_pref, 2);
	ck_assert_str_eq(p.pref[0], "wlan0");
	ck_assert_str_eq(p.pref[1], "eth0");
	ck_assert_uint_eq(p.hold_ms, 0);
	ck_assert(p.home_needs_router);
}
END_TEST

/* Table limits: a full interface table refuses, never overwrites. */
START_TEST(limits)
{
	struct move_params p;
	struct move m;
	struct rec r;
	struct move_addr a;
	unsigned i;

	seq_params(&p, 0, true);
	ck_assert_int_eq(move_init(&m, &p, &rec_ops, &r), 0);
	for (i = 1; i <= MOVE_IF_MAX; i++)
		ck_assert_int_eq(move_link(&m, 0, i, "x", true), 0);
	ck_assert_int_eq(move_link(&m, 0, MOVE_IF_MAX + 1, "y", true), M6E_NOSPACE);
	memset(&a, 0, sizeof(a));
	a.plen = 64;
	a.preferred_s = a.valid_s = INF;
	for (i = 0; i < MOVE_ADDR_MAX; i++) {
		a.addr = A("2001:db8:a::1");
		a.addr.s6_addr[15] = (uint8_t)(i + 1);
		ck_assert_int_eq(move_addr_add(&m, 0, 1, &a), 0);
	}
	a.addr.s6_addr[15] = 0xee;
	ck_assert_int_eq(move_addr_add(&m, 0, 1, &a), M6E_NOSPACE);
	a.addr.s6_addr[15] = 1; /* an update still fits */
	ck_assert_int_eq(move_addr_add(&m, 0, 1, &a), 0);
}
END_TEST

/* Integration: the movement engine drives a real mn engine on a fake clock.
 * eth0 (A) -> wlan0 (B) -> home must produce a BU for A, one for B, and the
 * deregistration BU (R6275-11.5.4.a, R6275-11.5.5.a). */
struct integ {
	struct mn mn;
	uint64_t now;
	struct mip6_tx tx[8];
	unsigned n_tx;
};

static int integ_send(void *arg, const struct mip6_tx *tx)
{
	struct integ *g = arg;
	ck_assert_uint_lt(g->n_tx, 8);
	g->tx[g->n_tx++] = *tx;
	return 0;
}

static void integ_event(void *arg, const struct mn_report *r)
{
	(void)arg;
	(void)r;
}

static void integ_random(void *arg, void *buf, size_t len)
{
	(void)arg;
	memset(buf, 0x10, len);
}

static void integ_coa(void *arg, const struct in6_addr *old, const struct in6_addr *coa,
		      unsigned ifindex, const char *reason)
{
	struct integ *g = arg;
	(void)old;
	(void)ifindex;
	(void)reason;
	if (coa)
		ck_assert_int_eq(mn_coa_changed(&g->mn, g->now, coa), 0);
}

static void integ_home(void *arg, unsigned ifindex, const char *reason)
{
	struct integ *g = arg;
	(void)ifindex;
	(void)reason;
	ck_assert_int_eq(mn_returned_home(&g->mn, g->now), 0);
}

static void integ_left(void *arg, const char *reason)
{
	(void)arg;
	(void)reason;
}

/* The HA accepts the last BU. */
static void integ_ack(struct integ *g)
{
	struct mip6_rx rx;

	memset(&rx, 0, sizeof(rx));
	rx.msg.type = MH_TYPE_BA;
	rx.msg.u.ba.seq = g->tx[g->n_tx - 1].msg.u.bu.seq;
	rx.msg.u.ba.lifetime = g->tx[g->n_tx - 1].msg.u.bu.lifetime;
	rx.src = A("2001:db8:1::1");
	rx.dst = A("2001:db8:1::100");
	rx.esp = true;
	ck_assert_int_eq(mn_input_ba(&g->mn, g->now, &rx, NULL), 0);
}

static void integ_check_bu(const struct mip6_tx *tx, const char *coa, uint16_t lifetime)
{
	struct in6_addr c = A(coa), ha = A("2001:db8:1::1");

	ck_assert_uint_eq(tx->msg.type, MH_TYPE_BU);
	ck_assert_uint_eq(tx->msg.u.bu.flags & (MH_BU_F_A | MH_BU_F_H), MH_BU_F_A | MH_BU_F_H);
	ck_assert_uint_eq(tx->msg.u.bu.lifetime, lifetime);
	ck_assert(addr_eq(&tx->src, &c));
	ck_assert(addr_eq(&tx->dst, &ha));
}

START_TEST(drives_mn)
{
	static const struct mn_ops mops = { integ_send, integ_event, integ_random };
	static const struct move_ops vops = { integ_coa, integ_home, integ_left };
	struct mn_params mp;
	struct move_params p;
	struct move m;
	struct integ g;
	struct move_addr a;
	struct in6_addr rt, b;

	memset(&g, 0, sizeof(g));
	memset(&mp, 0, sizeof(mp));
	mp.hoa = A("2001:db8:1::100");
	mp.ha = A("2001:db8:1::1");
	mp.lifetime_s = 100;
	mp.initial_ms = 1000;
	mp.first_reg_ms = 1500;
	mp.max_ms = 32000;
	mp.refresh_percent = 80;
	ck_assert_int_eq(mn_init(&g.mn, &mp, &mops, &g), 0);
	seq_params(&p, 0, true);
	ck_assert_int_eq(move_init(&m, &p, &vops, &g), 0);

	memset(&a, 0, sizeof(a));
	a.plen = 64;
	a.preferred_s = a.valid_s = INF;

	/* A: eth0 */
	g.now = 1000;
	rt = A("fe80::a");
	ck_assert_int_eq(move_link(&m, g.now, 1, "eth0", true), 0);
	ck_assert_int_eq(move_router(&m, g.now, 1, &rt, true), 0);
	a.addr = A("2001:db8:a::1");
	ck_assert_int_eq(move_addr_add(&m, g.now, 1, &a), 0);
	ck_assert_uint_eq(g.n_tx, 1);
	integ_check_bu(&g.tx[0], "2001:db8:a::1", 25);
	ck_assert(g.tx[0].has_hao);
	integ_ack(&g);
	ck_assert_int_eq(mn_state(&g.mn), BUL_REGISTERED);

	/* B: eth0 goes down, wlan0 has a CoA */
	g.now = 5000;
	rt = A("fe80::b");
	ck_assert_int_eq(move_link(&m, g.now, 2, "wlan0", true), 0);
	ck_assert_int_eq(move_router(&m, g.now, 2, &rt, true), 0);
	a.addr = A("2001:db8:b::2");
	ck_assert_int_eq(move_addr_add(&m, g.now, 2, &a), 0);
	ck_assert_uint_eq(g.n_tx, 1); /* eth0 is preferred: stay */
	ck_assert_int_eq(move_link(&m, g.now, 1, "eth0", false), 0);
	ck_assert_uint_eq(g.n_tx, 2);
	b = A("2001:db8:a::1"); /* the kernel drops the old link's address */
	ck_assert_int_eq(move_addr_del(&m, g.now, 1, &b), 0);
	ck_assert_uint_eq(g.n_tx, 2);
	integ_check_bu(&g.tx[1], "2001:db8:b::2", 25);
	ck_assert(mip6_seq_gt(g.tx[1].msg.u.bu.seq, g.tx[0].msg.u.bu.seq));
	integ_ack(&g);
	ck_assert(addr_eq(&mn_bul(&g.mn)->coa, &a.addr));

	/* home: eth0 comes back up on the home link */
	g.now = 9000;
	rt = A("fe80::1");
	ck_assert_int_eq(move_link(&m, g.now, 1, "eth0", true), 0);
	ck_assert_int_eq(move_router(&m, g.now, 1, &rt, true), 0);
	a.addr = A("2001:db8:1::77");
	ck_assert_int_eq(move_addr_add(&m, g.now, 1, &a), 0);
	ck_assert_int_eq(m.state, MOVE_ST_HOME);
	ck_assert_uint_eq(g.n_tx, 3);
	/* R6275-11.5.5.a: lifetime 0, CoA = HoA, source HoA */
	integ_check_bu(&g.tx[2], "2001:db8:1::100", 0);
	ck_assert_int_eq(mn_state(&g.mn), BUL_DEREGISTERING);
}
END_TEST

static Suite *movement_suite(void)
{
	Suite *s = suite_create("movement");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, sequences, 0, (int)(sizeof(seqs) / sizeof(seqs[0])));
	tcase_add_test(tc, states_and_names);
	tcase_add_test(tc, params_from_conf);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, drives_mn);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(movement_suite());
}
