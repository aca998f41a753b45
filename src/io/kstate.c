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
	if (strcmp(w, "route") == 0)
		e->kind = KSTATE_ROUTE;
	else if (strcmp(w, "addr") == 0)
		e->kind = KSTATE_ADDR;
	else if (strcmp(w, "nft") == 0)
		e->kind = KSTATE_NFT;
	else
		return bad(why, KSTATE_BAD_KIND, M6E_INVAL);
	int rc = next_word(&r, w, sizeof(w));
	if (e->kind == KSTATE_NFT) {
		if (rc == M6E_NOTFOUND)
			return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
		if (rc != 0 || !table_ok(w))
			return bad(why, KSTATE_BAD_TABLE, M6E_INVAL);
		memcpy(e->ifname, w, strlen(w) + 1);
		if (rbuf_left(&r) != 0 || line[len - 1] == ' ')
			return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
		return 0;
	}
	if (rc == M6E_NOTFOUND)
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	if (rc != 0 || !ifname_ok(w))
		return bad(why, KSTATE_BAD_IFNAME, M6E_INVAL);
	memcpy(e->ifname, w, strlen(w) + 1);
	rc = next_word(&r, w, sizeof(w));
	if (rc == M6E_NOTFOUND)
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	/* An address keeps its host bits; a route's destination has none. */
	if (rc != 0 || prefix_parse(w, &e->prefix, e->kind == KSTATE_ADDR) != 0)
		return bad(why, KSTATE_BAD_PREFIX, M6E_INVAL);
	if (e->kind == KSTATE_ROUTE) {
		rc = next_word(&r, w, sizeof(w));
		if (rc == M6E_NOTFOUND)
			return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
		if (rc != 0 || parse_metric(w, &e->metric) != 0)
			return bad(why, KSTATE_BAD_METRIC, M6E_INVAL);
	}
	if (rbuf_left(&r) != 0)
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	/* A trailing space was eaten as a separator: refuse it too. */
	if (line[len - 1] == ' ')
		return bad(why, KSTATE_BAD_FIELDS, M6E_INVAL);
	return 0;
}

int kstate_format_line(const struct kstate_entry *e, char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	int n;
	if (e->kind == KSTATE_NFT) {
		if (!table_ok(e->ifname))
			return M6E_INVAL;
		n = snprintf(buf, len, "nft %s\n", e->ifname);
		return n < 0 || (size_t)n >= len ? M6E_NOSPACE : n;
	}
	if (!ifname_ok(e->ifname) || e->prefix.len > 128)
		return M6E_INVAL;
	addr_fmt(&e->prefix.addr, a, sizeof(a));
	if (e->kind == KSTATE_ROUTE)
		n = snprintf(buf, len, "route %s %s/%u %u\n", e->ifname, a, e->prefix.len, e->metric);
	else if (e->kind == KSTATE_ADDR)
		n = snprintf(buf, len, "addr %s %s/%u\n", e->ifname, a, e->prefix.len);
	else
		return M6E_INVAL;
	if (n < 0 || (size_t)n >= len)
		return M6E_NOSPACE;
	return n;
}

bool kstate_entry_eq(const struct kstate_entry *a, const struct kstate_entry *b)
{
	if (a->kind != b->kind || strcmp(a->ifname, b->ifname) != 0)
		return false;
	if (a->kind == KSTATE_NFT) /* the table name is all there is */
		return true;
	return a->prefix.len == b->prefix.len && addr_eq(&a->prefix.addr, &b->prefix.addr) &&
	       (a->kind != KSTATE_ROUTE || a->metric == b->metric);
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

void kstate_forget_ifname(struct kstate *ks, const char *ifname)
{
	size_t before = ks->n;
	for (size_t i = ks->n; i-- > 0;)
		if (ks->e[i].kind != KSTATE_NFT && strcmp(ks->e[i].ifname, ifname) == 0)
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
	 * an empty interface name and compacted away afterwards. */
	for (size_t i = ks->n; i-- > 0;) {
		struct kstate_entry *e = &ks->e[i];
		int rc = ks->ops.undo(ks->ops.arg, e);
		if (rc != 0 && rc != M6E_NOTFOUND)
			LOG_WARN(LOG_SUB_IO, "cannot undo %s on %s: %s", kstate_kind_name(e->kind), e->ifname,
				 err_str(rc));
		else
			e->ifname[0] = '\0';
	}
	size_t keep = 0;
	for (size_t i = 0; i < ks->n; i++)
		if (ks->e[i].ifname[0])
			ks->e[keep++] = ks->e[i];
	ks->n = keep;
	if (kstate_rewrite(ks) != 0)
		LOG_WARN(LOG_SUB_IO, "cannot update %s: %s", ks->path, strerror(errno));
	free(ks->e);
	free(ks);
}
