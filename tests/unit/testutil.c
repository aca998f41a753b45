#include "testutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t tu_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		if (isspace((unsigned char)*p) || *p == ':')
			continue;
		int v = hexval((unsigned char)*p);
		ck_assert_msg(v >= 0, "bad hex character '%c'", *p);
		if (hi < 0) {
			hi = v;
		} else {
			ck_assert_msg(n < cap, "hex does not fit in %zu bytes", cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	ck_assert_msg(hi < 0, "odd number of hex digits");
	return n;
}

static void hexdump(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 < cap; i++)
		o += (size_t)snprintf(dst + o, cap - o, "%02x", p[i]);
}

void tu_assert_mem_eq_(const char *file, int line, const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen == blen && memcmp(a, b, alen) == 0)
		return;
	char ha[2048] = "", hb[2048] = "";
	hexdump(ha, sizeof(ha), a, alen);
	hexdump(hb, sizeof(hb), b, blen);
	ck_abort_msg("%s:%d: bytes differ\n got  (%zu): %s\n want (%zu): %s", file, line, alen, ha, blen, hb);
}

int tu_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
