/*
 * Tier 2 tests for CHILD_SAs beyond the first and for rekeying (RFC 7296
 * 1.3, 2.8, 2.17, 2.18): two engines back to back (tests/unit/ikesa_pair.h),
 * a fake clock, nonces forced through ops->random where the order matters.
 * Each test asserts what the adapters would see: child_up/child_down with
 * their keys, ike_rekeyed with the new SA, down reasons, and that both
 * sides end with the same pairs.
 */
#include <string.h>

#include "crypto/ike_crypto.h"
#include "ikesa_pair.h"
#include "testutil.h"

static struct pair_ctx ctx;

static void setup(void)
{
	ck_assert_int_eq(pair_init(&ctx, 3), 0);
}

static void teardown(void)
{
	pair_fini(&ctx);
}

static struct pair_side *mn(void) { return &ctx.side[PAIR_MN]; }
static struct pair_side *ha(void) { return &ctx.side[PAIR_HA]; }

static void handshake(void)
{
	ck_assert_int_eq(pair_start(&ctx), 0);
	pair_pump(&ctx);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	ck_assert_uint_eq(mn()->n_live, 1);
	ck_assert_uint_eq(ha()->n_live, 1);
}

/* The pair on each side whose spi_in is in, as reported by child_up. */
static const struct ikesa_child *live(const struct pair_side *s, uint32_t spi_in)
{
	for (unsigned i = 0; i < s->n_live; i++)
		if (s->live[i].spi_in == spi_in)
			return &s->live[i];
	return NULL;
}

/* R7296-2.17.a: one side's outbound keys are the other's inbound keys. */
static void assert_pair_matches(const struct ikesa_child *a, const struct ikesa_child *b)
{
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(a->spi_in, b->spi_out);
	ck_assert_uint_eq(a->spi_out, b->spi_in);
	ck_assert_int_eq(a->alg, b->alg);
	ck_assert_uint_eq(a->keymat_len, b->keymat_len);
	ck_assert_uint_gt(a->keymat_len, 0);
	tu_assert_mem_eq(a->keymat_out, a->keymat_len, b->keymat_in, b->keymat_len);
	tu_assert_mem_eq(a->keymat_in, a->keymat_len, b->keymat_out, b->keymat_len);
	ck_assert(memcmp(a->keymat_in, a->keymat_out, a->keymat_len) != 0);
	ck_assert_int_eq(a->initiator, !b->initiator);
	ck_assert_int_eq(a->transport, b->transport);
	ck_assert_uint_eq(a->pfs_group, b->pfs_group);
	ck_assert_uint_eq(a->rekey_of != 0, b->rekey_of != 0);
}

/* Both sides hold exactly the same n pairs, each matching across. */
static void assert_same_children(unsigned n)
{
	ck_assert_uint_eq(mn()->n_live, n);
	ck_assert_uint_eq(ha()->n_live, n);
	for (unsigned i = 0; i < n; i++)
		assert_pair_matches(&mn()->live[i], live(ha(), mn()->live[i].spi_out));
	/* The engines' tables agree with what was reported. */
	struct ikesa_child_info info[IKESA_CHILD_MAX];
	ck_assert_uint_eq(ikesa_children(mn()->sa, info, IKESA_CHILD_MAX), n);
	ck_assert_uint_eq(ikesa_children(ha()->sa, info, IKESA_CHILD_MAX), n);
	for (unsigned i = 0; i < n; i++)
		ck_assert_str_eq(info[i].state, "installed");
}

static bool ts_eq(const struct ike_ts_list *a, const struct ike_ts_list *b)
{
	return a->n == b->n && memcmp(a->ts, b->ts, a->n * sizeof(a->ts[0])) == 0;
}

static struct ikesa_child_req hoa_req(bool pfs)
{
	struct ikesa_child_req r;
	memset(&r, 0, sizeof(r));
	r.tsi = ctx.params[PAIR_MN].tsi;
	r.tsr = ctx.params[PAIR_MN].tsr;
	r.pfs = pfs;
	return r;
}

