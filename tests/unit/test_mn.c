/*
 * Unit tests for src/mip6/mn and src/mip6/bul: the mobile node's home
 * registration (RFC 6275 §11.5, §11.7.1, §11.7.3, §11.8): the BU it sends,
 * the exact retransmission schedule and its jitter bounds, BA matching, the
 * 135 resync, rejections, refresh timing, Binding Errors, the
 * MAX_UPDATE_RATE limiter and returning home.
 *
 * Addresses follow test-vectors.md §E: HA 2001:db8:1::1, HoA
 * 2001:db8:1::100, CoA 2001:db8:2::200.
 */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "mip6/mn.h"
#include "testutil.h"

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	return a;
}

struct fake {
	uint8_t rnd; /* every random byte */
	struct mip6_tx tx;
	unsigned n_tx;
	struct mn_report ev;
	unsigned n_ev;
	unsigned n_ev_kind[8];
};

static int fake_send(void *arg, const struct mip6_tx *tx)
{
	struct fake *f = arg;
	f->tx = *tx;
	f->n_tx++;
	return 0;
}

static void fake_event(void *arg, const struct mn_report *r)
{
	struct fake *f = arg;
	f->ev = *r;
	f->n_ev++;
	f->n_ev_kind[r->ev]++;
}

static void fake_random(void *arg, void *buf, size_t len)
{
	memset(buf, ((struct fake *)arg)->rnd, len);
}

static const struct mn_ops ops = { fake_send, fake_event, fake_random };

static struct mn_params params(void)
{
	struct mn_params p;
	memset(&p, 0, sizeof(p));
	p.hoa = A("2001:db8:1::100");
	p.ha = A("2001:db8:1::1");
	p.lifetime_s = 100; /* 25 units */
	p.initial_ms = 1000;
	p.first_reg_ms = 1500;
	p.max_ms = 32000;
	p.refresh_percent = 80;
	return p;
}

static void setup(struct mn *mn, struct fake *f, uint8_t rnd)
{
	struct mn_params p = params();
	memset(f, 0, sizeof(*f));
	f->rnd = rnd;
	ck_assert_int_eq(mn_init(mn, &p, &ops, f), 0);
}

/* A BA from the HA, ESP-protected. */
static struct mip6_rx ba(uint8_t status, uint16_t seq, uint16_t life)
{
	struct mip6_rx rx;
	memset(&rx, 0, sizeof(rx));
	rx.msg.type = MH_TYPE_BA;
	rx.msg.u.ba.status = status;
	rx.msg.u.ba.seq = seq;
	rx.msg.u.ba.lifetime = life;
	rx.src = A("2001:db8:1::1");
	rx.dst = A("2001:db8:1::100");
	rx.esp = true;
	return rx;
}

/* R6275-11.7.1.b, R3776-4.2.h: the first BU from a CoA. */
START_TEST(first_bu)
{
	struct mn mn;
	struct fake f;
	struct in6_addr coa = A("2001:db8:2::200");

	setup(&mn, &f, 0xff); /* random start 0xffff: the first BU wraps to 0 */
	ck_assert_int_eq(mn_state(&mn), BUL_IDLE);
	ck_assert_uint_eq(mn_next_timeout(&mn), MIP6_NEVER);
	ck_assert_int_eq(mn_coa_changed(&mn, 0, &coa), 0);
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERING);
	ck_assert_uint_eq(f.n_tx, 1);
	ck_assert_uint_eq(f.tx.msg.type, MH_TYPE_BU);
	ck_assert_uint_eq(f.tx.msg.u.bu.seq, 0);
	ck_assert_uint_eq(f.tx.msg.u.bu.flags, MH_BU_F_A | MH_BU_F_H); /* K 0: R6275-6.1.7.a */
	ck_assert_uint_eq(f.tx.msg.u.bu.lifetime, 25);
	ck_assert(f.tx.msg.opts.has_alt_coa);
	ck_assert(addr_eq(&f.tx.msg.opts.alt_coa, &coa));
	ck_assert(addr_eq(&f.tx.src, &coa));
	ck_assert(addr_eq(&f.tx.dst, &mn.p.ha));
	ck_assert(f.tx.has_hao);
	ck_assert(!f.tx.has_rh2);
	ck_assert(addr_eq(&f.tx.hoa, &mn.p.hoa));
	ck_assert_int_eq(f.tx.protect, MIP6_PROT_ESP_BU_BA);
	/* the same CoA again changes nothing */
	ck_assert_int_eq(mn_coa_changed(&mn, 10, &coa), 0);
	ck_assert_uint_eq(f.n_tx, 1);
	/* not a usable CoA */
	struct in6_addr ll = A("fe80::1");
	ck_assert_int_eq(mn_coa_changed(&mn, 10, &ll), M6E_INVAL);
}
END_TEST

