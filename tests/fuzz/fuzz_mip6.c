/*
 * libFuzzer target for the Mobile IPv6 engines (src/mip6/ha.c, mn.c,
 * bcache.c, bul.c). The engines take parsed messages, not bytes, so the
 * input is a program: each opcode byte picks one operation (a BU to the HA
 * with fuzzed fields and facts, a DAD result, a BA or BE to the MN, a CoA
 * change, return home, time passing, delivering the engines' own messages to
 * each other, a Binding Error from the HA) and the following bytes are its operands.
 *
 * Invariants checked after every step (abort on violation):
 *   - a BA the HA sends: an RH2 unless addressed to the HoA itself; accepted -> lifetime <= the policy cap and the BU's,
 *     BRA < lifetime, K 0 (manual SAs); rejected -> lifetime 0, no BRA
 *   - binding_changed only for an entry in state valid/deleting whose SA is
 *     the one authorised for its home address (R3776-4.2.k)
 *   - the Binding Cache stays sorted
 *   - after *_tick(now), *_next_timeout() is later than now (no busy loop)
 *   - the MN never sends more than MAX_UPDATE_RATE BUs in one second, each
 *     with a new sequence number (unless a 135 reset it), and never waits
 *     more than 32 s for a retransmission
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "mip6/ha.h"
#include "mip6/mn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SA_MN 0x77u
#define QMAX 16
#define MAX_LIFE_S 600u

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct cursor *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

static uint16_t take16(struct cursor *c)
{
	uint16_t v = (uint16_t)(take8(c) << 8);
	return (uint16_t)(v | take8(c));
}

struct fz {
	uint64_t now;
	struct ha ha;
	struct mn mn;
	uint16_t bu_lifetime; /* of the BU being processed */
	struct mip6_tx q[QMAX];
	bool q_to_ha[QMAX];
	size_t nq;
	uint64_t bu_times[MIP6_MAX_UPDATE_RATE + 1];
	bool have_seq;
	uint16_t last_seq;
	struct cursor rnd;
};

static struct fz F;

/* 2001:db8:1::100 (the MN), ::200, 2001:db8:9::1 (off-link), fe80::1 */
static struct in6_addr pick_addr(unsigned i)
{
	static const uint8_t tab[][16] = {
		{ 0x20, 1, 0x0d, 0xb8, 0, 1, [14] = 1, [15] = 0 },
		{ 0x20, 1, 0x0d, 0xb8, 0, 1, [14] = 2, [15] = 0 },
		{ 0x20, 1, 0x0d, 0xb8, 0, 2, [14] = 2, [15] = 0 },
		{ 0x20, 1, 0x0d, 0xb8, 0, 3, [14] = 3, [15] = 0 },
		{ 0x20, 1, 0x0d, 0xb8, 0, 9, [15] = 1 },
		{ 0xfe, 0x80, [15] = 1 },
		{ 0xff, 0x02, [15] = 1 },
		{ 0x20, 1, 0x0d, 0xb8, 0, 1, [15] = 1 }, /* the HA */
	};
	struct in6_addr a;
	memcpy(&a, tab[i % (sizeof(tab) / sizeof(tab[0]))], 16);
	return a;
}

static void queue(bool to_ha, const struct mip6_tx *tx)
{
	if (F.nq < QMAX) {
		F.q[F.nq] = *tx;
		F.q_to_ha[F.nq] = to_ha;
		F.nq++;
	}
}

static int ha_send(void *arg, const struct mip6_tx *tx)
{
	const struct mh_ba *ba = &tx->msg.u.ba;
	(void)arg;
	if (tx->msg.type == MH_TYPE_BE) { /* R6275-9.3.3.a */
		if (IN6_IS_ADDR_MULTICAST(&tx->dst) || tx->has_rh2 || tx->has_hao)
			abort();
		queue(false, tx);
		return 0;
	}
	/* R6275-9.5.4.g: without an RH2 only straight to the HoA; never a HAO */
	if (tx->msg.type != MH_TYPE_BA || (!tx->has_rh2 && !addr_eq(&tx->dst, &tx->hoa)) ||
	    tx->has_hao)
		abort();
	if (ba->flags & MH_BA_F_K)
		abort();
	if (mh_ba_status_accepted(ba->status)) {
		if (ba->lifetime > MAX_LIFE_S / 4 || ba->lifetime > F.bu_lifetime)
			abort();
		if (tx->msg.opts.has_bra && tx->msg.opts.bra_interval >= ba->lifetime)
			abort();
	} else if (ba->lifetime || tx->msg.opts.has_bra) {
		abort();
	}
	queue(false, tx);
	return 0;
}