/* R7296-1.3.1: a second CHILD_SA on the same IKE SA, with and without PFS
 * (R7296-2.17.a: g^ir in the KEYMAT; the keys differ from the first). */
START_TEST(new_child)
{
	bool pfs = _i;
	handshake();
	struct ikesa_child_req r = hoa_req(pfs);
	ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), 0);
	ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), M6E_AGAIN); /* window of 1 */
	pair_pump(&ctx);
	assert_same_children(2);
	const struct ikesa_child *c = &mn()->live[1];
	ck_assert_uint_eq(c->pfs_group, pfs ? XFORM_DH_ECP_256 : 0);
	ck_assert_uint_eq(c->rekey_of, 0);
	ck_assert(c->initiator);
	ck_assert(memcmp(c->keymat_out, mn()->live[0].keymat_out, c->keymat_len) != 0);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->child_created, 1);
	/* The responder creates one too, towards the MN. */
	ck_assert_int_eq(ikesa_create_child(ha()->sa, &r, ctx.now), 0);
	pair_pump(&ctx);
	assert_same_children(3);
	ck_assert(ha()->live[2].initiator && !mn()->live[2].initiator);
}
END_TEST

/* R7296-1.3.1.c: a refused CHILD_SA leaves the IKE SA and the other
 * children up; R3776-4.2.k: the HA only protects the MN's home address. */
START_TEST(new_child_ts_unacceptable)
{
	handshake();
	struct ikesa_child_req r = hoa_req(false);
	struct in6_addr other = pair_addr(5, 1, 0x999);
	pair_ts_range(&r.tsi, &other, &other);
	ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(mn()->n_child_failed, 1);
	ck_assert_uint_eq(mn()->child_failed, IKE_N_TS_UNACCEPTABLE);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->child_refused, 1);
	assert_same_children(1);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->dpd_ok, 1);
}
END_TEST

/* The HA's ESP suite demands PFS with group 20 (ECP-384): a request
 * without a KE gets NO_PROPOSAL_CHOSEN; one with a group-19 KE gets
 * INVALID_KE_PAYLOAD(20) (R7296-1.3.a) and the MN's retry with 20 works. */
START_TEST(new_child_pfs_policy)
{
	struct ikesa_prop p384 = pair_gcm;
	p384.dh = XFORM_DH_ECP_384;
	ctx.params[PAIR_MN].ike[1] = p384; /* the MN also speaks group 20 */
	ctx.params[PAIR_MN].n_ike = 2;
	ctx.params[PAIR_HA].esp[0].dh = XFORM_DH_ECP_384;
	handshake();
	ck_assert_uint_eq(ikesa_suite(mn()->sa)->dh, XFORM_DH_ECP_256);
	struct ikesa_child_req r = hoa_req(false);
	ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(mn()->n_child_failed, 1);
	ck_assert_uint_eq(mn()->child_failed, IKE_N_NO_PROPOSAL_CHOSEN);
	r.pfs = true;
	ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(mn()->n_child_failed, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->child_refused, 2); /* NO_PROPOSAL, INVALID_KE */
	assert_same_children(2);
	ck_assert_uint_eq(mn()->live[1].pfs_group, XFORM_DH_ECP_384);
}
END_TEST

/* The MN's own ESP suite names group 20: its first CHILD_SA still comes
 * from IKE_AUTH (no DH there, R7296-1.2) and its CREATE_CHILD_SA requests
 * carry a group-20 KE even without req.pfs. */
START_TEST(pfs_policy_initiator)
{
	ctx.params[PAIR_MN].esp[0].dh = XFORM_DH_ECP_384;
	handshake();
	ck_assert_uint_eq(mn()->live[0].pfs_group, 0);
	struct ikesa_child_req r = hoa_req(false);
	ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), 0);
	pair_pump(&ctx);
	assert_same_children(2);
	ck_assert_uint_eq(mn()->live[1].pfs_group, XFORM_DH_ECP_384);
	ck_assert_int_eq(ikesa_rekey_child(mn()->sa, mn()->live[0].spi_in, ctx.now), 0);
	pair_pump(&ctx);
	assert_same_children(2);
	ck_assert_uint_eq(mn()->live[1].pfs_group, XFORM_DH_ECP_384);
}
END_TEST

