/*
 * Schema walker: visits every setting of the libconfig tree in file order,
 * finds its schema row, checks type, range and role, and stores the value at
 * the row's offset. Unknown keys are errors (with a "did you mean" when a
 * sibling key is close). Keys left out get the row's default, which is
 * parsed by this same code.
 */
#include "conf/conf_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

#define KEY_LEN 192

static const char *setting_kind(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	default:
		return "nothing";
	}
}

static int want(struct conf_ctx *x, const config_setting_t *s, const char *key, int type, const char *what)
{
	if (config_setting_type(s) == type)
		return 0;
	return conf_fail(x, s, key, "expected %s, got %s", what, setting_kind(s));
}

/* Levenshtein distance, capped: only short key names are compared. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t prev[64], cur[64];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[lb];
}

/* The last component of row's path when row is a direct child of parent. */
static const char *child_name(const struct conf_schema_row *row, const char *parent)
{
	size_t pl = strlen(parent);
	if (pl) {
		if (strncmp(row->path, parent, pl) != 0 || row->path[pl] != '.')
			return NULL;
		pl++;
	}
	const char *name = row->path + pl;
	return strpbrk(name, ".[") ? NULL : name;
}

/* Keys that moved: say where to, not just "unknown". */
static const struct {
	const char *from, *to;
} moved_keys[] = {
	{ "ipsec.esp-proposals", "ike.esp-proposals" },
};

static int fail_unknown(struct conf_ctx *x, const config_setting_t *s, const char *key, const char *spath)
{
	for (size_t i = 0; i < sizeof(moved_keys) / sizeof(moved_keys[0]); i++)
		if (strcmp(key, moved_keys[i].from) == 0)
			return conf_fail(x, s, key, "moved to %s", moved_keys[i].to);
	const char *name = config_setting_name(s);
	const char *best = NULL;
	size_t best_d = 3; /* suggest only close names */
	for (size_t i = 0; i < conf_schema_rows; i++) {
		const char *cand = child_name(&conf_schema[i], spath);
		if (!cand)
			continue;
		size_t d = edit_distance(name, cand);
		if (d < best_d) {
			best_d = d;
			best = cand;
		}
	}
	if (best)
		return conf_fail(x, s, key, "unknown key (did you mean \"%s\"?)", best);
	return conf_fail(x, s, key, "unknown key");
}

