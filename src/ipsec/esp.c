#include "ipsec/esp.h"

#include "base/err.h"
#include "base/log.h"
#include "base/names.h"
#include "base/rbuf.h"
#include "base/wbuf.h"

#define ESP_SPI_MIN 256 /* 1-255 reserved, 0 never sent (R4303-2.1.a) */
#define IP6_HDR_LEN 40
#define IP4_HDR_MIN 20

static const struct name_entry drop_names[] = {
	{ ESP_DROP_NONE, "none" },
	{ ESP_DROP_SHORT, "short packet" },
	{ ESP_DROP_BAD_SPI, "reserved SPI" },
	{ ESP_DROP_UNKNOWN_SPI, "unknown SPI" },
	{ ESP_DROP_WRONG_DIR, "wrong SA direction" },
	{ ESP_DROP_EXPIRED, "SA expired" },
	{ ESP_DROP_BAD_LEN, "ciphertext not block aligned" },
	{ ESP_DROP_REPLAY, "replayed" },
	{ ESP_DROP_TOO_OLD, "left of replay window" },
	{ ESP_DROP_AUTH, "ICV mismatch" },
	{ ESP_DROP_BAD_PAD, "bad padding" },
	{ ESP_DROP_DUMMY, "dummy packet" },
	{ ESP_DROP_INNER_LEN, "inner length beyond payload" },
	{ ESP_DROP_SEQ_EXHAUSTED, "sequence number exhausted" },
	{ ESP_DROP_NOSPACE, "no buffer room" },
	{ ESP_DROP_CRYPTO, "crypto failure" },
};

const char *esp_drop_name(enum esp_drop why)
{
	return names_get(drop_names, NAMES_COUNT(drop_names), why);
}

size_t esp_head_len(const struct sa *sa)
{
	return ESP_HDR_LEN + aead_iv_len(sa->alg);
}

static size_t pad_len(const struct sa *sa, size_t payload_len)
{
	/* algorithms.md 3.1: +2 for Pad Length and Next Header. */
	size_t b = aead_block_len(sa->alg);
	return (b - (payload_len + 2) % b) % b;
}

size_t esp_tail_len(const struct sa *sa, size_t payload_len)
{
	return pad_len(sa, payload_len) + 2 + aead_icv_len(sa->alg);
}

/* Authenticated-only bytes of one packet (wire-formats.md G.1, G.2). */
struct esp_auth {
	uint8_t aad[12];
	uint8_t tail[4];
};

static void auth_fill(const struct sa *sa, uint32_t spi, uint64_t seq, struct esp_auth *a, struct aead_op *op)
{
	struct wbuf w;
	wbuf_init(&w, a->aad, sizeof(a->aad));
	wbuf_u32(&w, spi);
	if (sa->esn && aead_is_combined(sa->alg)) {
		wbuf_u64(&w, seq); /* SPI | ESN high | ESN low */
	} else {
		wbuf_u32(&w, (uint32_t)seq);
	}
	op->aad = a->aad;
	op->aad_len = wbuf_len(&w);
	op->aad_tail = NULL;
	op->aad_tail_len = 0;
	if (sa->esn && !aead_is_combined(sa->alg)) {
		wbuf_init(&w, a->tail, sizeof(a->tail));
		wbuf_u32(&w, (uint32_t)(seq >> 32));
		op->aad_tail = a->tail;
		op->aad_tail_len = sizeof(a->tail);
	}
}

static int seal_fail(struct esp_result *res, enum esp_drop why, int rc)
{
	res->drop = why;
	return rc;
}

