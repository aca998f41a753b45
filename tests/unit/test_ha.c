/*
 * Unit tests for src/mip6/ha: home agent Binding Update processing
 * (RFC 6275 §9.5.1, §10.3.1, §10.3.2; RFC 3776 §4.2). One table of BUs with
 * the exact BA each must draw (status, sequence, lifetime, K) or the exact
 * drop reason; then the DAD hand-off, expiry, the deletion delay and the
 * Binding Refresh Advice bound.
 *
 * Addresses follow test-vectors.md §E: home prefix 2001:db8:1::/64, HA
 * 2001:db8:1::1, HoA 2001:db8:1::100, CoA 2001:db8:2::200.
 */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "mip6/ha.h"
#include "testutil.h"

#define SA_MN1 0x1001u /* inbound BU SA configured for HOA1 */
#define SA_MN2 0x1002u /* inbound BU SA configured for HOA2 */

static struct in6_addr A(const char *s)
{
	struct in6_addr a;
	ck_assert_int_eq(addr_parse(s, &a), 0);
	return a;
}

/* The fake adapter: an outbox of one message, events, DAD requests. */
struct fake {
	struct mip6_tx tx;
	unsigned n_tx;
	struct bcache_entry ev_e;
	int ev;
	unsigned n_ev;
	unsigned n_dad;
	bool dad_ll;
	int dad_rc;
	uint32_t prefix_valid_s;
};

static int fake_send(void *arg, const struct mip6_tx *tx)
{
	struct fake *f = arg;
	f->tx = *tx;
	f->n_tx++;
	return 0;
}

/* R3776-4.2.k: exactly one SA per home address. */
static bool fake_sa_ok(void *arg, const struct in6_addr *hoa, uint32_t sa)
{
	(void)arg;
	if (addr_eq(hoa, &(struct in6_addr){ { { 0x20, 1, 0x0d, 0xb8, 0, 1, [14] = 1, [15] = 0 } } }))
		return sa == SA_MN1;
	if (addr_eq(hoa, &(struct in6_addr){ { { 0x20, 1, 0x0d, 0xb8, 0, 1, [14] = 2, [15] = 0 } } }))
		return sa == SA_MN2;
	return false;
}

static int fake_dad(void *arg, const struct in6_addr *hoa, bool ll)
{
	struct fake *f = arg;
	(void)hoa;
	f->n_dad++;
	f->dad_ll = ll;
	return f->dad_rc;
}

static uint32_t fake_prefix(void *arg, const struct in6_addr *hoa)
{
	(void)hoa;
	return ((struct fake *)arg)->prefix_valid_s;
}

static void fake_changed(void *arg, const struct bcache_entry *e, enum bcache_event ev)
{
	struct fake *f = arg;
	f->ev_e = *e;
	f->ev = (int)ev;
	f->n_ev++;
}

static const struct ha_ops ops = { fake_send, fake_sa_ok, fake_dad, NULL, fake_changed };
static const struct ha_ops ops_pfx = { fake_send, fake_sa_ok, fake_dad, fake_prefix, fake_changed };

static struct ha_params params(void)
{
	struct ha_params p;
	memset(&p, 0, sizeof(p));
	p.home_reg = true;
	p.address = A("2001:db8:1::1");
	ck_assert_int_eq(prefix_parse("2001:db8:1::/64", &p.prefixes[0], false), 0);
	p.n_prefixes = 1;
	p.max_lifetime_s = 600; /* 150 units */
	p.bra_percent = 80;
	return p;
}

/* A BU from CoA 2001:db8:2::200 with HAO = hoa, ESP by sa. */
static struct mip6_rx bu(const char *hoa, uint16_t seq, uint16_t flags, uint16_t life, uint32_t sa)
{
	struct mip6_rx rx;
	memset(&rx, 0, sizeof(rx));
	rx.msg.type = MH_TYPE_BU;
	rx.msg.u.bu.seq = seq;
	rx.msg.u.bu.flags = flags;
	rx.msg.u.bu.lifetime = life;
	rx.msg.opts.has_alt_coa = true;
	rx.msg.opts.alt_coa = A("2001:db8:2::200");
	rx.src = A("2001:db8:2::200");
	rx.dst = A("2001:db8:1::1");
	rx.has_hao = true;
	rx.hao = A(hoa);
	rx.esp = true;
	rx.sa_id = sa;
	return rx;
}

