/*
 * Unit tests for the SA (src/ipsec/sa.c) and the SAD (src/ipsec/sad.c):
 * parameter checks (reserved SPIs R4303-2.1.a, manual keys R8221-3.a), the
 * sequence counter that never cycles (R4303-2.2.a), soft/hard lifetimes in
 * bytes and seconds, state moves, and a 100k-entry table.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ipsec/sad.h"
#include "testutil.h"

static uint8_t keymat[AEAD_MAX_KEYMAT];

static struct sa_params params(enum aead_alg alg, enum sa_dir dir, uint32_t spi)
{
	return (struct sa_params){
		.spi = spi,
		.dir = dir,
		.mode = SA_MODE_TRANSPORT,
		.alg = alg,
		.keymat = keymat,
		.keymat_len = aead_keymat_len(alg),
		.replay_window = REPLAY_WINDOW_DEFAULT,
	};
}

/* ---- sa_new parameter checks ------------------------------------------- */

enum tweak { T_NONE, T_SPI0, T_SPI255, T_SPI256, T_MANUAL, T_KEYLEN, T_MODE, T_ALG, T_WINDOW, T_SOFT_ABOVE };

static const struct {
	const char *name;
	enum aead_alg alg;
	enum tweak tweak;
	int rc;
} new_cases[] = {
	{ "gcm ok", AEAD_AES128_GCM16, T_NONE, 0 },
	{ "spi 0", AEAD_AES128_GCM16, T_SPI0, M6E_INVAL },
	{ "spi 255 reserved", AEAD_AES128_GCM16, T_SPI255, M6E_INVAL },
	{ "spi 256", AEAD_AES128_GCM16, T_SPI256, 0 },
	{ "manual cbc", AEAD_AES128_CBC_HMAC_SHA256_128, T_MANUAL, 0 },
	{ "manual gcm", AEAD_AES256_GCM16, T_MANUAL, M6E_PERM },
	{ "manual chacha", AEAD_CHACHA20_POLY1305, T_MANUAL, M6E_PERM },
	{ "short key", AEAD_AES256_CBC_HMAC_SHA256_128, T_KEYLEN, M6E_INVAL },
	{ "bad mode", AEAD_AES128_GCM16, T_MODE, M6E_INVAL },
	{ "bad alg", AEAD_AES128_GCM16, T_ALG, M6E_INVAL },
	{ "window 16", AEAD_AES128_GCM16, T_WINDOW, M6E_RANGE },
	{ "soft above hard", AEAD_AES128_GCM16, T_SOFT_ABOVE, M6E_INVAL },
};

START_TEST(sa_new_checks)
{
	struct sa_params p = params(new_cases[_i].alg, SA_DIR_IN, 0x1000);
	switch (new_cases[_i].tweak) {
	case T_NONE:
		break;
	case T_SPI0:
		p.spi = 0;
		break;
	case T_SPI255:
		p.spi = 255;
		break;
	case T_SPI256:
		p.spi = 256;
		break;
	case T_MANUAL:
		p.manual = true;
		break;
	case T_KEYLEN:
		p.keymat_len--;
		break;
	case T_MODE:
		p.mode = (enum sa_mode)7;
		break;
	case T_ALG:
		p.alg = (enum aead_alg)0;
		break;
	case T_WINDOW:
		p.replay_window = 16;
		break;
	case T_SOFT_ABOVE:
		p.soft.bytes = 2000;
		p.hard.bytes = 1000;
		break;
	}
	struct sa *sa = (struct sa *)1;
	ck_assert_int_eq(sa_new(&p, 0, &sa), new_cases[_i].rc);
	if (new_cases[_i].rc == 0) {
		ck_assert_ptr_nonnull(sa);
		ck_assert_int_eq(sa->state, SA_STATE_MATURE);
		ck_assert_uint_eq(sa->spi, p.spi);
		sa_free(sa);
	} else {
		ck_assert_ptr_null(sa);
	}
}
END_TEST

/* ---- sequence numbers (R4303-2.2.a) ------------------------------------- */

START_TEST(sa_seq_never_cycles)
{
	struct sa_params p = params(AEAD_AES128_GCM16, SA_DIR_OUT, 0x2000);
	struct sa *sa;
	ck_assert_int_eq(sa_new(&p, 0, &sa), 0);
	uint64_t seq;
	ck_assert_int_eq(sa_next_seq(sa, &seq), 0);
	ck_assert(seq == 1); /* counter starts at 0, first packet 1 */
	sa->seq = UINT32_MAX - 1;
	ck_assert_int_eq(sa_next_seq(sa, &seq), 0);
	ck_assert(seq == UINT32_MAX);
	ck_assert_int_eq(sa_next_seq(sa, &seq), M6E_RANGE);
	ck_assert_int_eq(sa_next_seq(sa, &seq), M6E_RANGE); /* stays refused */
	sa_free(sa);

	p.esn = true;
	ck_assert_int_eq(sa_new(&p, 0, &sa), 0);
	sa->seq = UINT32_MAX;
	ck_assert_int_eq(sa_next_seq(sa, &seq), 0);
	ck_assert(seq == (uint64_t)UINT32_MAX + 1); /* ESN goes past 2^32 */
	sa->seq = UINT64_MAX - 1;
	ck_assert_int_eq(sa_next_seq(sa, &seq), 0);
	ck_assert(seq == UINT64_MAX);
	ck_assert_int_eq(sa_next_seq(sa, &seq), M6E_RANGE);
	sa_free(sa);
}
END_TEST

