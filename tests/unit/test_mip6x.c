/*
 * Exchange test (tier 2): a mobile node engine and a home agent engine wired
 * back to back through their ops, on a fake clock. Every message is built
 * with mh_build() and parsed again with mh_parse() (checksum over the
 * pseudo-header an adapter would use), and arrives with the facts an adapter
 * would set: HAO, RH2, ESP and the SA the BU/BA SPD entry maps the MN to.
 *
 *   MN (HoA 2001:db8:1::100) --- CoA A 2001:db8:2::200 / B 2001:db8:3::300
 *                                 \ 5 ms each way /
 *   HA 2001:db8:1::1, home prefix 2001:db8:1::/64, DAD takes 1 s
 *
 * Scenarios: registration, refresh over a long run, CoA A -> B, a lost first
 * BU, a replayed BU, return home, and an HA restart (state lost) recovered by
 * the next refresh or at once by a Binding Error.
 */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/wbuf.h"
#include "mip6/ha.h"
#include "mip6/mn.h"
#include "testutil.h"

#define SA_MN 0x2001u /* the inbound BU SA configured for the HoA */
#define LATENCY_MS 5
#define DAD_MS 1000
#define QMAX 32

struct inflight {
	bool to_ha;
	uint64_t at;
	struct mip6_tx tx;
};

struct lab {
	uint64_t now;
	uint32_t rnd;
	struct mn mn;
	struct ha ha;
	struct inflight q[QMAX];
	size_t nq;
	unsigned drop_bus;       /* drop the next N BUs on the way to the HA */
	bool dad_pending;
	uint64_t dad_at;
	struct in6_addr dad_hoa;
	struct mip6_tx last_bu;  /* for the replay */
	/* what the adapters saw */
	unsigned n_bu, n_ba;
	unsigned ha_ev[8], mn_ev[8];
	struct bcache_entry ha_last;
	struct mn_report mn_last;
	uint64_t registered_at;
};

static struct lab L;

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	return a;
}

static void enqueue(bool to_ha, const struct mip6_tx *tx)
{
	ck_assert_uint_lt(L.nq, QMAX);
	L.q[L.nq].to_ha = to_ha;
	L.q[L.nq].at = L.now + LATENCY_MS;
	L.q[L.nq].tx = *tx;
	L.nq++;
}

static int mn_send(void *arg, const struct mip6_tx *tx)
{
	(void)arg;
	L.n_bu++;
	L.last_bu = *tx;
	if (L.drop_bus) {
		L.drop_bus--;
		return 0;
	}
	enqueue(true, tx);
	return 0;
}

static void mn_event(void *arg, const struct mn_report *r)
{
	(void)arg;
	L.mn_ev[r->ev]++;
	L.mn_last = *r;
	if (r->ev == MN_EV_REGISTERED)
		L.registered_at = L.now;
}

/* A fixed LCG: the schedule is reproducible, the jitter is real. */
static void mn_random(void *arg, void *buf, size_t len)
{
	uint8_t *p = buf;
	(void)arg;
	for (size_t i = 0; i < len; i++) {
		L.rnd = L.rnd * 1103515245u + 12345u;
		p[i] = (uint8_t)(L.rnd >> 16);
	}
}

static int ha_send(void *arg, const struct mip6_tx *tx)
{
	(void)arg;
	L.n_ba++;
	enqueue(false, tx);
	return 0;
}

static bool ha_sa_ok(void *arg, const struct in6_addr *hoa, uint32_t sa)
{
	(void)arg;
	return addr_eq(hoa, &L.mn.p.hoa) && sa == SA_MN;
}

static int ha_dad(void *arg, const struct in6_addr *hoa, bool ll)
{
	(void)arg;
	(void)ll;
	L.dad_pending = true;
	L.dad_at = L.now + DAD_MS;
	L.dad_hoa = *hoa;
	return 0;
}

static void ha_changed(void *arg, const struct bcache_entry *e, enum bcache_event ev)
{
	(void)arg;
	L.ha_ev[ev]++;
	L.ha_last = *e;
}

static const struct mn_ops mn_ops = { mn_send, mn_event, mn_random };
static const struct ha_ops ha_ops = { ha_send, ha_sa_ok, ha_dad, NULL, ha_changed };

