/*
 * Inside src/conf/: the schema table's row type, the load context, and the
 * helpers the walker, the key reader and the cross-field rules share. Not for
 * use outside src/conf/ (tests excepted).
 */
#ifndef M6_CONF_CONF_PRIV_H
#define M6_CONF_CONF_PRIV_H

#include <libconfig.h>
#include <stdint.h>

#include "base/names.h"
#include "conf/conf.h"

struct conf {
	struct conf_global global;
	unsigned roles;
	struct conf_interface *interfaces;
	size_t n_interfaces;
	struct conf_home_agent ha;
	struct conf_mobile_node mn;
	struct conf_correspondent cn;
	struct conf_ipsec ipsec;
	struct conf_ike ike;
	struct conf_tunnel *tunnels;
	size_t n_tunnels;
};

enum conf_type {
	CONF_T_BOOL,
	CONF_T_UINT,     /* unsigned at off; min..max */
	CONF_T_STR,      /* char[size] at off */
	CONF_T_PATH,     /* CONF_T_STR that must be absolute (or empty when allowed) */
	CONF_T_IFNAME,   /* CONF_T_STR holding an interface name */
	CONF_T_ENUM,     /* int at off; names in values */
	CONF_T_ADDR,     /* struct in6_addr */
	CONF_T_PREFIX,   /* struct prefix6 */
	CONF_T_PREFIXES, /* struct prefix6[max] at off, size_t count at cnt_off */
	CONF_T_STRS,     /* char[max][size] at off, size_t count at cnt_off */
	CONF_T_KEY,      /* struct conf_key from hex; min..max octets */
	CONF_T_KEYFILE,  /* struct conf_key (at off) read from a protected file */
	CONF_T_PRIVFILE, /* CONF_T_PATH naming a private key: permissions checked */
	CONF_T_DEBUG,    /* unsigned LOG_SUB_* mask from "core,ike" */
	CONF_T_GROUP,    /* section: struct at off, bool present at cnt_off */
	CONF_T_LIST,     /* list of groups: pointer at off, size_t count at cnt_off,
			  * element size in size, at most max elements */
};

#define CONF_F_REQ 0x1u       /* must be given */
#define CONF_F_EMPTY_OK 0x2u  /* CONF_T_PATH: "" means "off" */
#define CONF_F_UNICAST 0x4u   /* CONF_T_ADDR: global unicast only */
#define CONF_F_ANY_OK 0x8u    /* CONF_T_ADDR with CONF_F_UNICAST: "::" allowed */

struct conf_schema_row {
	const char *path; /* full path, list elements as "[]" */
	enum conf_type type;
	unsigned flags;
	const char *dflt; /* in config syntax, parsed like file input; NULL: none */
	int64_t min, max; /* UINT: value range; KEY: octets; PREFIXES/STRS/LIST: count */
	size_t off, cnt_off, size;
	const struct name_entry *values; /* ENUM */
	size_t n_values;
	/* ENUM: a specific reason for a refused value (NULL: not special).
	 * STR/STRS: NULL when value is valid, else why not. */
	const char *(*check)(const char *value, char *why, size_t len);
	unsigned roles; /* 0: any role; else at least one of CONF_ROLE_* */
	unsigned sets_role; /* GROUP: its presence gives this role */
	const char *doc;
};

extern const struct conf_schema_row conf_schema[];
extern const size_t conf_schema_rows;
extern const struct name_entry conf_role_names[];
extern const size_t conf_role_names_count;

/* The row for a schema path, or NULL. */
const struct conf_schema_row *conf_schema_find(const char *path);

/* One load: the tree being read and where errors go. */
struct conf_ctx {
	config_t *cfg;
	struct conf *c;
	struct conf_error *err;
	const char *name;  /* file name for errors ("<string>", the main file) */
	char dir[CONF_PATH_MAX]; /* directory of the main file; "" for strings */
	unsigned roles;
};

/* Record an error at setting s (its file and line; 0 when s is NULL) and
 * return M6E_INVAL. key is the dotted display path. */
int conf_fail(struct conf_ctx *x, const config_setting_t *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Walk the whole tree against the schema and fill x->c. */
int conf_walk_root(struct conf_ctx *x);
/* Parse a default ("64", "\"notice\"", "[\"a\"]") for one row into base. */
int conf_walk_default(struct conf_ctx *x, const struct conf_schema_row *row, void *base, const char *key);

/* Decode hex text (whitespace and ':' ignored) into k; min..max octets.
 * Returns NULL, or the reason (possibly written to why). */
const char *conf_key_from_hex(const char *hex, struct conf_key *k, size_t min, size_t max, char *why, size_t len);
/* Read a key file (hex text) after checking it is a regular file owned by root
 * or us and not accessible by group/other. Errors go through conf_fail. */
int conf_key_read_file(struct conf_ctx *x, const config_setting_t *s, const char *key, const char *path,
		       struct conf_key *k, size_t min, size_t max);
/* Only the permission check (private keys read by the IKE engine later). */
int conf_key_check_file(struct conf_ctx *x, const config_setting_t *s, const char *key, const char *path);
/* path resolved against x->dir when relative; M6E_RANGE if it does not fit. */
int conf_key_resolve(const struct conf_ctx *x, const char *path, char *out, size_t len);
void conf_key_wipe(struct conf_key *k);

/* Proposal strings (see mip6sec.conf(5) "PROPOSALS"). Return NULL or why not. */
const char *conf_alg_parse_ike(const char *s, struct conf_proposal *p, char *why, size_t len);
const char *conf_alg_parse_esp(const char *s, struct conf_proposal *p, char *why, size_t len);
const char *conf_alg_check_ike(const char *s, char *why, size_t len);
const char *conf_alg_check_esp(const char *s, char *why, size_t len);
/* Manual SAs: why a known cipher/integrity name is refused (NULL: unknown). */
const char *conf_alg_manual_encr_refusal(const char *name, char *why, size_t len);
const char *conf_alg_manual_integ_refusal(const char *name, char *why, size_t len);

/* Cross-field rules, run after the walk while the tree is still there. */
int conf_rules_check(struct conf_ctx *x);

#endif
