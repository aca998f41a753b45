/*
 * Unit tests for src/mip6/mpd: Mobile Prefix Discovery (RFC 6275 §6.7,
 * §6.8, §10.6, §11.4.2, §11.4.3; RFC 3776 §3.3) with a fake clock, a fake
 * binding table and a recording outbox. Every emitted MPS/MPA is built with
 * the wire/nd builders and parsed back.
 *
 * Addresses follow test-vectors.md §E: HA 2001:db8:1::1, HoA
 * 2001:db8:1::100, CoA 2001:db8:2::200; a second MN 2001:db8:1::101 at
 * 2001:db8:3::300.
 */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "mip6/mip6.h"
#include "mip6/mpd.h"
#include "wire/icmp6.h"
#include "wire/nd.h"
#include "testutil.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	return a;
}

#define MAX_TX 16

struct fake {
	struct mpd_tx tx[MAX_TX];
	uint64_t tx_ms[MAX_TX];
	unsigned n_tx;
	uint64_t now;
	unsigned n_bind;
	struct mpd_binding bind[4];
	/* client reports */
	unsigned n_prefixes, n_changed, n_failed;
	struct nd_mp mpa;
};

static int fake_send(void *arg, const struct mpd_tx *tx)
{
	struct fake *f = arg;
	ck_assert_uint_lt(f->n_tx, MAX_TX);
	f->tx_ms[f->n_tx] = f->now;
	f->tx[f->n_tx++] = *tx;
	return 0;
}

static bool fake_registered(void *arg, const struct in6_addr *hoa, struct in6_addr *coa)
{
	struct fake *f = arg;
	for (unsigned i = 0; i < f->n_bind; i++)
		if (addr_eq(&f->bind[i].hoa, hoa)) {
			*coa = f->bind[i].coa;
			return true;
		}
	return false;
}

static unsigned fake_bindings(void *arg, struct mpd_binding *out, unsigned max)
{
	struct fake *f = arg;
	unsigned n = f->n_bind < max ? f->n_bind : max;
	memcpy(out, f->bind, n * sizeof(*out));
	return n;
}

static void fake_prefixes(void *arg, const struct nd_mp *mpa, bool changed)
{
	struct fake *f = arg;
	f->mpa = *mpa;
	f->n_prefixes++;
	f->n_changed += changed;
}

static void fake_failed(void *arg)
{
	((struct fake *)arg)->n_failed++;
}

static const struct mpd_server_ops server_ops = { fake_send, fake_registered, fake_bindings };
static const struct mpd_client_ops client_ops = { fake_send, fake_prefixes, fake_failed };

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->n_bind = 1;
	f->bind[0].hoa = A("2001:db8:1::100");
	f->bind[0].coa = A("2001:db8:2::200");
}

static struct nd_pio pio64(const char *prefix, uint32_t valid, uint32_t preferred)
{
	struct nd_pio p;
	memset(&p, 0, sizeof(p));
	p.plen = 64;
	p.flags = ND_PIO_L | ND_PIO_A;
	p.valid = valid;
	p.preferred = preferred;
	p.prefix = A(prefix);
	return p;
}

/* Build tx with the nd builders, parse it back into *back (the route a
 * message takes between the two engines). */
static void round_trip(const struct mpd_tx *tx, struct nd_mp *back)
{
	uint8_t buf[ICMP6_MIN_MTU];
	struct wbuf w;
	struct icmp6_msg m;
	enum icmp6_reason why;
	/* Checksum over the home address: src for an MPS (HAO), dst for an
	 * MPA (RH2) (RFC 6275 §6.1.1, wire-formats.md §A). */
	const struct in6_addr *src = tx->has_hao ? &tx->hoa : &tx->src;
	const struct in6_addr *dst = tx->has_rh2 ? &tx->hoa : &tx->dst;

	wbuf_init(&w, buf, sizeof(buf));
	if (tx->type == ICMP6_TYPE_MPS)
		ck_assert_int_eq(nd_build_mps(&w, src, dst, &tx->mp), 0);
	else
		ck_assert_int_eq(nd_build_mpa(&w, src, dst, &tx->mp), 0);
	ck_assert_int_eq(icmp6_parse_msg(buf, wbuf_len(&w), src, dst, &m, &why), 0);
	ck_assert_uint_eq(m.type, tx->type);
	if (tx->type == ICMP6_TYPE_MPS)
		ck_assert_int_eq(nd_parse_mps(&m, back, &why), 0);
	else
		ck_assert_int_eq(nd_parse_mpa(&m, back, &why), 0);
}

