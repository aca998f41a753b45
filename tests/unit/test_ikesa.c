/*
 * Tier 2 tests for src/ike/ikesa: an initiator (the MN) and a responder (the
 * HA) back to back through tests/unit/ikesa_pair.h, a fake clock and an
 * in-memory network. Each test drives whole exchanges and asserts what the
 * engines report through their ops (ike_up, child_up with the keys, down
 * reasons) and their per-reason counters.
 */
#include <string.h>

#include "crypto/ike_crypto.h"
#include "ikesa_pair.h"
#include "testutil.h"

static struct pair_ctx ctx;

static void setup(void)
{
	ck_assert_int_eq(pair_init(&ctx, 1), 0);
}

static void teardown(void)
{
	pair_fini(&ctx);
}

static struct pair_side *mn(void) { return &ctx.side[PAIR_MN]; }
static struct pair_side *ha(void) { return &ctx.side[PAIR_HA]; }

/* Both sides agree on one CHILD_SA: SPIs crossed, same suite, each one's
 * outbound keys the other's inbound keys (R7296-2.17.a). */
static void assert_children_match(void)
{
	const struct ikesa_child *i = &mn()->child, *r = &ha()->child;
	ck_assert_uint_eq(mn()->n_child_up, 1);
	ck_assert_uint_eq(ha()->n_child_up, 1);
	ck_assert(i->initiator && !r->initiator);
	ck_assert_uint_eq(i->spi_out, r->spi_in);
	ck_assert_uint_eq(i->spi_in, r->spi_out);
	ck_assert_uint_ge(i->spi_in, 256);
	ck_assert_uint_ne(i->spi_in, i->spi_out);
	ck_assert_int_eq(i->alg, r->alg);
	ck_assert_uint_eq(i->encr, r->encr);
	ck_assert_uint_eq(i->keymat_len, aead_keymat_len(i->alg));
	ck_assert_uint_eq(i->keymat_len, r->keymat_len);
	tu_assert_mem_eq(i->keymat_out, i->keymat_len, r->keymat_in, r->keymat_len);
	tu_assert_mem_eq(i->keymat_in, i->keymat_len, r->keymat_out, r->keymat_len);
	ck_assert(memcmp(i->keymat_in, i->keymat_out, i->keymat_len) != 0);
	ck_assert_uint_eq(i->tsi.n, r->tsi.n);
	ck_assert_mem_eq(&i->tsi.ts[0], &r->tsi.ts[0], sizeof(i->tsi.ts[0]));
	ck_assert_mem_eq(&i->tsr.ts[0], &r->tsr.ts[0], sizeof(i->tsr.ts[0]));
	ck_assert_int_eq(i->transport, r->transport);
	/* Each side reports the other's identity. */
	ck_assert_uint_eq(i->peer_id.type, IKE_ID_FQDN);
	ck_assert_uint_eq(r->peer_id.type, ctx.params[PAIR_MN].local_id.type);
	ck_assert_mem_eq(r->peer_id.data, ctx.params[PAIR_MN].local_id.data, ctx.params[PAIR_MN].local_id.len);
}

static void handshake(void)
{
	ck_assert_int_eq(pair_start(&ctx), 0);
	pair_pump(&ctx);
}

static void assert_established(void)
{
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_ptr_nonnull(ha()->sa);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	ck_assert_uint_eq(mn()->n_ike_up, 1);
	ck_assert_uint_eq(ha()->n_ike_up, 1);
	ck_assert_uint_eq(ikesa_spi_i(mn()->sa), ikesa_spi_i(ha()->sa));
	ck_assert_uint_eq(ikesa_spi_r(mn()->sa), ikesa_spi_r(ha()->sa));
	ck_assert_uint_ne(ikesa_spi_r(mn()->sa), 0);
	ck_assert(!ikesa_nat_local(mn()->sa) && !ikesa_nat_remote(mn()->sa));
	ck_assert(!ikesa_nat_local(ha()->sa) && !ikesa_nat_remote(ha()->sa));
	ck_assert(ikesa_peer_fragmentation(mn()->sa) && ikesa_peer_fragmentation(ha()->sa));
}