int esp_seal(struct sa *sa, uint8_t *buf, size_t cap, size_t off, size_t len, uint8_t next_header,
	     const uint8_t *iv, struct esp_result *res)
{
	*res = (struct esp_result){ .state = sa->state };
	if (sa->dir != SA_DIR_OUT)
		return seal_fail(res, ESP_DROP_WRONG_DIR, M6E_INVAL);
	if (sa->state == SA_STATE_DEAD)
		return seal_fail(res, ESP_DROP_EXPIRED, M6E_PERM);
	size_t head = esp_head_len(sa), pad = pad_len(sa, len), icv = aead_icv_len(sa->alg);
	if (off < head || off > cap || len > cap - off || cap - off - len < pad + 2 + icv)
		return seal_fail(res, ESP_DROP_NOSPACE, M6E_NOSPACE);
	uint64_t seq;
	if (sa_next_seq(sa, &seq) != 0)
		return seal_fail(res, ESP_DROP_SEQ_EXHAUSTED, M6E_RANGE);

	uint8_t *pkt = buf + (off - head);
	uint8_t *trailer = buf + off + len;
	for (size_t i = 0; i < pad; i++)
		trailer[i] = (uint8_t)(i + 1); /* R4303-2.4.a default content */
	trailer[pad] = (uint8_t)pad;
	trailer[pad + 1] = next_header;

	struct wbuf w;
	wbuf_init(&w, pkt, head);
	wbuf_u32(&w, sa->spi);
	wbuf_u32(&w, (uint32_t)seq); /* only the low half travels (R4303-2.2.1.a) */
	if (iv) {
		wbuf_bytes(&w, iv, head - ESP_HDR_LEN);
	} else if (aead_make_iv(sa->aead, seq, pkt + ESP_HDR_LEN) != 0) {
		return seal_fail(res, ESP_DROP_CRYPTO, M6E_IO);
	}

	struct esp_auth auth;
	struct aead_op op = {
		.iv = pkt + ESP_HDR_LEN,
		.data = buf + off,
		.len = len + pad + 2,
		.icv = trailer + pad + 2,
	};
	auth_fill(sa, sa->spi, seq, &auth, &op);
	if (aead_seal(sa->aead, &op) != 0)
		return seal_fail(res, ESP_DROP_CRYPTO, M6E_IO);
	res->off = off - head;
	res->len = head + len + pad + 2 + icv;
	res->seq = seq;
	res->state = sa_account(sa, len);
	return 0;
}

int esp_peek_spi(const uint8_t *pkt, size_t len, uint32_t *spi)
{
	struct rbuf r;
	rbuf_init(&r, pkt, len);
	return rbuf_u32(&r, spi);
}

static int open_fail(struct sa *sa, struct esp_stats *stats, struct esp_result *res, uint32_t spi,
		     enum esp_drop why, int rc)
{
	res->drop = why;
	if (stats)
		stats->drops[why]++;
	if (sa) {
		if (why == ESP_DROP_AUTH)
			sa->cnt.auth_fail++;
		else if (why == ESP_DROP_REPLAY || why == ESP_DROP_TOO_OLD)
			sa->cnt.replay_drop++;
		else
			sa->cnt.other_drop++;
		res->state = sa->state;
	}
	/* A peer (or anyone on path) can trigger these: rate-limited. */
	if (why != ESP_DROP_DUMMY)
		LOG_RL(LOG_LVL_DEBUG, LOG_SUB_IPSEC, "ESP spi 0x%08x dropped: %s", spi, esp_drop_name(why));
	return rc;
}

/* Tunnel mode: the inner header says how long the packet is; anything after
 * it is TFC padding, ignored (R4303-2.7.a). */
static int trim_inner(const uint8_t *payload, size_t *len, uint8_t nh)
{
	struct rbuf r;
	rbuf_init(&r, payload, *len);
	uint16_t v;
	if (nh == ESP_NH_IPV6) {
		if (*len < IP6_HDR_LEN || rbuf_peek_u16(&r, 4, &v) != 0)
			return M6E_TRUNC;
		if (v == 0)
			return 0; /* jumbogram: no length to trim by */
		if ((size_t)v > *len - IP6_HDR_LEN)
			return M6E_TRUNC;
		*len = IP6_HDR_LEN + (size_t)v;
	} else if (nh == ESP_NH_IPV4) {
		if (rbuf_peek_u16(&r, 2, &v) != 0)
			return M6E_TRUNC;
		if (v < IP4_HDR_MIN || (size_t)v > *len)
			return M6E_TRUNC;
		*len = v;
	}
	return 0;
}

