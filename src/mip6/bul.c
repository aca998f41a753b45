/* Binding Update List entries: state machine, backoff and rate limiting. */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "mip6/bul.h"

static const struct name_entry bul_state_names[] = {
	{ BUL_IDLE, "idle" },
	{ BUL_REGISTERING, "registering" },
	{ BUL_REGISTERED, "registered" },
	{ BUL_BACKOFF, "backoff" },
	{ BUL_DEREGISTERING, "deregistering" },
	{ BUL_FAILED, "failed" },
};

const char *bul_state_name(unsigned s)
{
	return names_get(bul_state_names, NAMES_COUNT(bul_state_names), s);
}

struct bul_entry *bul_find(struct bul *l, const struct in6_addr *dst)
{
	for (size_t i = 0; i < l->n; i++)
		if (addr_eq(&l->e[i].dst, dst))
			return &l->e[i];
	return NULL;
}

int bul_add(struct bul *l, const struct in6_addr *dst, const struct in6_addr *hoa, uint16_t seq0,
	    struct bul_entry **out)
{
	struct bul_entry *b;

	if (bul_find(l, dst))
		return M6E_EXISTS;
	if (l->n >= BUL_MAX)
		return M6E_NOSPACE;
	b = &l->e[l->n++];
	memset(b, 0, sizeof(*b));
	b->dst = *dst;
	b->hoa = *hoa;
	b->coa = *hoa;
	b->state = BUL_IDLE;
	b->seq = seq0;
	b->attempt_seq = (uint16_t)(seq0 + 1u);
	b->next_ms = MIP6_NEVER;
	b->refresh_ms = MIP6_NEVER;
	if (out)
		*out = b;
	return 0;
}

static bool bul_move_ok(enum bul_state from, enum bul_state to)
{
	switch (from) {
	case BUL_IDLE:
		return to == BUL_REGISTERING || to == BUL_IDLE;
	case BUL_REGISTERING:
		return to != BUL_IDLE;
	case BUL_REGISTERED:
	case BUL_BACKOFF:
		return to == BUL_REGISTERING || to == BUL_DEREGISTERING;
	case BUL_DEREGISTERING:
		return to == BUL_IDLE || to == BUL_REGISTERING || to == BUL_DEREGISTERING;
	default: /* BUL_FAILED is final */
		return false;
	}
}

int bul_set_state(struct bul_entry *b, enum bul_state to)
{
	char a[ADDR_STRLEN];

	if (!bul_move_ok(b->state, to)) {
		LOG_ERR(LOG_SUB_MIP6, "BUL %s: illegal move %s -> %s",
			addr_fmt(&b->dst, a, sizeof(a)), bul_state_name(b->state),
			bul_state_name(to));
		return M6E_PROTO;
	}
	if (b->state != to)
		LOG_INFO(LOG_SUB_MIP6, "BUL %s: %s -> %s", addr_fmt(&b->dst, a, sizeof(a)),
			 bul_state_name(b->state), bul_state_name(to));
	b->state = to;
	return 0;
}

bool bul_seq_outstanding(const struct bul_entry *b, uint16_t seq)
{
	/* seq in [attempt_seq, seq_sent] modulo 2^16; an attempt whose first BU
	 * is still held back (seq_sent = attempt_seq - 1) has nothing out */
	uint16_t span = (uint16_t)(b->seq - b->attempt_seq);

	if (span >= 0x8000u)
		return false;
	return (uint16_t)(seq - b->attempt_seq) <= span;
}

uint32_t bul_jitter(uint32_t base_ms, uint16_t rnd)
{
	uint64_t d;

	if (base_ms >= MIP6_MAX_BINDACK_TIMEOUT_MS)
		return MIP6_MAX_BINDACK_TIMEOUT_MS;
	d = base_ms + (uint64_t)base_ms * rnd / (10u * 65536u);
	return d > MIP6_MAX_BINDACK_TIMEOUT_MS ? MIP6_MAX_BINDACK_TIMEOUT_MS : (uint32_t)d;
}

uint64_t bul_rate_earliest(const struct bul_entry *b, uint64_t now_ms)
{
	/* rate[0] is the oldest of the last MAX_UPDATE_RATE sends; 0 = unused */
	if (b->rate[0] == 0)
		return now_ms;
	return b->rate[0] + 1000u > now_ms ? b->rate[0] + 1000u : now_ms;
}

void bul_note_sent(struct bul_entry *b, uint64_t now_ms)
{
	memmove(&b->rate[0], &b->rate[1], sizeof(b->rate) - sizeof(b->rate[0]));
	b->rate[MIP6_MAX_UPDATE_RATE - 1] = now_ms ? now_ms : 1;
	b->sent_ms = now_ms;
}