#define AH (MH_BU_F_A | MH_BU_F_H)
#define HOA1 "2001:db8:1::100"
#define HOA2 "2001:db8:1::200"
#define NOBA (-1)
#define NOEV (-1)

enum mutate {
	MUT_NONE = 0,
	MUT_NO_ESP,
	MUT_COA_IS_HOA,   /* Alternate CoA = HoA: deregistration */
	MUT_NONCE,        /* Nonce Indices in a home registration */
	MUT_COA_MCAST,    /* Alternate CoA ff02::1 */
	MUT_SRC_MCAST,    /* IPv6 source not unicast */
	MUT_NOT_BU,
};

struct ha_case {
	const char *name;
	/* setup */
	int existing_seq; /* >= 0: HOA1 already registered with this seq */
	bool home_reg_off, kmm, pfx;
	uint32_t prefix_valid_s;
	size_t max_bindings;
	/* the BU */
	const char *hoa;
	uint16_t seq, flags, life;
	uint32_t sa;
	enum mutate mut;
	/* expected */
	int rc;
	enum ha_drop why;
	int status; /* NOBA: nothing sent */
	uint16_t ba_seq, ba_life;
	bool ba_k;
	int ev;
};

static const struct ha_case cases[] = {
	{ "first registration", -1, .hoa = HOA1, .seq = 10, .flags = AH, .life = 100, .sa = SA_MN1,
	  .status = MH_BA_ACCEPTED, .ba_seq = 10, .ba_life = 100, .ev = BCACHE_EV_ADDED },
	/* R6275-10.3.1.i: a BA for a home registration even with A=0 */
	{ "A=0 still answered", -1, .hoa = HOA1, .seq = 10, .flags = MH_BU_F_H, .life = 100,
	  .sa = SA_MN1, .status = MH_BA_ACCEPTED, .ba_seq = 10, .ba_life = 100,
	  .ev = BCACHE_EV_ADDED },
	/* R6275-10.3.1.h: capped by max-binding-lifetime 600 s = 150 units */
	{ "lifetime capped by policy", -1, .hoa = HOA1, .seq = 1, .flags = AH, .life = 1000,
	  .sa = SA_MN1, .status = 0, .ba_seq = 1, .ba_life = 150, .ev = BCACHE_EV_ADDED },
	/* R6275-10.3.1.h, .j: prefix valid 203 s -> 50 units (low two bits dropped) */
	{ "lifetime capped by prefix", -1, .pfx = true, .prefix_valid_s = 203, .hoa = HOA1,
	  .seq = 1, .flags = AH, .life = 100, .sa = SA_MN1, .status = 0, .ba_seq = 1, .ba_life = 50,
	  .ev = BCACHE_EV_ADDED },
	{ "prefix invalid -> 132", -1, .pfx = true, .prefix_valid_s = 3, .hoa = HOA1, .seq = 1,
	  .flags = AH, .life = 100, .sa = SA_MN1, .status = MH_BA_NOT_HOME_SUBNET, .ba_seq = 1,
	  .ev = NOEV },
	/* R6275-6.1.7.a, R6275-10.3.1.k: manual SAs -> K 0 even if asked */
	{ "K asked, manual SAs", -1, .hoa = HOA1, .seq = 5, .flags = AH | MH_BU_F_K, .life = 10,
	  .sa = SA_MN1, .status = 0, .ba_seq = 5, .ba_life = 10, .ba_k = false,
	  .ev = BCACHE_EV_ADDED },
	{ "K asked, key mgmt mobility", -1, .kmm = true, .hoa = HOA1, .seq = 5,
	  .flags = AH | MH_BU_F_K, .life = 10, .sa = SA_MN1, .status = 0, .ba_seq = 5,
	  .ba_life = 10, .ba_k = true, .ev = BCACHE_EV_ADDED },
	{ "K not asked, key mgmt mobility", -1, .kmm = true, .hoa = HOA1, .seq = 5, .flags = AH,
	  .life = 10, .sa = SA_MN1, .status = 0, .ba_seq = 5, .ba_life = 10, .ba_k = false,
	  .ev = BCACHE_EV_ADDED },
	{ "refresh", 10, .hoa = HOA1, .seq = 11, .flags = AH, .life = 100, .sa = SA_MN1,
	  .status = 0, .ba_seq = 11, .ba_life = 100, .ev = BCACHE_EV_REFRESHED },
	/* R6275-9.5.1.b, .e: 135 carries the last accepted number */
	{ "replayed seq equal -> 135", 10, .hoa = HOA1, .seq = 10, .flags = AH, .life = 100,
	  .sa = SA_MN1, .status = MH_BA_SEQ_OUT_OF_WINDOW, .ba_seq = 10, .ev = NOEV },
	{ "older seq -> 135", 10, .hoa = HOA1, .seq = 9, .flags = AH, .life = 100, .sa = SA_MN1,
	  .status = MH_BA_SEQ_OUT_OF_WINDOW, .ba_seq = 10, .ev = NOEV },
	{ "seq 32768 ahead -> 135", 10, .hoa = HOA1, .seq = 10 + 32768, .flags = AH, .life = 100,
	  .sa = SA_MN1, .status = MH_BA_SEQ_OUT_OF_WINDOW, .ba_seq = 10, .ev = NOEV },
	{ "seq 32767 ahead accepted", 10, .hoa = HOA1, .seq = 10 + 32767, .flags = AH, .life = 100,
	  .sa = SA_MN1, .status = 0, .ba_seq = 10 + 32767, .ba_life = 100,
	  .ev = BCACHE_EV_REFRESHED },
	{ "seq wraps 65535 -> 0", 65535, .hoa = HOA1, .seq = 0, .flags = AH, .life = 100,
	  .sa = SA_MN1, .status = 0, .ba_seq = 0, .ba_life = 100, .ev = BCACHE_EV_REFRESHED },
	/* R6275-10.3.2.c: status 0, lifetime 0 */
	{ "deregistration lifetime 0", 10, .hoa = HOA1, .seq = 11, .flags = AH, .life = 0,
	  .sa = SA_MN1, .status = 0, .ba_seq = 11, .ba_life = 0, .ev = BCACHE_EV_DELETED },
	{ "deregistration CoA = HoA", 10, .hoa = HOA1, .seq = 11, .flags = AH, .life = 100,
	  .sa = SA_MN1, .mut = MUT_COA_IS_HOA, .status = 0, .ba_seq = 11, .ba_life = 0,
	  .ev = BCACHE_EV_DELETED },
	/* R6275-10.3.2.b */
	{ "deregistration without binding -> 133", -1, .hoa = HOA1, .seq = 11, .flags = AH,
	  .life = 0, .sa = SA_MN1, .status = MH_BA_NOT_HA_FOR_MN, .ba_seq = 11, .ev = NOEV },
	{ "replayed deregistration -> 135", 10, .hoa = HOA1, .seq = 10, .flags = AH, .life = 0,
	  .sa = SA_MN1, .status = MH_BA_SEQ_OUT_OF_WINDOW, .ba_seq = 10, .ev = NOEV },
	/* R6275-10.3.1.c */
	{ "outside home prefix -> 132", -1, .hoa = "2001:db8:9::100", .seq = 1, .flags = AH,
	  .life = 100, .sa = SA_MN1, .status = MH_BA_NOT_HOME_SUBNET, .ba_seq = 1, .ev = NOEV },
	/* R3776-4.2.k: MN1's valid SA used for MN2's home address */
	{ "foreign HoA with own SA -> 129", -1, .hoa = HOA2, .seq = 1, .flags = AH, .life = 100,
	  .sa = SA_MN1, .status = MH_BA_PROHIBITED, .ba_seq = 1, .ev = NOEV },
	{ "foreign HoA over existing binding -> 129", 10, .hoa = HOA1, .seq = 11, .flags = AH,
	  .life = 100, .sa = SA_MN2, .status = MH_BA_PROHIBITED, .ba_seq = 11, .ev = NOEV },
	/* R6275-10.3.1.b */
	{ "not a home agent -> 131", -1, .home_reg_off = true, .hoa = HOA1, .seq = 1, .flags = AH,
	  .life = 100, .sa = SA_MN1, .status = MH_BA_HOME_REG_UNSUPP, .ba_seq = 1, .ev = NOEV },
	/* R6275-9.5.1.f */
	{ "H=0 over home binding -> 139", 10, .hoa = HOA1, .seq = 11, .flags = MH_BU_F_A,
	  .life = 100, .sa = SA_MN1, .status = MH_BA_REG_TYPE_CHANGE, .ba_seq = 11, .ev = NOEV },
	{ "H=0 without binding dropped", -1, .hoa = HOA1, .seq = 1, .flags = MH_BU_F_A,
	  .life = 100, .sa = SA_MN1, .rc = M6E_UNSUPP, .why = HA_DROP_NOT_HOME_REG,
	  .status = NOBA, .ev = NOEV },
	/* R6275-10.3.1.d */
	{ "cache full -> 130", 10, .max_bindings = 1, .hoa = HOA2, .seq = 1, .flags = AH,
	  .life = 100, .sa = SA_MN2, .status = MH_BA_NO_RESOURCES, .ba_seq = 1, .ev = NOEV },
	/* silent drops, R6275-9.5.1.h */
	{ "no ESP dropped", -1, .hoa = HOA1, .seq = 1, .flags = AH, .life = 100, .sa = SA_MN1,
	  .mut = MUT_NO_ESP, .rc = M6E_AUTH, .why = HA_DROP_UNPROTECTED, .status = NOBA,
	  .ev = NOEV },
	{ "nonce indices dropped", -1, .hoa = HOA1, .seq = 1, .flags = AH, .life = 100,
	  .sa = SA_MN1, .mut = MUT_NONCE, .rc = M6E_PROTO, .why = HA_DROP_NONCE_IDX,
	  .status = NOBA, .ev = NOEV },
	{ "link-local HoA dropped", -1, .hoa = "fe80::100", .seq = 1, .flags = AH, .life = 100,
	  .sa = SA_MN1, .rc = M6E_INVAL, .why = HA_DROP_BAD_HOA, .status = NOBA, .ev = NOEV },
	{ "multicast CoA dropped", -1, .hoa = HOA1, .seq = 1, .flags = AH, .life = 100,
	  .sa = SA_MN1, .mut = MUT_COA_MCAST, .rc = M6E_INVAL, .why = HA_DROP_BAD_COA,
	  .status = NOBA, .ev = NOEV },
	{ "multicast source dropped", -1, .hoa = HOA1, .seq = 1, .flags = AH, .life = 100,
	  .sa = SA_MN1, .mut = MUT_SRC_MCAST, .rc = M6E_INVAL, .why = HA_DROP_BAD_SRC,
	  .status = NOBA, .ev = NOEV },
	{ "not a BU dropped", -1, .hoa = HOA1, .seq = 1, .flags = AH, .life = 100, .sa = SA_MN1,
	  .mut = MUT_NOT_BU, .rc = M6E_INVAL, .why = HA_DROP_NOT_BU, .status = NOBA, .ev = NOEV },
};