static bool ha_sa_ok(void *arg, const struct in6_addr *hoa, uint32_t sa)
{
	struct in6_addr mine = pick_addr(0);
	(void)arg;
	return addr_eq(hoa, &mine) ? sa == SA_MN : sa == SA_MN + 1;
}

static int ha_dad(void *arg, const struct in6_addr *hoa, bool ll)
{
	(void)arg;
	(void)hoa;
	(void)ll;
	return 0;
}

static void ha_changed(void *arg, const struct bcache_entry *e, enum bcache_event ev)
{
	(void)arg;
	if (!ha_sa_ok(NULL, &e->hoa, e->sa_id))
		abort();
	if (ev == BCACHE_EV_DELETED ? e->state != BCE_DELETING : e->state != BCE_VALID)
		abort();
	if (ev != BCACHE_EV_DELETED && !addr_is_unicast_routable(&e->coa))
		abort();
}

static int mn_send(void *arg, const struct mip6_tx *tx)
{
	(void)arg;
	if (tx->msg.type != MH_TYPE_BU || !(tx->msg.u.bu.flags & MH_BU_F_H))
		abort();
	/* a new number every time (R6275-11.8.d) */
	if (F.have_seq && tx->msg.u.bu.seq == F.last_seq)
		abort();
	F.have_seq = true;
	F.last_seq = tx->msg.u.bu.seq;
	/* MAX_UPDATE_RATE: the 4th-last send is at least 1 s ago */
	memmove(&F.bu_times[0], &F.bu_times[1], sizeof(F.bu_times) - sizeof(F.bu_times[0]));
	F.bu_times[MIP6_MAX_UPDATE_RATE] = F.now;
	if (F.bu_times[0] && F.now - F.bu_times[0] < 1000)
		abort();
	queue(true, tx);
	return 0;
}

static void mn_event(void *arg, const struct mn_report *r)
{
	(void)arg;
	(void)r;
}

static void mn_random(void *arg, void *buf, size_t len)
{
	uint8_t *p = buf;
	(void)arg;
	for (size_t i = 0; i < len; i++)
		p[i] = take8(&F.rnd);
}

static const struct ha_ops ha_ops = { ha_send, ha_sa_ok, ha_dad, NULL, ha_changed };
static const struct mn_ops mn_ops = { mn_send, mn_event, mn_random };

static void check_cache(void)
{
	const struct bcache *bc = ha_bcache(&F.ha);
	for (size_t i = 1; i < bcache_count(bc); i++)
		if (memcmp(&bcache_at(bc, i - 1)->hoa, &bcache_at(bc, i)->hoa, 16) >= 0)
			abort();
}

static void tick_all(void)
{
	if (ha_next_timeout(&F.ha) <= F.now) {
		ha_tick(&F.ha, F.now);
		if (ha_next_timeout(&F.ha) <= F.now)
			abort();
	}
	if (mn_next_timeout(&F.mn) <= F.now) {
		mn_tick(&F.mn, F.now);
		if (mn_next_timeout(&F.mn) <= F.now)
			abort();
	}
	if (mn_state(&F.mn) == BUL_REGISTERING && !mn_bul(&F.mn)->send_pending &&
	    mn_next_timeout(&F.mn) > F.now + MIP6_MAX_BINDACK_TIMEOUT_MS)
		abort();
}

static void fill_rx_from_tx(const struct mip6_tx *tx, struct mip6_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->msg = tx->msg;
	rx->src = tx->src;
	rx->dst = tx->has_rh2 ? tx->hoa : tx->dst;
	rx->has_hao = tx->has_hao;
	rx->hao = tx->hoa;
	rx->esp = true;
	rx->sa_id = SA_MN;
}

static void deliver(void)
{
	while (F.nq) {
		struct mip6_tx tx = F.q[0];
		bool to_ha = F.q_to_ha[0];
		struct mip6_rx rx;
		memmove(&F.q[0], &F.q[1], (F.nq - 1) * sizeof(F.q[0]));
		memmove(&F.q_to_ha[0], &F.q_to_ha[1], (F.nq - 1) * sizeof(F.q_to_ha[0]));
		F.nq--;
		fill_rx_from_tx(&tx, &rx);
		if (to_ha) {
			F.bu_lifetime = rx.msg.u.bu.lifetime;
			ha_input_bu(&F.ha, F.now, &rx, NULL);
		} else {
			if (rx.msg.type == MH_TYPE_BE) {
				mn_input_be(&F.mn, F.now, &rx, NULL);
				continue;
			}
			if (rx.msg.u.ba.status == MH_BA_SEQ_OUT_OF_WINDOW)
				F.have_seq = false; /* 135: the HA's number + 1 may repeat ours */
			mn_input_ba(&F.mn, F.now, &rx, NULL);
		}
	}
}

