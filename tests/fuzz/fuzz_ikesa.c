/*
 * libFuzzer target for the IKE SA engine (src/ike/ikesa.c). Each input runs
 * a real handshake prefix between two engines (tests/unit/ikesa_pair.h) and
 * then hands one fuzzed datagram to a waiting engine:
 *
 *   byte 0, bit 0   0: the responder in INIT_DONE, waiting for IKE_AUTH
 *                   1: the initiator in AUTH_SENT, waiting for the response
 *   byte 0, bit 1   0: the rest of the input is the datagram
 *                   1: the rest is XORed onto the genuine message that engine
 *                      waits for (so SPIs, flags and lengths mostly survive
 *                      and the bytes reach the SK check)
 *   byte 0, bit 2   with bit 1: cut the message to the input's length
 *   byte 0, bit 3   1: both SAs ESTABLISHED with a CHILD_SA, the MN has a
 *                   CREATE_CHILD_SA or INFORMATIONAL in flight, picked by
 *                   bits 4-5: a new CHILD_SA, a CHILD_SA rekey, an IKE SA
 *                   rekey, a CHILD_SA Delete; bit 0 then picks its request
 *                   (to the HA) or its response (to the MN) as the message
 *                   the fuzzed datagram stands in for
 *
 * Invariant (abort on violation): unless the datagram is byte for byte the
 * genuine message, no state moves and no outcome leaves the engine: no
 * ike_up, child_up, ike_down, and the state stays (R7296-2.21.a: only an SK
 * that verifies moves state). Answers from the response cache are allowed.
 * With bit 3 also no child_down, no ike_rekeyed and the same CHILD_SA table.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ikesa_pair.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pair_ctx ctx;
static struct pair_dgram genuine, fuzzed;

/* Run the exchange until target waits for `genuine`, undelivered. */
static int prefix(int target)
{
	struct pair_dgram d;
	if (pair_init(&ctx, 7) != 0 || pair_start(&ctx) != 0)
		return -1;
	if (pair_pop(&ctx, &d) != 0 || pair_deliver(&ctx, PAIR_HA, d.b, d.len) != 0) /* IKE_SA_INIT */
		return -1;
	if (pair_pop(&ctx, &d) != 0 || pair_deliver(&ctx, PAIR_MN, d.b, d.len) != 0)
		return -1;
	if (pair_pop(&ctx, &genuine) != 0) /* IKE_AUTH request */
		return -1;
	if (target == PAIR_HA)
		return 0;
	if (pair_deliver(&ctx, PAIR_HA, genuine.b, genuine.len) != 0 || pair_pop(&ctx, &genuine) != 0)
		return -1;
	return 0;
}

/* Established, then one exchange of the MN's in flight (bit 3). */
static int prefix_established(int target, unsigned kind)
{
	if (pair_init(&ctx, 11) != 0 || pair_start(&ctx) != 0)
		return -1;
	pair_pump(&ctx);
	struct pair_side *mn = &ctx.side[PAIR_MN];
	if (mn->n_live != 1 || ikesa_state(mn->sa) != IKESA_ESTABLISHED)
		return -1;
	struct ikesa_child_req req;
	memset(&req, 0, sizeof(req));
	req.tsi = ctx.params[PAIR_MN].tsi;
	req.tsr = ctx.params[PAIR_MN].tsr;
	req.pfs = true;
	int rc = kind == 0   ? ikesa_create_child(mn->sa, &req, ctx.now)
		 : kind == 1 ? ikesa_rekey_child(mn->sa, mn->live[0].spi_in, ctx.now)
		 : kind == 2 ? ikesa_rekey_ike(mn->sa, ctx.now)
			     : ikesa_delete_child(mn->sa, mn->live[0].spi_in, ctx.now);
	if (rc != 0 || pair_pop(&ctx, &genuine) != 0)
		return -1;
	if (target == PAIR_HA)
		return 0;
	if (pair_deliver(&ctx, PAIR_HA, genuine.b, genuine.len) != 0 || pair_pop(&ctx, &genuine) != 0)
		return -1;
	return 0;
}

struct snapshot {
	enum ikesa_state state;
	unsigned ups, downs;
	size_t children;
};

static struct snapshot snap(const struct pair_side *s)
{
	struct ikesa_child_info info[IKESA_CHILD_MAX];
	struct snapshot n = { ikesa_state(s->sa), s->n_ike_up + s->n_child_up + s->n_child_failed + s->n_rekeyed,
			      s->n_ike_down + s->n_child_down, ikesa_children(s->sa, info, IKESA_CHILD_MAX) };
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int target = data[0] & 1 ? PAIR_MN : PAIR_HA;
	bool xor_mode = data[0] & 2, cut = data[0] & 4, established = data[0] & 8;
	unsigned kind = (data[0] >> 4) & 3;
	data++;
	size--;
	if ((established ? prefix_established(target, kind) : prefix(target)) != 0)
		abort(); /* the exchanges themselves must work */
	if (xor_mode) {
		fuzzed = genuine;
		for (size_t i = 0; i < size && i < sizeof(fuzzed.b); i++)
			fuzzed.b[i] ^= data[i];
		if (cut && size < fuzzed.len)
			fuzzed.len = size;
	} else {
		fuzzed.len = size < sizeof(fuzzed.b) ? size : sizeof(fuzzed.b);
		memcpy(fuzzed.b, data, fuzzed.len);
	}
	struct pair_side *s = &ctx.side[target];
	struct snapshot before = snap(s);
	pair_deliver(&ctx, target, fuzzed.b, fuzzed.len);
	struct snapshot after = snap(s);
	bool same = fuzzed.len == genuine.len && memcmp(fuzzed.b, genuine.b, genuine.len) == 0;
	if (!same && (after.state != before.state || after.ups != before.ups || after.downs != before.downs ||
		      after.children != before.children))
		abort();
	if (same && after.state != IKESA_ESTABLISHED)
		abort(); /* the genuine message must still complete the exchange */
	/* Timers stay sane: the next timeout is in the future or never. */
	ikesa_tick(s->sa, ctx.now);
	if (ikesa_next_timeout(s->sa) <= ctx.now)
		abort();
	pair_fini(&ctx);
	return 0;
}