START_TEST(bu_table)
{
	const struct ha_case *c = &cases[_i];
	struct ha_params p = params();
	struct fake f;
	struct ha ha;
	enum ha_drop why = HA_DROP_COUNT;
	struct mip6_rx rx;
	int rc;

	memset(&f, 0, sizeof(f));
	f.prefix_valid_s = c->prefix_valid_s;
	p.home_reg = !c->home_reg_off;
	p.key_mgmt_mobility = c->kmm;
	p.max_bindings = c->max_bindings;
	ck_assert_int_eq(ha_init(&ha, &p, c->pfx ? &ops_pfx : &ops, &f), 0);
	if (c->existing_seq >= 0) {
		rx = bu(HOA1, (uint16_t)c->existing_seq, AH, 100, SA_MN1);
		ck_assert_int_eq(ha_input_bu(&ha, 1000, &rx, NULL), 0);
		ck_assert_uint_eq(f.tx.msg.u.ba.status, 0);
		memset(&f.tx, 0, sizeof(f.tx));
		f.n_tx = f.n_ev = 0;
		f.ev = NOEV;
	}
	rx = bu(c->hoa, c->seq, c->flags, c->life, c->sa);
	switch (c->mut) {
	case MUT_NO_ESP: rx.esp = false; break;
	case MUT_COA_IS_HOA: rx.msg.opts.alt_coa = rx.hao; break;
	case MUT_NONCE: rx.msg.opts.has_nonce_idx = true; break;
	case MUT_COA_MCAST: rx.msg.opts.alt_coa = A("ff02::1"); break;
	case MUT_SRC_MCAST: rx.src = A("ff02::1"); break;
	case MUT_NOT_BU: rx.msg.type = MH_TYPE_BA; break;
	default: break;
	}
	rc = ha_input_bu(&ha, 5000, &rx, &why);
	ck_assert_msg(rc == c->rc, "%s: rc %d", c->name, rc);
	ck_assert_msg(why == (c->rc ? c->why : HA_DROP_NONE), "%s: why %s", c->name,
		      ha_drop_name(why));
	if (c->rc)
		ck_assert_uint_eq(ha.drops[c->why], 1);
	if (c->status == NOBA) {
		ck_assert_uint_eq(f.n_tx, 0);
	} else {
		const struct mh_ba *ba = &f.tx.msg.u.ba;
		ck_assert_uint_eq(f.n_tx, 1);
		ck_assert_uint_eq(f.tx.msg.type, MH_TYPE_BA);
		ck_assert_msg(ba->status == c->status, "%s: status %u", c->name, ba->status);
		ck_assert_uint_eq(ba->seq, c->ba_seq);
		ck_assert_uint_eq(ba->lifetime, c->ba_life);
		ck_assert_int_eq((ba->flags & MH_BA_F_K) != 0, c->ba_k);
		/* R6275-9.5.4.g, R3776-4.2.j: to the CoA, RH2 with the HoA, ESP */
		ck_assert(addr_eq(&f.tx.src, &rx.dst));
		ck_assert(addr_eq(&f.tx.dst, &rx.src));
		ck_assert(f.tx.has_rh2);
		ck_assert(!f.tx.has_hao);
		ck_assert(addr_eq(&f.tx.hoa, &rx.hao));
		ck_assert_int_eq(f.tx.protect, MIP6_PROT_ESP_BU_BA);
		/* R6275-6.2.4.a: a BRA only when accepted with a lifetime, and smaller */
		if (mh_ba_status_accepted(ba->status) && ba->lifetime >= 2) {
			ck_assert(f.tx.msg.opts.has_bra);
			ck_assert_uint_lt(f.tx.msg.opts.bra_interval, ba->lifetime);
		} else {
			ck_assert(!f.tx.msg.opts.has_bra);
		}
	}
	if (c->ev == NOEV) {
		ck_assert_uint_eq(f.n_ev, 0);
	} else {
		ck_assert_uint_eq(f.n_ev, 1);
		ck_assert_int_eq(f.ev, c->ev);
		ck_assert(addr_eq(&f.ev_e.hoa, &rx.hao));
	}
	/* a rejected BU leaves an existing binding as it was */
	if (c->existing_seq >= 0 && c->status >= 128) {
		struct in6_addr h1 = A(HOA1);
		const struct bcache_entry *e = bcache_lookup(&ha.bc, &h1);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->seq, (uint16_t)c->existing_seq);
		ck_assert_int_eq(e->state, BCE_VALID);
	}
	ha_fini(&ha);
}
END_TEST

