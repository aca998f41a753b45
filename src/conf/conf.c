/* mip6sec.conf loader (first cut: global section only). */
#include "conf/conf.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

struct conf {
	struct conf_global global;
	unsigned roles;
};

static int conf_fail(struct conf_error *err, const char *file, int line, const char *key, const char *msg)
{
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return M6E_INVAL;
}

static int conf_build(config_t *cfg, const char *name, struct conf **out, struct conf_error *err)
{
	struct conf *c = calloc(1, sizeof(*c));
	if (!c)
		return M6E_NOMEM;
	c->global.log_level = LOG_LVL_NOTICE;
	c->global.log_target = LOG_TO_STDERR;
	snprintf(c->global.control_socket, sizeof(c->global.control_socket), "/run/mip6sec/control.sock");
	snprintf(c->global.state_dir, sizeof(c->global.state_dir), "/var/lib/mip6sec");
	const char *s;
	if (config_lookup_string(cfg, "global.log-level", &s) == CONFIG_TRUE &&
	    log_level_parse(s, &c->global.log_level)) {
		free(c);
		return conf_fail(err, name, 0, "global.log-level", "unknown log level");
	}
	if (config_lookup_string(cfg, "global.control-socket", &s) == CONFIG_TRUE)
		snprintf(c->global.control_socket, sizeof(c->global.control_socket), "%s", s);
	if (config_lookup_string(cfg, "global.state-dir", &s) == CONFIG_TRUE)
		snprintf(c->global.state_dir, sizeof(c->global.state_dir), "%s", s);
	if (config_lookup(cfg, "home-agent"))
		c->roles |= CONF_ROLE_HA;
	if (config_lookup(cfg, "mobile-node"))
		c->roles |= CONF_ROLE_MN;
	if (config_lookup(cfg, "correspondent"))
		c->roles |= CONF_ROLE_CN;
	*out = c;
	return 0;
}

int conf_load_file(const char *path, struct conf **out, struct conf_error *err)
{
	config_t cfg;
	config_init(&cfg);
	int rc;
	if (config_read_file(&cfg, path) != CONFIG_TRUE)
		rc = conf_fail(err, config_error_file(&cfg) ? config_error_file(&cfg) : path,
			       config_error_line(&cfg), "", config_error_text(&cfg));
	else
		rc = conf_build(&cfg, path, out, err);
	config_destroy(&cfg);
	return rc;
}

int conf_load_string(const char *text, const char *name, struct conf **out, struct conf_error *err)
{
	config_t cfg;
	config_init(&cfg);
	int rc;
	if (config_read_string(&cfg, text) != CONFIG_TRUE)
		rc = conf_fail(err, name, config_error_line(&cfg), "", config_error_text(&cfg));
	else
		rc = conf_build(&cfg, name, out, err);
	config_destroy(&cfg);
	return rc;
}

void conf_free(struct conf *c)
{
	free(c);
}

const struct conf_global *conf_global(const struct conf *c)
{
	return &c->global;
}

unsigned conf_roles(const struct conf *c)
{
	return c->roles;
}

void conf_error_format(const struct conf_error *err, char *buf, size_t len)
{
	if (err->line > 0)
		snprintf(buf, len, "%s:%d: %s%s%s", err->file, err->line, err->key, err->key[0] ? ": " : "", err->msg);
	else
		snprintf(buf, len, "%s: %s%s%s", err->file, err->key, err->key[0] ? ": " : "", err->msg);
}