/* The facts the HA's adapter establishes for an MPS the client sent. */
static struct mpd_rx rx_of_mps(const struct mpd_tx *tx)
{
	struct mpd_rx rx;
	memset(&rx, 0, sizeof(rx));
	rx.src = tx->src;
	rx.dst = tx->dst;
	rx.has_hao = tx->has_hao;
	rx.hao = tx->hoa;
	rx.esp = tx->protect == MPD_PROT_ESP_MP;
	return rx;
}

static struct mpd_rx rx_of_mpa(const struct mpd_tx *tx)
{
	struct mpd_rx rx;
	memset(&rx, 0, sizeof(rx));
	rx.src = tx->src;
	rx.dst = tx->hoa;
	rx.has_rh2 = tx->has_rh2;
	rx.rh2 = tx->hoa;
	rx.esp = tx->protect == MPD_PROT_ESP_MP;
	return rx;
}

static void server_setup(struct mpd_server *s, struct fake *f)
{
	struct in6_addr ha = A("2001:db8:1::1");
	struct nd_pio p[2] = { pio64("2001:db8:1::", 86400, 14400),
			       pio64("2001:db8:5::", 3600, 1800) };

	mpd_server_init(s, &ha, &server_ops, f);
	ck_assert_int_eq(mpd_server_set_prefixes(s, 0, p, 2, false, 0), 0);
	ck_assert_uint_eq(f->n_tx, 0); /* notify false */
}

/* MN -> HA -> MN through the codecs: the MPA answers with the Identifier,
 * R-bit PIOs (the HA's own address where the prefix holds it), M/O clear,
 * RH2 and ESP (R6275-6.8.a, R6275-10.6.3.a, R4877-4.2.k/l). */