/* Full IKE_SA_INIT + IKE_AUTH for each DH group and both IKE/ESP suites. */
static const struct {
	uint16_t dh;
	bool cbc;
} suites[] = {
	{ XFORM_DH_MODP_2048, false }, { XFORM_DH_ECP_256, false }, { XFORM_DH_ECP_384, false },
	{ XFORM_DH_CURVE25519, false }, { XFORM_DH_ECP_256, true },  { XFORM_DH_CURVE25519, true },
};

START_TEST(handshake_suites)
{
	struct ikesa_prop ike = pair_gcm, esp = { XFORM_ENCR_AES_GCM_16, 256, XFORM_INTEG_NONE, 0, 0 };
	ike.dh = suites[_i].dh;
	if (suites[_i].cbc) {
		ike.encr = esp.encr = XFORM_ENCR_AES_CBC;
		ike.integ = esp.integ = XFORM_INTEG_HMAC_SHA2_256_128;
	}
	for (int w = 0; w < 2; w++) {
		ctx.params[w].ike[0] = ike;
		ctx.params[w].esp[0] = esp;
	}
	handshake();
	assert_established();
	assert_children_match();
	ck_assert_int_eq(mn()->child.alg, suites[_i].cbc ? AEAD_AES256_CBC_HMAC_SHA256_128 : AEAD_AES256_GCM16);
	ck_assert_uint_eq(ikesa_suite(mn()->sa)->dh, suites[_i].dh);
	ck_assert(!mn()->child.transport);
	/* Exactly two messages each way, nothing retransmitted or dropped. */
	ck_assert_uint_eq(mn()->n_sent, 2);
	ck_assert_uint_eq(ha()->n_sent, 2);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->retransmits, 0);
	ck_assert_uint_eq(ikesa_next_timeout(mn()->sa), IKESA_NEVER);
	ck_assert_uint_eq(ikesa_next_timeout(ha()->sa), IKESA_NEVER);
}
END_TEST

/* R7296-2.7: the first of the initiator's proposals the responder supports,
 * in the initiator's order, even when the responder prefers another. */
START_TEST(proposal_initiator_order)
{
	struct ikesa_prop cbc = pair_gcm;
	cbc.encr = XFORM_ENCR_AES_CBC;
	cbc.integ = XFORM_INTEG_HMAC_SHA2_256_128;
	struct ikesa_prop unsupported = pair_gcm;
	unsupported.encr = XFORM_ENCR_CHACHA20_POLY1305;
	unsupported.key_bits = 0;
	ctx.params[PAIR_MN].ike[0] = unsupported; /* the responder would never pick it */
	ctx.params[PAIR_MN].ike[1] = cbc;
	ctx.params[PAIR_MN].ike[2] = pair_gcm;
	ctx.params[PAIR_MN].n_ike = 3;
	ctx.params[PAIR_HA].ike[0] = pair_gcm;
	ctx.params[PAIR_HA].ike[1] = cbc;
	ctx.params[PAIR_HA].ike[2] = unsupported;
	ctx.params[PAIR_HA].n_ike = 3;
	handshake();
	assert_established();
	ck_assert_uint_eq(ikesa_suite(mn()->sa)->encr, XFORM_ENCR_AES_CBC);
	ck_assert_uint_eq(ikesa_suite(ha()->sa)->encr, XFORM_ENCR_AES_CBC);
	assert_children_match();
}
END_TEST

/* R7296-1.2.b, R7296-2.7.a: KE with group 31, the responder only takes 19:
 * INVALID_KE_PAYLOAD(19) without state, the initiator retries with 19. */
START_TEST(invalid_ke_retry)
{
	struct ikesa_prop g31 = pair_gcm;
	g31.dh = XFORM_DH_CURVE25519;
	ctx.params[PAIR_MN].ike[0] = g31;
	ctx.params[PAIR_MN].ike[1] = pair_gcm;
	ctx.params[PAIR_MN].n_ike = 2;
	ck_assert_int_eq(pair_start(&ctx), 0);
	struct pair_dgram d;
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&ctx, d.to, d.b, d.len), M6E_AGAIN);
	ck_assert_ptr_null(ha()->sa); /* nothing kept */
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->invalid_ke_sent, 1);
	pair_pump(&ctx);
	assert_established();
	ck_assert_uint_eq(ikesa_suite(mn()->sa)->dh, XFORM_DH_ECP_256);
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->accepted, 1);
	assert_children_match();
}
END_TEST