/* R7296-1.3.3.a: rekey of a CHILD_SA from either side, with and without
 * PFS. The new pair is up before the old one goes (make before break);
 * the rekey's initiator deletes the old pair; both sides end with the
 * same single pair and its keys match across. */
START_TEST(rekey_child)
{
	int who = _i & 1;
	bool pfs = _i & 2;
	ctx.params[PAIR_MN].pfs = ctx.params[PAIR_HA].pfs = pfs;
	handshake();
	struct pair_side *s = &ctx.side[who];
	uint32_t old_in = s->live[0].spi_in;
	const struct ikesa_child old = s->live[0];
	ck_assert_int_eq(ikesa_rekey_child(s->sa, old_in, ctx.now), 0);
	ck_assert_int_eq(ikesa_rekey_child(s->sa, old_in, ctx.now), M6E_AGAIN);
	struct pair_dgram d;
	/* Request and response: both sides have two pairs for a moment. */
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&ctx, d.to, d.b, d.len), 0);
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&ctx, d.to, d.b, d.len), 0);
	ck_assert_uint_eq(mn()->n_live, 2);
	ck_assert_uint_eq(ha()->n_live, 2);
	ck_assert_uint_eq(s->live[1].rekey_of, old_in);
	ck_assert(s->live[1].initiator);
	pair_pump(&ctx); /* the Delete of the old pair and its answer */
	assert_same_children(1);
	ck_assert(!mn()->gap && !ha()->gap);
	ck_assert_uint_eq(mn()->n_child_down, 1);
	ck_assert_uint_eq(ha()->n_child_down, 1);
	ck_assert_uint_eq(s->down_spi_in, old_in);
	ck_assert_uint_ne(s->live[0].spi_in, old_in);
	ck_assert_uint_eq(s->live[0].pfs_group, pfs ? XFORM_DH_ECP_256 : 0);
	/* R7296-2.8.a: same selectors; TSi is the rekey initiator's side. */
	const struct ikesa_child *n = &s->live[0];
	bool same = n->initiator == old.initiator;
	ck_assert(ts_eq(&n->tsi, same ? &old.tsi : &old.tsr));
	ck_assert(ts_eq(&n->tsr, same ? &old.tsr : &old.tsi));
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->child_rekeyed, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->child_rekeyed, 1);
	/* The old SPI is no longer known. */
	ck_assert_int_eq(ikesa_rekey_child(s->sa, old_in, ctx.now), M6E_NOTFOUND);
}
END_TEST

/* Collisions: exchange A is the MN's rekey (Ni_A from the MN, Nr_A from
 * the HA), exchange B the HA's (Ni_B from the HA, Nr_B from the MN). Each
 * side draws its request's nonce first, then its response's. */
static void force_nonces(uint8_t ni_a, uint8_t nr_a, uint8_t ni_b, uint8_t nr_b)
{
	mn()->force_nonce[0] = ni_a;
	mn()->force_nonce[1] = nr_b;
	mn()->n_force = 2;
	ha()->force_nonce[0] = ni_b;
	ha()->force_nonce[1] = nr_a;
	ha()->n_force = 2;
}

/* Every order of the four nonces Ni_A, Nr_A, Ni_B, Nr_B. */
static const uint8_t perms[24][4] = {
	{ 1, 2, 3, 4 }, { 1, 2, 4, 3 }, { 1, 3, 2, 4 }, { 1, 3, 4, 2 }, { 1, 4, 2, 3 }, { 1, 4, 3, 2 },
	{ 2, 1, 3, 4 }, { 2, 1, 4, 3 }, { 2, 3, 1, 4 }, { 2, 3, 4, 1 }, { 2, 4, 1, 3 }, { 2, 4, 3, 1 },
	{ 3, 1, 2, 4 }, { 3, 1, 4, 2 }, { 3, 2, 1, 4 }, { 3, 2, 4, 1 }, { 3, 4, 1, 2 }, { 3, 4, 2, 1 },
	{ 4, 1, 2, 3 }, { 4, 1, 3, 2 }, { 4, 2, 1, 3 }, { 4, 2, 3, 1 }, { 4, 3, 1, 2 }, { 4, 3, 2, 1 },
};

