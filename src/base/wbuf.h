/*
 * wbuf: bounds-checked builder for outgoing bytes.
 *
 * Writes past the capacity set a sticky overflow flag and write nothing, so a
 * builder can emit a whole packet and check once with wbuf_status(). Fields
 * whose value is known only later (lengths, checksums) are reserved with
 * wbuf_reserve() and filled through wbuf_put_*_at().
 *
 * The builder does not own its memory.
 */
#ifndef M6_BASE_WBUF_H
#define M6_BASE_WBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wbuf {
	uint8_t *base;
	size_t len; /* bytes written */
	size_t cap;
	bool overflow;
};

void wbuf_init(struct wbuf *w, void *data, size_t cap);
/* 0, or M6E_NOSPACE if any write did not fit. */
int wbuf_status(const struct wbuf *w);
static inline size_t wbuf_len(const struct wbuf *w) { return w->len; }
static inline size_t wbuf_room(const struct wbuf *w) { return w->cap - w->len; }

void wbuf_u8(struct wbuf *w, uint8_t v);
void wbuf_u16(struct wbuf *w, uint16_t v); /* big-endian */
void wbuf_u32(struct wbuf *w, uint32_t v);
void wbuf_u64(struct wbuf *w, uint64_t v);
void wbuf_bytes(struct wbuf *w, const void *src, size_t n);
void wbuf_zero(struct wbuf *w, size_t n);
/* Reserve n zeroed bytes; returns their offset (or SIZE_MAX on overflow). */
size_t wbuf_reserve(struct wbuf *w, size_t n);
/* Overwrite already-written bytes; out-of-range offsets set overflow. */
void wbuf_put_u8_at(struct wbuf *w, size_t off, uint8_t v);
void wbuf_put_u16_at(struct wbuf *w, size_t off, uint16_t v);
void wbuf_put_u32_at(struct wbuf *w, size_t off, uint32_t v);

#endif