/* R6275-11.8.a, .b: 1.5 s for a first registration, doubling to 32 s and
 * staying there; every retransmission has a greater sequence number
 * (R6275-11.8.d). Random 0 -> no jitter, exact times. */
START_TEST(retransmit_schedule_exact)
{
	static const uint64_t first_reg[] = { 1500, 3000, 6000, 12000, 24000, 32000, 32000, 32000 };
	static const uint64_t refresh[] = { 1000, 2000, 4000, 8000, 16000, 32000, 32000 };
	struct mn mn;
	struct fake f;
	struct in6_addr coa = A("2001:db8:2::200");
	uint64_t now = 0;

	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, now, &coa), 0);
	for (size_t i = 0; i < sizeof(first_reg) / sizeof(first_reg[0]); i++) {
		uint16_t seq = f.tx.msg.u.bu.seq;
		ck_assert_uint_eq(mn_next_timeout(&mn), now + first_reg[i]);
		mn_tick(&mn, now + first_reg[i] - 1);
		ck_assert_uint_eq(f.n_tx, i + 1);
		now += first_reg[i];
		mn_tick(&mn, now);
		ck_assert_uint_eq(f.n_tx, i + 2);
		ck_assert_uint_eq(f.tx.msg.u.bu.seq, (uint16_t)(seq + 1));
	}
	/* R6275-11.7.1.f: the cap is reported once (time to try another HA) */
	ck_assert_uint_eq(f.n_ev_kind[MN_EV_NO_ANSWER], 1);

	/* a refresh (binding exists) starts at 1 s */
	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 0, &coa), 0);
	struct mip6_rx rx = ba(0, f.tx.msg.u.bu.seq, 25);
	ck_assert_int_eq(mn_input_ba(&mn, 100, &rx, NULL), 0);
	now = 80000; /* 80 % of 100 s */
	ck_assert_uint_eq(mn_next_timeout(&mn), now);
	mn_tick(&mn, now);
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERING);
	for (size_t i = 0; i < sizeof(refresh) / sizeof(refresh[0]); i++) {
		uint64_t next = now + refresh[i];
		/* the binding's end (100 s) comes between retransmissions */
		if (next > 100000 && now < 100000) {
			ck_assert_uint_eq(mn_next_timeout(&mn), 100000);
			mn_tick(&mn, 100000);
			ck_assert_uint_eq(f.n_ev_kind[MN_EV_EXPIRED], 1);
		}
		ck_assert_uint_eq(mn_next_timeout(&mn), next);
		now = next;
		mn_tick(&mn, now);
	}
	ck_assert_uint_eq(f.n_ev_kind[MN_EV_EXPIRED], 1);
}
END_TEST

/* Jitter: every delay in [base, base + base/10), never past 32 s. */
START_TEST(retransmit_jitter_bounds)
{
	static const uint8_t rnds[] = { 0x00, 0x01, 0x80, 0xc3, 0xff };
	struct in6_addr coa = A("2001:db8:2::200");

	for (size_t r = 0; r < sizeof(rnds); r++) {
		struct mn mn;
		struct fake f;
		uint64_t now = 0, base = 1500;
		setup(&mn, &f, rnds[r]);
		ck_assert_int_eq(mn_coa_changed(&mn, now, &coa), 0);
		for (int i = 0; i < 9; i++) {
			uint64_t t = mn_next_timeout(&mn);
			uint64_t hi = base + base / 10;
			ck_assert_uint_ge(t - now, base);
			ck_assert_uint_le(t - now, hi < 32000 ? hi : 32000);
			if (rnds[r] == 0xff && base < 32000)
				ck_assert_uint_gt(t - now, base); /* jitter does happen */
			now = t;
			mn_tick(&mn, now);
			base = base * 2 > 32000 ? 32000 : base * 2;
		}
	}
	/* the helper itself, at the edges */
	ck_assert_uint_eq(bul_jitter(1000, 0), 1000);
	ck_assert_uint_eq(bul_jitter(1000, 0xffff), 1099);
	ck_assert_uint_eq(bul_jitter(30000, 0xffff), 32000);
	ck_assert_uint_eq(bul_jitter(32000, 0xffff), 32000);
	ck_assert_uint_eq(bul_jitter(64000, 0), 32000);
}
END_TEST

