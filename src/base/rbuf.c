#include "base/rbuf.h"

#include <string.h>

#include "base/err.h"

void rbuf_init(struct rbuf *r, const void *data, size_t len)
{
	r->base = data;
	r->pos = 0;
	r->end = data ? len : 0;
}

int rbuf_u8(struct rbuf *r, uint8_t *v)
{
	if (rbuf_left(r) < 1)
		return M6E_TRUNC;
	*v = r->base[r->pos++];
	return 0;
}

int rbuf_u16(struct rbuf *r, uint16_t *v)
{
	if (rbuf_left(r) < 2)
		return M6E_TRUNC;
	*v = (uint16_t)((r->base[r->pos] << 8) | r->base[r->pos + 1]);
	r->pos += 2;
	return 0;
}

int rbuf_u32(struct rbuf *r, uint32_t *v)
{
	if (rbuf_left(r) < 4)
		return M6E_TRUNC;
	const uint8_t *p = r->base + r->pos;
	*v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	r->pos += 4;
	return 0;
}

int rbuf_u64(struct rbuf *r, uint64_t *v)
{
	if (rbuf_left(r) < 8)
		return M6E_TRUNC;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = (x << 8) | r->base[r->pos + (size_t)i];
	*v = x;
	r->pos += 8;
	return 0;
}

int rbuf_bytes(struct rbuf *r, void *dst, size_t n)
{
	if (rbuf_left(r) < n)
		return M6E_TRUNC;
	if (n)
		memcpy(dst, r->base + r->pos, n);
	r->pos += n;
	return 0;
}

int rbuf_skip(struct rbuf *r, size_t n)
{
	if (rbuf_left(r) < n)
		return M6E_TRUNC;
	r->pos += n;
	return 0;
}

int rbuf_peek_u8(const struct rbuf *r, size_t at, uint8_t *v)
{
	if (at >= rbuf_left(r))
		return M6E_TRUNC;
	*v = r->base[r->pos + at];
	return 0;
}

int rbuf_peek_u16(const struct rbuf *r, size_t at, uint16_t *v)
{
	if (rbuf_left(r) < 2 || at > rbuf_left(r) - 2)
		return M6E_TRUNC;
	*v = (uint16_t)((r->base[r->pos + at] << 8) | r->base[r->pos + at + 1]);
	return 0;
}

int rbuf_sub(struct rbuf *r, size_t n, struct rbuf *sub)
{
	if (rbuf_left(r) < n)
		return M6E_TRUNC;
	sub->base = r->base;
	sub->pos = r->pos;
	sub->end = r->pos + n;
	r->pos += n;
	return 0;
}

int rbuf_tail(struct rbuf *r, size_t n, struct rbuf *sub)
{
	if (rbuf_left(r) < n)
		return M6E_TRUNC;
	sub->base = r->base;
	sub->pos = r->end - n;
	sub->end = r->end;
	r->end -= n;
	return 0;
}

int rbuf_tail_bytes(struct rbuf *r, void *dst, size_t n)
{
	if (rbuf_left(r) < n)
		return M6E_TRUNC;
	if (n)
		memcpy(dst, r->base + r->end - n, n);
	r->end -= n;
	return 0;
}