static void op_bu(struct cursor *c)
{
	struct mip6_rx rx;
	uint8_t facts = take8(c);

	memset(&rx, 0, sizeof(rx));
	rx.msg.type = (facts & 0x80) ? MH_TYPE_BA : MH_TYPE_BU;
	rx.hao = pick_addr(take8(c));
	rx.has_hao = facts & 1;
	rx.src = pick_addr(take8(c));
	rx.dst = pick_addr(7);
	rx.esp = (facts & 2) == 0;
	rx.sa_id = SA_MN + (facts >> 2 & 3);
	rx.msg.u.bu.seq = take16(c);
	rx.msg.u.bu.flags = take16(c) & MH_BU_F_ALL;
	rx.msg.u.bu.lifetime = take16(c);
	rx.msg.opts.has_alt_coa = facts & 0x10;
	rx.msg.opts.alt_coa = pick_addr(take8(c));
	rx.msg.opts.has_nonce_idx = facts & 0x20;
	F.bu_lifetime = rx.msg.u.bu.lifetime;
	ha_input_bu(&F.ha, F.now, &rx, NULL);
}

static void op_ba(struct cursor *c, bool be)
{
	struct mip6_rx rx;
	uint8_t facts = take8(c);

	memset(&rx, 0, sizeof(rx));
	rx.src = pick_addr(facts & 1 ? take8(c) : 7);
	rx.esp = (facts & 2) == 0;
	if (be) {
		rx.msg.type = MH_TYPE_BE;
		rx.msg.u.be.status = take8(c) & 3;
		rx.msg.u.be.hoa = pick_addr(take8(c));
		mn_input_be(&F.mn, F.now, &rx, NULL);
		return;
	}
	rx.msg.type = MH_TYPE_BA;
	rx.msg.u.ba.status = take8(c);
	/* mostly near the last sequence number sent, so matches happen */
	rx.msg.u.ba.seq = facts & 4 ? take16(c) : (uint16_t)(mn_bul(&F.mn)->seq - (take8(c) & 3));
	rx.msg.u.ba.lifetime = take16(c);
	rx.msg.opts.has_bra = facts & 8;
	rx.msg.opts.bra_interval = take16(c);
	if (rx.msg.u.ba.status == MH_BA_SEQ_OUT_OF_WINDOW)
		F.have_seq = false;
	mn_input_ba(&F.mn, F.now, &rx, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };
	struct ha_params hp;
	struct mn_params mp;

	memset(&F, 0, sizeof(F));
	F.now = 1000;
	/* the tail of the input feeds the MN's randomness */
	F.rnd.p = data + size / 2;
	F.rnd.n = size - size / 2;
	c.n = size / 2;

	memset(&hp, 0, sizeof(hp));
	hp.home_reg = true;
	hp.address = pick_addr(7);
	prefix_parse("2001:db8:1::/64", &hp.prefixes[0], false);
	hp.n_prefixes = 1;
	hp.max_lifetime_s = MAX_LIFE_S;
	hp.dad = take8(&c) & 1;
	hp.bra_percent = take8(&c) % 101;
	hp.max_bindings = 2;
	if (ha_init(&F.ha, &hp, &ha_ops, NULL) != 0)
		abort();
	memset(&mp, 0, sizeof(mp));
	mp.hoa = pick_addr(0);
	mp.ha = pick_addr(7);
	mp.lifetime_s = 4 + take8(&c) * 4u;
	mp.initial_ms = 1000;
	mp.first_reg_ms = 1500;
	mp.max_ms = 32000;
	mp.refresh_percent = 80;
	if (mn_init(&F.mn, &mp, &mn_ops, NULL) != 0)
		abort();

	while (c.n) {
		uint8_t op = take8(&c);
		struct in6_addr a;
		switch (op % 10) {
		case 0: op_bu(&c); break;
		case 1:
			a = pick_addr(take8(&c));
			F.bu_lifetime = 0xffff; /* the parked BU's was checked when granted */
			ha_dad_result(&F.ha, F.now, &a, take8(&c) & 1);
			break;
		case 2: F.now += take16(&c); break;
		case 3: F.now += (uint64_t)take8(&c) * 4000u; break;
		case 4:
			a = pick_addr(take8(&c));
			mn_coa_changed(&F.mn, F.now, &a);
			break;
		case 5: mn_returned_home(&F.mn, F.now); break;
		case 6: op_ba(&c, false); break;
		case 7: op_ba(&c, true); break;
		case 8: deliver(); break;
		default:
			a = pick_addr(take8(&c));
			{
				struct in6_addr from = pick_addr(7), hoa = pick_addr(take8(&c));
				ha_binding_error(&F.ha, F.now, &a, &from, &hoa, take8(&c));
			}
			break;
		}
		tick_all();
		check_cache();
	}
	ha_fini(&F.ha);
	return 0;
}
