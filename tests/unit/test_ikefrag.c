/*
 * RFC 7383 fragmentation (src/ike/frag.c): splitting and reassembly on two
 * key contexts of one IKE SA (fragkeys.h), then two engines whose IKE_AUTH
 * with a big certificate chain (RSA-3072, two intermediates) is fragmented
 * both ways, under loss, reordering, duplication and forgery.
 */
#include <string.h>

#include "certpair.h"
#include "fragkeys.h"
#include "testutil.h"

#define PLAIN_LEN 5000

static struct fk_pair keys;
static struct frag_rx rx;
static uint8_t plain[3 * FRAG_REASM_MAX], out[3 * FRAG_REASM_MAX + 4096], copy[IKESA_MSG_BIG];
static struct frag_set set;
static size_t out_len;

static void keys_setup(void)
{
	fk_pattern(plain, sizeof(plain));
	memset(&rx, 0, sizeof(rx));
}

static void keys_teardown(void)
{
	frag_rx_release(&rx);
	fk_fini(&keys);
}

/* Deliver fragment i of set (a copy: opened in place) to rx at now. */
static int give(unsigned i, uint64_t now, struct frag_msg *whole)
{
	size_t len = 0;
	const uint8_t *f = fk_nth(out, &set, i, &len);
	struct ike_msg m;
	memcpy(copy, f, len);
	ck_assert_int_eq(ike_parse_msg(copy, len, &m, NULL), 0);
	return frag_input(&rx, keys.r, copy, len, &m, now, whole);
}

static void seal(size_t plain_len, size_t frag_size)
{
	ck_assert_int_eq(frag_seal(keys.i, &keys.hdr, IKE_PL_IDI, plain, plain_len, frag_size, out, sizeof(out), &set,
				   &out_len),
			 0);
}

/* R7383-2.5.a: each fragment a copy of the header with its own Length and
 * Next Payload SKF, numbers 1..Total, the first inner type in fragment 1
 * only; at most frag_size octets; reassembled in any order. */
START_TEST(split_and_join)
{
	ck_assert_int_eq(fk_init(&keys, _i), 0);
	static const size_t sizes[] = { 1200, 576, 3000 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		seal(PLAIN_LEN, sizes[s]);
		ck_assert_uint_gt(set.n, 1);
		size_t sum = 0;
		for (unsigned i = 0; i < set.n; i++) {
			size_t len = 0;
			const uint8_t *f = fk_nth(out, &set, i, &len);
			struct ike_msg m;
			ck_assert_uint_le(len, sizes[s]);
			ck_assert_int_eq(ike_parse_msg(f, len, &m, NULL), 0);
			ck_assert_uint_eq(m.hdr.spi_i, keys.hdr.spi_i);
			ck_assert_uint_eq(m.hdr.msg_id, keys.hdr.msg_id);
			ck_assert_uint_eq(m.hdr.exchange, IKE_EXCH_AUTH);
			ck_assert_uint_eq(m.hdr.next_payload, IKE_PL_SKF);
			ck_assert_uint_eq(m.chain.n, 1);
			ck_assert_uint_eq(m.chain.frag_number, i + 1);
			ck_assert_uint_eq(m.chain.frag_total, set.n);
			ck_assert_uint_eq(m.chain.inner_first, i == 0 ? IKE_PL_IDI : 0);
			sum += len;
		}
		ck_assert_uint_eq(sum, out_len);
		/* Last first: nothing completes before every fragment is in. */
		struct frag_msg whole;
		for (unsigned i = set.n; i-- > 0;)
			ck_assert_int_eq(give(i, 1000, &whole), i == 0 ? 0 : M6E_AGAIN);
		ck_assert_uint_eq(whole.first, IKE_PL_IDI);
		tu_assert_mem_eq(whole.plain, whole.plain_len, plain, PLAIN_LEN);
		frag_rx_done(&rx);
		ck_assert_ptr_null(rx.r);
	}
	ck_assert_uint_eq(rx.st.completed, 3);
	/* R7383-2.4.b: small messages stay whole. */
	ck_assert(!frag_needed(keys.i, 100, FRAG_SIZE_DEFAULT));
	ck_assert(frag_needed(keys.i, PLAIN_LEN, FRAG_SIZE_DEFAULT));
}
END_TEST

/* R7383-2.6.a: a fragment held already is dropped before any crypto; a
 * forged one (ICV) changes nothing, not even with a larger Total. */