static bool ifname_ok(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static int store_string(struct conf_ctx *x, const struct conf_schema_row *row, const config_setting_t *s,
			const char *key, char *dst, size_t size)
{
	int rc = want(x, s, key, CONFIG_TYPE_STRING, "a string");
	if (rc)
		return rc;
	const char *v = config_setting_get_string(s);
	if (strlen(v) >= size)
		return conf_fail(x, s, key, "too long (at most %zu characters)", size - 1);
	if ((row->type == CONF_T_PATH || row->type == CONF_T_PRIVFILE) && !(v[0] == '\0' && (row->flags & CONF_F_EMPTY_OK)) &&
	    v[0] != '/')
		return conf_fail(x, s, key, "\"%s\" is not an absolute path", v);
	if (row->type == CONF_T_IFNAME && !ifname_ok(v))
		return conf_fail(x, s, key, "\"%s\" is not an interface name", v);
	if (row->type == CONF_T_STR && v[0] == '\0')
		return conf_fail(x, s, key, "must not be empty");
	char why[160];
	if (row->check && row->check(v, why, sizeof(why)))
		return conf_fail(x, s, key, "%s", why);
	if (row->type == CONF_T_PRIVFILE && v[0] && (rc = conf_key_check_file(x, s, key, v)))
		return rc;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int store_enum(struct conf_ctx *x, const struct conf_schema_row *row, const config_setting_t *s,
		      const char *key, int *dst)
{
	int rc = want(x, s, key, CONFIG_TYPE_STRING, "a string");
	if (rc)
		return rc;
	const char *v = config_setting_get_string(s);
	for (size_t i = 0; i < row->n_values; i++) {
		if (strcmp(v, row->values[i].name) == 0) {
			*dst = (int)row->values[i].value;
			return 0;
		}
	}
	char why[200];
	if (row->check && row->check(v, why, sizeof(why)))
		return conf_fail(x, s, key, "%s", why);
	char list[160] = "";
	size_t used = 0;
	for (size_t i = 0; i < row->n_values; i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", row->values[i].name);
		if (n > 0 && (size_t)n < sizeof(list) - used)
			used += (size_t)n;
	}
	return conf_fail(x, s, key, "unknown value \"%.40s\" (expected one of: %s)", v, list);
}

static int store_addr(struct conf_ctx *x, const struct conf_schema_row *row, const config_setting_t *s,
		      const char *key, struct in6_addr *dst)
{
	int rc = want(x, s, key, CONFIG_TYPE_STRING, "a string");
	if (rc)
		return rc;
	const char *v = config_setting_get_string(s);
	struct in6_addr a;
	if (addr_parse(v, &a))
		return conf_fail(x, s, key, "\"%.60s\" is not an IPv6 address", v);
	bool any = IN6_IS_ADDR_UNSPECIFIED(&a);
	if ((row->flags & CONF_F_UNICAST) && !(any && (row->flags & CONF_F_ANY_OK)) && !addr_is_unicast_routable(&a))
		return conf_fail(x, s, key, "%s is not a global unicast address", v);
	*dst = a;
	return 0;
}

static int store_prefix(struct conf_ctx *x, const config_setting_t *s, const char *key, struct prefix6 *dst)
{
	int rc = want(x, s, key, CONFIG_TYPE_STRING, "a string");
	if (rc)
		return rc;
	const char *v = config_setting_get_string(s);
	if (prefix_parse(v, dst, false))
		return conf_fail(x, s, key, "\"%.60s\" is not an IPv6 prefix (\"2001:db8::/64\", host bits zero)", v);
	if (dst->len == 0)
		return conf_fail(x, s, key, "prefix length must be 1..128");
	return 0;
}

/* [ "a", "b" ] with min..max elements; calls each(i, element, element key). */
static int array_of_strings(struct conf_ctx *x, const struct conf_schema_row *row, const config_setting_t *s,
			    const char *key)
{
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return conf_fail(x, s, key, "expected an array [ ] of strings, got %s", setting_kind(s));
	int n = config_setting_length(s);
	if (n < row->min || n > row->max)
		return conf_fail(x, s, key, "%d entries; expected %lld..%lld", n, (long long)row->min,
				 (long long)row->max);
	return 0;
}

static int walk_group(struct conf_ctx *x, const config_setting_t *grp, const char *spath, const char *dpath,
		      char *base);

static int store_list(struct conf_ctx *x, const struct conf_schema_row *row, const config_setting_t *s,
		      const char *key, char *base)
{
	int type = config_setting_type(s);
	if (type != CONFIG_TYPE_LIST && !(type == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0))
		return conf_fail(x, s, key, "expected a list ( { ... }, ... ), got %s", setting_kind(s));
	int n = config_setting_length(s);
	if (n > row->max)
		return conf_fail(x, s, key, "%d entries; at most %lld", n, (long long)row->max);
	if (n == 0)
		return 0;
	char *elems = calloc((size_t)n, row->size);
	if (!elems)
		return M6E_NOMEM;
	/* Owned by the conf before any element is read, so conf_free() cleans
	 * up (and wipes keys) whatever fails next. */
	memcpy(base + row->off, &elems, sizeof(elems));
	size_t count = (size_t)n;
	memcpy(base + row->cnt_off, &count, sizeof(count));
	char spath[KEY_LEN], dpath[KEY_LEN];
	snprintf(spath, sizeof(spath), "%s[]", row->path);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		snprintf(dpath, sizeof(dpath), "%s[%d]", key, i);
		int rc = want(x, e, dpath, CONFIG_TYPE_GROUP, "a group { }");
		if (!rc)
			rc = walk_group(x, e, spath, dpath, elems + (size_t)i * row->size);
		if (rc)
			return rc;
	}
	return 0;
}

static int store(struct conf_ctx *x, const struct conf_schema_row *row, const config_setting_t *s,
		 const char *key, char *base)
{
	void *dst = base + row->off;
	int rc;
	char ekey[KEY_LEN];
	switch (row->type) {
	case CONF_T_BOOL:
		if ((rc = want(x, s, key, CONFIG_TYPE_BOOL, "a boolean (true or false)")))
			return rc;
		*(bool *)dst = config_setting_get_bool(s) != 0;
		return 0;
	case CONF_T_UINT: {
		if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
			return conf_fail(x, s, key, "expected an integer, got %s", setting_kind(s));
		long long v = config_setting_get_int64(s);
		if (v < row->min || v > row->max)
			return conf_fail(x, s, key, "%lld is out of range %lld..%lld", v, (long long)row->min,
					 (long long)row->max);
		*(unsigned *)dst = (unsigned)v;
		return 0;
	}
	case CONF_T_STR:
	case CONF_T_PATH:
	case CONF_T_IFNAME:
	case CONF_T_PRIVFILE:
		return store_string(x, row, s, key, dst, row->size);
	case CONF_T_ENUM:
		return store_enum(x, row, s, key, dst);
	case CONF_T_ADDR:
		return store_addr(x, row, s, key, dst);
	case CONF_T_PREFIX:
		return store_prefix(x, s, key, dst);
	case CONF_T_PREFIXES:
	case CONF_T_STRS: {
		if ((rc = array_of_strings(x, row, s, key)))
			return rc;
		size_t n = (size_t)config_setting_length(s);
		for (size_t i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			snprintf(ekey, sizeof(ekey), "%s[%zu]", key, i);
			if (row->type == CONF_T_PREFIXES)
				rc = store_prefix(x, e, ekey, (struct prefix6 *)dst + i);
			else
				rc = store_string(x, row, e, ekey, (char *)dst + i * row->size, row->size);
			if (rc)
				return rc;
		}
		memcpy(base + row->cnt_off, &n, sizeof(n));
		return 0;
	}
	case CONF_T_KEY:
	case CONF_T_KEYFILE: {
		if ((rc = want(x, s, key, CONFIG_TYPE_STRING, "a string")))
			return rc;
		struct conf_key *k = dst;
		if (k->len)
			return conf_fail(x, s, key, "key given twice (inline and as a file)");
		const char *v = config_setting_get_string(s);
		if (row->type == CONF_T_KEYFILE)
			return conf_key_read_file(x, s, key, v, k, (size_t)row->min, (size_t)row->max);
		char wbuf[96];
		const char *why = conf_key_from_hex(v, k, (size_t)row->min, (size_t)row->max, wbuf, sizeof(wbuf));
		return why ? conf_fail(x, s, key, "%s", why) : 0;
	}
	case CONF_T_DEBUG:
		if ((rc = want(x, s, key, CONFIG_TYPE_STRING, "a string")))
			return rc;
		if (log_subsys_parse(config_setting_get_string(s), dst))
			return conf_fail(x, s, key, "unknown subsystem in \"%.60s\"", config_setting_get_string(s));
		return 0;
	case CONF_T_GROUP:
		if ((rc = want(x, s, key, CONFIG_TYPE_GROUP, "a group { }")))
			return rc;
		if (row->cnt_off != (size_t)-1)
			*(bool *)(base + row->cnt_off) = true;
		return walk_group(x, s, row->path, key, dst);
	case CONF_T_LIST:
		return store_list(x, row, s, key, base);
	}
	return M6E_INVAL;
}

int conf_walk_default(struct conf_ctx *x, const struct conf_schema_row *row, void *base, const char *key)
{
	char text[512];
	snprintf(text, sizeof(text), "v = %s;", row->dflt);
	config_t tmp;
	config_init(&tmp);
	int rc = M6E_INVAL;
	if (config_read_string(&tmp, text) == CONFIG_TRUE)
		rc = store(x, row, config_lookup(&tmp, "v"), key, base);
	else
		conf_fail(x, NULL, key, "schema default does not parse: %s", row->dflt);
	config_destroy(&tmp);
	return rc;
}

static int walk_group(struct conf_ctx *x, const config_setting_t *grp, const char *spath, const char *dpath,
		      char *base)
{
	char sp[KEY_LEN], dp[KEY_LEN];
	int rc;
	int n = grp ? config_setting_length(grp) : 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(s);
		snprintf(sp, sizeof(sp), "%s%s%s", spath, *spath ? "." : "", name);
		snprintf(dp, sizeof(dp), "%s%s%s", dpath, *dpath ? "." : "", name);
		const struct conf_schema_row *row = conf_schema_find(sp);
		if (!row)
			return fail_unknown(x, s, dp, spath);
		if (row->roles && !(row->roles & x->roles)) {
			char need[64];
			conf_roles_format(row->roles, need, sizeof(need));
			return conf_fail(x, s, dp, "only valid for role %s (no such section in this configuration)",
					 need);
		}
		if ((rc = store(x, row, s, dp, base)))
			return rc;
	}
	/* Keys left out: required ones are errors, others get their default. */
	for (size_t r = 0; r < conf_schema_rows; r++) {
		const struct conf_schema_row *row = &conf_schema[r];
		const char *name = child_name(row, spath);
		if (!name || (grp && config_setting_get_member(grp, name)))
			continue;
		snprintf(dp, sizeof(dp), "%s%s%s", dpath, *dpath ? "." : "", name);
		if (row->flags & CONF_F_REQ)
			return conf_fail(x, grp, dp, "missing (required)");
		if (row->type == CONF_T_GROUP && row->cnt_off == (size_t)-1)
			rc = walk_group(x, NULL, row->path, dp, base + row->off);
		else if (row->dflt)
			rc = conf_walk_default(x, row, base, dp);
		else
			rc = 0;
		if (rc)
			return rc;
	}
	return 0;
}

int conf_walk_root(struct conf_ctx *x)
{
	const config_setting_t *root = config_root_setting(x->cfg);
	/* Roles first: a key valid only for one role can then be refused
	 * wherever it appears in the file. */
	x->roles = 0;
	for (size_t r = 0; r < conf_schema_rows; r++)
		if (conf_schema[r].sets_role && config_setting_get_member(root, conf_schema[r].path))
			x->roles |= conf_schema[r].sets_role;
	x->c->roles = x->roles;
	return walk_group(x, root, "", "", (char *)x->c);
}
