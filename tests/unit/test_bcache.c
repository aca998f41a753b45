/*
 * Unit tests for src/mip6/bcache: the home agent's Binding Cache
 * (RFC 6275 §9.1, §10.1): insert, lookup, removal, ordered iteration, expiry
 * scans, the entry state machine, and 10 000 entries.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "mip6/bcache.h"
#include "mip6/mip6.h"
#include "testutil.h"

/* 2001:db8:1::<n> (the home prefix of test-vectors.md §E) */
static struct in6_addr hoa_n(unsigned n)
{
	struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } } };
	a.s6_addr[12] = (uint8_t)(n >> 24);
	a.s6_addr[13] = (uint8_t)(n >> 16);
	a.s6_addr[14] = (uint8_t)(n >> 8);
	a.s6_addr[15] = (uint8_t)n;
	return a;
}

START_TEST(insert_lookup_remove)
{
	struct bcache bc;
	struct bcache_entry *e = NULL;
	struct in6_addr a = hoa_n(7), b = hoa_n(3);

	bcache_init(&bc, 0);
	ck_assert_ptr_null(bcache_lookup(&bc, &a));
	ck_assert_int_eq(bcache_insert(&bc, &a, &e), 0);
	ck_assert_int_eq(e->state, BCE_DAD_PENDING);
	ck_assert_mem_eq(&e->hoa, &a, 16);
	e->seq = 77;
	ck_assert_int_eq(bcache_insert(&bc, &a, NULL), M6E_EXISTS);
	ck_assert_int_eq(bcache_insert(&bc, &b, NULL), 0);
	ck_assert_uint_eq(bcache_count(&bc), 2);
	e = bcache_lookup(&bc, &a);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->seq, 77); /* survived the insert before it */
	ck_assert_int_eq(bcache_remove(&bc, &a), 0);
	ck_assert_int_eq(bcache_remove(&bc, &a), M6E_NOTFOUND);
	ck_assert_ptr_null(bcache_lookup(&bc, &a));
	ck_assert_ptr_nonnull(bcache_lookup(&bc, &b));
	bcache_fini(&bc);
}
END_TEST

START_TEST(max_entries)
{
	struct bcache bc;
	struct in6_addr a = hoa_n(1), b = hoa_n(2), c = hoa_n(3);

	bcache_init(&bc, 2);
	ck_assert_int_eq(bcache_insert(&bc, &a, NULL), 0);
	ck_assert_int_eq(bcache_insert(&bc, &b, NULL), 0);
	ck_assert_int_eq(bcache_insert(&bc, &c, NULL), M6E_NOSPACE);
	ck_assert_int_eq(bcache_remove(&bc, &a), 0);
	ck_assert_int_eq(bcache_insert(&bc, &c, NULL), 0);
	bcache_fini(&bc);
}
END_TEST

/* 10 000 entries inserted in a scrambled order: every one found, iteration
 * strictly ascending, expiry scan finds the earliest, removal of half. */
START_TEST(ten_thousand)
{
	enum { N = 10000 };
	struct bcache bc;

	bcache_init(&bc, 0);
	for (unsigned i = 0; i < N; i++) {
		unsigned n = (i * 7919u) % N + 1; /* 7919 is prime to N: a permutation */
		struct in6_addr a = hoa_n(n);
		struct bcache_entry *e;
		ck_assert_int_eq(bcache_insert(&bc, &a, &e), 0);
		e->expires_ms = 100000u + n;
		e->seq = (uint16_t)n;
	}
	ck_assert_uint_eq(bcache_count(&bc), N);
	for (unsigned n = 1; n <= N; n++) {
		struct in6_addr a = hoa_n(n);
		struct bcache_entry *e = bcache_lookup(&bc, &a);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->seq, (uint16_t)n);
	}
	for (size_t i = 1; i < N; i++)
		ck_assert_int_lt(memcmp(&bcache_at(&bc, i - 1)->hoa, &bcache_at(&bc, i)->hoa, 16), 0);
	ck_assert_ptr_null(bcache_at(&bc, N));
	ck_assert_uint_eq(bcache_next_expiry(&bc), 100001u);
	ck_assert_int_eq(bcache_find_expired(&bc, 100000u), -1);
	ck_assert_int_eq(bcache_find_expired(&bc, 100001u), 0);
	for (unsigned n = 1; n <= N; n += 2) {
		struct in6_addr a = hoa_n(n);
		ck_assert_int_eq(bcache_remove(&bc, &a), 0);
	}
	ck_assert_uint_eq(bcache_count(&bc), N / 2);
	ck_assert_uint_eq(bcache_next_expiry(&bc), 100002u);
	for (unsigned n = 1; n <= N; n++) {
		struct in6_addr a = hoa_n(n);
		ck_assert_int_eq(bcache_lookup(&bc, &a) != NULL, n % 2 == 0);
	}
	bcache_fini(&bc);
	ck_assert_uint_eq(bcache_next_expiry(&bc), MIP6_NEVER);
}
END_TEST

/* Every (from, to) pair against the allowed moves. */
START_TEST(state_moves)
{
	static const bool ok[BCE_STATE_COUNT][BCE_STATE_COUNT] = {
		[BCE_DAD_PENDING] = { [BCE_DAD_PENDING] = true, [BCE_VALID] = true },
		[BCE_VALID] = { [BCE_VALID] = true, [BCE_DELETING] = true },
		[BCE_DELETING] = { [BCE_DAD_PENDING] = true, [BCE_VALID] = true },
	};
	for (unsigned f = 0; f < BCE_STATE_COUNT; f++)
		for (unsigned t = 0; t < BCE_STATE_COUNT; t++) {
			struct bcache_entry e;
			memset(&e, 0, sizeof(e));
			e.state = f;
			int rc = bcache_set_state(&e, t);
			ck_assert_int_eq(rc, ok[f][t] ? 0 : M6E_PROTO);
			ck_assert_int_eq(e.state, ok[f][t] ? t : f);
		}
	ck_assert_str_eq(bcache_state_name(BCE_DELETING), "deleting");
	ck_assert_str_eq(bcache_event_name(BCACHE_EV_MOVED), "moved");
	ck_assert_str_eq(bcache_state_name(99), "unknown");
}
END_TEST

static Suite *bcache_suite(void)
{
	Suite *s = suite_create("bcache");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, insert_lookup_remove);
	tcase_add_test(tc, max_entries);
	tcase_add_test(tc, ten_thousand);
	tcase_add_test(tc, state_moves);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(bcache_suite());
}