START_TEST(dup_and_forged)
{
	ck_assert_int_eq(fk_init(&keys, 0), 0);
	seal(PLAIN_LEN, 1200);
	struct frag_msg whole;
	ck_assert_int_eq(give(0, 1000, &whole), M6E_AGAIN);
	ck_assert_int_eq(give(0, 1000, &whole), M6E_DUP);
	ck_assert_uint_eq(rx.st.drop[FRAG_DROP_DUP], 1);
	/* Fragment 2 with one ciphertext bit flipped. */
	size_t len = 0;
	uint8_t *f = (uint8_t *)fk_nth(out, &set, 1, &len);
	f[len - 20] ^= 0x04;
	ck_assert_int_eq(give(1, 1000, &whole), M6E_AUTH);
	f[len - 20] ^= 0x04;
	/* Fragment 3 claiming one more fragment (AAD covers Total). */
	f = (uint8_t *)fk_nth(out, &set, 2, &len);
	f[IKE_HDR_LEN + 7] += 1;
	ck_assert_int_eq(give(2, 1000, &whole), M6E_AUTH);
	f[IKE_HDR_LEN + 7] -= 1;
	ck_assert_uint_eq(rx.st.drop[FRAG_DROP_ICV], 2);
	ck_assert_uint_eq(rx.st.restarted, 0);
	ck_assert_uint_eq(rx.st.stored, 1);
	for (unsigned i = 1; i < set.n; i++)
		ck_assert_int_eq(give(i, 1000, &whole), i + 1 == set.n ? 0 : M6E_AGAIN);
	tu_assert_mem_eq(whole.plain, whole.plain_len, plain, PLAIN_LEN);
}
END_TEST

/* R7383-2.6.a: a larger Total starts over; a smaller one is stale. */
START_TEST(total_changes)
{
	static uint8_t small_out[sizeof(out)];
	static struct frag_set small_set;
	ck_assert_int_eq(fk_init(&keys, 0), 0);
	seal(PLAIN_LEN, 2000); /* 3 fragments */
	memcpy(small_out, out, out_len);
	small_set = set;
	seal(PLAIN_LEN, 1200); /* 5 fragments */
	ck_assert_uint_lt(small_set.n, set.n);
	struct frag_msg whole;
	struct frag_set big_set = set;
	/* One of the 3, then one of the 5: restart. */
	memcpy(out + sizeof(out) / 2, out, out_len); /* keep the big set */
	size_t big_len = out_len;
	memcpy(out, small_out, sizeof(small_out) / 2);
	set = small_set;
	ck_assert_int_eq(give(0, 1000, &whole), M6E_AGAIN);
	memcpy(out, out + sizeof(out) / 2, big_len);
	set = big_set;
	ck_assert_int_eq(give(1, 1000, &whole), M6E_AGAIN);
	ck_assert_uint_eq(rx.st.restarted, 1);
	/* Back to a fragment of the 3: stale. */
	memcpy(out, small_out, sizeof(small_out) / 2);
	set = small_set;
	ck_assert_int_eq(give(1, 1000, &whole), M6E_PROTO);
	ck_assert_uint_eq(rx.st.drop[FRAG_DROP_STALE], 1);
	/* The 5 complete. */
	memcpy(out, out + sizeof(out) / 2, big_len);
	set = big_set;
	for (unsigned i = 0; i < set.n; i++)
		if (i != 1)
			ck_assert_int_eq(give(i, 1000, &whole), i + 1 == set.n ? 0 : M6E_AGAIN);
	tu_assert_mem_eq(whole.plain, whole.plain_len, plain, PLAIN_LEN);
}
END_TEST

/* One fragment number/total sealed by hand (frag_seal never makes more
 * than FRAG_OUT_MAX). */
static size_t one_fragment(uint16_t number, uint16_t total, uint8_t *buf, size_t cap)
{
	struct wbuf w;
	struct ike_builder b;
	size_t body_off = 0, len = 0;
	wbuf_init(&w, buf, cap);
	ike_build_begin(&b, &w, &keys.hdr);
	ike_build_skf_reserve(&b, number == 1 ? IKE_PL_IDI : 0, number, total, ikesa_cx_sk_body_len(keys.i, 100),
			      &body_off);
	ck_assert_int_eq(ike_build_end(&b, &len), 0);
	memcpy(buf + body_off + ikesa_cx_sk_iv_len(keys.i), plain, 100);
	ck_assert_int_eq(ikesa_cx_seal(keys.i, buf, len, body_off, 100), 0);
	return len;
}

