/*
 * Unit tests for the anti-replay window (src/ipsec/replay.c; RFC 4303 3.4.3
 * and Appendix A, algorithms.md 3.5, R4303-3.4.3.a/b). Each case feeds a
 * sequence of received low-32-bit numbers; a step that passes the check is
 * then marked (as if its ICV verified) unless it says otherwise.
 */
#include <string.h>

#include "base/err.h"
#include "ipsec/replay.h"
#include "testutil.h"

#define W REPLAY_WINDOW_DEFAULT
#define NOUPD 1 /* step flag: check only (the ICV failed), do not update */

struct step {
	uint32_t lo;
	int rc;
	uint64_t seq; /* expected full number when rc == 0 */
	int flags;
};

struct replay_case {
	const char *name;
	uint32_t window;
	bool esn;
	uint64_t start; /* marked before the steps (0: fresh SA) */
	struct step steps[12];
};

/* Accepted with this full number / refused with rc / accepted but its ICV
 * fails, so the window must not move. */
#define OK(lo, seq) { (lo), 0, (seq), 0 }
#define NO(lo, rc) { (lo), (rc), 0, 0 }
#define TRY(lo, seq) { (lo), 0, (seq), NOUPD }

static const struct replay_case cases[] = {
	{ "in order", W, false, 0, { OK(1, 1), OK(2, 2), OK(3, 3), OK(4, 4) } },
	{ "zero never valid", W, false, 0, { NO(0, M6E_RANGE), OK(1, 1), NO(0, M6E_RANGE) } },
	{ "reordered within window",
	  W,
	  false,
	  0,
	  { OK(10, 10), OK(5, 5), OK(7, 7), OK(6, 6), OK(9, 9), NO(7, M6E_DUP), NO(10, M6E_DUP),
	    OK(8, 8), OK(1, 1) } },
	{ "duplicate", W, false, 0, { OK(42, 42), NO(42, M6E_DUP), OK(43, 43), NO(42, M6E_DUP) } },
	{ "too old at the edge",
	  W,
	  false,
	  2000,
	  { NO(2000 - W, M6E_RANGE), OK(2000 - W + 1, 2000 - W + 1), NO(2000 - W + 1, M6E_DUP), NO(3, M6E_RANGE) } },
	{ "failed ICV does not mark",
	  W,
	  false,
	  0,
	  { TRY(5, 5), OK(5, 5), NO(5, M6E_DUP), TRY(900, 900), OK(6, 6) } },
	/* A jump of exactly one ring (W / 64 + 1 words) lands on the slot of an
	 * old number; the slide must have cleared it. */
	{ "far-ahead jump clears the ring",
	  W,
	  false,
	  0,
	  { OK(5, 5),
	    OK(5 + W + 64, 5 + W + 64),
	    OK(5 + W + 63, 5 + W + 63),
	    NO(5 + W + 64, M6E_DUP),
	    OK(100, 100),
	    OK(70, 70), /* 1093 - 1023: oldest in the window */
	    NO(69, M6E_RANGE),
	    NO(5, M6E_RANGE) } },
	{ "jump far beyond the window",
	  W,
	  false,
	  0,
	  { OK(1, 1), OK(100000, 100000), NO(1, M6E_RANGE), NO(100000 - W, M6E_RANGE),
	    OK(100000 - W + 1, 100000 - W + 1), OK(99999, 99999) } },
	{ "non-ESN top of the space",
	  W,
	  false,
	  0xfffffffe,
	  { OK(0xffffffff, 0xffffffff), NO(0, M6E_RANGE), NO(0xfffffffe, M6E_DUP), OK(0xfffffffd, 0xfffffffd) } },
	{ "small window 64",
	  64,
	  false,
	  100,
	  { NO(36, M6E_RANGE), OK(37, 37), OK(101, 101), NO(37, M6E_RANGE), OK(38, 38) } },
	/* ESN (Appendix A2.2): the high half follows the window across 2^32. */
	{ "ESN rollover",
	  W,
	  true,
	  0xfffffff0,
	  { OK(0xfffffffe, 0xfffffffe),
	    OK(0, 0x100000000ull),
	    OK(5, 0x100000005ull),
	    OK(0xfffffff5, 0xfffffff5), /* late, previous subspace (case B) */
	    NO(0xfffffffe, M6E_DUP),
	    NO(0, M6E_DUP),
	    OK(0xfffffc06, 0xfffffc06), /* bottom of the window */
	    TRY(0xfffffc05, 0x1fffffc05ull), /* below it: read as the next wrap; forged, ICV fails */
	    OK(6, 0x100000006ull) } },
	{ "ESN case A next subspace",
	  W,
	  true,
	  0x300000800ull,
	  { OK(0x401, 0x300000401ull), TRY(0x400, 0x400000400ull), OK(0x900, 0x300000900ull) } },
	{ "ESN fresh SA",
	  W,
	  true,
	  0,
	  { NO(0, M6E_RANGE), OK(0xffffff00, 0xffffff00), OK(0xfffffe00, 0xfffffe00), NO(0xffffff00, M6E_DUP),
	    OK(1, 0x100000001ull) } },
	{ "ESN end of space",
	  W,
	  true,
	  0xfffffffffffffff0ull,
	  { OK(0xffffffff, 0xffffffffffffffffull), NO(0, M6E_RANGE), OK(0xfffffff5, 0xfffffffffffffff5ull) } },
	{ "disabled", 0, false, 0, { OK(3, 3), OK(3, 3), OK(1, 1), NO(0, M6E_RANGE) } },
	{ "disabled ESN still infers",
	  0,
	  true,
	  0xfffffff0,
	  { OK(0xfffffff1, 0xfffffff1), OK(2, 0x100000002ull), OK(0xfffffff2, 0xfffffff2) } },
};