/* ---- lifetimes ------------------------------------------------------------ */

START_TEST(sa_byte_lifetimes)
{
	struct sa_params p = params(AEAD_AES128_GCM16, SA_DIR_OUT, 0x3000);
	p.soft.bytes = 1000;
	p.hard.bytes = 1500;
	struct sa *sa;
	ck_assert_int_eq(sa_new(&p, 0, &sa), 0);
	ck_assert_int_eq(sa_account(sa, 999), SA_STATE_MATURE);
	ck_assert_int_eq(sa_account(sa, 1), SA_STATE_DYING); /* reaching soft */
	ck_assert_int_eq(sa_account(sa, 499), SA_STATE_DYING);
	ck_assert_int_eq(sa_account(sa, 1), SA_STATE_DEAD);
	ck_assert_uint_eq(sa->cnt.packets, 4);
	ck_assert_uint_eq(sa->cnt.bytes, 1500);
	sa_free(sa);
}
END_TEST

START_TEST(sa_time_lifetimes)
{
	struct sa_params p = params(AEAD_CHACHA20_POLY1305, SA_DIR_IN, 0x3001);
	p.soft.seconds = 3000;
	p.hard.seconds = 3600;
	struct sa *sa;
	const uint64_t t0 = 1000000; /* ms on the caller's clock */
	ck_assert_int_eq(sa_new(&p, t0, &sa), 0);
	ck_assert_int_eq(sa_tick(sa, t0 + 2999999), SA_STATE_MATURE);
	ck_assert_int_eq(sa_tick(sa, t0 + 3000000), SA_STATE_DYING);
	ck_assert_int_eq(sa_tick(sa, t0 + 3599999), SA_STATE_DYING);
	ck_assert_int_eq(sa_tick(sa, t0 + 3600000), SA_STATE_DEAD);
	ck_assert_int_eq(sa_tick(sa, t0), SA_STATE_DEAD); /* never back */
	sa_free(sa);

	/* Only hard: MATURE straight to DEAD; a clock before creation is 0 s. */
	p.soft.seconds = 0;
	p.hard.seconds = 10;
	ck_assert_int_eq(sa_new(&p, t0, &sa), 0);
	ck_assert_int_eq(sa_tick(sa, 0), SA_STATE_MATURE);
	ck_assert_int_eq(sa_tick(sa, t0 + 10000), SA_STATE_DEAD);
	sa_free(sa);
}
END_TEST

START_TEST(sa_state_moves)
{
	struct sa_params p = params(AEAD_AES128_GCM16, SA_DIR_OUT, 0x3002);
	struct sa *sa;
	ck_assert_int_eq(sa_new(&p, 0, &sa), 0);
	ck_assert_int_eq(sa_set_state(sa, SA_STATE_DYING), 0);
	ck_assert_int_eq(sa_set_state(sa, SA_STATE_DYING), 0); /* no-op */
	ck_assert_int_eq(sa_set_state(sa, SA_STATE_MATURE), M6E_PROTO);
	ck_assert_int_eq(sa_set_state(sa, SA_STATE_DEAD), 0);
	ck_assert_int_eq(sa_set_state(sa, SA_STATE_DYING), M6E_PROTO);
	ck_assert_int_eq(sa->state, SA_STATE_DEAD);
	ck_assert_str_eq(sa_state_name(SA_STATE_DYING), "dying");
	ck_assert_str_eq(sa_dir_name(SA_DIR_OUT), "out");
	ck_assert_str_eq(sa_mode_name(SA_MODE_TUNNEL), "tunnel");
	sa_free(sa);
}
END_TEST

/* ---- the table -------------------------------------------------------------- */

/* SAs without cipher contexts: the table only looks at spi/dir/hnext, and
 * 100k EVP contexts would test OpenSSL's allocator, not the SAD. */
static struct sa *bare_sa(uint32_t spi, enum sa_dir dir)
{
	struct sa *sa = calloc(1, sizeof(*sa));
	ck_assert_ptr_nonnull(sa);
	sa->spi = spi;
	sa->dir = dir;
	return sa;
}

/* Deterministic spread of SPIs: an odd multiplier permutes 2^32, so all
 * distinct; | 0x100 keeps them out of the reserved range. */
static uint32_t nth_spi(uint32_t i)
{
	return (i * 2654435761u) | 0x100u;
}

#define N_SAS 100000u

