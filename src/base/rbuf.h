/*
 * rbuf: the one bounds-checked read cursor for every untrusted byte.
 *
 * A cursor views [base + pos, base + end). Every read checks the bytes left
 * first; a read that fails returns M6E_TRUNC and leaves the cursor unchanged.
 * Reads from the front advance pos; reads from the back (trailers such as ESP
 * ICVs) pull end in. Sub-cursors carve a nested region (an option, a payload)
 * out of the parent after checking its declared length against what is left,
 * so no length from the wire is ever used for pointer arithmetic.
 *
 * The cursor does not own its memory.
 */
#ifndef M6_BASE_RBUF_H
#define M6_BASE_RBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rbuf {
	const uint8_t *base;
	size_t pos; /* next byte to read, relative to base */
	size_t end; /* one past the last readable byte */
};

void rbuf_init(struct rbuf *r, const void *data, size_t len);

static inline size_t rbuf_left(const struct rbuf *r) { return r->end - r->pos; }
/* Offset of the read position from the start of the underlying data. */
static inline size_t rbuf_offset(const struct rbuf *r) { return r->pos; }
/* Read-only view of the next byte (valid for rbuf_left() bytes). */
static inline const uint8_t *rbuf_ptr(const struct rbuf *r) { return r->base + r->pos; }

int rbuf_u8(struct rbuf *r, uint8_t *v);
int rbuf_u16(struct rbuf *r, uint16_t *v); /* big-endian */
int rbuf_u32(struct rbuf *r, uint32_t *v); /* big-endian */
int rbuf_u64(struct rbuf *r, uint64_t *v); /* big-endian */
int rbuf_bytes(struct rbuf *r, void *dst, size_t n);
int rbuf_skip(struct rbuf *r, size_t n);

/* Peek at a byte `at` octets past the read position without consuming it. */
int rbuf_peek_u8(const struct rbuf *r, size_t at, uint8_t *v);
int rbuf_peek_u16(const struct rbuf *r, size_t at, uint16_t *v);

/* Carve the next n bytes into *sub and advance past them. */
int rbuf_sub(struct rbuf *r, size_t n, struct rbuf *sub);
/* Carve the last n bytes into *sub and shrink r's end. */
int rbuf_tail(struct rbuf *r, size_t n, struct rbuf *sub);
/* Read the last n bytes into dst and shrink r's end. */
int rbuf_tail_bytes(struct rbuf *r, void *dst, size_t n);

#endif
