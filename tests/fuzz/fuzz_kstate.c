/*
 * Fuzz target for the kernel-state journal's line codec (src/io/kstate.c):
 * the input is a journal as a crashed run may leave it. Each line is parsed;
 * every accepted entry must format back to a line that parses to the same
 * entry (the journal is read back after a crash, so what we write must be
 * what we read), and a refused line must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "io/kstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t at = 0;
	while (at < size) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', size - at);
		size_t len = nl ? (size_t)(nl - line) : size - at;
		at += len + (nl ? 1 : 0);
		struct kstate_entry e, back;
		enum kstate_bad why = KSTATE_BAD_COUNT;
		int rc = kstate_parse_line(line, len, &e, &why);
		if (rc == M6E_NOTFOUND)
			continue;
		if (rc != 0) {
			if (why == KSTATE_BAD_NONE || why >= KSTATE_BAD_COUNT)
				abort();
			continue;
		}
		char out[KSTATE_LINE_MAX];
		int n = kstate_format_line(&e, out, sizeof(out));
		if (n <= 0 || out[n - 1] != '\n')
			abort();
		if (kstate_parse_line(out, (size_t)n - 1, &back, NULL) != 0 || !kstate_entry_eq(&e, &back))
			abort();
	}
	return 0;
}
