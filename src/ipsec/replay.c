#include "ipsec/replay.h"

#include <stdlib.h>

#include "base/err.h"

int replay_init(struct replay *r, uint32_t window, bool esn)
{
	*r = (struct replay){ .esn = esn };
	if (window == 0)
		return 0;
	if (window < REPLAY_WINDOW_MIN || window > REPLAY_WINDOW_MAX)
		return M6E_RANGE;
	r->window = (window + 63u) & ~63u;
	r->nwords = r->window / 64 + 1;
	r->bits = calloc(r->nwords, sizeof(*r->bits));
	if (!r->bits)
		return M6E_NOMEM;
	return 0;
}

void replay_fini(struct replay *r)
{
	free(r->bits);
	r->bits = NULL;
}

/* Appendix A2.2 / algorithms.md 3.5: pick the high half that puts seq_lo in
 * or right of the window. Returns false when that would pass 2^64 - 1. */
static bool infer_high(const struct replay *r, uint32_t seq_lo, uint64_t *seq)
{
	uint32_t th = (uint32_t)(r->top >> 32), tl = (uint32_t)r->top;
	/* Without a window the guess uses the smallest legal one. */
	uint32_t w = r->window ? r->window : REPLAY_WINDOW_MIN;
	uint32_t bottom = tl - w + 1; /* mod 2^32 */
	uint32_t sh;
	if (tl >= w - 1) { /* case A: the window sits in one subspace */
		if (seq_lo >= bottom) {
			sh = th;
		} else {
			if (th == UINT32_MAX)
				return false;
			sh = th + 1;
		}
	} else { /* case B: the window spans Th - 1 and Th */
		if (seq_lo >= bottom) {
			/* Numbers below 1 do not exist: in subspace 0 this low
			 * half can only lie to the right. */
			sh = th == 0 ? 0 : th - 1;
		} else {
			sh = th;
		}
	}
	*seq = (uint64_t)sh << 32 | seq_lo;
	return true;
}

static uint64_t *word_of(const struct replay *r, uint64_t seq)
{
	return &r->bits[(seq / 64) % r->nwords];
}

int replay_check(const struct replay *r, uint32_t seq_lo, uint64_t *seq)
{
	uint64_t s = seq_lo;
	if (r->esn && !infer_high(r, seq_lo, &s))
		return M6E_RANGE;
	/* The first packet carries 1; 0 is never valid (algorithms.md 3.5). */
	if (s == 0)
		return M6E_RANGE;
	if (r->window == 0 || s > r->top) {
		*seq = s;
		return 0;
	}
	if (r->top - s >= r->window)
		return M6E_RANGE;
	if (*word_of(r, s) & (1ull << (s % 64)))
		return M6E_DUP;
	*seq = s;
	return 0;
}

void replay_update(struct replay *r, uint64_t seq)
{
	if (r->window == 0) {
		if (seq > r->top)
			r->top = seq;
		return;
	}
	if (seq > r->top) {
		/* Clear the words that the slide brings into the window; a jump of
		 * a whole ring or more clears everything. */
		uint64_t from = r->top / 64 + 1, to = seq / 64;
		if (to - from + 1 >= r->nwords) {
			for (uint32_t i = 0; i < r->nwords; i++)
				r->bits[i] = 0;
		} else {
			for (uint64_t w = from; w <= to; w++)
				r->bits[w % r->nwords] = 0;
		}
		r->top = seq;
	} else if (r->top - seq >= r->window) {
		return; /* fell out while we were verifying: nothing to mark */
	}
	*word_of(r, seq) |= 1ull << (seq % 64);
}