START_TEST(solicited_exchange)
{
	struct fake f;
	struct mpd_server s;
	struct mpd_client c;
	struct in6_addr coa = A("2001:db8:2::200"), hoa = A("2001:db8:1::100");
	struct in6_addr ha = A("2001:db8:1::1");
	struct nd_mp mps, mpa;
	struct mpd_rx rx;
	enum mpd_drop why;

	fake_init(&f);
	server_setup(&s, &f);
	mpd_client_init(&c, &client_ops, &f);
	ck_assert_int_eq(mpd_client_start(&c, 0, &coa, &hoa, &ha, 0x7777), 0);
	ck_assert_uint_eq(f.n_tx, 1);
	ck_assert_uint_eq(f.tx[0].type, ICMP6_TYPE_MPS);
	ck_assert(addr_eq(&f.tx[0].src, &coa));
	ck_assert(addr_eq(&f.tx[0].dst, &ha));
	ck_assert(f.tx[0].has_hao && !f.tx[0].has_rh2);
	ck_assert(addr_eq(&f.tx[0].hoa, &hoa));
	ck_assert_uint_eq(f.tx[0].protect, MPD_PROT_ESP_MP);
	round_trip(&f.tx[0], &mps);
	ck_assert_uint_eq(mps.id, 0x7777);

	rx = rx_of_mps(&f.tx[0]);
	ck_assert_int_eq(mpd_server_input_mps(&s, 0, &rx, &mps, &why), 0);
	ck_assert_uint_eq(f.n_tx, 2);
	ck_assert_uint_eq(f.tx[1].type, ICMP6_TYPE_MPA);
	ck_assert(addr_eq(&f.tx[1].src, &ha));
	ck_assert(addr_eq(&f.tx[1].dst, &coa));
	ck_assert(f.tx[1].has_rh2 && !f.tx[1].has_hao);
	ck_assert(addr_eq(&f.tx[1].hoa, &hoa));
	ck_assert_uint_eq(f.tx[1].protect, MPD_PROT_ESP_MP);
	round_trip(&f.tx[1], &mpa);
	ck_assert_uint_eq(mpa.id, 0x7777);
	ck_assert_uint_eq(mpa.flags & (ND_MPA_M | ND_MPA_O), 0);
	ck_assert_uint_eq(mpa.opts.n_pio, 2);
	ck_assert_uint_eq(mpa.opts.pio[0].flags, ND_PIO_L | ND_PIO_A | ND_PIO_R);
	ck_assert(addr_eq(&mpa.opts.pio[0].prefix, &ha));
	ck_assert_uint_eq(mpa.opts.pio[0].valid, 86400);
	ck_assert_uint_eq(mpa.opts.pio[0].preferred, 14400);
	{
		struct in6_addr p5 = A("2001:db8:5::");
		ck_assert(addr_eq(&mpa.opts.pio[1].prefix, &p5));
		ck_assert_uint_eq(mpa.opts.pio[1].flags & ND_PIO_R, ND_PIO_R);
	}

	rx = rx_of_mpa(&f.tx[1]);
	ck_assert_int_eq(mpd_client_input_mpa(&c, 10, &rx, &mpa, &why), 0);
	ck_assert_uint_eq(f.n_prefixes, 1);
	ck_assert_uint_eq(f.n_changed, 1);
	ck_assert_uint_eq(f.mpa.opts.n_pio, 2);
	ck_assert_uint_eq(mpd_client_next_timeout(&c), MIP6_NEVER);
	/* The same MPA again: no MPS outstanding. */
	ck_assert_int_eq(mpd_client_input_mpa(&c, 20, &rx, &mpa, &why), M6E_PROTO);
	ck_assert_uint_eq(why, MPD_DROP_NOT_WAITING);
	/* Solicit again 2 s later: same prefixes -> reported, not changed. */
	f.now = 2000;
	ck_assert_int_eq(mpd_client_start(&c, 2000, &coa, &hoa, &ha, 0x7778), 0);
	round_trip(&f.tx[2], &mps);
	rx = rx_of_mps(&f.tx[2]);
	ck_assert_int_eq(mpd_server_input_mps(&s, 2000, &rx, &mps, &why), 0);
	round_trip(&f.tx[3], &mpa);
	rx = rx_of_mpa(&f.tx[3]);
	ck_assert_int_eq(mpd_client_input_mpa(&c, 2010, &rx, &mpa, &why), 0);
	ck_assert_uint_eq(f.n_prefixes, 2);
	ck_assert_uint_eq(f.n_changed, 1);
}
END_TEST