/* R7383-5.a: bounded count, size and time. */
START_TEST(limits)
{
	ck_assert_int_eq(fk_init(&keys, 1), 0);
	struct frag_msg whole;
	struct ike_msg m;
	/* More fragments than FRAG_IN_MAX: dropped, nothing allocated. */
	size_t len = one_fragment(1, FRAG_IN_MAX + 1, copy, sizeof(copy));
	ck_assert_int_eq(ike_parse_msg(copy, len, &m, NULL), 0);
	ck_assert_int_eq(frag_input(&rx, keys.r, copy, len, &m, 1000, &whole), M6E_RANGE);
	ck_assert_uint_eq(rx.st.drop[FRAG_DROP_TOO_MANY], 1);
	ck_assert_ptr_null(rx.r);
	/* More than FRAG_REASM_MAX decrypted octets: the reassembly goes. */
	seal(2 * FRAG_REASM_MAX, 8000);
	unsigned i = 0;
	int rc;
	while ((rc = give(i, 1000, &whole)) == M6E_AGAIN)
		i++;
	ck_assert_int_eq(rc, M6E_RANGE);
	ck_assert_uint_lt(i + 1, set.n);
	ck_assert_uint_eq(rx.st.drop[FRAG_DROP_TOO_BIG], 1);
	ck_assert_ptr_null(rx.r);
	/* Time (R7383-2.6.b): FRAG_TIMEOUT_MS after the first fragment. */
	seal(PLAIN_LEN, 1200);
	ck_assert_int_eq(give(0, 1000, &whole), M6E_AGAIN);
	ck_assert_uint_eq(frag_rx_deadline(&rx), 1000 + FRAG_TIMEOUT_MS);
	frag_rx_expire(&rx, 1000 + FRAG_TIMEOUT_MS - 1);
	ck_assert_ptr_nonnull(rx.r);
	for (unsigned k = 1; k + 1 < set.n; k++)
		ck_assert_int_eq(give(k, 2000, &whole), M6E_AGAIN);
	frag_rx_expire(&rx, 1000 + FRAG_TIMEOUT_MS);
	ck_assert_ptr_null(rx.r);
	ck_assert_uint_eq(rx.st.expired, 1);
	ck_assert_uint_eq(frag_rx_deadline(&rx), UINT64_MAX);
	/* The last one alone does not complete anything now. */
	ck_assert_int_eq(give(set.n - 1, 40000, &whole), M6E_AGAIN);
	/* The sender's limits. */
	ck_assert_int_eq(frag_seal(keys.i, &keys.hdr, IKE_PL_IDI, plain, PLAIN_LEN, FRAG_SIZE_MIN - 1, out, sizeof(out),
				   &set, &out_len),
			 M6E_RANGE);
	ck_assert_int_eq(frag_seal(keys.i, &keys.hdr, IKE_PL_IDI, plain, 40000, 1000, out, sizeof(out), &set, &out_len),
			 M6E_RANGE); /* over FRAG_OUT_MAX fragments */
}
END_TEST

/* ---- two engines, IKE_AUTH fragmented both ways ---- */

static void setup(void)
{
	cp_setup();
	cp_use_creds("big-mn", "big-ha", "big-ha", "big-ha");
	ck_assert_uint_eq(ikeauth_cred_chain_len(cp_creds[PAIR_MN]), 3);
}

/* Take every queued datagram to `to` out of the network. */
static unsigned take_all(struct pair_dgram *frags, unsigned cap)
{
	unsigned n = 0;
	while (n < cap && pair_pop(&cp_ctx, &frags[n]) == 0) {
		ck_assert_uint_le(frags[n].len, FRAG_SIZE_DEFAULT);
		n++;
	}
	return n;
}

static struct pair_dgram req[FRAG_OUT_MAX], resp[FRAG_OUT_MAX];

/* Request and response fragmented (R7383-2.5.a), every datagram within
 * FRAG_SIZE_DEFAULT, in order. */