/* R7296-2.7.a: nothing in common -> NO_PROPOSAL_CHOSEN, no state. */
START_TEST(no_proposal_chosen)
{
	ctx.params[PAIR_HA].ike[0].encr = XFORM_ENCR_AES_CBC;
	ctx.params[PAIR_HA].ike[0].integ = XFORM_INTEG_HMAC_SHA2_256_128;
	handshake();
	ck_assert_ptr_null(ha()->sa);
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->no_proposal_sent, 1);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_NO_PROPOSAL);
	ck_assert_uint_eq(mn()->n_child_up + mn()->n_ike_up, 0);
}
END_TEST

/* R7296-2.6.b: threshold 0 -> a cookie is demanded and nothing is kept
 * until the initiator returns it (same SPIi, cookie first). */
START_TEST(cookie_path)
{
	ctx.params[PAIR_HA].cookie_threshold = 0;
	ck_assert_int_eq(pair_start(&ctx), 0);
	uint64_t spi_i = ikesa_spi_i(mn()->sa);
	struct pair_dgram d;
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&ctx, d.to, d.b, d.len), M6E_AGAIN);
	ck_assert_ptr_null(ha()->sa);
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->cookie_sent, 1);
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->accepted, 0);
	/* A replay of the first request still has no cookie. */
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, d.b, d.len), M6E_AGAIN);
	ck_assert_ptr_null(ha()->sa);
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->cookie_sent, 2);
	struct pair_dgram c1, c2;
	ck_assert_int_eq(pair_pop(&ctx, &c1), 0);
	ck_assert_int_eq(pair_pop(&ctx, &c2), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_MN, c1.b, c1.len), 0);
	pair_pump(&ctx);
	assert_established();
	ck_assert_uint_eq(ikesa_spi_i(mn()->sa), spi_i);
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->accepted, 1);
	assert_children_match();
}
END_TEST

/* A cookie made for another initiator SPI is refused. */
START_TEST(cookie_wrong)
{
	ctx.params[PAIR_HA].cookie_threshold = 0;
	ck_assert_int_eq(pair_start(&ctx), 0);
	struct pair_dgram req, cookie;
	ck_assert_int_eq(pair_pop(&ctx, &req), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, req.b, req.len), M6E_AGAIN);
	ck_assert_int_eq(pair_pop(&ctx, &cookie), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_MN, cookie.b, cookie.len), 0);
	struct pair_dgram again;
	ck_assert_int_eq(pair_pop(&ctx, &again), 0);
	again.b[7] ^= 1; /* SPIi changed: the cookie no longer fits */
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, again.b, again.len), M6E_AGAIN);
	ck_assert_ptr_null(ha()->sa);
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->cookie_sent, 2);
}
END_TEST

/* R7296-2.15: a wrong PSK -> AUTHENTICATION_FAILED, both sides down, no
 * child anywhere. */
START_TEST(wrong_psk)
{
	ha()->psk[0] ^= 1;
	handshake();
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_CLOSED);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_AUTH_FAILED);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_PEER_AUTH_FAILED);
	ck_assert_uint_eq(mn()->n_child_up + ha()->n_child_up, 0);
	ck_assert_uint_eq(mn()->n_ike_up + ha()->n_ike_up, 0);
}
END_TEST

/* ID_IPV6_ADDR (the MN names itself by its home address) on one side,
 * ID_FQDN on the other (R7296-3.5.a). */
START_TEST(ipv6_addr_id)
{
	struct in6_addr hoa = pair_addr(5, 1, 0x100);
	struct ikesa_id *id = &ctx.params[PAIR_MN].local_id;
	memset(id, 0, sizeof(*id));
	id->type = IKE_ID_IPV6_ADDR;
	id->len = 16;
	memcpy(id->data, hoa.s6_addr, 16);
	handshake();
	assert_established();
	ck_assert_uint_eq(ha()->child.peer_id.type, IKE_ID_IPV6_ADDR);
	ck_assert_mem_eq(ha()->child.peer_id.data, hoa.s6_addr, 16);
	ck_assert_uint_eq(ikesa_peer_id(ha()->sa)->len, 16);
}
END_TEST

/* The responder's AUTH checked by the initiator: a responder identity
 * other than the configured one is refused. */
START_TEST(wrong_responder_id)
{
	pair_id(&ctx.params[PAIR_HA].local_id, IKE_ID_FQDN, "evil.example.net");
	handshake();
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_AUTH_FAILED);
	ck_assert_uint_eq(mn()->n_ike_up, 0);
	ck_assert_uint_eq(mn()->n_child_up, 0);
}
END_TEST

