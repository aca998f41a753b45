/*
 * mip6sec.conf loading: read with libconfig, walk the tree against the schema
 * (conf_walk.c), apply the cross-field rules (conf_rules.c). The result is
 * complete and valid or it does not exist: on any error everything built so
 * far is freed (keys wiped) and the caller keeps its old configuration.
 */
#include "conf/conf.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "conf/conf_priv.h"

/* Included files are named relative to the including file's directory. */
static void error_file(const struct conf_ctx *x, const char *file, char *out, size_t len)
{
	int n;
	if (!file || strcmp(file, x->name) == 0 || file[0] == '/' || !x->dir[0])
		n = snprintf(out, len, "%s", file ? file : x->name);
	else
		n = snprintf(out, len, "%s/%s", x->dir, file);
	if (n < 0)
		snprintf(out, len, "?"); /* a too-long name is just cut */
}

int conf_fail(struct conf_ctx *x, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	struct conf_error *e = x->err;
	error_file(x, s ? config_setting_source_file(s) : NULL, e->file, sizeof(e->file));
	e->line = s ? (int)config_setting_source_line(s) : 0;
	snprintf(e->key, sizeof(e->key), "%s", key ? key : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return M6E_INVAL;
}

static void free_kbm_peers(struct conf_kbm_peer *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		conf_key_wipe(&p[i].kcn);
		conf_key_wipe(&p[i].home_nonce);
		conf_key_wipe(&p[i].care_of_nonce);
	}
	free(p);
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	free(c->interfaces);
	free(c->ha.mobile_nodes);
	free_kbm_peers(c->mn.correspondents, c->mn.n_correspondents);
	free_kbm_peers(c->cn.peers, c->cn.n_peers);
	for (size_t i = 0; c->ipsec.manual_sas && i < c->ipsec.n_manual_sas; i++) {
		conf_key_wipe(&c->ipsec.manual_sas[i].encryption_key);
		conf_key_wipe(&c->ipsec.manual_sas[i].integrity_key);
	}
	free(c->ipsec.manual_sas);
	for (size_t i = 0; c->ike.peers && i < c->ike.n_peers; i++)
		conf_key_wipe(&c->ike.peers[i].psk);
	free(c->ike.peers);
	free(c->tunnels);
	free(c);
}

/* The tree is read; build and validate a struct conf from it. */
static int conf_build(struct conf_ctx *x, struct conf **out)
{
	x->c = calloc(1, sizeof(*x->c));
	if (!x->c) {
		conf_fail(x, NULL, "", "out of memory");
		return M6E_NOMEM;
	}
	int rc = conf_walk_root(x);
	if (!rc)
		rc = conf_rules_check(x);
	if (rc) {
		if (rc == M6E_NOMEM)
			conf_fail(x, NULL, "", "out of memory");
		conf_free(x->c);
		return rc;
	}
	*out = x->c;
	return 0;
}

static int syntax_error(struct conf_ctx *x)
{
	struct conf_error *e = x->err;
	error_file(x, config_error_file(x->cfg), e->file, sizeof(e->file));
	e->line = config_error_line(x->cfg);
	e->key[0] = '\0';
	const char *text = config_error_text(x->cfg);
	if (config_error_type(x->cfg) == CONFIG_ERR_FILE_IO)
		snprintf(e->msg, sizeof(e->msg), "cannot read file");
	else
		snprintf(e->msg, sizeof(e->msg), "%s", text ? text : "syntax error");
	return M6E_INVAL;
}

int conf_load_file(const char *path, struct conf **out, struct conf_error *err)
{
	config_t cfg;
	struct conf_ctx x = {.cfg = &cfg, .err = err, .name = path};
	memset(err, 0, sizeof(*err));
	char tmp[CONF_PATH_MAX];
	if (strlen(path) >= sizeof(tmp)) {
		snprintf(err->file, sizeof(err->file), "%.200s...", path);
		snprintf(err->msg, sizeof(err->msg), "path too long");
		return M6E_RANGE;
	}
	memcpy(tmp, path, strlen(path) + 1);
	snprintf(x.dir, sizeof(x.dir), "%s", dirname(tmp));
	config_init(&cfg);
	config_set_include_dir(&cfg, x.dir);
	int rc = config_read_file(&cfg, path) == CONFIG_TRUE ? conf_build(&x, out) : syntax_error(&x);
	config_destroy(&cfg);
	return rc;
}

int conf_load_string(const char *text, const char *name, struct conf **out, struct conf_error *err)
{
	config_t cfg;
	struct conf_ctx x = {.cfg = &cfg, .err = err, .name = name};
	memset(err, 0, sizeof(*err));
	config_init(&cfg);
	/* No directory to include from: point includes at nothing. */
	config_set_include_dir(&cfg, "/nonexistent/mip6sec-conf-string");
	int rc = config_read_string(&cfg, text) == CONFIG_TRUE ? conf_build(&x, out) : syntax_error(&x);
	config_destroy(&cfg);
	return rc;
}

const struct conf_global *conf_global(const struct conf *c)
{
	return &c->global;
}

unsigned conf_roles(const struct conf *c)
{
	return c->roles;
}

const struct conf_home_agent *conf_home_agent(const struct conf *c)
{
	return c->ha.present ? &c->ha : NULL;
}

const struct conf_mobile_node *conf_mobile_node(const struct conf *c)
{
	return c->mn.present ? &c->mn : NULL;
}

const struct conf_correspondent *conf_correspondent(const struct conf *c)
{
	return c->cn.present ? &c->cn : NULL;
}

const struct conf_ipsec *conf_ipsec(const struct conf *c)
{
	return &c->ipsec;
}

const struct conf_ike *conf_ike(const struct conf *c)
{
	return c->ike.present ? &c->ike : NULL;
}

const struct conf_interface *conf_interfaces(const struct conf *c, size_t *n)
{
	*n = c->n_interfaces;
	return c->interfaces;
}

const struct conf_tunnel *conf_tunnels(const struct conf *c, size_t *n)
{
	*n = c->n_tunnels;
	return c->tunnels;
}

void conf_error_format(const struct conf_error *err, char *buf, size_t len)
{
	const char *sep = err->key[0] ? ": " : "";
	if (err->line > 0)
		snprintf(buf, len, "%s:%d: %s%s%s", err->file, err->line, err->key, sep, err->msg);
	else
		snprintf(buf, len, "%s: %s%s%s", err->file, err->key, sep, err->msg);
}
