/* `mip6sec check-config`: validate a configuration without starting. */
#include "conf/conf.h"

#include <string.h>

int conf_check_main(const char *path, FILE *out, FILE *err)
{
	struct conf *c = NULL;
	struct conf_error e;
	memset(&e, 0, sizeof(e));
	if (conf_load_file(path, &c, &e) != 0) {
		char buf[sizeof(e.file) + sizeof(e.key) + sizeof(e.msg) + 32];
		conf_error_format(&e, buf, sizeof(buf));
		fprintf(err, "%s\n", buf);
		return 1;
	}
	static const char *const names[] = {"home-agent", "mobile-node", "correspondent"};
	fprintf(out, "%s: configuration valid (roles:", path);
	const char *sep = " ";
	unsigned roles = conf_roles(c);
	for (unsigned i = 0; i < 3; i++) {
		if (roles & (1u << i)) {
			fprintf(out, "%s%s", sep, names[i]);
			sep = ", ";
		}
	}
	fprintf(out, "%s)\n", roles ? "" : " none");
	conf_free(c);
	return 0;
}