START_TEST(engines_fragmented)
{
	cp_init_exchange();
	ck_assert(ikesa_peer_fragmentation(mn()->sa) && ikesa_peer_fragmentation(ha()->sa));
	unsigned n = take_all(req, FRAG_OUT_MAX);
	ck_assert_uint_ge(n, 4); /* over 4 KiB */
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, req[i].b, req[i].len), 0);
	unsigned k = take_all(resp, FRAG_OUT_MAX);
	ck_assert_uint_ge(k, 4);
	for (unsigned i = 0; i < k; i++)
		ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_MN, resp[i].b, resp[i].len), 0);
	cp_assert_up();
	ck_assert_uint_eq(ikesa_frag_stats(mn()->sa)->sent, n);
	ck_assert_uint_eq(ikesa_frag_stats(ha()->sa)->sent, k);
	ck_assert_uint_eq(ikesa_frag_stats(ha()->sa)->completed, 1);
	ck_assert_uint_eq(ikesa_frag_stats(mn()->sa)->completed, 1);
	ck_assert_uint_eq(ikesa_our_auth_method(mn()->sa), IKE_AUTH_DIGITAL_SIG);
	/* Memory: the initiator keeps no buffers once up (nothing cached),
	 * the responder its big block with the fragmented response until the
	 * next request. */
	size_t small = ikesa_heap_bytes(mn()->sa), big = ikesa_heap_bytes(ha()->sa);
	ck_assert_uint_eq(big - small, 4 * IKESA_MSG_BIG);
	/* R7383-2.4.b: a small message afterwards is not fragmented. */
	ck_assert_int_eq(ikesa_dpd(mn()->sa, cp_ctx.now), 0);
	pair_pump(&cp_ctx);
	ck_assert_uint_eq(ikesa_frag_stats(mn()->sa)->sent, n);
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->dpd_ok, 1);
	/* ... then only that small response, cached at its size. */
	ck_assert_uint_gt(ikesa_heap_bytes(ha()->sa), small);
	ck_assert_uint_lt(ikesa_heap_bytes(ha()->sa), small + 128);
	/* Both still work on small buffers: another liveness check each way. */
	ck_assert_int_eq(ikesa_dpd(ha()->sa, cp_ctx.now), 0);
	pair_pump(&cp_ctx);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->dpd_ok, 1);
}
END_TEST

/* Reversed and every fragment twice: one completion, duplicates dropped. */
START_TEST(engines_reordered_duplicated)
{
	cp_init_exchange();
	ck_assert(ikesa_peer_fragmentation(mn()->sa) && ikesa_peer_fragmentation(ha()->sa));
	unsigned n = take_all(req, FRAG_OUT_MAX);
	for (unsigned i = n; i-- > 0;) {
		pair_deliver(&cp_ctx, PAIR_HA, req[i].b, req[i].len);
		pair_deliver(&cp_ctx, PAIR_HA, req[i].b, req[i].len);
	}
	/* The last duplicate came after completion: a retransmission of the
	 * answered request, fragment 1 -> the cached response once more. */
	ck_assert_uint_eq(ha()->n_ike_up, 1);
	ck_assert_uint_eq(ikesa_frag_stats(ha()->sa)->completed, 1);
	ck_assert_uint_eq(ikesa_frag_stats(ha()->sa)->drop[FRAG_DROP_DUP], n - 1);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->cache_answers, 1);
	pair_pump(&cp_ctx);
	cp_assert_up();
}
END_TEST

/* A forged fragment (one bit) changes nothing; the genuine ones complete. */
START_TEST(engines_forged_fragment)
{
	cp_init_exchange();
	ck_assert(ikesa_peer_fragmentation(mn()->sa) && ikesa_peer_fragmentation(ha()->sa));
	unsigned n = take_all(req, FRAG_OUT_MAX);
	struct pair_dgram forged = req[0];
	forged.b[forged.len / 2] ^= 0x80;
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, forged.b, forged.len), M6E_AUTH);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_INIT_DONE);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->drop[IKESA_DROP_SK], 1);
	ck_assert_uint_eq(ikesa_frag_stats(ha()->sa)->stored, 0);
	ck_assert_uint_eq(ikesa_next_timeout(ha()->sa), cp_ctx.now + IKESA_HALF_OPEN_MS); /* no reassembly timer */
	for (unsigned i = 0; i < n; i++)
		pair_deliver(&cp_ctx, PAIR_HA, req[i].b, req[i].len);
	pair_pump(&cp_ctx);
	cp_assert_up();
}
END_TEST

/* A request fragment lost: the HA keeps the others; the MN's retransmission
 * (all fragments, R7383-2.6) completes. Then a response fragment lost: the
 * MN retransmits, and of the retransmitted request fragments only
 * fragment 1 makes the HA resend its response (R7383-2.6.1.a). */