int esp_open(struct sa *sa, struct esp_stats *stats, uint8_t *pkt, size_t len, struct esp_result *res)
{
	*res = (struct esp_result){ .state = sa->state };
	struct rbuf r, iv, icv;
	uint32_t spi = 0, seq_lo;
	rbuf_init(&r, pkt, len);
	if (rbuf_u32(&r, &spi) != 0 || rbuf_u32(&r, &seq_lo) != 0)
		return open_fail(sa, stats, res, spi, ESP_DROP_SHORT, M6E_TRUNC);
	if (spi < ESP_SPI_MIN)
		return open_fail(sa, stats, res, spi, ESP_DROP_BAD_SPI, M6E_INVAL);
	if (spi != sa->spi)
		return open_fail(sa, stats, res, spi, ESP_DROP_UNKNOWN_SPI, M6E_NOTFOUND);
	if (sa->dir != SA_DIR_IN)
		return open_fail(sa, stats, res, spi, ESP_DROP_WRONG_DIR, M6E_INVAL);
	if (sa->state == SA_STATE_DEAD)
		return open_fail(sa, stats, res, spi, ESP_DROP_EXPIRED, M6E_PERM);
	/* At least one cipher block (CBC) or Pad Length + Next Header (AEAD). */
	size_t block = aead_block_len(sa->alg);
	size_t min_ct = aead_is_combined(sa->alg) ? 2 : block;
	if (rbuf_sub(&r, aead_iv_len(sa->alg), &iv) != 0 || rbuf_tail(&r, aead_icv_len(sa->alg), &icv) != 0 ||
	    rbuf_left(&r) < min_ct)
		return open_fail(sa, stats, res, spi, ESP_DROP_SHORT, M6E_TRUNC);
	if (!aead_is_combined(sa->alg) && rbuf_left(&r) % block != 0)
		return open_fail(sa, stats, res, spi, ESP_DROP_BAD_LEN, M6E_INVAL);

	/* R4303-3.4.3.a: the replay check comes first, before any crypto. */
	uint64_t seq;
	int rc = replay_check(&sa->replay, seq_lo, &seq);
	if (rc == M6E_DUP)
		return open_fail(sa, stats, res, spi, ESP_DROP_REPLAY, rc);
	if (rc != 0)
		return open_fail(sa, stats, res, spi, ESP_DROP_TOO_OLD, rc);

	size_t ct_off = rbuf_offset(&r), ct_len = rbuf_left(&r);
	struct esp_auth auth;
	struct aead_op op = {
		.iv = pkt + rbuf_offset(&iv),
		.data = pkt + ct_off,
		.len = ct_len,
		.icv = pkt + rbuf_offset(&icv),
	};
	auth_fill(sa, spi, seq, &auth, &op);
	rc = aead_open(sa->aead, &op);
	if (rc == M6E_AUTH)
		return open_fail(sa, stats, res, spi, ESP_DROP_AUTH, rc);
	if (rc != 0)
		return open_fail(sa, stats, res, spi, ESP_DROP_CRYPTO, M6E_IO);
	/* Authentic: only now may the window move (R4303-3.4.3.a). */
	replay_update(&sa->replay, seq);
	res->seq = seq;

	struct rbuf pt, pad;
	uint8_t nh, padlen;
	rbuf_init(&pt, pkt + ct_off, ct_len);
	if (rbuf_tail_bytes(&pt, &nh, 1) != 0 || rbuf_tail_bytes(&pt, &padlen, 1) != 0 ||
	    rbuf_tail(&pt, padlen, &pad) != 0)
		return open_fail(sa, stats, res, spi, ESP_DROP_BAD_PAD, M6E_INVAL);
	/* R4303-2.4.a: the receiver SHOULD check the default 1, 2, 3, ... */
	for (uint8_t i = 0; i < padlen; i++) {
		uint8_t b;
		(void)rbuf_u8(&pad, &b); /* padlen bytes are there: rbuf_tail checked */
		if (b != (uint8_t)(i + 1))
			return open_fail(sa, stats, res, spi, ESP_DROP_BAD_PAD, M6E_INVAL);
	}
	res->next_header = nh;
	if (nh == ESP_NH_NONE) /* R4303-2.6.a: authentic, but nothing to deliver */
		return open_fail(sa, stats, res, spi, ESP_DROP_DUMMY, M6E_PROTO);
	size_t plen = rbuf_left(&pt);
	if (trim_inner(pkt + ct_off, &plen, nh) != 0)
		return open_fail(sa, stats, res, spi, ESP_DROP_INNER_LEN, M6E_TRUNC);
	res->off = ct_off;
	res->len = plen;
	res->state = sa_account(sa, plen);
	return 0;
}

int esp_open_sad(struct sad *sad, struct esp_stats *stats, uint8_t *pkt, size_t len, struct sa **sa_out,
		 struct esp_result *res)
{
	*sa_out = NULL;
	*res = (struct esp_result){ 0 };
	uint32_t spi = 0;
	if (esp_peek_spi(pkt, len, &spi) != 0 || len < ESP_HDR_LEN)
		return open_fail(NULL, stats, res, spi, ESP_DROP_SHORT, M6E_TRUNC);
	if (spi < ESP_SPI_MIN)
		return open_fail(NULL, stats, res, spi, ESP_DROP_BAD_SPI, M6E_INVAL);
	struct sa *sa = sad_lookup(sad, SA_DIR_IN, spi);
	if (!sa) /* R4303-3.4.2.a */
		return open_fail(NULL, stats, res, spi, ESP_DROP_UNKNOWN_SPI, M6E_NOTFOUND);
	*sa_out = sa;
	return esp_open(sa, stats, pkt, len, res);
}