static void ha_start(void)
{
	struct ha_params p;

	memset(&p, 0, sizeof(p));
	p.home_reg = true;
	p.address = A("2001:db8:1::1");
	ck_assert_int_eq(prefix_parse("2001:db8:1::/64", &p.prefixes[0], false), 0);
	p.n_prefixes = 1;
	p.max_lifetime_s = 3600;
	p.dad = true;
	p.bra_percent = 80;
	ck_assert_int_eq(ha_init(&L.ha, &p, &ha_ops, NULL), 0);
}

static void lab_setup(void)
{
	struct mn_params p;

	memset(&L, 0, sizeof(L));
	L.now = 1000000;
	L.rnd = 0x5eed;
	memset(&p, 0, sizeof(p));
	p.hoa = A("2001:db8:1::100");
	p.ha = A("2001:db8:1::1");
	p.lifetime_s = 120;
	p.initial_ms = 1000;
	p.first_reg_ms = 1500;
	p.max_ms = 32000;
	p.refresh_percent = 80;
	ck_assert_int_eq(mn_init(&L.mn, &p, &mn_ops, NULL), 0);
	ha_start();
}

static void lab_teardown(void)
{
	ha_fini(&L.ha);
}

/* Through the codec, as the two adapters would: build with the sender's
 * pseudo-header, parse with the receiver's (R6275-6.1.1.d). */
static void to_wire_and_back(const struct mip6_tx *tx, struct mip6_rx *rx)
{
	uint8_t buf[256];
	struct wbuf w;
	struct mh_pseudo ph;
	struct mh_diag d;

	memset(rx, 0, sizeof(*rx));
	ph.src = tx->has_hao ? tx->hoa : tx->src;
	ph.dst = tx->has_rh2 ? tx->hoa : tx->dst;
	wbuf_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(mh_build(&w, &tx->msg, &ph, NULL), 0);
	ck_assert_int_eq(mh_parse(buf, wbuf_len(&w), &ph, &rx->msg, &d), 0);
	ck_assert(mh_msg_eq(&rx->msg, &tx->msg));
	rx->src = tx->src;
	rx->dst = tx->has_rh2 ? tx->hoa : tx->dst;
	rx->has_hao = tx->has_hao;
	rx->hao = tx->hoa;
	rx->esp = tx->protect == MIP6_PROT_ESP_BU_BA;
	rx->sa_id = rx->esp ? SA_MN : 0;
}

static void deliver(const struct inflight *m)
{
	struct mip6_rx rx;

	to_wire_and_back(&m->tx, &rx);
	if (m->to_ha) {
		ck_assert_uint_eq(rx.msg.type, MH_TYPE_BU);
		ha_input_bu(&L.ha, L.now, &rx, NULL);
	} else if (rx.msg.type == MH_TYPE_BA) {
		mn_input_ba(&L.mn, L.now, &rx, NULL);
	} else {
		mn_input_be(&L.mn, L.now, &rx, NULL);
	}
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Advance the fake clock to t_end, running every timer and delivery due. */
static void lab_run_until(uint64_t t_end)
{
	for (;;) {
		uint64_t t = min64(mn_next_timeout(&L.mn), ha_next_timeout(&L.ha));
		for (size_t i = 0; i < L.nq; i++)
			t = min64(t, L.q[i].at);
		if (L.dad_pending)
			t = min64(t, L.dad_at);
		if (t > t_end)
			break;
		if (t > L.now)
			L.now = t;
		while (L.nq && L.q[0].at <= L.now) {
			struct inflight m = L.q[0];
			memmove(&L.q[0], &L.q[1], (L.nq - 1) * sizeof(L.q[0]));
			L.nq--;
			deliver(&m);
		}
		if (L.dad_pending && L.dad_at <= L.now) {
			L.dad_pending = false;
			ck_assert_int_eq(ha_dad_result(&L.ha, L.now, &L.dad_hoa, true), 0);
		}
		if (mn_next_timeout(&L.mn) <= L.now)
			mn_tick(&L.mn, L.now);
		if (ha_next_timeout(&L.ha) <= L.now)
			ha_tick(&L.ha, L.now);
	}
	L.now = t_end;
}

static const struct bcache_entry *ha_binding(void)
{
	return bcache_lookup(&L.ha.bc, &L.mn.p.hoa);
}

/* Registration from CoA A: BU -> DAD (1 s) -> BA; both sides agree. */
static void register_at_a(void)
{
	struct in6_addr a = A("2001:db8:2::200");
	uint64_t t0 = L.now;
	unsigned added = L.ha_ev[BCACHE_EV_ADDED];

	ck_assert_int_eq(mn_coa_changed(&L.mn, L.now, &a), 0);
	lab_run_until(t0 + 1100);
	ck_assert_int_eq(mn_state(&L.mn), BUL_REGISTERED);
	ck_assert_uint_eq(L.registered_at, t0 + LATENCY_MS + DAD_MS + LATENCY_MS);
	ck_assert_uint_eq(L.mn_last.lifetime_s, 120);
	ck_assert(!L.mn_last.k);
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_ADDED], added + 1);
	ck_assert(addr_eq(&L.ha_last.coa, &a));
	ck_assert_ptr_nonnull(ha_binding());
	ck_assert_int_eq(ha_binding()->state, BCE_VALID);
}

