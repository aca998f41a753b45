/*
 * Two IKE SA engines back to back (tier 2): an initiator, a responder gate
 * and the responder SA it creates, a fake clock and an in-memory network (a
 * FIFO of datagrams). Shared by tests/unit/test_ikesa.c and
 * tests/fuzz/fuzz_ikesa.c; header-only so the libFuzzer build, which links
 * one fuzz_*.c with the library, needs nothing else.
 *
 * Addresses follow test-vectors.md §E: MN care-of 2001:db8:2::200, HA
 * 2001:db8:1::1, home address 2001:db8:1::100.
 */
#ifndef M6_TESTS_IKESA_PAIR_H
#define M6_TESTS_IKESA_PAIR_H

#include <string.h>

#include "base/err.h"
#include "crypto/xform.h"
#include "ike/ikesa.h"

#define PAIR_QUEUE 32
#define PAIR_SA_MAX 8       /* IKE SAs per side: the first one and its rekeyed successors */
#define PAIR_LIVE_MAX 16
#define PAIR_FORCE_MAX 8
#define PAIR_MN 0
#define PAIR_HA 1

struct pair_dgram {
	int to;
	uint64_t at;
	size_t len;
	uint8_t b[IKESA_MSG_MAX];
};

struct pair_side {
	struct pair_ctx *ctx;
	int who;
	struct ikesa *sa;
	uint64_t rng;
	uint8_t psk[32];
	size_t psk_len;
	struct ikesa_path path;
	unsigned n_sent, n_ike_up, n_ike_down, n_child_up, n_child_failed, n_child_down;
	uint32_t down_spi_in, down_spi_out;
	enum ikesa_down down;
	uint16_t child_failed;
	struct ikesa_child child;
	uint64_t sent_at[16];
	/* Every IKE SA of this side (sa is the newest); ike_rekeyed adds. */
	struct ikesa *all[PAIR_SA_MAX];
	unsigned n_all, n_rekeyed;
	/* The pairs reported up and not down, in child_up order; gap: a
	 * child_down left none while another was expected (make before break). */
	struct ikesa_child live[PAIR_LIVE_MAX];
	unsigned n_live;
	bool gap;
	/* Nonces (IKESA_NONCE_LEN draws) filled with these octets, in order. */
	uint8_t force_nonce[PAIR_FORCE_MAX];
	unsigned n_force, n_forced;
	/* Responder policy: the home address this identity may protect. */
	struct in6_addr allowed_hoa;
};

struct pair_ctx {
	uint64_t now;
	struct pair_side side[2];
	struct ikesa_gate *gate;
	struct ikesa_params params[2];
	uint32_t half_open;
	struct pair_dgram q[PAIR_QUEUE];
	unsigned head, n;
	unsigned drop_to[2];      /* drop the next k datagrams to that side */
	unsigned dropped[2];
	int accept_rc;
};

static inline uint64_t pair_xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static inline int pair_send(void *arg, const uint8_t *msg, size_t len, const struct ikesa_path *path)
{
	struct pair_side *s = arg;
	struct pair_ctx *c = s->ctx;
	(void)path;
	if (s->n_sent < 16)
		s->sent_at[s->n_sent] = c->now;
	s->n_sent++;
	if (c->drop_to[!s->who] > 0) {
		c->drop_to[!s->who]--;
		c->dropped[!s->who]++;
		return 0;
	}
	if (c->n == PAIR_QUEUE || len > IKESA_MSG_MAX)
		return M6E_NOSPACE;
	struct pair_dgram *d = &c->q[(c->head + c->n++) % PAIR_QUEUE];
	d->to = !s->who;
	d->at = c->now;
	d->len = len;
	memcpy(d->b, msg, len);
	return 0;
}