/* CoA change: MOVED with the new CoA (what re-points the tunnel SAs). */
START_TEST(coa_moves)
{
	struct ha_params p = params();
	struct fake f;
	struct ha ha;
	struct mip6_rx rx;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ha_init(&ha, &p, &ops, &f), 0);
	rx = bu(HOA1, 1, AH, 100, SA_MN1);
	ck_assert_int_eq(ha_input_bu(&ha, 0, &rx, NULL), 0);
	rx = bu(HOA1, 2, AH, 100, SA_MN1);
	rx.src = rx.msg.opts.alt_coa = A("2001:db8:3::300");
	ck_assert_int_eq(ha_input_bu(&ha, 1000, &rx, NULL), 0);
	ck_assert_int_eq(f.ev, BCACHE_EV_MOVED);
	ck_assert(addr_eq(&f.ev_e.coa, &rx.src));
	ck_assert(addr_eq(&f.tx.dst, &rx.src));
	/* the Alternate CoA, not the IPv6 source, is the CoA (R6275-9.5.1.i) */
	rx = bu(HOA1, 3, AH, 100, SA_MN1);
	rx.msg.opts.alt_coa = A("2001:db8:4::400");
	ck_assert_int_eq(ha_input_bu(&ha, 2000, &rx, NULL), 0);
	ck_assert_int_eq(f.ev, BCACHE_EV_MOVED);
	ck_assert(addr_eq(&f.ev_e.coa, &rx.msg.opts.alt_coa));
	ha_fini(&ha);
}
END_TEST