/* algorithms.md 8: the lowest of the four nonces marks the redundant SA. */
static bool a_holds_lowest(uint8_t ni_a, uint8_t nr_a, uint8_t ni_b, uint8_t nr_b)
{
	return (ni_a < nr_a ? ni_a : nr_a) < (ni_b < nr_b ? ni_b : nr_b);
}

/* A collision of CHILD_SA rekeys (R7296-2.8.1.a) for each order of the four
 * nonces: the pair created by the exchange holding the lowest nonce is
 * deleted by its creator, exactly one new pair survives, the same on
 * both sides, and no side is ever without a pair. */
START_TEST(rekey_child_collision)
{
	const uint8_t *p = perms[_i];
	uint8_t ni_a = p[0], nr_a = p[1], ni_b = p[2], nr_b = p[3];
	handshake();
	force_nonces(ni_a, nr_a, ni_b, nr_b);
	uint32_t old_mn = mn()->live[0].spi_in, old_ha = ha()->live[0].spi_in;
	ck_assert_int_eq(ikesa_rekey_child(mn()->sa, old_mn, ctx.now), 0);
	ck_assert_int_eq(ikesa_rekey_child(ha()->sa, old_ha, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(mn()->n_forced, 2);
	ck_assert_uint_eq(ha()->n_forced, 2);
	assert_same_children(1);
	ck_assert(!mn()->gap && !ha()->gap);
	bool a_loses = a_holds_lowest(ni_a, nr_a, ni_b, nr_b);
	/* The survivor was created by the other exchange. */
	ck_assert_int_eq(mn()->live[0].initiator, !a_loses);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->collisions, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->collisions, 1);
	/* Old pair and the redundant new pair went down on both sides. */
	ck_assert_uint_eq(mn()->n_child_up, 3);
	ck_assert_uint_eq(mn()->n_child_down, 2);
	ck_assert_uint_eq(ha()->n_child_down, 2);
	ck_assert_uint_ne(mn()->live[0].spi_in, old_mn);
}
END_TEST

/* A collision where the winner's Delete of the old pair overtakes the
 * answer the loser waits for: the loser still deletes its redundant pair,
 * so one pair survives on both sides. */
START_TEST(rekey_child_collision_reordered)
{
	handshake();
	force_nonces(1, 2, 3, 4); /* Ni_A lowest: the MN's pair is redundant */
	struct pair_dgram a_req, b_req, a_resp, b_resp, del_old;
	ck_assert_int_eq(ikesa_rekey_child(mn()->sa, mn()->live[0].spi_in, ctx.now), 0);
	ck_assert_int_eq(ikesa_rekey_child(ha()->sa, ha()->live[0].spi_in, ctx.now), 0);
	ck_assert_int_eq(pair_pop(&ctx, &a_req), 0);
	ck_assert_int_eq(pair_pop(&ctx, &b_req), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_MN, b_req.b, b_req.len), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, a_req.b, a_req.len), 0);
	ck_assert_int_eq(pair_pop(&ctx, &b_resp), 0);
	ck_assert_int_eq(pair_pop(&ctx, &a_resp), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, b_resp.b, b_resp.len), 0); /* the HA wins, deletes the old pair */
	ck_assert_int_eq(pair_pop(&ctx, &del_old), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_MN, del_old.b, del_old.len), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_MN, a_resp.b, a_resp.len), 0);
	pair_pump(&ctx);
	assert_same_children(1);
	ck_assert(!mn()->live[0].initiator); /* the HA's pair */
	ck_assert_uint_eq(mn()->n_child_down, 2);
	ck_assert_uint_eq(ha()->n_child_down, 2);
	ck_assert(!mn()->gap && !ha()->gap);
}
END_TEST