START_TEST(engines_lost_fragments)
{
	cp_init_exchange();
	ck_assert(ikesa_peer_fragmentation(mn()->sa) && ikesa_peer_fragmentation(ha()->sa));
	unsigned n = take_all(req, FRAG_OUT_MAX);
	for (unsigned i = 1; i < n; i++) /* fragment 1 lost */
		ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, req[i].b, req[i].len), 0);
	ck_assert_int_eq(ikesa_state(ha()->sa), IKESA_INIT_DONE);
	ck_assert_uint_eq(ikesa_frag_stats(ha()->sa)->stored, n - 1);
	ck_assert_uint_eq(cp_ctx.n, 0);
	ck_assert(pair_advance(&cp_ctx, cp_ctx.now + 1000)); /* MN retransmits */
	ck_assert_uint_eq(ikesa_stats(mn()->sa)->retransmits, 1);
	ck_assert_uint_eq(ikesa_frag_stats(mn()->sa)->sent, 2 * n);
	unsigned again = take_all(req, FRAG_OUT_MAX);
	ck_assert_uint_eq(again, n);
	for (unsigned i = 0; i < n; i++)
		pair_deliver(&cp_ctx, PAIR_HA, req[i].b, req[i].len);
	ck_assert_uint_eq(ha()->n_ike_up, 1);
	/* The response: its first fragment lost. */
	unsigned k = take_all(resp, FRAG_OUT_MAX);
	for (unsigned i = 1; i < k; i++)
		ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_MN, resp[i].b, resp[i].len), 0);
	ck_assert_int_eq(ikesa_state(mn()->sa), IKESA_AUTH_SENT);
	ck_assert(pair_advance(&cp_ctx, cp_ctx.now + 2000));
	take_all(req, FRAG_OUT_MAX);
	for (unsigned i = 0; i < n; i++)
		pair_deliver(&cp_ctx, PAIR_HA, req[i].b, req[i].len);
	ck_assert_uint_eq(ikesa_stats(ha()->sa)->cache_answers, 1);
	pair_pump(&cp_ctx);
	cp_assert_up();
	ck_assert_uint_eq(ha()->n_ike_up, 1);
}
END_TEST

/* Loss at random points with the clock running: still completes. */
START_TEST(engines_lossy_run)
{
	struct pair_dgram d;
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_HA, d.b, d.len), 0);
	ck_assert_int_eq(pair_pop(&cp_ctx, &d), 0);
	cp_ctx.drop_to[PAIR_HA] = 2; /* two request fragments */
	cp_ctx.drop_to[PAIR_MN] = 1; /* the first response fragment */
	ck_assert_int_eq(pair_deliver(&cp_ctx, PAIR_MN, d.b, d.len), 0);
	cp_run(&cp_ctx, 20000);
	ck_assert_uint_eq(cp_ctx.dropped[PAIR_HA], 2);
	ck_assert_uint_eq(cp_ctx.dropped[PAIR_MN], 1);
	cp_assert_up();
	ck_assert_uint_ge(ikesa_stats(mn()->sa)->retransmits, 1);
}
END_TEST

/* Without certificates nothing is big enough to fragment (R7383-2.4.b). */
START_TEST(engines_psk_whole)
{
	cp_ctx.params[PAIR_MN].cred = cp_ctx.params[PAIR_HA].cred = NULL;
	mn()->psk_len = ha()->psk_len = 32;
	ck_assert_int_eq(pair_start(&cp_ctx), 0);
	pair_pump(&cp_ctx);
	cp_assert_up();
	ck_assert_uint_eq(ikesa_frag_stats(mn()->sa)->sent + ikesa_frag_stats(ha()->sa)->sent, 0);
	ck_assert_uint_eq(ikesa_our_auth_method(mn()->sa), IKE_AUTH_PSK);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ikefrag");
	TCase *tc = tcase_create("frag");
	tcase_add_checked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_loop_test(tc, split_and_join, 0, 2);
	tcase_add_test(tc, dup_and_forged);
	tcase_add_test(tc, total_changes);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("engines");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, cp_make_big_pki_or_abort, cp_remove_pki);
	tcase_add_checked_fixture(tc, setup, cp_teardown);
	tcase_add_test(tc, engines_fragmented);
	tcase_add_test(tc, engines_reordered_duplicated);
	tcase_add_test(tc, engines_forged_fragment);
	tcase_add_test(tc, engines_lost_fragments);
	tcase_add_test(tc, engines_lossy_run);
	tcase_add_test(tc, engines_psk_whole);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(suite());
}