/* A retransmission gap: the nominal delay, shortened by at most its
 * 1/IKESA_RETX_JITTER_DIV jitter. */
static void assert_backoff(uint64_t gap, uint64_t nominal)
{
	ck_assert_uint_le(gap, nominal);
	ck_assert_uint_ge(gap, nominal - nominal / IKESA_RETX_JITTER_DIV);
}

/* R7296-2.1.a/b, R7296-2.4.c: the IKE_AUTH response is lost twice; the
 * initiator retransmits after ~500 and ~1000 ms more, the responder answers
 * from its cache and advances once. */
START_TEST(lost_response_retransmit)
{
	ck_assert_int_eq(pair_start(&ctx), 0);
	struct pair_dgram d;
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	pair_deliver(&ctx, d.to, d.b, d.len);
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	pair_deliver(&ctx, d.to, d.b, d.len); /* the IKE_AUTH request goes out now */
	uint64_t t_auth = ctx.now;
	ctx.drop_to[PAIR_MN] = 2;
	pair_pump(&ctx);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_AUTH_SENT);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	assert_backoff(ikesa_next_timeout(mn()->sa) - t_auth, IKESA_RETX_INITIAL_MS);
	while (ikesa_state(mn()->sa) != IKESA_ESTABLISHED && pair_advance(&ctx, t_auth + 10000))
		pair_pump(&ctx);
	assert_established();
	ck_assert_uint_eq(mn()->n_sent, 4);
	ck_assert_uint_eq(mn()->sent_at[1], t_auth);
	assert_backoff(mn()->sent_at[2] - mn()->sent_at[1], 500);
	assert_backoff(mn()->sent_at[3] - mn()->sent_at[2], 1000);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->retransmits, 2);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->cache_answers, 2);
	ck_assert_uint_eq(ha()->n_child_up, 1);
	ck_assert_uint_eq(ha()->n_ike_up, 1);
	assert_children_match();
}
END_TEST

/* No answer at all: IKESA_RETX_TRIES sends with doubling gaps capped at
 * IKESA_RETX_MAX_MS, then the SA is given up. */
START_TEST(give_up)
{
	ctx.drop_to[PAIR_HA] = 100;
	ck_assert_int_eq(pair_start(&ctx), 0);
	uint64_t t0 = ctx.now;
	while (pair_advance(&ctx, t0 + 1000000))
		;
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_TIMEOUT);
	ck_assert_uint_eq(mn()->n_sent, IKESA_RETX_TRIES);
	uint64_t gap = IKESA_RETX_INITIAL_MS;
	for (unsigned i = 1; i < IKESA_RETX_TRIES; i++) {
		assert_backoff(mn()->sent_at[i] - mn()->sent_at[i - 1], gap);
		gap = gap * 2 > IKESA_RETX_MAX_MS ? IKESA_RETX_MAX_MS : gap * 2;
	}
	ck_assert_uint_eq(ikesa_next_timeout(mn()->sa), IKESA_NEVER);
}
END_TEST

/* A retransmitted IKE_SA_INIT request draws the cached response bytes. */
START_TEST(init_retransmit_cached)
{
	ck_assert_int_eq(pair_start(&ctx), 0);
	struct pair_dgram req, resp1, resp2;
	ck_assert_int_eq(pair_pop(&ctx, &req), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, req.b, req.len), 0);
	ck_assert_int_eq(pair_pop(&ctx, &resp1), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, req.b, req.len), 0);
	ck_assert_int_eq(pair_pop(&ctx, &resp2), 0);
	tu_assert_mem_eq(resp1.b, resp1.len, resp2.b, resp2.len);
	ck_assert_uint_eq(ikesa_gate_stats(ctx.gate)->accepted, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->cache_answers, 1);
}
END_TEST

/* R7296-2.21.a (RFC 7296 3.14): a flipped byte anywhere in the protected
 * IKE_AUTH request is dropped and counted; the state does not move. The
 * genuine message still works afterwards. */
