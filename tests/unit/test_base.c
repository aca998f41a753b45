/* Unit tests for src/base: the read cursor, the builder, addresses, names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/err.h"
#include "base/log.h"
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

/* Run fn with stderr captured; returns the number of lines it wrote and
 * copies the text into buf. */
static int capture_stderr(void (*fn)(void), char *buf, size_t cap)
{
	char path[] = "/tmp/m6logXXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	unlink(path);
	buf[n > 0 ? n : 0] = '\0';
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	return lines;
}

static void log_twenty_peer_events(void)
{
	for (int i = 0; i < 20; i++)
		LOG_RL(LOG_LVL_WARN, LOG_SUB_WIRE, "malformed packet %d", i);
}

static void log_levels_and_debug(void)
{
	LOG_INFO(LOG_SUB_CORE, "hidden at notice");
	LOG_NOTICE(LOG_SUB_CORE, "shown at notice");
	LOG_DEBUG(LOG_SUB_IKE, "ike debug shown");
	LOG_DEBUG(LOG_SUB_MIP6, "mip6 debug hidden");
}

START_TEST(log_rate_limit_per_call_site)
{
	char out[8192];
	log_open(LOG_TO_STDERR, LOG_LVL_NOTICE, 0, "test");
	/* A peer-triggered message in a burst: only LOG_RL_BURST get through. */
	int lines = capture_stderr(log_twenty_peer_events, out, sizeof(out));
	ck_assert_int_eq(lines, LOG_RL_BURST);
	ck_assert_ptr_nonnull(strstr(out, "log_twenty_peer_events: malformed packet 0"));
	ck_assert_ptr_null(strstr(out, "malformed packet 5"));
}
END_TEST

START_TEST(log_levels_and_subsystems)
{
	char out[8192];
	unsigned mask = 0;
	ck_assert_int_eq(log_subsys_parse("ike, ipsec", &mask), 0);
	ck_assert_uint_eq(mask, LOG_SUB_IKE | LOG_SUB_IPSEC);
	ck_assert_int_ne(log_subsys_parse("ike,bogus", &mask), 0);
	enum log_level lvl;
	ck_assert_int_eq(log_level_parse("debug", &lvl), 0);
	ck_assert_int_eq(lvl, LOG_LVL_DEBUG);
	ck_assert_int_ne(log_level_parse("verbose", &lvl), 0);
	log_open(LOG_TO_STDERR, LOG_LVL_NOTICE, LOG_SUB_IKE, "test");
	int lines = capture_stderr(log_levels_and_debug, out, sizeof(out));
	ck_assert_int_eq(lines, 2);
	ck_assert_ptr_nonnull(strstr(out, "shown at notice"));
	ck_assert_ptr_nonnull(strstr(out, "ike debug shown"));
	ck_assert_ptr_null(strstr(out, "hidden"));
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
	tcase_add_test(tc, log_rate_limit_per_call_site);
	tcase_add_test(tc, log_levels_and_subsystems);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