/* A rekey crossing a Delete of the same pair: the Delete wins, the
 * rekey is refused (TEMPORARY_FAILURE, RFC 7296 2.25.1) and nothing is
 * left half-made. */
START_TEST(rekey_child_crosses_delete)
{
	handshake();
	uint32_t mn_in = mn()->live[0].spi_in, ha_in = ha()->live[0].spi_in;
	ck_assert_int_eq(ikesa_rekey_child(mn()->sa, mn_in, ctx.now), 0);
	ck_assert_int_eq(ikesa_delete_child(ha()->sa, ha_in, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(mn()->n_live, 0);
	ck_assert_uint_eq(ha()->n_live, 0);
	struct ikesa_child_info info[IKESA_CHILD_MAX];
	ck_assert_uint_eq(ikesa_children(mn()->sa, info, IKESA_CHILD_MAX), 0);
	ck_assert_uint_eq(ikesa_children(ha()->sa, info, IKESA_CHILD_MAX), 0);
	/* TEMPORARY_FAILURE (RFC 7296 2.25.1) for a pair the MN no longer has
	 * is no news for its adapter. */
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->child_refused, 1);
	ck_assert_uint_eq(mn()->n_child_failed, 0);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
}
END_TEST

/* A rekey request arriving while our own different request is outstanding
 * (window 1 each way): we still answer it. */
START_TEST(rekey_while_request_outstanding)
{
	handshake();
	ck_assert_int_eq(ikesa_dpd(ha()->sa, ctx.now), 0);
	ck_assert_int_eq(ikesa_rekey_child(mn()->sa, mn()->live[0].spi_in, ctx.now), 0);
	pair_pump(&ctx);
	assert_same_children(1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->dpd_ok, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->child_rekeyed, 1);
}
END_TEST

/* Lost datagrams during a rekey: the lost request is retransmitted, the
 * lost response is answered again from the cache, never processed twice. */
START_TEST(rekey_child_lossy)
{
	handshake();
	uint32_t old = mn()->live[0].spi_in;
	ctx.drop_to[PAIR_HA] = 1; /* the request */
	ck_assert_int_eq(ikesa_rekey_child(mn()->sa, old, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(ha()->n_live, 1);
	ck_assert(pair_advance(&ctx, ctx.now + 1000));
	ctx.drop_to[PAIR_MN] = 1; /* the response */
	pair_pump(&ctx);
	ck_assert_uint_eq(ha()->n_live, 2);
	ck_assert_uint_eq(mn()->n_live, 1);
	ck_assert(pair_advance(&ctx, ctx.now + 2000));
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->cache_answers, 1);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->retransmits, 2);
	assert_same_children(1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->child_created, 1);
	ck_assert_uint_eq(mn()->live[0].rekey_of, old);
}
END_TEST

/* R7296-1.3.2.a, 2.18.a: an IKE SA rekey from either side. New SPIs, the
 * same SK_* on both sides (different from the old ones), children carried
 * over without child_down/child_up, the old SA closed with REKEYED, and the
 * new SA works (DPD, a child rekey) with message IDs from 0. */
START_TEST(rekey_ike)
{
	int who = _i;
	handshake();
	struct ikesa *old_mn = mn()->sa, *old_ha = ha()->sa;
	struct ikesa_sk_dump before, a, b;
	ck_assert_int_eq(ikesa_debug_sk_dump(old_mn, &before), 0);
	ck_assert_int_eq(ikesa_rekey_ike(ctx.side[who].sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(mn()->n_rekeyed, 1);
	ck_assert_uint_eq(ha()->n_rekeyed, 1);
	ck_assert_ptr_ne(mn()->sa, old_mn);
	ck_assert_int_eq(ikesa_state(old_mn), IKESA_CLOSED);
	ck_assert_int_eq(ikesa_state(old_ha), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_REKEYED);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_REKEYED);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	/* R7296-1.3.2.a: the rekey's initiator is the new original initiator. */
	ck_assert(ikesa_is_initiator(ctx.side[who].sa));
	ck_assert(!ikesa_is_initiator(ctx.side[!who].sa));
	ck_assert_int_eq(ikesa_debug_sk_dump(mn()->sa, &a), 0);
	ck_assert_int_eq(ikesa_debug_sk_dump(ha()->sa, &b), 0);
	ck_assert_uint_eq(a.spi_i, b.spi_i);
	ck_assert_uint_eq(a.spi_r, b.spi_r);
	ck_assert_uint_ne(a.spi_i, before.spi_i);
	ck_assert_uint_ne(a.spi_r, before.spi_r);
	ck_assert_uint_eq(a.encr_len, b.encr_len);
	tu_assert_mem_eq(a.sk_ei, a.encr_len, b.sk_ei, b.encr_len);
	tu_assert_mem_eq(a.sk_er, a.encr_len, b.sk_er, b.encr_len);
	ck_assert(memcmp(a.sk_ei, before.sk_ei, a.encr_len) != 0);
	/* Children moved silently. */
	ck_assert_uint_eq(mn()->n_child_down, 0);
	ck_assert_uint_eq(ha()->n_child_down, 0);
	ck_assert_uint_eq(mn()->n_child_up, 1);
	struct ikesa_child_info info[IKESA_CHILD_MAX];
	ck_assert_uint_eq(ikesa_children(old_mn, info, IKESA_CHILD_MAX), 0);
	assert_same_children(1);
	/* The new SA lives: liveness both ways, then a child rekey on it. */
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_int_eq(ikesa_dpd(ha()->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->dpd_ok, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->dpd_ok, 1);
	ck_assert_int_eq(ikesa_rekey_child(mn()->sa, mn()->live[0].spi_in, ctx.now), 0);
	pair_pump(&ctx);
	assert_same_children(1);
	ck_assert_uint_eq(mn()->n_child_down, 1);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->drop[IKESA_DROP_MSG_ID], 0);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->drop[IKESA_DROP_MSG_ID], 0);
}
END_TEST

/* The HA rekeys the IKE SA while the MN's CHILD_SA rekey is in flight:
 * the child rekey completes on the old IKE SA, its new pair and the Delete
 * of the old pair land on the new IKE SA; one pair, one IKE SA remain. */
START_TEST(rekey_ike_during_child_rekey)
{
	handshake();
	uint32_t old = mn()->live[0].spi_in;
	ck_assert_int_eq(ikesa_rekey_child(mn()->sa, old, ctx.now), 0);
	ck_assert_int_eq(ikesa_rekey_ike(ha()->sa, ctx.now), 0);
	pair_pump(&ctx);
	while (pair_advance(&ctx, ctx.now + 5000))
		pair_pump(&ctx);
	ck_assert_uint_eq(mn()->n_rekeyed, 1);
	ck_assert_uint_eq(ha()->n_rekeyed, 1);
	ck_assert_int_eq(ikesa_state(mn()->all[0]), IKESA_CLOSED);
	ck_assert_int_eq(ikesa_state(ha()->all[0]), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_REKEYED);
	assert_same_children(1);
	ck_assert_uint_ne(mn()->live[0].spi_in, old);
	ck_assert_uint_eq(mn()->n_child_down, 1);
	ck_assert_uint_eq(ha()->n_child_down, 1);
	ck_assert(!mn()->gap && !ha()->gap);
}
END_TEST

/* An IKE SA rekey whose response is lost: the retransmitted request is
 * answered from the cache, so the responder makes exactly one new SA. */
START_TEST(rekey_ike_lossy)
{
	handshake();
	ck_assert_int_eq(ikesa_rekey_ike(mn()->sa, ctx.now), 0);
	ctx.drop_to[PAIR_MN] = 1;
	pair_pump(&ctx);
	ck_assert_uint_eq(ha()->n_rekeyed, 1);
	ck_assert_uint_eq(mn()->n_rekeyed, 0);
	ck_assert(pair_advance(&ctx, ctx.now + 1000));
	pair_pump(&ctx);
	ck_assert_uint_eq(ha()->n_rekeyed, 1);
	ck_assert_uint_eq(mn()->n_rekeyed, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->all[0])->cache_answers, 1);
	ck_assert_uint_eq(ikesa_spi_i(mn()->sa), ikesa_spi_i(ha()->sa));
	ck_assert_uint_eq(ikesa_spi_r(mn()->sa), ikesa_spi_r(ha()->sa));
	ck_assert_int_eq(ikesa_state(mn()->all[0]), IKESA_CLOSED);
	ck_assert_int_eq(ikesa_state(ha()->all[0]), IKESA_CLOSED);
	assert_same_children(1);
}
END_TEST

