#include "base/names.h"

const char *names_find(const struct name_entry *table, size_t n, unsigned value)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].value == value)
			return table[i].name;
	return NULL;
}

const char *names_get(const struct name_entry *table, size_t n, unsigned value)
{
	const char *s = names_find(table, n, value);
	return s ? s : "unknown";
}