START_TEST(replay_table)
{
	const struct replay_case *c = &cases[_i];
	struct replay r;
	ck_assert_int_eq(replay_init(&r, c->window, c->esn), 0);
	if (c->start)
		replay_update(&r, c->start);
	for (size_t i = 0; i < sizeof(c->steps) / sizeof(c->steps[0]); i++) {
		const struct step *s = &c->steps[i];
		if (s->lo == 0 && s->rc == 0 && s->seq == 0)
			break; /* end of the list */
		uint64_t seq = 0xdead;
		int rc = replay_check(&r, s->lo, &seq);
		ck_assert_msg(rc == s->rc, "%s step %zu (0x%x): rc %d, want %d", c->name, i, s->lo, rc, s->rc);
		if (rc == 0) {
			ck_assert_msg(seq == s->seq, "%s step %zu: seq 0x%llx, want 0x%llx", c->name, i,
				      (unsigned long long)seq, (unsigned long long)s->seq);
			if (!(s->flags & NOUPD))
				replay_update(&r, seq);
		} else {
			ck_assert(seq == 0xdead); /* untouched on refusal */
		}
	}
	replay_fini(&r);
}
END_TEST

START_TEST(replay_init_bounds)
{
	struct replay r;
	ck_assert_int_eq(replay_init(&r, 32, false), M6E_RANGE); /* below REPLAY_WINDOW_MIN */
	ck_assert_int_eq(replay_init(&r, REPLAY_WINDOW_MAX + 1, false), M6E_RANGE);
	ck_assert_int_eq(replay_init(&r, 100, false), 0);
	ck_assert_uint_eq(r.window, 128); /* whole words */
	/* The window really is 128 wide: 200 - 127 in, 200 - 128 out. */
	replay_update(&r, 200);
	uint64_t seq;
	ck_assert_int_eq(replay_check(&r, 73, &seq), 0);
	ck_assert_int_eq(replay_check(&r, 72, &seq), M6E_RANGE);
	replay_fini(&r);
}
END_TEST

/* Every number of a dense reordered stream is accepted exactly once, and a
 * replay of the whole stream is entirely rejected. */
START_TEST(replay_stream_exactly_once)
{
	struct replay r;
	ck_assert_int_eq(replay_init(&r, 256, true), 0);
	uint64_t accepted = 0;
	/* Blocks of 200 delivered backwards, crossing 2^32 on the way. */
	const uint64_t base = 0xffffff00ull;
	for (uint64_t blk = 0; blk < 10; blk++) {
		for (uint64_t k = 200; k-- > 0;) {
			uint64_t n = base + blk * 200 + k, seq;
			ck_assert_int_eq(replay_check(&r, (uint32_t)n, &seq), 0);
			ck_assert(seq == n);
			replay_update(&r, seq);
			accepted++;
			ck_assert_int_eq(replay_check(&r, (uint32_t)n, &seq), M6E_DUP);
		}
	}
	ck_assert(accepted == 2000);
	ck_assert(r.top == base + 1999);
	replay_fini(&r);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("window");
	tcase_add_loop_test(tc, replay_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, replay_init_bounds);
	tcase_add_test(tc, replay_stream_exactly_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(replay_suite());
}