/* R6275-11.7.3.a: protected, from the HA, matching an outstanding BU. */
START_TEST(ba_matching)
{
	struct mn mn;
	struct fake f;
	struct in6_addr coa = A("2001:db8:2::200"), coa2 = A("2001:db8:3::300");
	struct mip6_rx rx;
	enum mn_drop why;
	uint16_t s1;

	setup(&mn, &f, 0);
	rx = ba(0, 1, 25);
	ck_assert_int_eq(mn_input_ba(&mn, 0, &rx, &why), M6E_PROTO);
	ck_assert_int_eq(why, MN_DROP_NOT_WAITING);
	ck_assert_int_eq(mn_coa_changed(&mn, 0, &coa), 0);
	s1 = f.tx.msg.u.bu.seq;
	mn_tick(&mn, 1500); /* retransmission s1 + 1 at 1.5 s */
	ck_assert_int_eq(mn_coa_changed(&mn, 2000, &coa2), 0); /* new attempt: s1 + 2 */
	ck_assert_uint_eq(f.tx.msg.u.bu.seq, (uint16_t)(s1 + 2));

	rx = ba(0, s1, 25); /* for the old CoA's attempt */
	ck_assert_int_eq(mn_input_ba(&mn, 2100, &rx, &why), M6E_PROTO);
	ck_assert_int_eq(why, MN_DROP_SEQ);
	rx = ba(0, (uint16_t)(s1 + 3), 25); /* never sent */
	ck_assert_int_eq(mn_input_ba(&mn, 2100, &rx, &why), M6E_PROTO);
	ck_assert_int_eq(why, MN_DROP_SEQ);
	rx = ba(0, (uint16_t)(s1 + 2), 25);
	rx.esp = false;
	ck_assert_int_eq(mn_input_ba(&mn, 2100, &rx, &why), M6E_AUTH);
	ck_assert_int_eq(why, MN_DROP_UNPROTECTED);
	rx.esp = true;
	rx.src = A("2001:db8:1::2");
	ck_assert_int_eq(mn_input_ba(&mn, 2100, &rx, &why), M6E_NOTFOUND);
	ck_assert_int_eq(why, MN_DROP_NOT_FROM_HA);
	rx = ba(0, (uint16_t)(s1 + 2), 0);
	ck_assert_int_eq(mn_input_ba(&mn, 2100, &rx, &why), M6E_PROTO);
	ck_assert_int_eq(why, MN_DROP_ZERO_LIFETIME);
	rx.msg.type = MH_TYPE_BE;
	ck_assert_int_eq(mn_input_ba(&mn, 2100, &rx, &why), M6E_INVAL);
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERING);
	ck_assert_uint_eq(f.n_ev, 0);

	rx = ba(0, (uint16_t)(s1 + 2), 20);
	ck_assert_int_eq(mn_input_ba(&mn, 2100, &rx, &why), 0);
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERED);
	ck_assert_uint_eq(f.n_ev_kind[MN_EV_REGISTERED], 1);
	ck_assert(addr_eq(&f.ev.coa, &coa2));
	ck_assert_uint_eq(f.ev.lifetime_s, 80);
	/* R6275-11.7.3.b: from when that BU was sent (2000), 80 s granted */
	ck_assert_uint_eq(mn_bul(&mn)->expires_ms, 82000);
	ck_assert_uint_eq(mn_next_timeout(&mn), 2000 + 64000); /* 80 % */
	/* a duplicate BA once registered */
	ck_assert_int_eq(mn_input_ba(&mn, 2200, &rx, &why), M6E_PROTO);
	ck_assert_int_eq(why, MN_DROP_NOT_WAITING);
	ck_assert_uint_eq(mn.drops[MN_DROP_SEQ], 2);
}
END_TEST