START_TEST(tampered_sk)
{
	ck_assert_int_eq(pair_start(&ctx), 0);
	struct pair_dgram d, auth;
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	pair_deliver(&ctx, d.to, d.b, d.len);
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	pair_deliver(&ctx, d.to, d.b, d.len);
	ck_assert_int_eq(pair_pop(&ctx, &auth), 0);
	const size_t spots[] = { 20, 30, 40, auth.len / 2, auth.len - 1 };
	unsigned sk_drops = 0;
	for (size_t k = 0; k < sizeof(spots) / sizeof(spots[0]); k++) {
		d = auth;
		d.b[spots[k]] ^= 0x40;
		ck_assert_int_ne(pair_deliver(&ctx, PAIR_HA, d.b, d.len), 0);
		ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_INIT_DONE);
		ck_assert_uint_eq(ctx.n, 0); /* no answer */
	}
	const struct ikesa_stats *st = ikesa_stats(ha()->sa);
	sk_drops = (unsigned)st->drop[IKESA_DROP_SK];
	ck_assert_uint_ge(sk_drops, 3); /* offsets 30, 40, middle, ICV hit the SK body or AAD */
	ck_assert_uint_eq(ha()->n_ike_up + ha()->n_child_up, 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, auth.b, auth.len), 0);
	pair_pump(&ctx);
	assert_established();
	assert_children_match();
}
END_TEST

/* The same on the initiator: a tampered IKE_AUTH response changes
 * nothing; the retransmission draws the cached, genuine one. */
START_TEST(tampered_response)
{
	ck_assert_int_eq(pair_start(&ctx), 0);
	struct pair_dgram d, resp;
	for (int k = 0; k < 3; k++) { /* INIT req, INIT resp, AUTH req */
		ck_assert_int_eq(pair_pop(&ctx, &d), 0);
		pair_deliver(&ctx, d.to, d.b, d.len);
	}
	ck_assert_int_eq(pair_pop(&ctx, &resp), 0);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	resp.b[resp.len - 3] ^= 1;
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_MN, resp.b, resp.len), M6E_AUTH);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_AUTH_SENT);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->drop[IKESA_DROP_SK], 1);
	ck_assert_uint_eq(mn()->n_ike_up + mn()->n_child_up + mn()->n_ike_down, 0);
	while (ikesa_state(mn()->sa) != IKESA_ESTABLISHED && pair_advance(&ctx, ctx.now + 5000))
		pair_pump(&ctx);
	assert_established();
	assert_children_match();
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->cache_answers, 1);
}
END_TEST

/* R7296-2.23.a/b: a NAT rewrote the MN's source port; both sides see it
 * in the NAT_DETECTION hashes and the child asks for UDP encapsulation. */
START_TEST(nat_detected)
{
	ha()->path.remote_port = 40000;
	handshake();
	assert_children_match();
	ck_assert(ikesa_nat_local(mn()->sa));
	ck_assert(!ikesa_nat_remote(mn()->sa));
	ck_assert(ikesa_nat_remote(ha()->sa));
	ck_assert(!ikesa_nat_local(ha()->sa));
	ck_assert(mn()->child.udp_encap && ha()->child.udp_encap);
}
END_TEST

/* R7296-2.9, R3776-4.2.k (RFC 4877 4.4): the MN proposes its /64, the HA
 * narrows TSi to the home address its policy allows for this identity;
 * USE_TRANSPORT_MODE when asked and allowed. */
START_TEST(ts_narrowing)
{
	struct in6_addr lo = pair_addr(5, 1, 0), hi = pair_addr(5, 1, 0xffff), hoa = pair_addr(5, 1, 0x100);
	pair_ts_range(&ctx.params[PAIR_MN].tsi, &lo, &hi);
	ctx.params[PAIR_MN].transport = true;
	handshake();
	assert_established();
	assert_children_match();
	ck_assert_mem_eq(mn()->child.tsi.ts[0].start, hoa.s6_addr, 16);
	ck_assert_mem_eq(mn()->child.tsi.ts[0].end, hoa.s6_addr, 16);
	ck_assert(mn()->child.transport && ha()->child.transport);
}
END_TEST

/* R3776-4.2.k: a home address not allowed for the identity: no child, the
 * initiator sees TS_UNACCEPTABLE, the IKE SA stays (R7296-1.3.1.c). */
START_TEST(ts_unacceptable)
{
	struct in6_addr other = pair_addr(5, 1, 0x200);
	pair_ts_range(&ctx.params[PAIR_MN].tsi, &other, &other);
	handshake();
	assert_established();
	ck_assert_uint_eq(mn()->n_child_up + ha()->n_child_up, 0);
	ck_assert_uint_eq(mn()->n_child_failed, 1);
	ck_assert_uint_eq(mn()->child_failed, IKE_N_TS_UNACCEPTABLE);
}
END_TEST

