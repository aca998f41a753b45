/*
 * json: a small JSON writer over a wbuf (no allocation; the sticky overflow
 * of the wbuf reports a body that did not fit).
 *
 * Values inside an object take a key, values inside an array (or the top
 * level) take key == NULL. Strings are escaped per RFC 8259 section 7:
 * quote, backslash and control characters are escaped; valid UTF-8 passes
 * through; bytes that are not valid UTF-8 become U+FFFD so the output is
 * always valid JSON whatever a config file or peer put in a name.
 */
#ifndef M6_CTL_JSON_H
#define M6_CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/wbuf.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct wbuf *w;
	unsigned depth;
	bool nonempty[JSON_MAX_DEPTH + 1]; /* a value was written at this level */
	bool bad;                          /* nesting misuse (too deep, unbalanced) */
};

void json_init(struct json *j, struct wbuf *w);
/* 0 when everything was written and every container closed; M6E_NOSPACE if
 * the buffer overflowed; M6E_INVAL on nesting misuse. */
int json_finish(const struct json *j);

void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);

void json_str(struct json *j, const char *key, const char *val);
/* A string value from n bytes that need not be NUL-terminated. */
void json_strn(struct json *j, const char *key, const char *val, size_t n);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

/* Append the escaped form of n bytes (without the surrounding quotes). */
void json_escape(struct wbuf *w, const char *s, size_t n);

#endif