/* A BA for an earlier retransmission of the same attempt counts, with the
 * lifetime measured from the attempt's first BU (the safe side). */
START_TEST(ba_for_retransmission)
{
	struct mn mn;
	struct fake f;
	struct in6_addr coa = A("2001:db8:2::200");
	struct mip6_rx rx;
	uint16_t s1;

	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 1000, &coa), 0);
	s1 = f.tx.msg.u.bu.seq;
	mn_tick(&mn, 2500);
	rx = ba(0, s1, 25);
	ck_assert_int_eq(mn_input_ba(&mn, 2600, &rx, NULL), 0);
	ck_assert_uint_eq(mn_bul(&mn)->expires_ms, 1000 + 100000);
	/* R6275-11.7.3.e: BRA sets the refresh */
	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 1000, &coa), 0);
	rx = ba(0, f.tx.msg.u.bu.seq, 25);
	rx.msg.opts.has_bra = true;
	rx.msg.opts.bra_interval = 10;
	ck_assert_int_eq(mn_input_ba(&mn, 1100, &rx, NULL), 0);
	ck_assert_uint_eq(mn_next_timeout(&mn), 1000 + 40000);
	/* a BRA not below the lifetime is ignored: 80 % */
	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 1000, &coa), 0);
	rx = ba(0, f.tx.msg.u.bu.seq, 25);
	rx.msg.opts.has_bra = true;
	rx.msg.opts.bra_interval = 25;
	ck_assert_int_eq(mn_input_ba(&mn, 1100, &rx, NULL), 0);
	ck_assert_uint_eq(mn_next_timeout(&mn), 1000 + 80000);
}
END_TEST

/* R6275-11.7.3.c, R6275-11.7.1.h: an authenticated 135 resyncs. */
START_TEST(resync_135)
{
	struct mn mn;
	struct fake f;
	struct in6_addr coa = A("2001:db8:2::200");
	struct mip6_rx rx;
	enum mn_drop why;

	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 0, &coa), 0);
	rx = ba(MH_BA_SEQ_OUT_OF_WINDOW, 5000, 0);
	rx.esp = false; /* unauthenticated 135: ignored */
	ck_assert_int_eq(mn_input_ba(&mn, 100, &rx, &why), M6E_AUTH);
	ck_assert_uint_eq(f.n_tx, 1);
	rx.esp = true;
	ck_assert_int_eq(mn_input_ba(&mn, 400, &rx, NULL), 0);
	ck_assert_uint_eq(f.n_tx, 2);
	ck_assert_uint_eq(f.tx.msg.u.bu.seq, 5001);
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERING);
	rx = ba(0, 5001, 25);
	ck_assert_int_eq(mn_input_ba(&mn, 500, &rx, NULL), 0);
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERED);
}
END_TEST

/* R6275-11.7.3.d: rejection -> back off and retry with a new number;
 * R6275-11.7.1.j: 134 -> never again. */