/* R6275-10.3.1.g: the first registration waits for DAD. */
START_TEST(dad_flow)
{
	struct ha_params p = params();
	struct fake f;
	struct ha ha;
	struct mip6_rx rx;
	struct in6_addr h1 = A(HOA1);
	enum ha_drop why;

	p.dad = true;
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ha_init(&ha, &p, &ops, &f), 0);

	/* success, with a retransmission arriving during DAD */
	rx = bu(HOA1, 20, AH | MH_BU_F_L, 100, SA_MN1);
	ck_assert_int_eq(ha_input_bu(&ha, 0, &rx, &why), 0);
	ck_assert_uint_eq(f.n_tx, 0);
	ck_assert_uint_eq(f.n_dad, 1);
	ck_assert(f.dad_ll); /* L bit: the link-local address too */
	ck_assert_uint_eq(f.n_ev, 0);
	ck_assert_int_eq(ha_input_bu(&ha, 100, &rx, &why), 0); /* duplicated in transit */
	ck_assert_int_eq(why, HA_DROP_DAD_BUSY);
	ck_assert_uint_eq(f.n_tx, 0);
	rx.msg.u.bu.seq = 19; /* older than the parked one */
	ck_assert_int_eq(ha_input_bu(&ha, 100, &rx, &why), 0);
	ck_assert_uint_eq(f.tx.msg.u.ba.status, MH_BA_SEQ_OUT_OF_WINDOW);
	ck_assert_uint_eq(f.tx.msg.u.ba.seq, 20);
	f.n_tx = 0;
	rx.msg.u.bu.seq = 21;
	ck_assert_int_eq(ha_input_bu(&ha, 500, &rx, &why), 0);
	ck_assert_int_eq(why, HA_DROP_DAD_BUSY);
	ck_assert_uint_eq(f.n_dad, 1); /* no second DAD */
	ck_assert_uint_eq(f.n_tx, 0);
	ck_assert_int_eq(ha_dad_result(&ha, 1000, &h1, true), 0);
	ck_assert_uint_eq(f.n_tx, 1);
	ck_assert_uint_eq(f.tx.msg.u.ba.status, 0);
	ck_assert_uint_eq(f.tx.msg.u.ba.seq, 21);
	ck_assert_int_eq(f.ev, BCACHE_EV_ADDED);
	ck_assert_int_eq(ha_dad_result(&ha, 1000, &h1, true), M6E_NOTFOUND);
	/* a refresh needs no DAD */
	rx.msg.u.bu.seq = 22;
	ck_assert_int_eq(ha_input_bu(&ha, 2000, &rx, NULL), 0);
	ck_assert_uint_eq(f.n_dad, 1);
	ck_assert_uint_eq(f.n_tx, 2);
	ha_fini(&ha);

	/* failure: 134 with the BU's sequence number, no binding left */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ha_init(&ha, &p, &ops, &f), 0);
	rx = bu(HOA1, 30, AH, 100, SA_MN1);
	ck_assert_int_eq(ha_input_bu(&ha, 0, &rx, NULL), 0);
	ck_assert(!f.dad_ll);
	ck_assert_int_eq(ha_dad_result(&ha, 1000, &h1, false), 0);
	ck_assert_uint_eq(f.tx.msg.u.ba.status, MH_BA_DAD_FAILED);
	ck_assert_uint_eq(f.tx.msg.u.ba.seq, 30);
	ck_assert_uint_eq(f.n_ev, 0);
	ck_assert_uint_eq(bcache_count(ha_bcache(&ha)), 0);

	/* no answer: the DAD guard drops the parked BU without a BA */
	f.n_tx = 0;
	ck_assert_int_eq(ha_input_bu(&ha, 10000, &rx, NULL), 0);
	ck_assert_uint_eq(ha_next_timeout(&ha), 10000 + HA_DAD_GUARD_MS);
	ha_tick(&ha, 10000 + HA_DAD_GUARD_MS - 1);
	ck_assert_uint_eq(bcache_count(ha_bcache(&ha)), 1);
	ha_tick(&ha, 10000 + HA_DAD_GUARD_MS);
	ck_assert_uint_eq(bcache_count(ha_bcache(&ha)), 0);
	ck_assert_uint_eq(f.n_tx, 0);
	ck_assert_uint_eq(f.n_ev, 0);

	/* the adapter cannot run DAD: 128 */
	f.dad_rc = M6E_IO;
	ck_assert_int_eq(ha_input_bu(&ha, 20000, &rx, NULL), 0);
	ck_assert_uint_eq(f.tx.msg.u.ba.status, MH_BA_UNSPECIFIED);
	ck_assert_uint_eq(bcache_count(ha_bcache(&ha)), 0);
	ha_fini(&ha);
}
END_TEST

