/*
 * Fuzz target: arbitrary text through conf_load_string(), the whole loader
 * (libconfig parse, schema walk, rules). A valid result is freed again; an
 * error must come with a message. @include is not followed for strings, so
 * the fuzzer cannot make the loader read files by name except key files,
 * which the permission check refuses unless they are 0600 and ours.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct conf *c = NULL;
	struct conf_error e;
	if (conf_load_string(text, "fuzz.conf", &c, &e) == 0) {
		if (!c || !conf_global(c))
			abort();
		conf_free(c);
	} else {
		char buf[1024];
		conf_error_format(&e, buf, sizeof(buf));
		if (c || !e.msg[0])
			abort();
	}
	free(text);
	return 0;
}