/* R7296-1.4.a: an empty INFORMATIONAL as liveness, both directions; the
 * message IDs of each direction advance independently (R7296-2.3.a). */
START_TEST(dpd_both_ways)
{
	handshake();
	assert_established();
	ctx.now += 10000;
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), 0);
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), M6E_AGAIN); /* window of 1 */
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->dpd_ok, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->dpd_answered, 1);
	ck_assert_uint_eq(ikesa_last_heard(mn()->sa), ctx.now);
	ck_assert_int_eq(ikesa_dpd(ha()->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->dpd_ok, 1);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->dpd_answered, 1);
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->dpd_ok, 2);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	ck_assert_uint_eq(ikesa_next_timeout(mn()->sa), IKESA_NEVER);
}
END_TEST

/* A liveness check nobody answers ends in the give-up. */
START_TEST(dpd_dead_peer)
{
	handshake();
	assert_established();
	ctx.drop_to[PAIR_HA] = 100;
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), 0);
	while (pair_advance(&ctx, ctx.now + 1000000))
		;
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_TIMEOUT);
}
END_TEST

/* R7296-1.4.a (RFC 7296 1.4.1): Delete of the IKE SA from either side. */
START_TEST(delete_from_initiator)
{
	handshake();
	ck_assert_int_eq(ikesa_delete(mn()->sa, ctx.now), 0);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_DELETING);
	pair_pump(&ctx);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_CLOSED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_CLOSED);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_LOCAL_DELETE);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_PEER_DELETE);
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), M6E_PROTO);
}
END_TEST

START_TEST(delete_from_responder)
{
	handshake();
	ck_assert_int_eq(ikesa_delete(ha()->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_CLOSED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_CLOSED);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_LOCAL_DELETE);
	ck_assert_int_eq(mn()->down, IKESA_DOWN_PEER_DELETE);
	ck_assert_uint_eq(mn()->n_ike_down, 1);
}
END_TEST

/* R7296-1.4.1.a: a CHILD_SA delete is answered with the Delete of the
 * other half of the pair, both sides remove it, the IKE SA stays. */
START_TEST(delete_child_paired)
{
	handshake();
	assert_established();
	uint32_t mn_in = mn()->child.spi_in, mn_out = mn()->child.spi_out;
	/* The size of an empty INFORMATIONAL response, for comparison. */
	struct pair_dgram req, resp, empty;
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), 0);
	ck_assert_int_eq(pair_pop(&ctx, &req), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, req.b, req.len), 0);
	ck_assert_int_eq(pair_pop(&ctx, &empty), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_MN, empty.b, empty.len), 0);
	ck_assert_int_eq(ikesa_delete_child(mn()->sa, mn_in, ctx.now), 0);
	ck_assert_int_eq(pair_pop(&ctx, &req), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, req.b, req.len), 0);
	ck_assert_uint_eq(ha()->n_child_down, 1);
	ck_assert_uint_eq(ha()->down_spi_in, mn_out); /* the HA's inbound half is what the MN sends to */
	ck_assert_uint_eq(ha()->down_spi_out, mn_in);
	/* The response carries a Delete(ESP, one SPI): 12 octets more than
	 * the empty one (payload header, protocol/size/count, SPI). */
	ck_assert_int_eq(pair_pop(&ctx, &resp), 0);
	ck_assert_uint_ge(resp.len, empty.len + 12);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_MN, resp.b, resp.len), 0);
	ck_assert_uint_eq(mn()->n_child_down, 1);
	ck_assert_uint_eq(mn()->down_spi_in, mn_in);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->child_deleted, 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->child_deleted, 1);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_ESTABLISHED);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_ESTABLISHED);
	/* Nothing left to delete; liveness still works. */
	ck_assert_int_eq(ikesa_delete_child(mn()->sa, mn_in, ctx.now), M6E_NOTFOUND);
	ck_assert_int_eq(ikesa_delete_child(ha()->sa, mn_out, ctx.now), M6E_NOTFOUND);
	ck_assert_int_eq(ikesa_dpd(ha()->sa, ctx.now), 0);
	pair_pump(&ctx);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->dpd_ok, 1);
	ck_assert_uint_eq(mn()->n_child_down, 1);
}
END_TEST

