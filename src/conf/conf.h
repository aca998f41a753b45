/*
 * mip6sec.conf: one schema table drives parsing, defaults, ranges, role checks
 * and the man page. A configuration is built completely and validated before
 * anyone sees it; callers swap it in whole (SIGHUP reload) or keep the old one.
 *
 * Contract shared with the daemon core: struct conf is immutable after
 * conf_load_*() returns it; the daemon owns it and frees it with conf_free().
 * Only `global` and `roles` are read by the core; each engine reads its own
 * section (filled in by src/conf/).
 */
#ifndef M6_CONF_CONF_H
#define M6_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/log.h"

enum conf_role {
	CONF_ROLE_HA = 1u << 0, /* home-agent section present */
	CONF_ROLE_MN = 1u << 1, /* mobile-node section present */
	CONF_ROLE_CN = 1u << 2, /* correspondent section present */
};

#define CONF_PATH_MAX 256

struct conf_global {
	enum log_level log_level;
	enum log_target log_target;
	unsigned debug_mask; /* LOG_SUB_* bits */
	char control_socket[108]; /* fits sockaddr_un.sun_path */
	char state_dir[CONF_PATH_MAX];
};

/* Where and why loading failed: "file:line: key: message". line is 0 when the
 * error is not tied to a line (missing file, cross-section rule). */
struct conf_error {
	char file[CONF_PATH_MAX];
	int line;
	char key[128];
	char msg[256];
};

struct conf;

/* Load, validate and return a new configuration, or fill *err and return a
 * negative M6E_* code (nothing is allocated then). */
int conf_load_file(const char *path, struct conf **out, struct conf_error *err);
/* The same from text in memory; `name` stands in for the file name in errors. */
int conf_load_string(const char *text, const char *name, struct conf **out, struct conf_error *err);
void conf_free(struct conf *c);

const struct conf_global *conf_global(const struct conf *c);
unsigned conf_roles(const struct conf *c);
/* "file:line: key: message" (parts left out when unknown). */
void conf_error_format(const struct conf_error *err, char *buf, size_t len);

/* `mip6sec check-config [FILE]`: load and validate path; print
 * "FILE: configuration valid (roles: home-agent, ...)" to out and return 0, or
 * print "file:line: key: what is wrong" to err and return 1. */
int conf_check_main(const char *path, FILE *out, FILE *err);

#endif
