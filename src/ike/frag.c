/*
 * frag: RFC 7383 fragmentation and bounded reassembly (see frag.h).
 */
#include "ike/frag.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/wbuf.h"
#include "crypto/crypto.h"

struct frag_reasm {
	uint32_t msg_id;
	bool response;
	bool complete;
	uint16_t total, have;
	uint8_t first;                      /* SKF Next Payload of fragment 1 */
	uint64_t deadline;
	size_t used;                        /* octets of data[] in use */
	uint32_t off[FRAG_IN_MAX];          /* fragment k's plaintext: data[off[k-1]] */
	uint16_t len[FRAG_IN_MAX];
	bool seen[FRAG_IN_MAX];
	uint8_t *whole;                     /* the inner chain once complete */
	size_t whole_len;
	uint8_t data[FRAG_REASM_MAX];       /* plaintexts in arrival order */
};

static const char *const drop_names[FRAG_DROP_COUNT] = {
	[FRAG_DROP_NONE] = "none",
	[FRAG_DROP_ICV] = "fragment ICV failed",
	[FRAG_DROP_DUP] = "fragment already held",
	[FRAG_DROP_STALE] = "fragment of an older total",
	[FRAG_DROP_TOO_MANY] = "too many fragments",
	[FRAG_DROP_TOO_BIG] = "reassembly too big",
	[FRAG_DROP_NOMEM] = "no memory",
};

const char *frag_drop_name(enum frag_drop d)
{
	return (unsigned)d < FRAG_DROP_COUNT ? drop_names[d] : "?";
}

/* ---- sending ---- */

static size_t sealed_len(const struct ikesa_cx *cx, size_t hdr, size_t chunk)
{
	return IKE_HDR_LEN + hdr + ikesa_cx_sk_body_len(cx, chunk);
}

bool frag_needed(const struct ikesa_cx *cx, size_t plain_len, size_t frag_size)
{
	return sealed_len(cx, IKE_PL_HDR_LEN, plain_len) > frag_size;
}

/* The largest chunk of plaintext whose fragment fits frag_size; 0 if none. */
static size_t chunk_size(const struct ikesa_cx *cx, size_t frag_size)
{
	size_t fixed = IKE_HDR_LEN + IKE_SKF_HDR_LEN + ikesa_cx_sk_iv_len(cx);
	if (frag_size <= fixed)
		return 0;
	size_t c = frag_size - fixed;
	/* Padding, Pad Length and ICV: at most a block and 33 octets more. */
	while (c > 0 && sealed_len(cx, IKE_SKF_HDR_LEN, c) > frag_size)
		c--;
	return c;
}

int frag_seal(struct ikesa_cx *cx, const struct ike_hdr *h, uint8_t first, const uint8_t *plain, size_t plain_len,
	      size_t frag_size, uint8_t *out, size_t cap, struct frag_set *set, size_t *out_len)
{
	if (frag_size < FRAG_SIZE_MIN)
		return M6E_RANGE;
	size_t chunk = chunk_size(cx, frag_size);
	if (chunk == 0)
		return M6E_RANGE;
	size_t total = plain_len == 0 ? 1 : (plain_len + chunk - 1) / chunk;
	if (total > FRAG_OUT_MAX)
		return M6E_RANGE;
	memset(set, 0, sizeof(*set));
	size_t pos = 0, used = 0;
	for (size_t k = 1; k <= total; k++) {
		size_t n = plain_len - pos < chunk ? plain_len - pos : chunk;
		struct wbuf w;
		struct ike_builder b;
		size_t body_off = 0, len = 0;
		wbuf_init(&w, out + used, cap - used);
		ike_build_begin(&b, &w, h);
		/* R7383-2.5.a: the first inner type in fragment 1 only. */
		ike_build_skf_reserve(&b, k == 1 ? first : IKE_PL_NONE, (uint16_t)k, (uint16_t)total,
				      ikesa_cx_sk_body_len(cx, n), &body_off);
		int rc = ike_build_end(&b, &len);
		if (rc != 0)
			return rc;
		memcpy(out + used + body_off + ikesa_cx_sk_iv_len(cx), plain + pos, n);
		rc = ikesa_cx_seal(cx, out + used, len, body_off, n);
		if (rc != 0)
			return rc;
		set->len[set->n++] = (uint16_t)len;
		used += len;
		pos += n;
	}
	*out_len = used;
	return 0;
}

/* ---- receiving ---- */

static int open_one(struct ikesa_cx *cx, uint8_t *msg, size_t len, const struct ike_msg *m, size_t *plain_off,
		    size_t *plain_len)
{
	const struct ike_payload *skf = &m->chain.pl[m->chain.n - 1];
	if (!m->chain.encrypted || m->chain.sk_type != IKE_PL_SKF || !ikesa_cx_has_keys(cx))
		return M6E_INVAL;
	return ikesa_cx_open(cx, msg, len, skf->offset + IKE_SKF_HDR_LEN, plain_off, plain_len, NULL) == 0 ? 0
													      : M6E_AUTH;
}

int frag_verify(struct ikesa_cx *cx, uint8_t *msg, size_t len, const struct ike_msg *m)
{
	size_t off, plen;
	return open_one(cx, msg, len, m, &off, &plen);
}

