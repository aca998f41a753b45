/*
 * Key material for manual SAs, RFC 4449 Kcn/nonces and IKE PSKs: inline hex
 * or a key file. Key files hold hex text (whitespace, newlines and ':' are
 * ignored; nothing else is allowed) and must not be accessible by group or
 * other and must belong to root or to the user running the daemon.
 */
#include "conf/conf_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"

/* Longest key file read: CONF_KEY_MAX octets in hex with generous spacing. */
#define KEYFILE_MAX 1024

void conf_key_wipe(struct conf_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Decode n chars of hex text. */
static const char *hex_decode(const char *hex, size_t n, struct conf_key *k, size_t min, size_t max, char *why,
			      size_t wlen)
{
	struct conf_key tmp = {0};
	int hi = -1;
	const char *res = NULL;
	for (size_t i = 0; i < n && !res; i++) {
		unsigned char ch = (unsigned char)hex[i];
		if (isspace(ch) || ch == ':')
			continue;
		int v = hexval(ch);
		if (v < 0)
			res = "not hex (0-9, a-f; spaces and ':' allowed)";
		else if (hi < 0)
			hi = v;
		else if (tmp.len >= CONF_KEY_MAX)
			res = "key too long";
		else {
			tmp.data[tmp.len++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (!res && hi >= 0)
		res = "odd number of hex digits";
	if (!res && (tmp.len < min || tmp.len > max)) {
		if (min == max)
			snprintf(why, wlen, "%zu octets; must be %zu", tmp.len, min);
		else
			snprintf(why, wlen, "%zu octets; must be %zu..%zu", tmp.len, min, max);
		res = why;
	}
	if (!res)
		*k = tmp;
	conf_key_wipe(&tmp);
	return res;
}

const char *conf_key_from_hex(const char *hex, struct conf_key *k, size_t min, size_t max, char *why, size_t len)
{
	return hex_decode(hex, strlen(hex), k, min, max, why, len);
}

int conf_key_resolve(const struct conf_ctx *x, const char *path, char *out, size_t len)
{
	int n = path[0] == '/' || !x->dir[0] ? snprintf(out, len, "%s", path) : snprintf(out, len, "%s/%s", x->dir, path);
	return n < 0 || (size_t)n >= len ? M6E_RANGE : 0;
}

/* Open and check: regular file, owner root or us, no group/other access. */
static int open_checked(struct conf_ctx *x, const config_setting_t *s, const char *key, const char *path,
			int *fd_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return conf_fail(x, s, key, "cannot open key file %s: %s", path, strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0)
		rc = conf_fail(x, s, key, "cannot stat key file %s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = conf_fail(x, s, key, "key file %s is not a regular file", path);
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		rc = conf_fail(x, s, key, "key file %s is owned by uid %u, not root or us; fix: chown root %s",
			       path, (unsigned)st.st_uid, path);
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		rc = conf_fail(x, s, key, "key file %s is accessible by group/other (mode %04o); fix: chmod 600 %s",
			       path, (unsigned)(st.st_mode & 07777), path);
	if (rc) {
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

int conf_key_check_file(struct conf_ctx *x, const config_setting_t *s, const char *key, const char *path)
{
	char full[CONF_PATH_MAX];
	if (conf_key_resolve(x, path, full, sizeof(full)))
		return conf_fail(x, s, key, "key file path too long");
	int fd, rc = open_checked(x, s, key, full, &fd);
	if (!rc)
		close(fd);
	return rc;
}

int conf_key_read_file(struct conf_ctx *x, const config_setting_t *s, const char *key, const char *path,
		       struct conf_key *k, size_t min, size_t max)
{
	char full[CONF_PATH_MAX];
	if (conf_key_resolve(x, path, full, sizeof(full)))
		return conf_fail(x, s, key, "key file path too long");
	int fd, rc = open_checked(x, s, key, full, &fd);
	if (rc)
		return rc;
	char buf[KEYFILE_MAX];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = conf_fail(x, s, key, "cannot read key file %s: %s", full, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf)) {
			rc = conf_fail(x, s, key, "key file %s is too long", full);
			break;
		}
	}
	close(fd);
	if (!rc) {
		char wbuf[96];
		const char *why = hex_decode(buf, len, k, min, max, wbuf, sizeof(wbuf));
		if (why)
			rc = conf_fail(x, s, key, "key file %s: %s", full, why);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}