/* R6275-10.3.1.h: the binding ends at its granted lifetime. */
START_TEST(expiry)
{
	struct ha_params p = params();
	struct fake f;
	struct ha ha;
	struct mip6_rx rx;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ha_init(&ha, &p, &ops, &f), 0);
	ck_assert_uint_eq(ha_next_timeout(&ha), MIP6_NEVER);
	rx = bu(HOA1, 1, AH, 25, SA_MN1); /* 100 s */
	ck_assert_int_eq(ha_input_bu(&ha, 7000, &rx, NULL), 0);
	ck_assert_uint_eq(ha_next_timeout(&ha), 107000);
	ha_tick(&ha, 106999);
	ck_assert_uint_eq(f.n_ev, 1);
	ha_tick(&ha, 107000);
	ck_assert_uint_eq(f.n_ev, 2);
	ck_assert_int_eq(f.ev, BCACHE_EV_EXPIRED);
	ck_assert_uint_eq(bcache_count(ha_bcache(&ha)), 0);
	ha_fini(&ha);
}
END_TEST

/* R6275-10.3.2.e: after deregistration the entry stays MAX_DELETE_BCE_TIMEOUT
 * so a delayed BU from the visited link draws 135; then it is gone. */
START_TEST(delete_delay)
{
	struct ha_params p = params();
	struct fake f;
	struct ha ha;
	struct mip6_rx rx;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ha_init(&ha, &p, &ops, &f), 0);
	rx = bu(HOA1, 1, AH, 100, SA_MN1);
	ck_assert_int_eq(ha_input_bu(&ha, 0, &rx, NULL), 0);
	rx = bu(HOA1, 2, AH, 0, SA_MN1);
	ck_assert_int_eq(ha_input_bu(&ha, 1000, &rx, NULL), 0);
	ck_assert_int_eq(f.ev, BCACHE_EV_DELETED);
	ck_assert_uint_eq(ha_next_timeout(&ha), 1000 + MIP6_MAX_DELETE_BCE_TIMEOUT_MS);
	rx = bu(HOA1, 1, AH, 100, SA_MN1); /* the delayed one */
	ck_assert_int_eq(ha_input_bu(&ha, 2000, &rx, NULL), 0);
	ck_assert_uint_eq(f.tx.msg.u.ba.status, MH_BA_SEQ_OUT_OF_WINDOW);
	ck_assert_uint_eq(f.tx.msg.u.ba.seq, 2);
	rx = bu(HOA1, 2, AH, 0, SA_MN1); /* dereg retransmitted: 135 too */
	ck_assert_int_eq(ha_input_bu(&ha, 2000, &rx, NULL), 0);
	ck_assert_uint_eq(f.tx.msg.u.ba.status, MH_BA_SEQ_OUT_OF_WINDOW);
	rx = bu(HOA1, 3, AH, 0, SA_MN1); /* a new dereg: no binding -> 133 */
	ck_assert_int_eq(ha_input_bu(&ha, 2000, &rx, NULL), 0);
	ck_assert_uint_eq(f.tx.msg.u.ba.status, MH_BA_NOT_HA_FOR_MN);
	ck_assert_uint_eq(f.n_ev, 2); /* DELETED is not repeated on removal */
	ha_tick(&ha, 1000 + MIP6_MAX_DELETE_BCE_TIMEOUT_MS);
	ck_assert_uint_eq(bcache_count(ha_bcache(&ha)), 0);
	ck_assert_uint_eq(f.n_ev, 2);
	/* gone: any sequence number registers again (R6275-9.5.1.b) */
	rx = bu(HOA1, 1, AH, 100, SA_MN1);
	ck_assert_int_eq(ha_input_bu(&ha, 20000, &rx, NULL), 0);
	ck_assert_uint_eq(f.tx.msg.u.ba.status, 0);
	ck_assert_int_eq(f.ev, BCACHE_EV_ADDED);
	ha_fini(&ha);
}
END_TEST