/* HA-side MPS rules with their exact drop reasons. */
START_TEST(server_drops)
{
	static const struct {
		const char *name;
		bool esp, hao;
		const char *hoa;
		uint64_t at_ms; /* a first MPA went out at 0 */
		int rc;
		enum mpd_drop why;
	} cases[] = {
		{ "unprotected", false, true, "2001:db8:1::100", 5000, M6E_PROTO,
		  MPD_DROP_UNPROTECTED },
		{ "no HAO", true, false, "2001:db8:1::100", 5000, M6E_PROTO, MPD_DROP_NO_HAO },
		{ "not registered", true, true, "2001:db8:1::999", 5000, M6E_PROTO,
		  MPD_DROP_NOT_REGISTERED },
		{ "within 1 s", true, true, "2001:db8:1::100", 999, M6E_AGAIN, MPD_DROP_RATE },
		{ "after 1 s", true, true, "2001:db8:1::100", 1000, 0, MPD_DROP_NONE },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct mpd_server s;
		struct mpd_rx rx;
		struct nd_mp mps;
		enum mpd_drop why = MPD_DROP_COUNT;

		fake_init(&f);
		server_setup(&s, &f);
		memset(&mps, 0, sizeof(mps));
		memset(&rx, 0, sizeof(rx));
		rx.src = A("2001:db8:2::200");
		rx.dst = A("2001:db8:1::1");
		rx.esp = true;
		rx.has_hao = true;
		rx.hao = A("2001:db8:1::100");
		f.now = 0;
		ck_assert_int_eq(mpd_server_input_mps(&s, 0, &rx, &mps, &why), 0);
		ck_assert_uint_eq(f.n_tx, 1);
		rx.esp = cases[i].esp;
		rx.has_hao = cases[i].hao;
		rx.hao = A(cases[i].hoa);
		f.now = cases[i].at_ms;
		ck_assert_msg(mpd_server_input_mps(&s, cases[i].at_ms, &rx, &mps, &why) ==
				      cases[i].rc,
			      "%s", cases[i].name);
		ck_assert_msg(why == cases[i].why, "%s: %s", cases[i].name, mpd_drop_name(why));
		ck_assert_uint_eq(f.n_tx, cases[i].rc == 0 ? 2 : 1);
		if (cases[i].rc != 0)
			ck_assert_uint_eq(s.drops[cases[i].why], 1);
	}
}
END_TEST

/* R6275-6.7.a: an MPS with unknown options still draws an MPA. */
START_TEST(server_mps_unknown_option)
{
	/* MPS, id 0x0102, then an unknown option type 200 length 1 (8 octets). */
	uint8_t buf[64];
	size_t len = tu_hex("9200 0000 0102 0000 c801 0000 0000 0000", buf, sizeof(buf));
	struct in6_addr src = A("2001:db8:1::100"), dst = A("2001:db8:1::1");
	struct fake f;
	struct mpd_server s;
	struct mpd_rx rx;
	struct icmp6_msg m;
	struct nd_mp mps;
	enum icmp6_reason r;
	struct wbuf w;
	enum mpd_drop why;

	/* Fill the checksum with the builder helpers over the same bytes. */
	wbuf_init(&w, buf, sizeof(buf));
	w.len = len;
	ck_assert_int_eq(icmp6_finish(&w, 0, &src, &dst), 0);
	ck_assert_int_eq(icmp6_parse_msg(buf, len, &src, &dst, &m, &r), 0);
	ck_assert_int_eq(nd_parse_mps(&m, &mps, &r), 0);
	ck_assert_uint_eq(mps.opts.n_ignored, 1);
	fake_init(&f);
	server_setup(&s, &f);
	memset(&rx, 0, sizeof(rx));
	rx.src = A("2001:db8:2::200");
	rx.dst = dst;
	rx.esp = true;
	rx.has_hao = true;
	rx.hao = src;
	ck_assert_int_eq(mpd_server_input_mps(&s, 0, &rx, &mps, &why), 0);
	ck_assert_uint_eq(f.n_tx, 1);
	ck_assert_uint_eq(f.tx[0].mp.id, 0x0102);
}
END_TEST

/* R6275-6.8.a, R6275-10.6.2.a/d: a prefix change sends unsolicited MPAs to
 * registered MNs only, retransmitted after 3, 6, 12 s, stopped by an MPS. */