START_TEST(registration_and_refresh)
{
	lab_setup();
	register_at_a();
	ck_assert_uint_eq(L.n_bu, 1);
	ck_assert_uint_eq(L.n_ba, 1);
	/* an hour: the HA's BRA (80 % of 120 s = 96 s) drives the refresh and
	 * the binding never lapses on either side */
	uint64_t t0 = L.now;
	lab_run_until(t0 + 3600000);
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_EXPIRED], 0);
	ck_assert_uint_eq(L.mn_ev[MN_EV_EXPIRED], 0);
	ck_assert_uint_ge(L.ha_ev[BCACHE_EV_REFRESHED], 3600 / 96 - 1);
	ck_assert_uint_le(L.ha_ev[BCACHE_EV_REFRESHED], 3600 / 96 + 1);
	ck_assert_uint_eq(L.n_bu, L.n_ba); /* no retransmissions on a clean path */
	ck_assert_int_eq(mn_state(&L.mn), BUL_REGISTERED);
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_ADDED], 1); /* DAD only once */
	lab_teardown();
}
END_TEST

/* CoA A -> B: binding_changed says MOVED with B (the SA re-point trigger). */
START_TEST(coa_change)
{
	struct in6_addr b = A("2001:db8:3::300");

	lab_setup();
	register_at_a();
	lab_run_until(L.now + 10000);
	ck_assert_int_eq(mn_coa_changed(&L.mn, L.now, &b), 0);
	lab_run_until(L.now + 50);
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_MOVED], 1);
	ck_assert(addr_eq(&L.ha_last.coa, &b));
	ck_assert(addr_eq(&ha_binding()->coa, &b));
	ck_assert_int_eq(mn_state(&L.mn), BUL_REGISTERED);
	ck_assert(addr_eq(&L.mn_last.coa, &b));
	lab_teardown();
}
END_TEST

/* The first BU is lost: the retransmission after 1.5 s (+ < 10 % jitter)
 * registers (R6275-11.8.a). */
START_TEST(lost_first_bu)
{
	struct in6_addr a = A("2001:db8:2::200");
	uint64_t t0;

	lab_setup();
	t0 = L.now;
	L.drop_bus = 1;
	ck_assert_int_eq(mn_coa_changed(&L.mn, L.now, &a), 0);
	lab_run_until(t0 + 5000);
	ck_assert_int_eq(mn_state(&L.mn), BUL_REGISTERED);
	ck_assert_uint_eq(L.n_bu, 2);
	ck_assert_uint_ge(L.registered_at, t0 + 1500 + 2 * LATENCY_MS + DAD_MS);
	ck_assert_uint_lt(L.registered_at, t0 + 1650 + 2 * LATENCY_MS + DAD_MS);
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_ADDED], 1);
	lab_teardown();
}
END_TEST

