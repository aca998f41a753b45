/* Unit tests for src/base: the read cursor, the builder, addresses, names. */
#include <string.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/names.h"
#include "base/rbuf.h"
#include "base/wbuf.h"
#include "testutil.h"

START_TEST(rbuf_reads_big_endian)
{
	const uint8_t data[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	struct rbuf r;
	rbuf_init(&r, data, sizeof(data));
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t d;
	ck_assert_int_eq(rbuf_u8(&r, &a), 0);
	ck_assert_int_eq(rbuf_u16(&r, &b), 0);
	ck_assert_int_eq(rbuf_u32(&r, &c), 0);
	ck_assert_int_eq(rbuf_u64(&r, &d), 0);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 0x0203);
	ck_assert_uint_eq(c, 0x04050607);
	ck_assert(d == 0x08090a0b0c0d0e0fULL);
	ck_assert_uint_eq(rbuf_left(&r), 0);
}
END_TEST

START_TEST(rbuf_failed_read_leaves_cursor)
{
	const uint8_t data[] = { 0xaa, 0xbb, 0xcc };
	struct rbuf r;
	rbuf_init(&r, data, sizeof(data));
	uint32_t v = 0x12345678;
	ck_assert_int_eq(rbuf_u32(&r, &v), M6E_TRUNC);
	ck_assert_uint_eq(v, 0x12345678); /* untouched */
	ck_assert_uint_eq(rbuf_left(&r), 3);
	struct rbuf sub;
	ck_assert_int_eq(rbuf_sub(&r, 4, &sub), M6E_TRUNC);
	ck_assert_int_eq(rbuf_skip(&r, 4), M6E_TRUNC);
	ck_assert_uint_eq(rbuf_left(&r), 3);
	uint8_t out[4];
	ck_assert_int_eq(rbuf_bytes(&r, out, 4), M6E_TRUNC);
	ck_assert_int_eq(rbuf_tail_bytes(&r, out, 4), M6E_TRUNC);
	uint8_t p;
	ck_assert_int_eq(rbuf_peek_u8(&r, 3, &p), M6E_TRUNC);
	uint16_t p16;
	ck_assert_int_eq(rbuf_peek_u16(&r, 2, &p16), M6E_TRUNC);
	ck_assert_int_eq(rbuf_peek_u16(&r, 1, &p16), 0);
	ck_assert_uint_eq(p16, 0xbbcc);
	ck_assert_uint_eq(rbuf_left(&r), 3);
}
END_TEST

START_TEST(rbuf_sub_and_tail_are_bounded)
{
	const uint8_t data[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rbuf r, sub, tail;
	rbuf_init(&r, data, sizeof(data));
	ck_assert_int_eq(rbuf_tail(&r, 2, &tail), 0);
	ck_assert_uint_eq(rbuf_left(&r), 6);
	ck_assert_int_eq(rbuf_sub(&r, 3, &sub), 0);
	ck_assert_uint_eq(rbuf_left(&sub), 3);
	uint32_t v;
	/* The sub-cursor cannot read into its parent's remaining bytes. */
	ck_assert_int_eq(rbuf_u32(&sub, &v), M6E_TRUNC);
	uint8_t b;
	ck_assert_int_eq(rbuf_u8(&sub, &b), 0);
	ck_assert_uint_eq(b, 1);
	ck_assert_int_eq(rbuf_offset(&sub), 1);
	uint16_t t;
	ck_assert_int_eq(rbuf_u16(&tail, &t), 0);
	ck_assert_uint_eq(t, 0x0708);
	/* Parent continues after the carved region and stops before the tail. */
	ck_assert_int_eq(rbuf_u8(&r, &b), 0);
	ck_assert_uint_eq(b, 4);
	ck_assert_int_eq(rbuf_skip(&r, 2), 0);
	ck_assert_int_eq(rbuf_u8(&r, &b), M6E_TRUNC);
}
END_TEST

START_TEST(wbuf_overflow_is_sticky)
{
	uint8_t buf[5];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_u16(&w, 0x0102);
	size_t at = wbuf_reserve(&w, 2);
	ck_assert_uint_eq(at, 2);
	wbuf_put_u16_at(&w, at, 0xbeef);
	ck_assert_int_eq(wbuf_status(&w), 0);
	wbuf_u16(&w, 0x0304); /* does not fit: 4 + 2 > 5 */
	ck_assert_int_eq(wbuf_status(&w), M6E_NOSPACE);
	ck_assert_uint_eq(wbuf_len(&w), 4);
	wbuf_u8(&w, 9); /* would fit, but the builder has already failed */
	ck_assert_uint_eq(wbuf_len(&w), 4);
	const uint8_t want[] = { 1, 2, 0xbe, 0xef };
	tu_assert_mem_eq(buf, 4, want, sizeof(want));
}
END_TEST

START_TEST(wbuf_put_at_checks_range)
{
	uint8_t buf[8];
	struct wbuf w;
	wbuf_init(&w, buf, sizeof(buf));
	wbuf_u32(&w, 0xdeadbeef);
	wbuf_put_u32_at(&w, 1, 0);
	ck_assert_int_eq(wbuf_status(&w), M6E_NOSPACE);
}
END_TEST

START_TEST(prefix_parsing_and_matching)
{
	struct prefix6 p;
	struct in6_addr a;
	ck_assert_int_eq(prefix_parse("2001:db8:1::/48", &p, false), 0);
	ck_assert_uint_eq(p.len, 48);
	ck_assert_int_eq(addr_parse("2001:db8:1:ffff::1", &a), 0);
	ck_assert(prefix_contains(&p, &a));
	ck_assert_int_eq(addr_parse("2001:db8:2::1", &a), 0);
	ck_assert(!prefix_contains(&p, &a));
	ck_assert_int_ne(prefix_parse("2001:db8:1::1/48", &p, false), 0); /* host bits */
	ck_assert_int_eq(prefix_parse("2001:db8:1::1/48", &p, true), 0);
	ck_assert_int_ne(prefix_parse("2001:db8::/129", &p, false), 0);
	ck_assert_int_ne(prefix_parse("2001:db8::", &p, false), 0);
	ck_assert_int_ne(prefix_parse("2001:db8::/", &p, false), 0);
	ck_assert_int_ne(prefix_parse("bogus/64", &p, false), 0);
	ck_assert_int_eq(prefix_parse("2001:db8:0:1::/63", &p, true), 0);
	ck_assert_int_eq(addr_parse("fe80::1", &a), 0);
	ck_assert(!addr_is_unicast_routable(&a));
	ck_assert_int_eq(addr_parse("2001:db8::1", &a), 0);
	ck_assert(addr_is_unicast_routable(&a));
}
END_TEST

START_TEST(names_lookup)
{
	static const struct name_entry t[] = { { 0, "zero" }, { 129, "administratively prohibited" } };
	ck_assert_str_eq(names_get(t, NAMES_COUNT(t), 129), "administratively prohibited");
	ck_assert_str_eq(names_get(t, NAMES_COUNT(t), 7), "unknown");
	ck_assert_ptr_null(names_find(t, NAMES_COUNT(t), 7));
	ck_assert_str_eq(err_str(M6E_TRUNC), "truncated");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, rbuf_reads_big_endian);
	tcase_add_test(tc, rbuf_failed_read_leaves_cursor);
	tcase_add_test(tc, rbuf_sub_and_tail_are_bounded);
	tcase_add_test(tc, wbuf_overflow_is_sticky);
	tcase_add_test(tc, wbuf_put_at_checks_range);
	tcase_add_test(tc, prefix_parsing_and_matching);
	tcase_add_test(tc, names_lookup);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
