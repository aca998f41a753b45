#include "io/kstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "base/rbuf.h"

#define KSTATE_PATH_MAX 512
#define KSTATE_STALE_MAX 4096 /* entries undone from one leftover journal */
#define KSTATE_HEADER "# mip6sec kernel-state journal: removed on clean exit, undone at the next start otherwise\n"

struct kstate {
	struct kstate_ops ops;
	char path[KSTATE_PATH_MAX];
	char tmp[KSTATE_PATH_MAX];
	struct kstate_entry *e;
	size_t n, cap;
};

static const struct name_entry kind_names[] = {
	{ KSTATE_ROUTE, "route" },
	{ KSTATE_ADDR, "addr" },
	{ KSTATE_NFT, "nft" },
	{ KSTATE_ROUTE6, "route6" },
	{ KSTATE_RULE, "rule" },
	{ KSTATE_PROXY, "proxy" },
	{ KSTATE_SYSCTL, "sysctl" },
};

static const struct name_entry bad_names[] = {
	{ KSTATE_BAD_NONE, "none" },
	{ KSTATE_BAD_TORN, "torn last line" },
	{ KSTATE_BAD_LONG, "line too long" },
	{ KSTATE_BAD_KIND, "unknown entry kind" },
	{ KSTATE_BAD_IFNAME, "bad interface name" },
	{ KSTATE_BAD_PREFIX, "bad prefix" },
	{ KSTATE_BAD_METRIC, "bad metric" },
	{ KSTATE_BAD_FIELDS, "wrong number of fields" },
	{ KSTATE_BAD_TABLE, "bad nft table name" },
	{ KSTATE_BAD_ADDR, "bad address" },
	{ KSTATE_BAD_RULE, "bad rule field" },
	{ KSTATE_BAD_SYSCTL, "bad sysctl path or value" },
};

const char *kstate_kind_name(enum kstate_kind k)
{
	return names_get(kind_names, NAMES_COUNT(kind_names), k);
}

const char *kstate_bad_name(enum kstate_bad b)
{
	return names_get(bad_names, NAMES_COUNT(bad_names), b);
}

/* The next space-separated word of r into word (NUL-terminated); empty
 * words (two spaces, a leading space) are refused. Consumes the separator. */
static int next_word(struct rbuf *r, char *word, size_t cap)
{
	size_t n = 0;
	uint8_t c;
	while (rbuf_peek_u8(r, 0, &c) == 0 && c != ' ') {
		if (n + 1 >= cap)
			return M6E_RANGE;
		rbuf_u8(r, &c);
		word[n++] = (char)c;
	}
	word[n] = '\0';
	if (rbuf_peek_u8(r, 0, &c) == 0)
		rbuf_u8(r, &c); /* the space */
	return n ? 0 : M6E_NOTFOUND;
}

static int bad(enum kstate_bad *why, enum kstate_bad b, int code)
{
	if (why)
		*why = b;
	return code;
}

static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= KSTATE_IFNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* An nft table name we are willing to put into an nft script. */
static bool table_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= KSTATE_IFNAME_MAX || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static int parse_metric(const char *s, unsigned *out)
{
	uint64_t v = 0;
	if (!*s)
		return M6E_INVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return M6E_INVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return M6E_RANGE;
	}
	*out = (unsigned)v;
	return 0;
}