static inline void pair_random(void *arg, void *buf, size_t len)
{
	struct pair_side *s = arg;
	uint8_t *p = buf;
	if (len == IKESA_NONCE_LEN && s->n_forced < s->n_force) {
		memset(buf, s->force_nonce[s->n_forced++], len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(pair_xorshift(&s->rng) >> 24);
}

static inline const uint8_t *pair_psk_for(void *arg, const struct ikesa_id *id, size_t *len)
{
	struct pair_side *s = arg;
	if (id->type == 0)
		return NULL;
	*len = s->psk_len;
	return s->psk;
}

static inline bool pair_ts_is_host(const struct ike_ts *t, const struct in6_addr *a)
{
	return memcmp(t->start, a->s6_addr, 16) <= 0 && memcmp(t->end, a->s6_addr, 16) >= 0;
}

/* The HA's policy, R3776-4.2.k: the MN may protect only its own home
 * address; TSi narrows to that one address, TSr stays as proposed. */
static inline int pair_ts_policy(void *arg, const struct ikesa_id *peer, const struct ike_ts_list *tsi,
				 const struct ike_ts_list *tsr, bool *transport, struct ike_ts_list *out_tsi,
				 struct ike_ts_list *out_tsr)
{
	struct pair_side *s = arg;
	(void)peer;
	(void)transport;
	if (s->who == PAIR_MN) { /* the MN takes what the HA proposes */
		*out_tsi = *tsi;
		*out_tsr = *tsr;
		return 0;
	}
	for (unsigned i = 0; i < tsi->n; i++) {
		if (tsi->ts[i].type == IKE_TS_IPV6_ADDR_RANGE && pair_ts_is_host(&tsi->ts[i], &s->allowed_hoa)) {
			memset(out_tsi, 0, sizeof(*out_tsi));
			out_tsi->n = 1;
			out_tsi->ts[0] = tsi->ts[i];
			memcpy(out_tsi->ts[0].start, s->allowed_hoa.s6_addr, 16);
			memcpy(out_tsi->ts[0].end, s->allowed_hoa.s6_addr, 16);
			*out_tsr = *tsr;
			return 0;
		}
	}
	return M6E_PERM;
}

static inline void pair_ike_up(void *arg, const struct ikesa *sa)
{
	(void)sa;
	((struct pair_side *)arg)->n_ike_up++;
}

static inline void pair_ike_down(void *arg, const struct ikesa *sa, enum ikesa_down reason)
{
	struct pair_side *s = arg;
	(void)sa;
	s->n_ike_down++;
	s->down = reason;
}

static inline void pair_child_down(void *arg, const struct ikesa *sa, uint32_t spi_in, uint32_t spi_out)
{
	struct pair_side *s = arg;
	(void)sa;
	s->n_child_down++;
	s->down_spi_in = spi_in;
	s->down_spi_out = spi_out;
	for (unsigned i = 0; i < s->n_live; i++)
		if (s->live[i].spi_in == spi_in) {
			memmove(&s->live[i], &s->live[i + 1], (s->n_live - i - 1) * sizeof(s->live[0]));
			s->n_live--;
			if (s->n_live == 0)
				s->gap = true;
			break;
		}
}

static inline void pair_child_up(void *arg, const struct ikesa_child *c)
{
	struct pair_side *s = arg;
	s->n_child_up++;
	s->child = *c;
	if (s->n_live < PAIR_LIVE_MAX)
		s->live[s->n_live++] = *c;
}

static inline void pair_ike_rekeyed(void *arg, struct ikesa *old_sa, struct ikesa *new_sa)
{
	struct pair_side *s = arg;
	(void)old_sa;
	s->n_rekeyed++;
	if (s->n_all < PAIR_SA_MAX)
		s->all[s->n_all++] = new_sa;
	else
		ikesa_free(new_sa); /* a test gone wild; not expected */
	s->sa = new_sa;
}

static inline void pair_child_failed(void *arg, const struct ikesa *sa, uint16_t notify)
{
	struct pair_side *s = arg;
	(void)sa;
	s->n_child_failed++;
	s->child_failed = notify;
}

static const struct ikesa_ops pair_ops = {
	.send = pair_send,
	.random = pair_random,
	.psk_for = pair_psk_for,
	.ts_policy = pair_ts_policy,
	.ike_up = pair_ike_up,
	.ike_down = pair_ike_down,
	.child_up = pair_child_up,
	.child_failed = pair_child_failed,
	.child_down = pair_child_down,
	.ike_rekeyed = pair_ike_rekeyed,
};

static inline struct in6_addr pair_addr(uint8_t b1, uint8_t b5, uint16_t last)
{
	struct in6_addr a;
	memset(&a, 0, sizeof(a));
	a.s6_addr[0] = 0x20;
	a.s6_addr[1] = 0x01;
	a.s6_addr[2] = 0x0d;
	a.s6_addr[3] = 0xb8;
	a.s6_addr[b1] = b5;
	a.s6_addr[14] = (uint8_t)(last >> 8);
	a.s6_addr[15] = (uint8_t)last;
	return a;
}

static inline void pair_ts_range(struct ike_ts_list *l, const struct in6_addr *lo, const struct in6_addr *hi)
{
	memset(l, 0, sizeof(*l));
	l->n = 1;
	l->ts[0].type = IKE_TS_IPV6_ADDR_RANGE;
	l->ts[0].end_port = 0xffff;
	memcpy(l->ts[0].start, lo->s6_addr, 16);
	memcpy(l->ts[0].end, hi->s6_addr, 16);
}

static inline void pair_id(struct ikesa_id *id, uint8_t type, const char *s)
{
	memset(id, 0, sizeof(*id));
	id->type = type;
	id->len = (uint8_t)strlen(s);
	memcpy(id->data, s, id->len);
}

static const struct ikesa_prop pair_gcm = { XFORM_ENCR_AES_GCM_16, 256, XFORM_INTEG_NONE,
					    XFORM_PRF_HMAC_SHA2_256, XFORM_DH_ECP_256 };

/* Defaults: one suite (GCM-256, PRF-SHA256, group 19) both ways, ESP
 * GCM-256, the MN proposing its home address, the same PSK, no cookies. */
static inline int pair_init(struct pair_ctx *c, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->now = 1000;
	struct in6_addr coa = pair_addr(5, 2, 0x200), ha = pair_addr(5, 1, 1), hoa = pair_addr(5, 1, 0x100);
	struct in6_addr zero, ones;
	memset(&zero, 0, sizeof(zero));
	memset(&ones, 0xff, sizeof(ones));
	for (int w = 0; w < 2; w++) {
		struct pair_side *s = &c->side[w];
		struct ikesa_params *p = &c->params[w];
		s->ctx = c;
		s->who = w;
		s->rng = seed * 2 + (uint64_t)w + 0x9e3779b97f4a7c15ull;
		s->psk_len = 32;
		memset(s->psk, 0x5a, s->psk_len);
		s->allowed_hoa = hoa;
		s->path.local = w == PAIR_MN ? coa : ha;
		s->path.remote = w == PAIR_MN ? ha : coa;
		s->path.local_port = s->path.remote_port = 500;
		p->ike[0] = pair_gcm;
		p->n_ike = 1;
		p->esp[0] = (struct ikesa_prop){ XFORM_ENCR_AES_GCM_16, 256, XFORM_INTEG_NONE, 0, 0 };
		p->n_esp = 1;
		p->cookie_threshold = UINT32_MAX;
	}
	pair_id(&c->params[PAIR_MN].local_id, IKE_ID_RFC822_ADDR, "mn1@example.net");
	pair_id(&c->params[PAIR_MN].remote_id, IKE_ID_FQDN, "ha.example.net");
	pair_id(&c->params[PAIR_HA].local_id, IKE_ID_FQDN, "ha.example.net");
	pair_ts_range(&c->params[PAIR_MN].tsi, &hoa, &hoa);
	pair_ts_range(&c->params[PAIR_MN].tsr, &zero, &ones);
	return ikesa_gate_new(&c->gate, &pair_ops, &c->side[PAIR_HA]);
}

static inline void pair_fini(struct pair_ctx *c)
{
	for (int w = 0; w < 2; w++)
		for (unsigned i = 0; i < c->side[w].n_all; i++)
			ikesa_free(c->side[w].all[i]);
	ikesa_gate_free(c->gate);
	memset(c, 0, sizeof(*c));
}

static inline int pair_start(struct pair_ctx *c)
{
	struct pair_side *s = &c->side[PAIR_MN];
	int rc = ikesa_new_initiator(&s->sa, &c->params[PAIR_MN], &pair_ops, s, &s->path);
	if (rc != 0)
		return rc;
	s->all[s->n_all++] = s->sa;
	return ikesa_start(s->sa, c->now);
}

/* The side's SA a datagram belongs to, by SPIs as an adapter would: an
 * exact match first, then one still without SPIr; the newest SA when the
 * header does not parse (the engine then counts the drop). */
static inline struct ikesa *pair_find(struct pair_side *s, const uint8_t *b, size_t len)
{
	struct ike_hdr h;
	if (ike_parse_hdr(b, len, &h, NULL) != 0)
		return s->sa;
	for (unsigned i = 0; i < s->n_all; i++)
		if (ikesa_spi_i(s->all[i]) == h.spi_i && ikesa_spi_r(s->all[i]) == h.spi_r)
			return s->all[i];
	for (unsigned i = 0; i < s->n_all; i++)
		if (ikesa_spi_i(s->all[i]) == h.spi_i && (ikesa_spi_r(s->all[i]) == 0 || h.spi_r == 0))
			return s->all[i];
	return s->sa;
}

/* Hand one datagram to its side: the responder's gate for an IKE_SA_INIT
 * the responder has no SA for, else the SA. */
static inline int pair_deliver(struct pair_ctx *c, int to, const uint8_t *b, size_t len)
{
	struct pair_side *s = &c->side[to];
	if (to == PAIR_HA && s->sa == NULL) {
		struct ikesa *sa = NULL;
		c->accept_rc = ikesa_accept(c->gate, &c->params[PAIR_HA], &pair_ops, s, c->half_open, b, len,
					    &s->path, c->now, &sa);
		if (c->accept_rc == 0)
			s->sa = s->all[s->n_all++] = sa;
		return c->accept_rc;
	}
	if (s->sa == NULL)
		return M6E_NOTFOUND;
	return ikesa_input(pair_find(s, b, len), b, len, &s->path, c->now);
}

/* Pop the next datagram (0) or M6E_NOTFOUND when the network is empty. */
static inline int pair_pop(struct pair_ctx *c, struct pair_dgram *out)
{
	if (c->n == 0)
		return M6E_NOTFOUND;
	*out = c->q[c->head];
	c->head = (c->head + 1) % PAIR_QUEUE;
	c->n--;
	return 0;
}

/* Deliver until the network is empty (bounded). */
static inline void pair_pump(struct pair_ctx *c)
{
	static struct pair_dgram d;
	for (unsigned i = 0; i < 64 && pair_pop(c, &d) == 0; i++)
		pair_deliver(c, d.to, d.b, d.len);
}

/* Advance the fake clock to the earliest timer of either SA and fire it. */
static inline bool pair_advance(struct pair_ctx *c, uint64_t limit)
{
	uint64_t t = IKESA_NEVER;
	for (int w = 0; w < 2; w++)
		for (unsigned i = 0; i < c->side[w].n_all; i++)
			if (ikesa_next_timeout(c->side[w].all[i]) < t)
				t = ikesa_next_timeout(c->side[w].all[i]);
	if (t == IKESA_NEVER || t > limit)
		return false;
	if (t > c->now)
		c->now = t;
	for (int w = 0; w < 2; w++)
		for (unsigned i = 0; i < c->side[w].n_all; i++)
			ikesa_tick(c->side[w].all[i], c->now);
	return true;
}

#endif