/* R6275-6.2.4.a: Refresh Interval < Lifetime for every granted lifetime. */
START_TEST(bra_below_lifetime)
{
	struct ha_params p = params();
	struct fake f;
	struct ha ha;

	p.max_lifetime_s = 0xffffu * 4u;
	for (unsigned pct = 1; pct <= 100; pct += 33) {
		p.bra_percent = pct;
		memset(&f, 0, sizeof(f));
		ck_assert_int_eq(ha_init(&ha, &p, &ops, &f), 0);
		for (unsigned life = 1; life < 0xffffu; life = life * 3 + 1) {
			struct mip6_rx rx = bu(HOA1, (uint16_t)life, AH, (uint16_t)life, SA_MN1);
			ck_assert_int_eq(ha_input_bu(&ha, 0, &rx, NULL), 0);
			ck_assert_uint_eq(f.tx.msg.u.ba.lifetime, life);
			ck_assert_int_eq(f.tx.msg.opts.has_bra, life >= 2);
			if (life >= 2) {
				ck_assert_uint_lt(f.tx.msg.opts.bra_interval, life);
				ck_assert_uint_gt(f.tx.msg.opts.bra_interval, 0);
			}
		}
		ha_fini(&ha);
	}
}
END_TEST

/* R6275-9.3.3: Binding Errors go to the wire source, carry the HAO address
 * (or ::), never to multicast, and are rate-limited. */
