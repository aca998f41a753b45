#include "base/wbuf.h"

#include <string.h>

#include "base/err.h"

void wbuf_init(struct wbuf *w, void *data, size_t cap)
{
	w->base = data;
	w->len = 0;
	w->cap = data ? cap : 0;
	w->overflow = false;
}

int wbuf_status(const struct wbuf *w)
{
	return w->overflow ? M6E_NOSPACE : 0;
}

static bool wbuf_fits(struct wbuf *w, size_t n)
{
	if (w->overflow || wbuf_room(w) < n) {
		w->overflow = true;
		return false;
	}
	return true;
}

void wbuf_u8(struct wbuf *w, uint8_t v)
{
	if (wbuf_fits(w, 1))
		w->base[w->len++] = v;
}

void wbuf_u16(struct wbuf *w, uint16_t v)
{
	if (!wbuf_fits(w, 2))
		return;
	w->base[w->len++] = (uint8_t)(v >> 8);
	w->base[w->len++] = (uint8_t)v;
}

void wbuf_u32(struct wbuf *w, uint32_t v)
{
	if (!wbuf_fits(w, 4))
		return;
	for (int s = 24; s >= 0; s -= 8)
		w->base[w->len++] = (uint8_t)(v >> s);
}

void wbuf_u64(struct wbuf *w, uint64_t v)
{
	if (!wbuf_fits(w, 8))
		return;
	for (int s = 56; s >= 0; s -= 8)
		w->base[w->len++] = (uint8_t)(v >> s);
}

void wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (!wbuf_fits(w, n))
		return;
	if (n)
		memcpy(w->base + w->len, src, n);
	w->len += n;
}

void wbuf_zero(struct wbuf *w, size_t n)
{
	if (!wbuf_fits(w, n))
		return;
	memset(w->base + w->len, 0, n);
	w->len += n;
}

size_t wbuf_reserve(struct wbuf *w, size_t n)
{
	if (!wbuf_fits(w, n))
		return SIZE_MAX;
	size_t off = w->len;
	memset(w->base + off, 0, n);
	w->len += n;
	return off;
}

void wbuf_put_u8_at(struct wbuf *w, size_t off, uint8_t v)
{
	if (off >= w->len) {
		w->overflow = true;
		return;
	}
	w->base[off] = v;
}

void wbuf_put_u16_at(struct wbuf *w, size_t off, uint16_t v)
{
	if (w->len < 2 || off > w->len - 2) {
		w->overflow = true;
		return;
	}
	w->base[off] = (uint8_t)(v >> 8);
	w->base[off + 1] = (uint8_t)v;
}

void wbuf_put_u32_at(struct wbuf *w, size_t off, uint32_t v)
{
	if (w->len < 4 || off > w->len - 4) {
		w->overflow = true;
		return;
	}
	for (int i = 0; i < 4; i++)
		w->base[off + (size_t)i] = (uint8_t)(v >> (24 - 8 * i));
}