void frag_rx_release(struct frag_rx *rx)
{
	if (rx->r == NULL)
		return;
	if (rx->r->whole != NULL) {
		crypto_wipe(rx->r->whole, rx->r->whole_len);
		free(rx->r->whole);
	}
	/* Decrypted IKE_AUTH contents: wipe like the rest of the SA. */
	crypto_wipe(rx->r, sizeof(*rx->r));
	free(rx->r);
	rx->r = NULL;
}

void frag_rx_done(struct frag_rx *rx)
{
	if (rx->r != NULL && rx->r->complete)
		frag_rx_release(rx);
}

void frag_rx_expire(struct frag_rx *rx, uint64_t now_ms)
{
	if (rx->r != NULL && !rx->r->complete && rx->r->deadline <= now_ms) {
		rx->st.expired++;
		frag_rx_release(rx);
	}
}

size_t frag_rx_bytes(const struct frag_rx *rx)
{
	return rx->r == NULL ? 0 : sizeof(*rx->r) + rx->r->whole_len;
}

uint64_t frag_rx_deadline(const struct frag_rx *rx)
{
	return rx->r != NULL && !rx->r->complete ? rx->r->deadline : UINT64_MAX;
}

static int dropped(struct frag_rx *rx, enum frag_drop why, int rc)
{
	rx->st.drop[why]++;
	LOG_RL(LOG_LVL_DEBUG, LOG_SUB_IKE, "dropped: %s", frag_drop_name(why));
	return rc;
}

static bool same_message(const struct frag_reasm *r, const struct ike_msg *m)
{
	return r->msg_id == m->hdr.msg_id && r->response == !!(m->hdr.flags & IKE_FLAG_R);
}

static int start(struct frag_rx *rx, const struct ike_msg *m, uint64_t now_ms)
{
	if (rx->r != NULL)
		rx->st.restarted++;
	frag_rx_release(rx);
	struct frag_reasm *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return M6E_NOMEM;
	r->msg_id = m->hdr.msg_id;
	r->response = !!(m->hdr.flags & IKE_FLAG_R);
	r->total = m->chain.frag_total;
	r->deadline = now_ms + FRAG_TIMEOUT_MS;
	rx->r = r;
	return 0;
}

/* Every fragment is there: the plaintexts in order. */
static int assemble(struct frag_rx *rx, struct frag_msg *out)
{
	struct frag_reasm *r = rx->r;
	r->whole = malloc(r->used > 0 ? r->used : 1);
	if (r->whole == NULL) {
		frag_rx_release(rx);
		return dropped(rx, FRAG_DROP_NOMEM, M6E_NOMEM);
	}
	size_t pos = 0;
	for (unsigned k = 0; k < r->total; k++) {
		memcpy(r->whole + pos, r->data + r->off[k], r->len[k]);
		pos += r->len[k];
	}
	r->whole_len = pos;
	r->complete = true;
	crypto_wipe(r->data, r->used);
	rx->st.completed++;
	out->first = r->first;
	out->plain = r->whole;
	out->plain_len = r->whole_len;
	return 0;
}

int frag_input(struct frag_rx *rx, struct ikesa_cx *cx, uint8_t *msg, size_t len, const struct ike_msg *m,
	       uint64_t now_ms, struct frag_msg *out)
{
	uint16_t num = m->chain.frag_number, total = m->chain.frag_total;
	frag_rx_expire(rx, now_ms);
	frag_rx_done(rx); /* the previous message, if not released yet */
	if (total > FRAG_IN_MAX)
		return dropped(rx, FRAG_DROP_TOO_MANY, M6E_RANGE);
	struct frag_reasm *r = rx->r;
	bool mine = r != NULL && same_message(r, m);
	/* R7383-2.6.a: replays and older totals go before any crypto. */
	if (mine && total == r->total && r->seen[num - 1])
		return dropped(rx, FRAG_DROP_DUP, M6E_DUP);
	if (mine && total < r->total)
		return dropped(rx, FRAG_DROP_STALE, M6E_PROTO);
	size_t plain_off = 0, plain_len = 0;
	if (open_one(cx, msg, len, m, &plain_off, &plain_len) != 0)
		return dropped(rx, FRAG_DROP_ICV, M6E_AUTH);
	/* Verified: now it may change what we hold. */
	if (!mine || total > r->total) {
		int rc = start(rx, m, now_ms);
		if (rc != 0)
			return dropped(rx, FRAG_DROP_NOMEM, rc);
		r = rx->r;
	}
	if (plain_len > FRAG_REASM_MAX - r->used) { /* R7383-5.a */
		frag_rx_release(rx);
		return dropped(rx, FRAG_DROP_TOO_BIG, M6E_RANGE);
	}
	memcpy(r->data + r->used, msg + plain_off, plain_len);
	r->off[num - 1] = (uint32_t)r->used;
	r->len[num - 1] = (uint16_t)plain_len;
	r->seen[num - 1] = true;
	r->used += plain_len;
	r->have++;
	if (num == 1)
		r->first = m->chain.inner_first;
	rx->st.stored++;
	if (r->have < r->total)
		return M6E_AGAIN;
	return assemble(rx, out);
}
