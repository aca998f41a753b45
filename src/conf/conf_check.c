/* `mip6sec check-config`: validate a configuration without starting. */
#include "conf/conf.h"

#include <string.h>

int conf_check_main(const char *path, FILE *out, FILE *err)
{
	struct conf *c = NULL;
	struct conf_error e;
	if (conf_load_file(path, &c, &e) != 0) {
		char buf[sizeof(e.file) + sizeof(e.key) + sizeof(e.msg) + 32];
		conf_error_format(&e, buf, sizeof(buf));
		fprintf(err, "%s\n", buf);
		return 1;
	}
	char roles[64];
	conf_roles_format(conf_roles(c), roles, sizeof(roles));
	fprintf(out, "%s: configuration valid (roles: %s)\n", path, roles);
	conf_free(c);
	return 0;
}
