#include "ctl/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

void json_init(struct json *j, struct wbuf *w)
{
	memset(j, 0, sizeof(*j));
	j->w = w;
}

int json_finish(const struct json *j)
{
	if (j->bad || j->depth != 0)
		return M6E_INVAL;
	return wbuf_status(j->w);
}

static void json_puts(struct wbuf *w, const char *s)
{
	wbuf_bytes(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 section 4: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if it is not valid. */
static size_t json_utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void json_escape(struct wbuf *w, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		char esc[8];
		switch (c) {
		case '"': json_puts(w, "\\\""); i++; continue;
		case '\\': json_puts(w, "\\\\"); i++; continue;
		case '\n': json_puts(w, "\\n"); i++; continue;
		case '\r': json_puts(w, "\\r"); i++; continue;
		case '\t': json_puts(w, "\\t"); i++; continue;
		case '\b': json_puts(w, "\\b"); i++; continue;
		case '\f': json_puts(w, "\\f"); i++; continue;
		default: break;
		}
		if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			json_puts(w, esc);
			i++;
			continue;
		}
		size_t len = json_utf8_len(s + i, n - i);
		if (len == 0) {
			json_puts(w, "\\ufffd");
			i++;
			continue;
		}
		wbuf_bytes(w, s + i, len);
		i += len;
	}
}

/* Separator and key before a value at the current level. */
static void json_prefix(struct json *j, const char *key)
{
	if (j->nonempty[j->depth])
		wbuf_u8(j->w, ',');
	j->nonempty[j->depth] = true;
	if (key) {
		wbuf_u8(j->w, '"');
		json_escape(j->w, key, strlen(key));
		json_puts(j->w, "\":");
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_prefix(j, key);
	wbuf_u8(j->w, (uint8_t)c);
	if (j->depth >= JSON_MAX_DEPTH) {
		j->bad = true;
		return;
	}
	j->nonempty[++j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	if (j->depth == 0) {
		j->bad = true;
		return;
	}
	j->depth--;
	wbuf_u8(j->w, (uint8_t)c);
}

void json_obj_begin(struct json *j, const char *key) { json_open(j, key, '{'); }
void json_obj_end(struct json *j) { json_close(j, '}'); }
void json_arr_begin(struct json *j, const char *key) { json_open(j, key, '['); }
void json_arr_end(struct json *j) { json_close(j, ']'); }

void json_strn(struct json *j, const char *key, const char *val, size_t n)
{
	json_prefix(j, key);
	wbuf_u8(j->w, '"');
	json_escape(j->w, val, n);
	wbuf_u8(j->w, '"');
}

void json_str(struct json *j, const char *key, const char *val)
{
	if (!val) {
		json_null(j, key);
		return;
	}
	json_strn(j, key, val, strlen(val));
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	char num[24];
	json_prefix(j, key);
	snprintf(num, sizeof(num), "%" PRIu64, val);
	json_puts(j->w, num);
}

void json_i64(struct json *j, const char *key, int64_t val)
{
	char num[24];
	json_prefix(j, key);
	snprintf(num, sizeof(num), "%" PRId64, val);
	json_puts(j->w, num);
}

void json_bool(struct json *j, const char *key, bool val)
{
	json_prefix(j, key);
	json_puts(j->w, val ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
	json_prefix(j, key);
	json_puts(j->w, "null");
}