START_TEST(rejections)
{
	struct mn mn;
	struct fake f;
	struct in6_addr coa = A("2001:db8:2::200");
	struct mip6_rx rx;
	uint16_t s;

	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 0, &coa), 0);
	s = f.tx.msg.u.bu.seq;
	rx = ba(MH_BA_PROHIBITED, s, 0);
	ck_assert_int_eq(mn_input_ba(&mn, 100, &rx, NULL), 0);
	ck_assert_int_eq(mn_state(&mn), BUL_BACKOFF);
	ck_assert_int_eq(f.ev.ev, MN_EV_REJECTED);
	ck_assert_uint_eq(f.ev.status, MH_BA_PROHIBITED);
	ck_assert_uint_eq(mn_next_timeout(&mn), 100 + 3000);
	mn_tick(&mn, 3099);
	ck_assert_uint_eq(f.n_tx, 1);
	mn_tick(&mn, 3100);
	ck_assert_uint_eq(f.n_tx, 2);
	ck_assert_uint_eq(f.tx.msg.u.bu.seq, (uint16_t)(s + 1));
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERING);
	ck_assert_uint_eq(mn_next_timeout(&mn), 3100 + 3000); /* the backoff persists */
	rx = ba(MH_BA_PROHIBITED, (uint16_t)(s + 1), 0);
	ck_assert_int_eq(mn_input_ba(&mn, 3200, &rx, NULL), 0);
	ck_assert_uint_eq(mn_next_timeout(&mn), 3200 + 6000);

	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 0, &coa), 0);
	rx = ba(MH_BA_DAD_FAILED, f.tx.msg.u.bu.seq, 0);
	ck_assert_int_eq(mn_input_ba(&mn, 100, &rx, NULL), 0);
	ck_assert_int_eq(mn_state(&mn), BUL_FAILED);
	ck_assert_int_eq(f.ev.ev, MN_EV_FAILED);
	ck_assert_uint_eq(mn_next_timeout(&mn), MIP6_NEVER);
	struct in6_addr coa2 = A("2001:db8:3::300");
	ck_assert_int_eq(mn_coa_changed(&mn, 200, &coa2), M6E_PERM);
	ck_assert_uint_eq(f.n_tx, 1);
}
END_TEST

/* R6275-11.5.5.a: deregistration from the home address, no HAO. */
START_TEST(return_home)
{
	struct mn mn;
	struct fake f;
	struct in6_addr coa = A("2001:db8:2::200");
	struct mip6_rx rx;

	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_returned_home(&mn, 0), 0); /* never left: nothing */
	ck_assert_uint_eq(f.n_tx + f.n_ev, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 0, &coa), 0);
	rx = ba(0, f.tx.msg.u.bu.seq, 25);
	ck_assert_int_eq(mn_input_ba(&mn, 100, &rx, NULL), 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 5000, &mn.p.hoa), 0); /* = returned home */
	ck_assert_int_eq(mn_state(&mn), BUL_DEREGISTERING);
	ck_assert_uint_eq(f.tx.msg.u.bu.lifetime, 0);
	ck_assert_uint_eq(f.tx.msg.u.bu.flags, MH_BU_F_A | MH_BU_F_H);
	ck_assert(addr_eq(&f.tx.src, &mn.p.hoa));
	ck_assert(!f.tx.has_hao);
	ck_assert(addr_eq(&f.tx.msg.opts.alt_coa, &mn.p.hoa));
	ck_assert_uint_eq(mn_next_timeout(&mn), 6000); /* a binding exists: 1 s */
	ck_assert_int_eq(mn_returned_home(&mn, 5100), 0); /* already on it */
	ck_assert_uint_eq(f.n_tx, 2);
	rx = ba(0, f.tx.msg.u.bu.seq, 0);
	ck_assert_int_eq(mn_input_ba(&mn, 5200, &rx, NULL), 0);
	ck_assert_int_eq(mn_state(&mn), BUL_IDLE);
	ck_assert_int_eq(f.ev.ev, MN_EV_HOME);
	ck_assert_uint_eq(mn_next_timeout(&mn), MIP6_NEVER);

	/* 133 (the HA had nothing) ends it as well */
	ck_assert_int_eq(mn_coa_changed(&mn, 10000, &coa), 0);
	ck_assert_int_eq(mn_returned_home(&mn, 10100), 0);
	rx = ba(MH_BA_NOT_HA_FOR_MN, f.tx.msg.u.bu.seq, 0);
	ck_assert_int_eq(mn_input_ba(&mn, 10200, &rx, NULL), 0);
	ck_assert_int_eq(mn_state(&mn), BUL_IDLE);
	ck_assert_uint_eq(f.ev.status, MH_BA_NOT_HA_FOR_MN);

	/* no answer at all: give up once nothing can be left at the HA (the
	 * last registration BU at 20000 asked for 100 s) */
	ck_assert_int_eq(mn_coa_changed(&mn, 20000, &coa), 0);
	ck_assert_int_eq(mn_returned_home(&mn, 20500), 0);
	unsigned homes = f.n_ev_kind[MN_EV_HOME];
	uint64_t now = 20500;
	while (mn_state(&mn) == BUL_DEREGISTERING) {
		now = mn_next_timeout(&mn);
		ck_assert_uint_le(now, 120000);
		mn_tick(&mn, now);
	}
	ck_assert_uint_eq(now, 120000);
	ck_assert_uint_eq(f.n_ev_kind[MN_EV_HOME], homes + 1);
}
END_TEST