START_TEST(binding_errors)
{
	struct ha_params p = params();
	struct fake f;
	struct ha ha;
	struct in6_addr to = A("2001:db8:2::200"), from = A("2001:db8:1::1"), h1 = A(HOA1);
	struct in6_addr mc = A("ff02::1"), zero = A("::");
	uint64_t now = 50000;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ha_init(&ha, &p, &ops, &f), 0);
	ck_assert_int_eq(ha_binding_error(&ha, now, &to, &from, &h1, MH_BE_UNKNOWN_HAO), 0);
	ck_assert_uint_eq(f.tx.msg.type, MH_TYPE_BE);
	ck_assert_uint_eq(f.tx.msg.u.be.status, MH_BE_UNKNOWN_HAO);
	ck_assert(addr_eq(&f.tx.msg.u.be.hoa, &h1));
	ck_assert(addr_eq(&f.tx.dst, &to));
	ck_assert(addr_eq(&f.tx.src, &from));
	ck_assert(!f.tx.has_rh2 && !f.tx.has_hao);
	ck_assert_int_eq(f.tx.protect, MIP6_PROT_NONE);
	ck_assert_int_eq(ha_binding_error(&ha, now, &to, &from, NULL, MH_BE_UNKNOWN_TYPE), 0);
	ck_assert(addr_eq(&f.tx.msg.u.be.hoa, &zero));
	ck_assert_int_eq(ha_binding_error(&ha, now, &mc, &from, NULL, MH_BE_UNKNOWN_TYPE),
			 M6E_INVAL);
	ck_assert_uint_eq(f.n_tx, 2);
	/* the rest of the burst, then nothing until a token comes back */
	for (unsigned i = 2; i < HA_BE_BURST; i++)
		ck_assert_int_eq(ha_binding_error(&ha, now, &to, &from, NULL, 2), 0);
	ck_assert_int_eq(ha_binding_error(&ha, now, &to, &from, NULL, 2), M6E_AGAIN);
	ck_assert_int_eq(ha_binding_error(&ha, now + 99, &to, &from, NULL, 2), M6E_AGAIN);
	ck_assert_int_eq(ha_binding_error(&ha, now + 100, &to, &from, NULL, 2), 0);
	ck_assert_int_eq(ha_binding_error(&ha, now + 100, &to, &from, NULL, 2), M6E_AGAIN);
	ck_assert_uint_eq(f.n_tx, HA_BE_BURST + 1);
	ck_assert_uint_eq(ha.be_limited, 3);
	/* a quiet second refills the whole burst, no more */
	for (unsigned i = 0; i < HA_BE_BURST; i++)
		ck_assert_int_eq(ha_binding_error(&ha, now + 5000, &to, &from, NULL, 2), 0);
	ck_assert_int_eq(ha_binding_error(&ha, now + 5000, &to, &from, NULL, 2), M6E_AGAIN);
	ha_fini(&ha);
}
END_TEST

START_TEST(params_and_names)
{
	struct ha_params p = params();
	struct fake f;
	struct ha ha;
	struct ha_ops bad = ops;

	bad.dad_start = NULL;
	p.dad = true;
	ck_assert_int_eq(ha_init(&ha, &p, &bad, &f), M6E_INVAL);
	bad = ops;
	bad.sa_authorised = NULL;
	ck_assert_int_eq(ha_init(&ha, &p, &bad, &f), M6E_INVAL);
	ck_assert_str_eq(ha_drop_name(HA_DROP_UNPROTECTED), "not ESP-protected");
	ck_assert_str_eq(ha_drop_name(HA_DROP_COUNT), "unknown");
}
END_TEST

static Suite *ha_suite(void)
{
	Suite *s = suite_create("ha");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, bu_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, coa_moves);
	tcase_add_test(tc, dad_flow);
	tcase_add_test(tc, expiry);
	tcase_add_test(tc, delete_delay);
	tcase_add_test(tc, bra_below_lifetime);
	tcase_add_test(tc, binding_errors);
	tcase_add_test(tc, params_and_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(ha_suite());
}