/* R7296-2.3.a: a request outside the window and a replayed old one. */
START_TEST(message_id_window)
{
	handshake();
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), 0);
	struct pair_dgram dpd1;
	ck_assert_int_eq(pair_pop(&ctx, &dpd1), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, dpd1.b, dpd1.len), 0);
	pair_pump(&ctx);
	ck_assert_int_eq(ikesa_dpd(mn()->sa, ctx.now), 0);
	pair_pump(&ctx);
	/* dpd1 (message ID 2) is now two behind: dropped, not answered. */
	ck_assert_int_ne(pair_deliver(&ctx, PAIR_HA, dpd1.b, dpd1.len), 0);
	ck_assert_uint_eq(ctx.n, 0);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->drop[IKESA_DROP_MSG_ID], 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->dpd_answered, 2);
	/* R7296-3.1.a: the initiator's own request reflected back has I set. */
	ck_assert_int_ne(pair_deliver(&ctx, PAIR_MN, dpd1.b, dpd1.len), 0);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->drop[IKESA_DROP_FLAGS], 1);
	/* A response to a request we no longer have outstanding. */
	dpd1.b[19] = IKE_FLAG_R; /* no I: from the responder */
	ck_assert_int_ne(pair_deliver(&ctx, PAIR_MN, dpd1.b, dpd1.len), 0);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->drop[IKESA_DROP_RESPONSE], 1);
}
END_TEST

/* Half-open responders expire (bounded state). */
START_TEST(half_open_expires)
{
	ctx.drop_to[PAIR_HA] = 0;
	ck_assert_int_eq(pair_start(&ctx), 0);
	struct pair_dgram d;
	ck_assert_int_eq(pair_pop(&ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&ctx, PAIR_HA, d.b, d.len), 0);
	ck_assert_uint_eq(ikesa_next_timeout(ha()->sa), ctx.now + IKESA_HALF_OPEN_MS);
	ctx.now += IKESA_HALF_OPEN_MS;
	ikesa_tick(ha()->sa, ctx.now);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_CLOSED);
	ck_assert_int_eq(ha()->down, IKESA_DOWN_TIMEOUT);
}
END_TEST

START_TEST(names)
{
	for (int s = 0; s < IKESA_STATE_COUNT; s++)
		ck_assert_str_ne(ikesa_state_name(s), "?");
	for (int d = 0; d < IKESA_DOWN_COUNT; d++)
		ck_assert_str_ne(ikesa_down_name(d), "?");
	for (int d = 0; d < IKESA_DROP_COUNT; d++)
		ck_assert_ptr_nonnull(ikesa_drop_name(d));
	ck_assert_str_eq(ikesa_drop_name(IKESA_DROP_COUNT), "?");
}
END_TEST

static Suite *ikesa_suite_make(void)
{
	Suite *s = suite_create("ikesa");
	TCase *tc = tcase_create("exchange");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, handshake_suites, 0, (int)(sizeof(suites) / sizeof(suites[0])));
	tcase_add_test(tc, proposal_initiator_order);
	tcase_add_test(tc, invalid_ke_retry);
	tcase_add_test(tc, no_proposal_chosen);
	tcase_add_test(tc, cookie_path);
	tcase_add_test(tc, cookie_wrong);
	tcase_add_test(tc, wrong_psk);
	tcase_add_test(tc, wrong_responder_id);
	tcase_add_test(tc, ipv6_addr_id);
	tcase_add_test(tc, lost_response_retransmit);
	tcase_add_test(tc, give_up);
	tcase_add_test(tc, init_retransmit_cached);
	tcase_add_test(tc, tampered_sk);
	tcase_add_test(tc, tampered_response);
	tcase_add_test(tc, nat_detected);
	tcase_add_test(tc, ts_narrowing);
	tcase_add_test(tc, ts_unacceptable);
	tcase_add_test(tc, dpd_both_ways);
	tcase_add_test(tc, dpd_dead_peer);
	tcase_add_test(tc, delete_from_initiator);
	tcase_add_test(tc, delete_from_responder);
	tcase_add_test(tc, delete_child_paired);
	tcase_add_test(tc, message_id_window);
	tcase_add_test(tc, half_open_expires);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(ikesa_suite_make());
}