START_TEST(sad_100k)
{
	struct sad *sad;
	ck_assert_int_eq(sad_new(&sad, 0x12345678), 0);
	uint32_t collisions = 0;
	for (uint32_t i = 0; i < N_SAS; i++) {
		struct sa *sa = bare_sa(nth_spi(i), i % 2 ? SA_DIR_OUT : SA_DIR_IN);
		int rc = sad_add(sad, sa);
		if (rc == M6E_EXISTS) { /* the | 0x100 may merge two */
			collisions++;
			free(sa);
			continue;
		}
		ck_assert_int_eq(rc, 0);
	}
	ck_assert_uint_lt(collisions, 10);
	ck_assert_uint_eq(sad_count(sad), N_SAS - collisions);
	/* Every SA is found under its own direction, not the other. */
	for (uint32_t i = 0; i < N_SAS; i++) {
		enum sa_dir d = i % 2 ? SA_DIR_OUT : SA_DIR_IN;
		struct sa *sa = sad_lookup(sad, d, nth_spi(i));
		ck_assert_ptr_nonnull(sa);
		ck_assert_uint_eq(sa->spi, nth_spi(i));
		ck_assert_int_eq(sa->dir, d);
	}
	ck_assert_ptr_null(sad_lookup(sad, SA_DIR_IN, 0x1)); /* reserved: never added */
	/* The same SPI may exist once per direction. */
	struct sa *twin = bare_sa(nth_spi(0), SA_DIR_OUT);
	if (sad_lookup(sad, SA_DIR_OUT, nth_spi(0)) == NULL) {
		ck_assert_int_eq(sad_add(sad, twin), 0);
		ck_assert_ptr_eq(sad_lookup(sad, SA_DIR_OUT, nth_spi(0)), twin);
		ck_assert_ptr_ne(sad_lookup(sad, SA_DIR_IN, nth_spi(0)), twin);
		ck_assert_int_eq(sad_del(sad, twin), 0);
	} else {
		free(twin);
	}
	struct sa *dup = bare_sa(nth_spi(2), SA_DIR_IN);
	ck_assert_int_eq(sad_add(sad, dup), M6E_EXISTS);
	free(dup);
	/* Remove every third; the rest stay reachable. */
	size_t before = sad_count(sad), removed = 0;
	for (uint32_t i = 0; i < N_SAS; i += 3) {
		struct sa *sa = sad_lookup(sad, i % 2 ? SA_DIR_OUT : SA_DIR_IN, nth_spi(i));
		if (!sa)
			continue; /* a merged duplicate already removed */
		ck_assert_int_eq(sad_remove(sad, sa), 0);
		ck_assert_int_eq(sad_remove(sad, sa), M6E_NOTFOUND);
		sa_free(sa);
		removed++;
	}
	ck_assert_uint_eq(sad_count(sad), before - removed);
	for (uint32_t i = 1; i < N_SAS; i += 3)
		ck_assert_ptr_nonnull(sad_lookup(sad, i % 2 ? SA_DIR_OUT : SA_DIR_IN, nth_spi(i)));
	sad_free(sad);
}
END_TEST

static void count_and_kill_odd(struct sad *sad, struct sa *sa, void *arg)
{
	size_t *seen = arg;
	(*seen)++;
	if (sa->spi & 1)
		ck_assert_int_eq(sad_del(sad, sa), 0);
}

START_TEST(sad_foreach_may_delete)
{
	struct sad *sad;
	ck_assert_int_eq(sad_new(&sad, 7), 0);
	for (uint32_t spi = 0x1000; spi < 0x1000 + 500; spi++)
		ck_assert_int_eq(sad_add(sad, bare_sa(spi, SA_DIR_IN)), 0);
	size_t seen = 0;
	sad_foreach(sad, count_and_kill_odd, &seen);
	ck_assert_uint_eq(seen, 500);
	ck_assert_uint_eq(sad_count(sad), 250);
	ck_assert_ptr_null(sad_lookup(sad, SA_DIR_IN, 0x1001));
	ck_assert_ptr_nonnull(sad_lookup(sad, SA_DIR_IN, 0x1002));
	sad_free(sad);
}
END_TEST

static Suite *sad_suite(void)
{
	Suite *s = suite_create("sad");
	TCase *tc = tcase_create("sa");
	tcase_add_loop_test(tc, sa_new_checks, 0, sizeof(new_cases) / sizeof(new_cases[0]));
	tcase_add_test(tc, sa_seq_never_cycles);
	tcase_add_test(tc, sa_byte_lifetimes);
	tcase_add_test(tc, sa_time_lifetimes);
	tcase_add_test(tc, sa_state_moves);
	suite_add_tcase(s, tc);
	tc = tcase_create("table");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sad_100k);
	tcase_add_test(tc, sad_foreach_may_delete);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(keymat); i++)
		keymat[i] = (uint8_t)(0x40 + i);
	return tu_run_suite(sad_suite());
}