START_TEST(unsolicited)
{
	struct fake f;
	struct mpd_server s;
	struct nd_pio np[1] = { pio64("2001:db8:1::", 7200, 3600) };
	struct in6_addr coa2 = A("2001:db8:3::300"), hoa2 = A("2001:db8:1::101");
	struct nd_mp mpa;
	uint64_t t;

	fake_init(&f);
	f.n_bind = 2;
	f.bind[1].hoa = hoa2;
	f.bind[1].coa = coa2;
	server_setup(&s, &f);
	/* Same set: nothing. */
	{
		struct nd_pio same[2] = { pio64("2001:db8:1::", 86400, 14400),
					  pio64("2001:db8:5::", 3600, 1800) };
		ck_assert_int_eq(mpd_server_set_prefixes(&s, 0, same, 2, true, 9), 0);
		ck_assert_uint_eq(f.n_tx, 0);
	}
	f.now = 1000;
	ck_assert_int_eq(mpd_server_set_prefixes(&s, 1000, np, 1, true, 0x0909), 0);
	ck_assert_uint_eq(f.n_tx, 2); /* both registered MNs, nobody else */
	ck_assert(addr_eq(&f.tx[0].dst, &f.bind[0].coa));
	ck_assert(addr_eq(&f.tx[1].dst, &coa2));
	ck_assert(addr_eq(&f.tx[1].hoa, &hoa2));
	round_trip(&f.tx[1], &mpa);
	ck_assert_uint_eq(mpa.id, 0x0909);
	ck_assert_uint_eq(mpa.opts.n_pio, 1);
	ck_assert_uint_eq(mpa.opts.pio[0].valid, 7200);
	/* MN 1 acknowledges with an MPS at 1.5 s (rate-limited reply, but the
	 * retransmission stops). */
	{
		struct mpd_rx rx;
		struct nd_mp mps;
		enum mpd_drop why;
		memset(&rx, 0, sizeof(rx));
		memset(&mps, 0, sizeof(mps));
		rx.src = f.bind[0].coa;
		rx.esp = rx.has_hao = true;
		rx.hao = f.bind[0].hoa;
		f.now = 1500;
		ck_assert_int_eq(mpd_server_input_mps(&s, 1500, &rx, &mps, &why), M6E_AGAIN);
	}
	while ((t = mpd_server_next_timeout(&s)) != MIP6_NEVER) {
		f.now = t;
		mpd_server_tick(&s, t);
	}
	ck_assert_uint_eq(f.n_tx, 2 + 3);
	ck_assert_uint_eq(f.tx_ms[2], 4000);
	ck_assert_uint_eq(f.tx_ms[3], 10000);
	ck_assert_uint_eq(f.tx_ms[4], 22000);
	for (unsigned i = 2; i < 5; i++) {
		ck_assert(addr_eq(&f.tx[i].dst, &coa2));
		ck_assert_uint_eq(f.tx[i].mp.id, 0x0909);
	}
	/* A binding that goes away stops the retransmissions. */
	np[0].valid = 100;
	f.n_tx = 0;
	f.now = 30000;
	ck_assert_int_eq(mpd_server_set_prefixes(&s, 30000, np, 1, true, 1), 0);
	ck_assert_uint_eq(f.n_tx, 2);
	f.n_bind = 0;
	mpd_server_tick(&s, 33000);
	ck_assert_uint_eq(f.n_tx, 2);
	ck_assert_uint_eq(mpd_server_next_timeout(&s), MIP6_NEVER);
	/* Too many prefixes. */
	{
		struct nd_pio many[ND_PIO_MAX + 1];
		memset(many, 0, sizeof(many));
		ck_assert_int_eq(mpd_server_set_prefixes(&s, 0, many, ND_PIO_MAX + 1, true, 1),
				 M6E_RANGE);
	}
}
END_TEST

/* R6275-11.8.a: MPS after 0, 3, 9, 21 s; failure reported at 45 s. */
START_TEST(client_schedule)
{
	struct fake f;
	struct mpd_client c;
	struct in6_addr coa = A("2001:db8:2::200"), hoa = A("2001:db8:1::100");
	struct in6_addr ha = A("2001:db8:1::1"), mc = A("ff02::2");
	static const uint64_t want[] = { 0, 3000, 9000, 21000 };
	uint64_t t;

	fake_init(&f);
	mpd_client_init(&c, &client_ops, &f);
	ck_assert_int_eq(mpd_client_start(&c, 0, &coa, &hoa, &mc, 1), M6E_INVAL);
	ck_assert_int_eq(mpd_client_start(&c, 0, &coa, &hoa, &ha, 1), 0);
	while ((t = mpd_client_next_timeout(&c)) != MIP6_NEVER) {
		f.now = t;
		mpd_client_tick(&c, t);
	}
	ck_assert_uint_eq(f.n_tx, 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(f.tx_ms[i], want[i]);
		ck_assert_uint_eq(f.tx[i].mp.id, 1);
	}
	ck_assert_uint_eq(f.n_failed, 1);
	ck_assert_uint_eq(f.now, 45000);
	ck_assert_uint_eq(c.state, MPD_CLIENT_FAILED);
}
END_TEST

