/* Name tables for protocol constants, so logs read "BA status 129
 * (administratively prohibited)" rather than bare numbers. */
#ifndef M6_BASE_NAMES_H
#define M6_BASE_NAMES_H

#include <stddef.h>

struct name_entry {
	unsigned value;
	const char *name;
};

#define NAMES_COUNT(t) (sizeof(t) / sizeof((t)[0]))

/* The name for value, or NULL if the table has none. */
const char *names_find(const struct name_entry *table, size_t n, unsigned value);
/* The name for value, or "unknown" if the table has none (never NULL). */
const char *names_get(const struct name_entry *table, size_t n, unsigned value);

#endif