/* A decimal number, or with hex "0x" then 1..8 lowercase hex digits. */
static int parse_u32(const char *s, bool hex, uint32_t *out)
{
	unsigned v32;
	if (!hex)
		return parse_metric(s, &v32) == 0 ? (*out = v32, 0) : M6E_INVAL;
	if (s[0] != '0' || s[1] != 'x' || !s[2] || strlen(s + 2) > 8)
		return M6E_INVAL;
	uint32_t v = 0;
	for (s += 2; *s; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
		if (d < 0)
			return M6E_INVAL;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* A routing table a route6 or rule may name (not 0, 253 default, 255 local). */
static bool rt_table_ok(uint32_t t)
{
	return t != 0 && t != 253 && t != 255;
}

static bool rule_ok(const struct kstate_rule *r)
{
	return r->priority >= 1 && r->priority <= 32765 && rt_table_ok(r->table) && (r->fwmark & ~r->fwmask) == 0 &&
	       r->suppress_prefixlen >= -1 && r->suppress_prefixlen <= 128;
}

static bool value_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

bool kstate_sysctl_path_ok(const char *path)
{
	size_t n = strlen(path), pre = strlen(KSTATE_SYSCTL_PREFIX);
	if (n >= KSTATE_SYSCTL_PATH_MAX || n <= pre || strncmp(path, KSTATE_SYSCTL_PREFIX, pre) != 0)
		return false;
	/* Components after the prefix: non-empty, not "." or "..". */
	size_t comp = 0;
	for (size_t i = pre; i <= n; i++) {
		char c = path[i];
		if (c == '/' || c == '\0') {
			const char *start = path + i - comp;
			if (comp == 0 || (comp == 1 && start[0] == '.') || (comp == 2 && start[0] == '.' && start[1] == '.'))
				return false;
			comp = 0;
			continue;
		}
		if (!value_char_ok(c))
			return false;
		comp++;
	}
	return true;
}

bool kstate_sysctl_value_ok(const char *value)
{
	size_t n = strlen(value);
	if (n == 0 || n >= KSTATE_SYSCTL_VALUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!value_char_ok(value[i]) && value[i] != ':')
			return false;
	return true;
}

/* The device a per-device sysctl names (.../conf/IF/..., .../neigh/IF/...),
 * "" for others (all, default and the rest of the tree). */
static void sysctl_ifname(const char *path, char *ifname, size_t cap)
{
	const char *p = path + strlen(KSTATE_SYSCTL_PREFIX);
	ifname[0] = '\0';
	if (strncmp(p, "conf/", 5) == 0)
		p += 5;
	else if (strncmp(p, "neigh/", 6) == 0)
		p += 6;
	else
		return;
	size_t n = strcspn(p, "/");
	if (p[n] != '/' || n >= cap || (n == 3 && strncmp(p, "all", 3) == 0) ||
	    (n == 7 && strncmp(p, "default", 7) == 0))
		return;
	memcpy(ifname, p, n);
	ifname[n] = '\0';
}

/* An IPv6 address, or "-" for none. */
static int parse_opt_addr(const char *w, bool *has, struct in6_addr *a)
{
	*has = strcmp(w, "-") != 0;
	memset(a, 0, sizeof(*a));
	return *has ? addr_parse(w, a) : 0;
}

/* Each kind's fields after the kind word: 0, or the reason in *why. A
 * missing field is BAD_FIELDS; extra fields are the caller's to refuse. */
/* A name field (device or nft table) checked by ok into e->ifname. */
static int parse_name(struct rbuf *r, char *w, size_t cap, struct kstate_entry *e, bool (*ok)(const char *),
		      enum kstate_bad reason, enum kstate_bad *why)
{
	int rc = next_word(r, w, cap);
	if (rc == M6E_NOTFOUND)
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	if (rc != 0 || !ok(w))
		return bad(why, reason, M6E_INVAL);
	memcpy(e->ifname, w, strlen(w) + 1);
	return 0;
}

static int parse_ifname(struct rbuf *r, char *w, size_t cap, struct kstate_entry *e, enum kstate_bad *why)
{
	return parse_name(r, w, cap, e, ifname_ok, KSTATE_BAD_IFNAME, why);
}

static int parse_field(struct rbuf *r, char *w, size_t cap, enum kstate_bad *why)
{
	int rc = next_word(r, w, cap);
	if (rc == M6E_NOTFOUND)
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	/* Too long for any field: refused as that field's value below. */
	if (rc != 0)
		w[0] = '\0';
	return 0;
}

static int parse_route(struct rbuf *r, char *w, size_t cap, struct kstate_entry *e, enum kstate_bad *why)
{
	int rc = parse_ifname(r, w, cap, e, why);
	if (rc == 0)
		rc = parse_field(r, w, cap, why);
	if (rc != 0)
		return rc;
	/* An address keeps its host bits; a route's destination has none. */
	if (prefix_parse(w, &e->prefix, e->kind == KSTATE_ADDR) != 0)
		return bad(why, KSTATE_BAD_PREFIX, M6E_INVAL);
	if (e->kind == KSTATE_ADDR)
		return 0;
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (parse_metric(w, &e->metric) != 0)
		return bad(why, KSTATE_BAD_METRIC, M6E_INVAL);
	if (e->kind == KSTATE_ROUTE)
		return 0;
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (parse_u32(w, false, &e->route.table) != 0 || !rt_table_ok(e->route.table))
		return bad(why, KSTATE_BAD_METRIC, M6E_INVAL);
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (parse_opt_addr(w, &e->route.has_src, &e->route.src) != 0)
		return bad(why, KSTATE_BAD_ADDR, M6E_INVAL);
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (parse_opt_addr(w, &e->route.has_gw, &e->route.gw) != 0)
		return bad(why, KSTATE_BAD_ADDR, M6E_INVAL);
	return 0;
}

static int parse_rule(struct rbuf *r, char *w, size_t cap, struct kstate_entry *e, enum kstate_bad *why)
{
	struct kstate_rule *ru = &e->rule;
	int rc;
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (parse_u32(w, false, &ru->priority) != 0)
		return bad(why, KSTATE_BAD_RULE, M6E_INVAL);
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (parse_u32(w, false, &ru->table) != 0)
		return bad(why, KSTATE_BAD_RULE, M6E_INVAL);
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (strcmp(w, "any") != 0) {
		char *slash = strchr(w, '/');
		if (!slash)
			return bad(why, KSTATE_BAD_RULE, M6E_INVAL);
		*slash = '\0';
		/* A mask of 0 is written "any". */
		if (parse_u32(w, true, &ru->fwmark) != 0 || parse_u32(slash + 1, true, &ru->fwmask) != 0 ||
		    ru->fwmask == 0)
			return bad(why, KSTATE_BAD_RULE, M6E_INVAL);
	}
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (strcmp(w, "not") == 0)
		ru->invert = true;
	else if (strcmp(w, "is") != 0)
		return bad(why, KSTATE_BAD_RULE, M6E_INVAL);
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	uint32_t sup;
	if (strcmp(w, "-") == 0)
		ru->suppress_prefixlen = -1;
	else if (parse_u32(w, false, &sup) == 0 && sup <= 128)
		ru->suppress_prefixlen = (int)sup;
	else
		return bad(why, KSTATE_BAD_RULE, M6E_INVAL);
	return rule_ok(ru) ? 0 : bad(why, KSTATE_BAD_RULE, M6E_INVAL);
}

static int parse_proxy(struct rbuf *r, char *w, size_t cap, struct kstate_entry *e, enum kstate_bad *why)
{
	int rc = parse_ifname(r, w, cap, e, why);
	if (rc == 0)
		rc = parse_field(r, w, cap, why);
	if (rc != 0)
		return rc;
	if (addr_parse(w, &e->prefix.addr) != 0)
		return bad(why, KSTATE_BAD_ADDR, M6E_INVAL);
	e->prefix.len = 128;
	return 0;
}

static int parse_sysctl(struct rbuf *r, char *w, size_t cap, struct kstate_entry *e, enum kstate_bad *why)
{
	struct kstate_sysctl *sc = &e->sysctl;
	int rc;
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (!kstate_sysctl_path_ok(w))
		return bad(why, KSTATE_BAD_SYSCTL, M6E_INVAL);
	memcpy(sc->path, w, strlen(w) + 1);
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (!kstate_sysctl_value_ok(w))
		return bad(why, KSTATE_BAD_SYSCTL, M6E_INVAL);
	memcpy(sc->value, w, strlen(w) + 1);
	if ((rc = parse_field(r, w, cap, why)) != 0)
		return rc;
	if (!kstate_sysctl_value_ok(w))
		return bad(why, KSTATE_BAD_SYSCTL, M6E_INVAL);
	memcpy(sc->old, w, strlen(w) + 1);
	return 0;
}

int kstate_parse_line(const char *line, size_t len, struct kstate_entry *e, enum kstate_bad *why)
{
	struct rbuf r;
	char w[KSTATE_LINE_MAX];
	uint8_t c;
	if (why)
		*why = KSTATE_BAD_NONE;
	if (len > KSTATE_LINE_MAX)
		return bad(why, KSTATE_BAD_LONG, M6E_RANGE);
	rbuf_init(&r, line, len);
	if (len == 0 || (rbuf_peek_u8(&r, 0, &c) == 0 && c == '#'))
		return M6E_NOTFOUND;
	memset(e, 0, sizeof(*e));
	if (next_word(&r, w, sizeof(w)) != 0)
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	int rc;
	if (strcmp(w, "route") == 0) {
		e->kind = KSTATE_ROUTE;
		rc = parse_route(&r, w, sizeof(w), e, why);
	} else if (strcmp(w, "addr") == 0) {
		e->kind = KSTATE_ADDR;
		rc = parse_route(&r, w, sizeof(w), e, why);
	} else if (strcmp(w, "route6") == 0) {
		e->kind = KSTATE_ROUTE6;
		rc = parse_route(&r, w, sizeof(w), e, why);
	} else if (strcmp(w, "nft") == 0) {
		e->kind = KSTATE_NFT;
		rc = parse_name(&r, w, sizeof(w), e, table_ok, KSTATE_BAD_TABLE, why);
	} else if (strcmp(w, "rule") == 0) {
		e->kind = KSTATE_RULE;
		rc = parse_rule(&r, w, sizeof(w), e, why);
	} else if (strcmp(w, "proxy") == 0) {
		e->kind = KSTATE_PROXY;
		rc = parse_proxy(&r, w, sizeof(w), e, why);
	} else if (strcmp(w, "sysctl") == 0) {
		e->kind = KSTATE_SYSCTL;
		rc = parse_sysctl(&r, w, sizeof(w), e, why);
	} else {
		return bad(why, KSTATE_BAD_KIND, M6E_INVAL);
	}
	if (rc != 0)
		return rc;
	if (rbuf_left(&r) != 0)
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	/* A trailing space was eaten as a separator: refuse it too. */
	if (line[len - 1] == ' ')
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	return 0;
}

/* "-" or the address, into buf of ADDR_STRLEN. */
static const char *opt_addr_fmt(bool has, const struct in6_addr *a, char *buf)
{
	return has ? addr_fmt(a, buf, ADDR_STRLEN) : "-";
}

int kstate_format_line(const struct kstate_entry *e, char *buf, size_t len)
{
	char a[ADDR_STRLEN], s1[ADDR_STRLEN], s2[ADDR_STRLEN], mark[32], sup[16];
	int n;
	switch (e->kind) {
	case KSTATE_NFT:
		if (!table_ok(e->ifname))
			return M6E_INVAL;
		n = snprintf(buf, len, "nft %s\n", e->ifname);
		break;
	case KSTATE_RULE: {
		const struct kstate_rule *ru = &e->rule;
		if (!rule_ok(ru))
			return M6E_INVAL;
		if (ru->fwmask)
			snprintf(mark, sizeof(mark), "0x%x/0x%x", (unsigned)ru->fwmark, (unsigned)ru->fwmask);
		else
			snprintf(mark, sizeof(mark), "any");
		if (ru->suppress_prefixlen >= 0)
			snprintf(sup, sizeof(sup), "%d", ru->suppress_prefixlen);
		else
			snprintf(sup, sizeof(sup), "-");
		n = snprintf(buf, len, "rule %u %u %s %s %s\n", (unsigned)ru->priority, (unsigned)ru->table, mark,
			     ru->invert ? "not" : "is", sup);
		break;
	}
	case KSTATE_SYSCTL: {
		const struct kstate_sysctl *sc = &e->sysctl;
		if (!kstate_sysctl_path_ok(sc->path) || !kstate_sysctl_value_ok(sc->value) ||
		    !kstate_sysctl_value_ok(sc->old))
			return M6E_INVAL;
		n = snprintf(buf, len, "sysctl %s %s %s\n", sc->path, sc->value, sc->old);
		break;
	}
	case KSTATE_ROUTE:
	case KSTATE_ADDR:
	case KSTATE_ROUTE6:
	case KSTATE_PROXY:
		if (!ifname_ok(e->ifname) || e->prefix.len > 128)
			return M6E_INVAL;
		addr_fmt(&e->prefix.addr, a, sizeof(a));
		if (e->kind == KSTATE_ROUTE)
			n = snprintf(buf, len, "route %s %s/%u %u\n", e->ifname, a, e->prefix.len, e->metric);
		else if (e->kind == KSTATE_ADDR)
			n = snprintf(buf, len, "addr %s %s/%u\n", e->ifname, a, e->prefix.len);
		else if (e->kind == KSTATE_PROXY)
			n = snprintf(buf, len, "proxy %s %s\n", e->ifname, a);
		else if (!rt_table_ok(e->route.table))
			return M6E_INVAL;
		else
			n = snprintf(buf, len, "route6 %s %s/%u %u %u %s %s\n", e->ifname, a, e->prefix.len, e->metric,
				     (unsigned)e->route.table, opt_addr_fmt(e->route.has_src, &e->route.src, s1),
				     opt_addr_fmt(e->route.has_gw, &e->route.gw, s2));
		break;
	default:
		return M6E_INVAL;
	}
	if (n < 0 || (size_t)n >= len)
		return M6E_NOSPACE;
	return n;
}

static bool opt_addr_eq(bool ha, const struct in6_addr *a, bool hb, const struct in6_addr *b)
{
	return ha == hb && (!ha || addr_eq(a, b));
}

bool kstate_entry_eq(const struct kstate_entry *a, const struct kstate_entry *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == KSTATE_RULE)
		return a->rule.priority == b->rule.priority &&
		       a->rule.table == b->rule.table && a->rule.fwmark == b->rule.fwmark &&
		       a->rule.fwmask == b->rule.fwmask && a->rule.invert == b->rule.invert &&
		       a->rule.suppress_prefixlen == b->rule.suppress_prefixlen;
	if (a->kind == KSTATE_SYSCTL)
		return strcmp(a->sysctl.path, b->sysctl.path) == 0 && strcmp(a->sysctl.value, b->sysctl.value) == 0;
	if (strcmp(a->ifname, b->ifname) != 0)
		return false;
	if (a->kind == KSTATE_NFT) /* the table name is all there is */
		return true;
	if (a->prefix.len != b->prefix.len || !addr_eq(&a->prefix.addr, &b->prefix.addr))
		return false;
	if (a->kind == KSTATE_ROUTE6)
		return a->metric == b->metric && a->route.table == b->route.table &&
		       opt_addr_eq(a->route.has_src, &a->route.src, b->route.has_src, &b->route.src) &&
		       opt_addr_eq(a->route.has_gw, &a->route.gw, b->route.has_gw, &b->route.gw);
	return a->kind != KSTATE_ROUTE || a->metric == b->metric;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return M6E_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Replace the journal with the live entries (tmp + fsync + rename), or
 * remove it when there are none. */
static int kstate_rewrite(struct kstate *ks)
{
	char line[KSTATE_LINE_MAX];
	if (ks->n == 0)
		return unlink(ks->path) == 0 || errno == ENOENT ? 0 : M6E_IO;
	int fd = open(ks->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return M6E_IO;
	int rc = write_all(fd, KSTATE_HEADER, strlen(KSTATE_HEADER));
	for (size_t i = 0; rc == 0 && i < ks->n; i++) {
		int n = kstate_format_line(&ks->e[i], line, sizeof(line));
		rc = n < 0 ? n : write_all(fd, line, (size_t)n);
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = M6E_IO;
	close(fd);
	if (rc == 0 && rename(ks->tmp, ks->path) != 0)
		rc = M6E_IO;
	if (rc != 0)
		unlink(ks->tmp);
	return rc;
}

static int kstate_append(struct kstate *ks, const struct kstate_entry *e)
{
	char line[KSTATE_LINE_MAX];
	int n = kstate_format_line(e, line, sizeof(line));
	if (n < 0)
		return n;
	bool fresh = access(ks->path, F_OK) != 0;
	int fd = open(ks->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return M6E_IO;
	int rc = fresh ? write_all(fd, KSTATE_HEADER, strlen(KSTATE_HEADER)) : 0;
	if (rc == 0)
		rc = write_all(fd, line, (size_t)n);
	/* Durable before the kernel change it describes (write-ahead). */
	if (rc == 0 && fsync(fd) != 0)
		rc = M6E_IO;
	close(fd);
	return rc;
}

static void undo_stale(struct kstate *ks, const struct kstate_entry *e, struct kstate_recovery *rec)
{
	char line[KSTATE_LINE_MAX];
	int rc = ks->ops.undo(ks->ops.arg, e);
	if (kstate_format_line(e, line, sizeof(line)) < 0)
		snprintf(line, sizeof(line), "?\n");
	line[strcspn(line, "\n")] = '\0';
	if (rc == 0) {
		rec->undone++;
		LOG_NOTICE(LOG_SUB_IO, "removed stale %s", line);
	} else if (rc == M6E_NOTFOUND) {
		rec->gone++;
		LOG_INFO(LOG_SUB_IO, "stale %s: already gone", line);
	} else {
		rec->failed++;
		LOG_WARN(LOG_SUB_IO, "cannot remove stale %s: %s", line, err_str(rc));
	}
}

/* Read a leftover journal and undo it, newest entry first. */
static int kstate_recover(struct kstate *ks, struct kstate_recovery *rec)
{
	int fd = open(ks->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : M6E_IO;
	char *text = malloc(KSTATE_FILE_MAX);
	struct kstate_entry *stale = calloc(KSTATE_STALE_MAX, sizeof(*stale));
	size_t len = 0, n = 0;
	int rc = 0;
	if (!text || !stale) {
		rc = M6E_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, text + len, KSTATE_FILE_MAX - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = M6E_IO;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == KSTATE_FILE_MAX)
			break; /* the rest is not read: a journal that big is not ours */
	}
	LOG_NOTICE(LOG_SUB_IO, "%s left by a previous run: undoing its kernel state", ks->path);
	size_t at = 0, lineno = 0;
	while (at < len) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - line) : len - at;
		enum kstate_bad why = KSTATE_BAD_NONE;
		lineno++;
		at += ll + (nl ? 1 : 0);
		int prc = nl ? kstate_parse_line(line, ll, &stale[n], &why) : M6E_TRUNC;
		if (!nl)
			why = KSTATE_BAD_TORN;
		if (prc == 0 && n < KSTATE_STALE_MAX) {
			n++;
		} else if (prc != M6E_NOTFOUND) {
			rec->bad_lines++;
			LOG_WARN(LOG_SUB_IO, "%s:%zu: %s: skipped", ks->path, lineno, kstate_bad_name(why));
		}
	}
	while (n)
		undo_stale(ks, &stale[--n], rec);
	if (unlink(ks->path) != 0)
		rc = M6E_IO;
out:
	close(fd);
	free(text);
	free(stale);
	return rc;
}

int kstate_open(const char *dir, const struct kstate_ops *ops, struct kstate **out, struct kstate_recovery *rec,
		char *err, size_t errlen)
{
	memset(rec, 0, sizeof(*rec));
	struct kstate *ks = calloc(1, sizeof(*ks));
	if (!ks) {
		snprintf(err, errlen, "out of memory");
		return M6E_NOMEM;
	}
	ks->ops = *ops;
	int n1 = snprintf(ks->path, sizeof(ks->path), "%s/%s", dir, KSTATE_JOURNAL);
	int n2 = snprintf(ks->tmp, sizeof(ks->tmp), "%s/%s.tmp", dir, KSTATE_JOURNAL);
	if (n1 < 0 || n2 < 0 || (size_t)n2 >= sizeof(ks->tmp)) {
		snprintf(err, errlen, "state directory path too long");
		free(ks);
		return M6E_RANGE;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		free(ks);
		return errno == EACCES || errno == EPERM ? M6E_PERM : M6E_IO;
	}
	unlink(ks->tmp); /* a rewrite cut by a crash: the journal itself is whole */
	int rc = kstate_recover(ks, rec);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", ks->path, rc == M6E_IO ? strerror(errno) : err_str(rc));
		free(ks);
		return rc;
	}
	*out = ks;
	return 0;
}

int kstate_apply(struct kstate *ks, const struct kstate_entry *e)
{
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 16;
		struct kstate_entry *ne = realloc(ks->e, cap * sizeof(*ne));
		if (!ne)
			return M6E_NOMEM;
		ks->e = ne;
		ks->cap = cap;
	}
	int rc = kstate_append(ks, e);
	if (rc != 0)
		return rc;
	ks->e[ks->n++] = *e;
	rc = ks->ops.apply(ks->ops.arg, e);
	if (rc != 0) {
		ks->n--;
		kstate_rewrite(ks);
	}
	return rc;
}

static void kstate_drop_at(struct kstate *ks, size_t i)
{
	memmove(&ks->e[i], &ks->e[i + 1], (ks->n - i - 1) * sizeof(ks->e[0]));
	ks->n--;
}

int kstate_revert(struct kstate *ks, const struct kstate_entry *e)
{
	for (size_t i = ks->n; i-- > 0;) {
		if (!kstate_entry_eq(&ks->e[i], e))
			continue;
		int rc = ks->ops.undo(ks->ops.arg, &ks->e[i]);
		kstate_drop_at(ks, i);
		kstate_rewrite(ks);
		return rc == M6E_NOTFOUND ? 0 : rc;
	}
	return M6E_NOTFOUND;
}

/* Whether e lives on device ifname (and went away with it). */
static bool on_device(const struct kstate_entry *e, const char *ifname)
{
	char dev[KSTATE_IFNAME_MAX];
	switch (e->kind) {
	case KSTATE_ROUTE:
	case KSTATE_ADDR:
	case KSTATE_ROUTE6:
	case KSTATE_PROXY:
		return strcmp(e->ifname, ifname) == 0;
	case KSTATE_SYSCTL:
		sysctl_ifname(e->sysctl.path, dev, sizeof(dev));
		return strcmp(dev, ifname) == 0;
	default: /* nft tables and rules are not on a device */
		return false;
	}
}

void kstate_forget_ifname(struct kstate *ks, const char *ifname)
{
	size_t before = ks->n;
	if (!ifname[0])
		return;
	for (size_t i = ks->n; i-- > 0;)
		if (on_device(&ks->e[i], ifname))
			kstate_drop_at(ks, i);
	if (ks->n != before)
		kstate_rewrite(ks);
}

size_t kstate_count(const struct kstate *ks)
{
	return ks->n;
}

const struct kstate_entry *kstate_at(const struct kstate *ks, size_t i)
{
	return i < ks->n ? &ks->e[i] : NULL;
}

void kstate_close(struct kstate *ks)
{
	if (!ks)
		return;
	/* Newest first; what cannot be undone stays in the journal (in its
	 * order), so the next start tries again. Undone entries are marked by
	 * kind 0 and compacted away afterwards. */
	char line[KSTATE_LINE_MAX];
	for (size_t i = ks->n; i-- > 0;) {
		struct kstate_entry *e = &ks->e[i];
		int rc = ks->ops.undo(ks->ops.arg, e);
		if (rc != 0 && rc != M6E_NOTFOUND) {
			if (kstate_format_line(e, line, sizeof(line)) < 0)
				snprintf(line, sizeof(line), "%s\n", kstate_kind_name(e->kind));
			line[strcspn(line, "\n")] = '\0';
			LOG_WARN(LOG_SUB_IO, "cannot undo %s: %s", line, err_str(rc));
		} else {
			e->kind = 0;
		}
	}
	size_t keep = 0;
	for (size_t i = 0; i < ks->n; i++)
		if (ks->e[i].kind != 0)
			ks->e[keep++] = ks->e[i];
	ks->n = keep;
	if (kstate_rewrite(ks) != 0)
		LOG_WARN(LOG_SUB_IO, "cannot update %s: %s", ks->path, strerror(errno));
	free(ks->e);
	free(ks);
}
