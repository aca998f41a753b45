/*
 * Print the KEYS part of mip6sec.conf(5) from the schema table, so the man
 * page cannot drift from the parser: tests/conf/man-page.sh compares this
 * output with the page. Regenerate after a schema change:
 *   tests/conf/man-keys > keys.roff   (then paste between the KEYS markers)
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"

/* roff-safe text: escape backslashes, protect a leading '.' or '\''. */
static void roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else
			putchar(*s);
	}
}

int main(void)
{
	for (size_t i = 0; i < conf_schema_count(); i++) {
		struct conf_schema_info k;
		if (conf_schema_at(i, &k))
			return 1;
		bool heading = strcmp(k.type, "section") == 0 || strcmp(k.type, "list") == 0;
		if (heading && !strchr(k.path, '.')) {
			printf(".SS %s\n", k.path);
			roff(k.doc);
			printf(".\n");
		}
		printf(".TP\n.B %s\n", k.path);
		printf("%s", k.type);
		if (k.required)
			printf("; required");
		else if (k.dflt)
			printf("; default \\fB%s\\fR", k.dflt);
		if (k.range[0])
			printf("; %s", k.range);
		printf("; roles: %s.\n.br\n", k.roles);
		roff(k.doc);
		printf(".\n");
	}
	return 0;
}