/* R6275-11.4.3.a: every acceptance rule for an MPA, with its reason. */
START_TEST(client_drops)
{
	enum { OK, BAD_SRC, NO_RH2, RH2_OTHER, NO_ESP, BAD_ID, NO_MPS };
	static const struct {
		const char *name;
		int mutate;
		enum mpd_drop why;
	} cases[] = {
		{ "accepted", OK, MPD_DROP_NONE },
		{ "other source", BAD_SRC, MPD_DROP_SRC },
		{ "no RH2", NO_RH2, MPD_DROP_NO_RH2 },
		{ "RH2 for another HoA", RH2_OTHER, MPD_DROP_NO_RH2 },
		{ "unprotected", NO_ESP, MPD_DROP_UNPROTECTED },
		{ "wrong identifier", BAD_ID, MPD_DROP_ID },
		{ "unsolicited", NO_MPS, MPD_DROP_NOT_WAITING },
	};
	struct in6_addr coa = A("2001:db8:2::200"), hoa = A("2001:db8:1::100");
	struct in6_addr ha = A("2001:db8:1::1");

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct mpd_client c;
		struct mpd_rx rx;
		struct nd_mp mpa;
		enum mpd_drop why = MPD_DROP_COUNT;
		int rc;

		fake_init(&f);
		mpd_client_init(&c, &client_ops, &f);
		if (cases[i].mutate != NO_MPS)
			ck_assert_int_eq(mpd_client_start(&c, 0, &coa, &hoa, &ha, 0x55), 0);
		else
			c.ha = ha, c.have_ha = true, c.hoa = hoa;
		memset(&mpa, 0, sizeof(mpa));
		mpa.id = 0x55;
		memset(&rx, 0, sizeof(rx));
		rx.src = ha;
		rx.dst = hoa;
		rx.has_rh2 = true;
		rx.rh2 = hoa;
		rx.esp = true;
		switch (cases[i].mutate) {
		case BAD_SRC: rx.src = A("2001:db8:1::2"); break;
		case NO_RH2: rx.has_rh2 = false; break;
		case RH2_OTHER: rx.rh2 = A("2001:db8:1::101"); break;
		case NO_ESP: rx.esp = false; break;
		case BAD_ID: mpa.id = 0x56; break;
		default: break;
		}
		rc = mpd_client_input_mpa(&c, 100, &rx, &mpa, &why);
		ck_assert_msg(why == cases[i].why, "%s: %s", cases[i].name, mpd_drop_name(why));
		ck_assert_int_eq(rc, cases[i].why == MPD_DROP_NONE ? 0 : M6E_PROTO);
		ck_assert_uint_eq(f.n_prefixes, cases[i].why == MPD_DROP_NONE ? 1 : 0);
		if (cases[i].why != MPD_DROP_NONE) {
			ck_assert_uint_eq(c.drops[cases[i].why], 1);
			/* A rejected MPA leaves the MPS outstanding. */
			if (cases[i].mutate != NO_MPS)
				ck_assert_uint_eq(mpd_client_next_timeout(&c), 3000);
		}
	}
}
END_TEST

static Suite *mpd_suite(void)
{
	Suite *s = suite_create("mpd");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, solicited_exchange);
	tcase_add_test(tc, server_drops);
	tcase_add_test(tc, server_mps_unknown_option);
	tcase_add_test(tc, unsolicited);
	tcase_add_test(tc, client_schedule);
	tcase_add_test(tc, client_drops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(mpd_suite());
}