/* R6275-11.3.6.b: BE status 1 from the HA (it lost our binding) -> register
 * again at once; anything else is ignored (R6275-11.3.6.a). */
START_TEST(binding_error)
{
	struct mn mn;
	struct fake f;
	struct in6_addr coa = A("2001:db8:2::200");
	struct mip6_rx rx;
	enum mn_drop why;

	setup(&mn, &f, 0);
	ck_assert_int_eq(mn_coa_changed(&mn, 0, &coa), 0);
	rx = ba(0, f.tx.msg.u.bu.seq, 25);
	ck_assert_int_eq(mn_input_ba(&mn, 100, &rx, NULL), 0);
	memset(&rx, 0, sizeof(rx));
	rx.msg.type = MH_TYPE_BE;
	rx.msg.u.be.status = MH_BE_UNKNOWN_HAO;
	rx.msg.u.be.hoa = mn.p.hoa;
	rx.src = A("2001:db8:9::9");
	ck_assert_int_eq(mn_input_be(&mn, 1000, &rx, &why), M6E_NOTFOUND);
	ck_assert_int_eq(why, MN_DROP_NOT_FROM_HA);
	rx.src = mn.p.ha;
	rx.msg.u.be.status = MH_BE_UNKNOWN_TYPE;
	ck_assert_int_eq(mn_input_be(&mn, 1000, &rx, &why), M6E_PROTO);
	ck_assert_int_eq(why, MN_DROP_BE_OTHER);
	ck_assert_uint_eq(f.n_tx, 1);
	rx.msg.u.be.status = MH_BE_UNKNOWN_HAO;
	ck_assert_int_eq(mn_input_be(&mn, 1000, &rx, &why), 0);
	ck_assert_uint_eq(f.n_tx, 2);
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERING);
	ck_assert_uint_eq(mn_next_timeout(&mn), 1000 + 1500); /* HA has nothing: first-reg */
}
END_TEST

