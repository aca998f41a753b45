/*
 * replay: the ESP anti-replay window (RFC 4303 3.4.3 and Appendix A;
 * algorithms.md 3.5), with 64-bit Extended Sequence Numbers.
 *
 * The check is split in two so the window moves only for authentic packets
 * (R4303-3.4.3.a): replay_check() runs first, right after the SA lookup and
 * before any crypto, and yields the full 64-bit sequence number (the ESN high
 * half is inferred per Appendix A2.2, R4303-3.4.3.b); replay_update() runs
 * only after the ICV verified and marks that number seen.
 *
 * The bitmap is a ring of 64-bit words indexed by sequence number (one spare
 * word, so sliding right only clears whole words): O(1) per packet for any
 * window size, no allocation after replay_init().
 */
#ifndef M6_IPSEC_REPLAY_H
#define M6_IPSEC_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_MIN 64 /* R4303-3.4.3.a: >= 32 MUST, 64 SHOULD */
#define REPLAY_WINDOW_DEFAULT 1024
#define REPLAY_WINDOW_MAX 65536

struct replay {
	uint64_t top; /* highest authenticated sequence number (T); 0 = none yet */
	uint32_t window; /* W, a multiple of 64; 0 = checking disabled */
	uint32_t nwords; /* window / 64 + 1 */
	uint64_t *bits; /* ring: bit for n at word (n / 64) % nwords */
	bool esn;
};

/*
 * Set up a window of `window` packets (rounded up to a multiple of 64;
 * REPLAY_WINDOW_MIN..REPLAY_WINDOW_MAX), or 0 to disable checking (RFC 4303
 * 3.4.3 lets a receiver do that, e.g. for manual SAs, R4303-3.3.3.a); with ESN
 * the top is still tracked so the high half can be inferred.
 * 0, M6E_RANGE or M6E_NOMEM.
 */
int replay_init(struct replay *r, uint32_t window, bool esn);
void replay_fini(struct replay *r);

/*
 * May a packet whose transmitted (low 32) sequence bits are seq_lo be
 * accepted? On 0, *seq receives the full 64-bit number to authenticate the
 * packet with. M6E_DUP: already seen. M6E_RANGE: left of the window, or the
 * 64-bit number would be 0 or wrap (never valid).
 * The window is not changed.
 */
int replay_check(const struct replay *r, uint32_t seq_lo, uint64_t *seq);
/* Mark seq (from replay_check, ICV verified) seen, sliding right if needed. */
void replay_update(struct replay *r, uint64_t seq);

#endif
