/* Helpers shared by the check unit tests. */
#ifndef M6_TESTS_TESTUTIL_H
#define M6_TESTS_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* Decode hex (whitespace and ':' ignored) into out; returns the byte count,
 * or aborts the test if the text is not hex or does not fit. */
size_t tu_hex(const char *hex, uint8_t *out, size_t cap);
/* Run one suite; returns a process exit status (0 when every test passed). */
int tu_run_suite(Suite *s);
/* Assert two byte strings are equal, printing both in hex when they differ. */
#define tu_assert_mem_eq(a, alen, b, blen) tu_assert_mem_eq_(__FILE__, __LINE__, (a), (alen), (b), (blen))
void tu_assert_mem_eq_(const char *file, int line, const void *a, size_t alen, const void *b, size_t blen);

#endif