/* R6275-11.8.c, R6275-11.5.3.a: at most 3 BUs per second. */
START_TEST(update_rate)
{
	struct mn mn;
	struct fake f;
	struct in6_addr c[4] = { A("2001:db8:2::1"), A("2001:db8:2::2"), A("2001:db8:2::3"),
				 A("2001:db8:2::4") };

	setup(&mn, &f, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(mn_coa_changed(&mn, 1000 + (uint64_t)i * 100, &c[i]), 0);
	ck_assert_uint_eq(f.n_tx, 3);
	ck_assert_uint_eq(mn_next_timeout(&mn), 2000);
	/* nothing of the held attempt is out: no BA can match it, not even
	 * one for the BU just before */
	uint16_t last = f.tx.msg.u.bu.seq;
	for (int d = -2; d <= 2; d++) {
		struct mip6_rx rx = ba(0, (uint16_t)(last + d), 25);
		enum mn_drop why;
		ck_assert_int_eq(mn_input_ba(&mn, 1500, &rx, &why), M6E_PROTO);
		ck_assert_int_eq(why, MN_DROP_SEQ);
	}
	ck_assert_int_eq(mn_state(&mn), BUL_REGISTERING);
	mn_tick(&mn, 2000);
	ck_assert_uint_eq(f.n_tx, 4);
	ck_assert(addr_eq(&f.tx.msg.opts.alt_coa, &c[3]));
	ck_assert_uint_eq(mn_next_timeout(&mn), 2000 + 1500); /* held send: no doubling */
}
END_TEST

START_TEST(bul_moves)
{
	static const bool ok[BUL_STATE_COUNT][BUL_STATE_COUNT] = {
		[BUL_IDLE] = { [BUL_IDLE] = true, [BUL_REGISTERING] = true },
		[BUL_REGISTERING] = { [BUL_REGISTERING] = true, [BUL_REGISTERED] = true,
				      [BUL_BACKOFF] = true, [BUL_DEREGISTERING] = true,
				      [BUL_FAILED] = true },
		[BUL_REGISTERED] = { [BUL_REGISTERING] = true, [BUL_DEREGISTERING] = true },
		[BUL_BACKOFF] = { [BUL_REGISTERING] = true, [BUL_DEREGISTERING] = true },
		[BUL_DEREGISTERING] = { [BUL_IDLE] = true, [BUL_REGISTERING] = true,
					[BUL_DEREGISTERING] = true },
	};
	for (unsigned fr = 0; fr < BUL_STATE_COUNT; fr++)
		for (unsigned to = 0; to < BUL_STATE_COUNT; to++) {
			struct bul_entry b;
			memset(&b, 0, sizeof(b));
			b.state = fr;
			ck_assert_int_eq(bul_set_state(&b, to), ok[fr][to] ? 0 : M6E_PROTO);
			ck_assert_int_eq(b.state, ok[fr][to] ? to : fr);
		}
	ck_assert_str_eq(bul_state_name(BUL_DEREGISTERING), "deregistering");
}
END_TEST

/* The outstanding window, including its wrap and the empty attempt. */
START_TEST(bul_outstanding)
{
	static const struct {
		uint16_t attempt, sent, seq;
		bool out;
	} t[] = {
		{ 10, 12, 10, true },      { 10, 12, 12, true },    { 10, 12, 13, false },
		{ 10, 12, 9, false },      { 65534, 1, 65535, true }, { 65534, 1, 0, true },
		{ 65534, 1, 2, false },    { 65534, 1, 65533, false },
		{ 10, 9, 9, false },       { 10, 9, 10, false },    { 0, 65535, 65535, false },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct bul_entry b;
		memset(&b, 0, sizeof(b));
		b.attempt_seq = t[i].attempt;
		b.seq = t[i].sent;
		ck_assert_msg(bul_seq_outstanding(&b, t[i].seq) == t[i].out, "row %zu", i);
	}
}
END_TEST

START_TEST(bul_list_and_params)
{
	struct bul l;
	struct bul_entry *b;
	struct in6_addr h = A("2001:db8:1::100");
	struct mn_params p = params();
	struct mn mn;
	struct fake f;

	memset(&l, 0, sizeof(l));
	for (unsigned i = 0; i < BUL_MAX; i++) {
		struct in6_addr d = h;
		d.s6_addr[0] = (uint8_t)(0x30 + i);
		ck_assert_int_eq(bul_add(&l, &d, &h, 7, &b), 0);
		ck_assert_ptr_eq(bul_find(&l, &d), b);
	}
	ck_assert_int_eq(bul_add(&l, &h, &h, 7, NULL), M6E_NOSPACE);
	ck_assert_int_eq(bul_add(&l, &l.e[0].dst, &h, 7, NULL), M6E_EXISTS);
	ck_assert_ptr_null(bul_find(&l, &h));
	/* R6275-11.8.a: the RFC bounds on the timers */
	memset(&f, 0, sizeof(f));
	p.initial_ms = 500;
	ck_assert_int_eq(mn_init(&mn, &p, &ops, &f), M6E_INVAL);
	p = params();
	p.max_ms = 64000;
	ck_assert_int_eq(mn_init(&mn, &p, &ops, &f), M6E_INVAL);
	p = params();
	p.first_reg_ms = 900;
	ck_assert_int_eq(mn_init(&mn, &p, &ops, &f), M6E_INVAL);
	ck_assert_str_eq(mn_drop_name(MN_DROP_SEQ), "sequence number not outstanding");
}
END_TEST

static Suite *mn_suite(void)
{
	Suite *s = suite_create("mn");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, first_bu);
	tcase_add_test(tc, retransmit_schedule_exact);
	tcase_add_test(tc, retransmit_jitter_bounds);
	tcase_add_test(tc, ba_matching);
	tcase_add_test(tc, ba_for_retransmission);
	tcase_add_test(tc, resync_135);
	tcase_add_test(tc, rejections);
	tcase_add_test(tc, return_home);
	tcase_add_test(tc, binding_error);
	tcase_add_test(tc, update_rate);
	tcase_add_test(tc, bul_moves);
	tcase_add_test(tc, bul_outstanding);
	tcase_add_test(tc, bul_list_and_params);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(mn_suite());
}