/* A captured BU replayed later draws 135 and changes nothing. */
START_TEST(replayed_bu)
{
	struct mip6_tx old;
	struct in6_addr b = A("2001:db8:3::300");

	lab_setup();
	register_at_a();
	old = L.last_bu;
	ck_assert_int_eq(mn_coa_changed(&L.mn, L.now, &b), 0);
	lab_run_until(L.now + 50);
	unsigned ev_before = L.ha_ev[BCACHE_EV_MOVED] + L.ha_ev[BCACHE_EV_REFRESHED];
	enqueue(true, &old);
	lab_run_until(L.now + 50);
	ck_assert_uint_eq(L.ha.status_sent[MH_BA_SEQ_OUT_OF_WINDOW], 1);
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_MOVED] + L.ha_ev[BCACHE_EV_REFRESHED], ev_before);
	ck_assert(addr_eq(&ha_binding()->coa, &b));
	ck_assert_uint_eq(L.mn.drops[MN_DROP_NOT_WAITING], 1); /* the MN ignores that BA */
	ck_assert_int_eq(mn_state(&L.mn), BUL_REGISTERED);
	lab_teardown();
}
END_TEST

/* Return home (R6275-11.5.5.a, R6275-10.3.2): deregistration from the HoA,
 * HA stops intercepting (DELETED), MN reports HOME, entry gone after 10 s. */
START_TEST(return_home)
{
	lab_setup();
	register_at_a();
	lab_run_until(L.now + 30000);
	ck_assert_int_eq(mn_returned_home(&L.mn, L.now), 0);
	ck_assert(!L.last_bu.has_hao);
	ck_assert(addr_eq(&L.last_bu.src, &L.mn.p.hoa));
	lab_run_until(L.now + 50);
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_DELETED], 1);
	ck_assert_uint_eq(L.mn_ev[MN_EV_HOME], 1);
	ck_assert_int_eq(mn_state(&L.mn), BUL_IDLE);
	ck_assert_int_eq(ha_binding()->state, BCE_DELETING);
	lab_run_until(L.now + MIP6_MAX_DELETE_BCE_TIMEOUT_MS);
	ck_assert_ptr_null(ha_binding());
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_EXPIRED], 0);
	/* and away again: a fresh registration with DAD */
	register_at_a();
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_ADDED], 2);
	lab_teardown();
}
END_TEST

/* HA restart: state lost. The MN's next refresh registers again (any
 * sequence number is fine without an entry, R6275-9.5.1.b). */
START_TEST(ha_restart_refresh)
{
	lab_setup();
	register_at_a();
	lab_run_until(L.now + 20000);
	ha_fini(&L.ha);
	ha_start();
	ck_assert_ptr_null(ha_binding());
	lab_run_until(L.now + 100000);
	ck_assert_ptr_nonnull(ha_binding());
	ck_assert_int_eq(ha_binding()->state, BCE_VALID);
	ck_assert_uint_eq(L.ha_ev[BCACHE_EV_ADDED], 2);
	ck_assert_int_eq(mn_state(&L.mn), BUL_REGISTERED);
	ck_assert_uint_eq(L.mn_ev[MN_EV_EXPIRED], 0);
	lab_teardown();
}
END_TEST

/* HA restart seen by the data plane: the HA answers the MN's next packet
 * with a HAO (no binding any more) with a Binding Error status 1, and the MN
 * registers at once (R6275-11.3.6.b) instead of waiting for its refresh. */
START_TEST(ha_restart_binding_error)
{
	struct in6_addr a = A("2001:db8:2::200");
	uint64_t t0;

	lab_setup();
	register_at_a();
	lab_run_until(L.now + 20000);
	ha_fini(&L.ha);
	ha_start();
	t0 = L.now;
	ck_assert_int_eq(ha_binding_error(&L.ha, L.now, &a, &L.mn.p.ha, &L.mn.p.hoa,
					  MH_BE_UNKNOWN_HAO), 0);
	lab_run_until(t0 + 1100);
	ck_assert_ptr_nonnull(ha_binding());
	ck_assert_int_eq(ha_binding()->state, BCE_VALID);
	ck_assert_uint_eq(L.registered_at, t0 + 3 * LATENCY_MS + DAD_MS);
	lab_teardown();
}
END_TEST

static Suite *mip6x_suite(void)
{
	Suite *s = suite_create("mip6x");
	TCase *tc = tcase_create("exchange");
	tcase_add_test(tc, registration_and_refresh);
	tcase_add_test(tc, coa_change);
	tcase_add_test(tc, lost_first_bu);
	tcase_add_test(tc, replayed_bu);
	tcase_add_test(tc, return_home);
	tcase_add_test(tc, ha_restart_refresh);
	tcase_add_test(tc, ha_restart_binding_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(mip6x_suite());
}