/* Simultaneous IKE SA rekeys (R7296-2.8.2.a) for each nonce order: one
 * new IKE SA survives on both sides (same SPIs), it holds the children,
 * every other SA ends CLOSED. */
START_TEST(rekey_ike_collision)
{
	const uint8_t *p = perms[_i];
	uint8_t ni_a = p[0], nr_a = p[1], ni_b = p[2], nr_b = p[3];
	handshake();
	force_nonces(ni_a, nr_a, ni_b, nr_b);
	ck_assert_int_eq(ikesa_rekey_ike(mn()->sa, ctx.now), 0);
	ck_assert_int_eq(ikesa_rekey_ike(ha()->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(mn()->n_forced, 2);
	ck_assert_uint_eq(ha()->n_forced, 2);
	ck_assert_uint_eq(mn()->n_rekeyed, 2);
	ck_assert_uint_eq(ha()->n_rekeyed, 2);
	struct ikesa *surv[2] = { NULL, NULL };
	for (int w = 0; w < 2; w++) {
		struct pair_side *s = &ctx.side[w];
		ck_assert_uint_eq(s->n_all, 3);
		unsigned alive = 0;
		for (unsigned i = 0; i < s->n_all; i++)
			if (ikesa_state(s->all[i]) == IKESA_ESTABLISHED) {
				alive++;
				surv[w] = s->all[i];
			}
		ck_assert_uint_eq(alive, 1);
		ck_assert_int_eq(ikesa_state(s->all[0]), IKESA_CLOSED);
	}
	ck_assert_uint_eq(ikesa_spi_i(surv[0]), ikesa_spi_i(surv[1]));
	ck_assert_uint_eq(ikesa_spi_r(surv[0]), ikesa_spi_r(surv[1]));
	bool a_loses = a_holds_lowest(ni_a, nr_a, ni_b, nr_b);
	ck_assert_int_eq(ikesa_is_initiator(surv[PAIR_MN]), !a_loses); /* the survivor's creator */
	struct ikesa_child_info info[IKESA_CHILD_MAX];
	ck_assert_uint_eq(ikesa_children(surv[0], info, IKESA_CHILD_MAX), 1);
	ck_assert_uint_eq(ikesa_children(surv[1], info, IKESA_CHILD_MAX), 1);
	ck_assert_uint_eq(mn()->n_child_down, 0);
	ck_assert_uint_eq(ha()->n_child_down, 0);
	ck_assert_int_eq(ikesa_dpd(surv[PAIR_MN], ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(surv[PAIR_MN])->dpd_ok, 1);
}
END_TEST

/* R7296-2.8: lifetimes. Each child is rekeyed by the engine itself between
 * lifetime - margin - margin/2 and lifetime - margin, the IKE SA too; with
 * the peer silent a child is deleted at its hard lifetime. */
START_TEST(lifetimes)
{
	for (int w = 0; w < 2; w++) {
		ctx.params[w].child_lifetime_ms = 60000;
		ctx.params[w].rekey_margin_ms = 10000;
	}
	ctx.params[PAIR_MN].ike_lifetime_ms = 200000;
	handshake();
	uint64_t t0 = ctx.now;
	struct ikesa_child_info info;
	ck_assert_uint_eq(ikesa_children(mn()->sa, &info, 1), 1);
	ck_assert_uint_le(info.rekey_at, t0 + 50000);
	ck_assert_uint_ge(info.rekey_at, t0 + 45000);
	ck_assert_uint_eq(info.expire_at, t0 + 60000);
	uint64_t first = ikesa_next_timeout(mn()->sa) < ikesa_next_timeout(ha()->sa) ? ikesa_next_timeout(mn()->sa)
										    : ikesa_next_timeout(ha()->sa);
	ck_assert_uint_ge(first, t0 + 45000);
	ck_assert_uint_le(first, t0 + 50000);
	ck_assert(pair_advance(&ctx, t0 + 50000));
	pair_pump(&ctx);
	ck_assert_uint_le(ctx.now, t0 + 50000);
	assert_same_children(1);
	ck_assert_uint_eq(mn()->n_child_down, 1);
	/* Run the clock past three child lifetimes and the IKE SA's rekey. */
	while (pair_advance(&ctx, t0 + 200000))
		pair_pump(&ctx);
	ck_assert_uint_ge(mn()->n_rekeyed, 1);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	ck_assert_uint_ge(mn()->n_child_down, 3);
	assert_same_children(1);
	ck_assert(!mn()->gap && !ha()->gap);
}
END_TEST

START_TEST(child_hard_expiry)
{
	ctx.params[PAIR_MN].child_lifetime_ms = 30000; /* no margin: never rekeyed by itself */
	handshake();
	uint64_t t0 = ctx.now;
	ck_assert_uint_eq(ikesa_next_timeout(mn()->sa), t0 + 30000);
	ck_assert(pair_advance(&ctx, t0 + 30000));
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->child_expired, 1);
	ck_assert_uint_eq(mn()->n_live, 0);
	ck_assert_uint_eq(ha()->n_live, 0);
	ck_assert_uint_eq(ikesa_next_timeout(mn()->sa), IKESA_NEVER);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
}
END_TEST

/* IKESA_CHILD_MAX bounds the table on both ends. */
START_TEST(child_table_full)
{
	handshake();
	struct ikesa_child_req r = hoa_req(false);
	for (unsigned i = 1; i < IKESA_CHILD_MAX; i++) {
		ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), 0);
		pair_pump(&ctx);
	}
	assert_same_children(IKESA_CHILD_MAX);
	ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), M6E_NOSPACE);
	ck_assert_int_eq(ikesa_create_child(ha()->sa, &r, ctx.now), M6E_NOSPACE);
	/* Delete one (queued behind nothing), then there is room again. */
	ck_assert_int_eq(ikesa_delete_child(mn()->sa, mn()->live[3].spi_in, ctx.now), 0);
	pair_pump(&ctx);
	assert_same_children(IKESA_CHILD_MAX - 1);
	ck_assert_int_eq(ikesa_create_child(mn()->sa, &r, ctx.now), 0);
	pair_pump(&ctx);
	assert_same_children(IKESA_CHILD_MAX);
}
END_TEST

static Suite *ikechild_suite_make(void)
{
	Suite *s = suite_create("ikechild");
	TCase *tc = tcase_create("child");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, new_child, 0, 2);
	tcase_add_test(tc, new_child_ts_unacceptable);
	tcase_add_test(tc, new_child_pfs_policy);
	tcase_add_test(tc, pfs_policy_initiator);
	tcase_add_loop_test(tc, rekey_child, 0, 4);
	tcase_add_loop_test(tc, rekey_child_collision, 0, 24);
	tcase_add_test(tc, rekey_child_collision_reordered);
	tcase_add_test(tc, rekey_child_crosses_delete);
	tcase_add_test(tc, rekey_while_request_outstanding);
	tcase_add_test(tc, rekey_child_lossy);
	tcase_add_loop_test(tc, rekey_ike, 0, 2);
	tcase_add_test(tc, rekey_ike_lossy);
	tcase_add_test(tc, rekey_ike_during_child_rekey);
	tcase_add_loop_test(tc, rekey_ike_collision, 0, 24);
	tcase_add_test(tc, lifetimes);
	tcase_add_test(tc, child_hard_expiry);
	tcase_add_test(tc, child_table_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(ikechild_suite_make());
}
