/*
 * One IKEv2 SA (RFC 7296), the engine's core: lifecycle (new, free,
 * accessors), the state setter, message IDs and the window of 1 (2.3),
 * sending and sealing (SK, or SKF fragments, RFC 7383), retransmission and
 * the response cache (2.1, 2.4), input dispatch after the SK verified
 * (2.21), the idle buffers, timers and the SA's own work (2.8). The
 * exchanges live in ikesa_init.c (IKE_SA_INIT), ikesa_auth.c (IKE_AUTH),
 * ikesa_create.c (CREATE_CHILD_SA) and ikesa_info.c (INFORMATIONAL);
 * what they share is ikesa_int.h. States, timers and rules: ikesa.h.
 * Crypto goes through ikesa_crypto.h.
 */
#include "ike/ikesa.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "crypto/xform.h"
#include "ike/ikesa_int.h"

/* ---- names ---- */

static const char *const state_names[IKESA_STATE_COUNT] = {
	[IKESA_IDLE] = "idle",           [IKESA_INIT_SENT] = "init-sent",     [IKESA_INIT_DONE] = "init-done",
	[IKESA_AUTH_SENT] = "auth-sent", [IKESA_ESTABLISHED] = "established", [IKESA_DELETING] = "deleting",
	[IKESA_CLOSED] = "closed",
};

static const char *const down_names[IKESA_DOWN_COUNT] = {
	[IKESA_DOWN_NONE] = "none",
	[IKESA_DOWN_TIMEOUT] = "timeout",
	[IKESA_DOWN_AUTH_FAILED] = "peer authentication failed",
	[IKESA_DOWN_PEER_AUTH_FAILED] = "peer refused our authentication",
	[IKESA_DOWN_NO_PROPOSAL] = "no proposal chosen",
	[IKESA_DOWN_PEER_ERROR] = "peer error",
	[IKESA_DOWN_LOCAL_DELETE] = "deleted locally",
	[IKESA_DOWN_PEER_DELETE] = "deleted by peer",
	[IKESA_DOWN_INTERNAL] = "internal error",
	[IKESA_DOWN_REKEYED] = "rekeyed",
};

static const char *const drop_names[IKESA_DROP_COUNT] = {
	[IKESA_DROP_NONE] = "none",
	[IKESA_DROP_TOO_BIG] = "too big",
	[IKESA_DROP_PARSE] = "malformed",
	[IKESA_DROP_SPI] = "unknown SPI",
	[IKESA_DROP_FLAGS] = "initiator flag wrong",
	[IKESA_DROP_EXCHANGE] = "unexpected exchange",
	[IKESA_DROP_MSG_ID] = "message ID outside the window",
	[IKESA_DROP_RESPONSE] = "unexpected response",
	[IKESA_DROP_NO_SK] = "not encrypted",
	[IKESA_DROP_SK] = "SK verification failed",
	[IKESA_DROP_INNER] = "inner payloads malformed",
	[IKESA_DROP_MISSING] = "required payload missing",
	[IKESA_DROP_PROPOSAL] = "proposal not offered",
	[IKESA_DROP_KE] = "key exchange unusable",
	[IKESA_DROP_COOKIE] = "cookie required",
	[IKESA_DROP_STATE] = "not expected in this state",
	[IKESA_DROP_FRAG] = "fragment refused",
};

const char *ikesa_state_name(enum ikesa_state s)
{
	return (unsigned)s < IKESA_STATE_COUNT ? state_names[s] : "?";
}

const char *ikesa_down_name(enum ikesa_down d)
{
	return (unsigned)d < IKESA_DOWN_COUNT ? down_names[d] : "?";
}

const char *ikesa_drop_name(enum ikesa_drop d)
{
	return (unsigned)d < IKESA_DROP_COUNT ? drop_names[d] : "?";
}

/* ---- small helpers ---- */

uint64_t isa_be64(const uint8_t b[IKE_SPI_LEN])
{
	uint64_t v = 0;
	for (unsigned i = 0; i < IKE_SPI_LEN; i++)
		v = v << 8 | b[i];
	return v;
}

bool isa_spi_zero(const uint8_t b[IKE_SPI_LEN])
{
	return isa_be64(b) == 0;
}

int isa_drop(struct ikesa *sa, enum ikesa_drop why, int rc)
{
	sa->st.drop[why]++;
	LOG_RL(LOG_LVL_DEBUG, LOG_SUB_IKE, "IKE SA %016llx: dropped: %s", (unsigned long long)isa_be64(sa->spi_i),
	       ikesa_drop_name(why));
	return rc;
}

/* Legal moves (ikesa.h state diagram); CLOSED is reachable from anywhere. */
static const uint8_t legal_next[IKESA_STATE_COUNT] = {
	/* IDLE -> ESTABLISHED: an SA born of a rekey (R7296-1.3.2.a). */
	[IKESA_IDLE] = 1u << IKESA_INIT_SENT | 1u << IKESA_INIT_DONE | 1u << IKESA_ESTABLISHED,
	[IKESA_INIT_SENT] = 1u << IKESA_AUTH_SENT,
	[IKESA_INIT_DONE] = 1u << IKESA_ESTABLISHED,
	[IKESA_AUTH_SENT] = 1u << IKESA_ESTABLISHED,
	[IKESA_ESTABLISHED] = 1u << IKESA_DELETING,
};

void ikesa_set_state(struct ikesa *sa, enum ikesa_state next)
{
	if (sa->state == next || sa->state == IKESA_CLOSED)
		return;
	if (next != IKESA_CLOSED && !(legal_next[sa->state] & (1u << next))) {
		LOG_ERR(LOG_SUB_IKE, "IKE SA %016llx: refused move %s -> %s", (unsigned long long)isa_be64(sa->spi_i),
			ikesa_state_name(sa->state), ikesa_state_name(next));
		return;
	}
	LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx/%016llx: %s -> %s", (unsigned long long)isa_be64(sa->spi_i),
		 (unsigned long long)isa_be64(sa->spi_r), ikesa_state_name(sa->state), ikesa_state_name(next));
	sa->state = next;
	if (next == IKESA_ESTABLISHED) { /* R7296-2.8: each end enforces its own lifetime */
		uint8_t r[2];
		sa->ops->random(sa->arg, r, sizeof(r));
		child_timers(sa->now_ms, sa->p.ike_lifetime_ms, sa->p.rekey_margin_ms, (uint16_t)(r[0] << 8 | r[1]),
			     &sa->ike_rekey_at, &sa->ike_expire_at);
	}
}

static void nonces_release(struct ikesa *sa)
{
	if (sa->ni == NULL)
		return;
	crypto_wipe(sa->ni, 2 * IKE_NONCE_MAX);
	free(sa->ni);
	sa->ni = sa->nr = NULL;
	sa->ni_len = sa->nr_len = 0;
}

void isa_pc_release_ts(struct pending_create *pc)
{
	free(pc->ts);
	pc->ts = NULL;
}

void isa_go_down(struct ikesa *sa, enum ikesa_down why)
{
	if (sa->state == IKESA_CLOSED)
		return;
	ikesa_set_state(sa, IKESA_CLOSED);
	sa->req_pending = false;
	if (sa->ops->ike_down != NULL)
		sa->ops->ike_down(sa->arg, sa, why);
}

static void drop_copy(uint8_t **p, size_t *len)
{
	if (*p != NULL)
		crypto_wipe(*p, *len);
	free(*p);
	*p = NULL;
	*len = 0;
}

struct ike_hdr isa_our_hdr(const struct ikesa *sa, uint8_t exch, bool response, uint32_t msg_id)
{
	struct ike_hdr h = {
		.spi_i = isa_be64(sa->spi_i),
		.spi_r = isa_be64(sa->spi_r),
		.version = IKE_VERSION,
		.exchange = exch,
		/* R7296-3.1.a: I marks the original initiator, R a response. */
		.flags = (uint8_t)((sa->initiator ? IKE_FLAG_I : 0) | (response ? IKE_FLAG_R : 0)),
		.msg_id = msg_id,
	};
	return h;
}

/* ---- IKE proposals (R7296-2.7, R7296-3.3); the ESP side is in child.c ---- */

static bool ike_prop_fits(const struct ike_proposal *pp, const struct ikesa_prop *o)
{
	return pp->proto == IKE_PROTO_IKE && child_known_types_only(pp) &&
	       ikesa_cx_supported(XFORM_ENCR, o->encr, o->key_bits) && ikesa_cx_supported(XFORM_PRF, o->prf, 0) &&
	       ikesa_cx_supported(XFORM_DH, o->dh, 0) &&
	       (o->integ == XFORM_INTEG_NONE || ikesa_cx_supported(XFORM_INTEG, o->integ, 0)) &&
	       child_xf_has(pp, XFORM_ENCR, o->encr, o->key_bits) && child_xf_has(pp, XFORM_PRF, o->prf, 0) &&
	       child_integ_ok(pp, o->integ) && child_xf_has(pp, XFORM_DH, o->dh, 0);
}

void isa_fill_ike_prop(struct ike_proposal *pp, uint8_t num, const struct ikesa_prop *o)
{
	memset(pp, 0, sizeof(*pp));
	pp->num = num;
	pp->proto = IKE_PROTO_IKE;
	child_add_xf(pp, XFORM_ENCR, o->encr, o->key_bits);
	child_add_xf(pp, XFORM_PRF, o->prf, 0);
	if (o->integ != XFORM_INTEG_NONE)
		child_add_xf(pp, XFORM_INTEG, o->integ, 0);
	child_add_xf(pp, XFORM_DH, o->dh, 0);
}

/* Responder: first peer proposal (the initiator's order, R7296-2.7) that one
 * of ours fits; for IKE prefer our suite with the group of the KE sent.
 * Returns the index into ours and the peer's proposal number, or -1. */
int isa_select_prop(const struct ike_sa *peer, const struct ikesa_prop *ours, size_t n_ours, bool esp,
		    uint16_t ke_group, uint8_t *num)
{
	if (esp) /* IKE_AUTH: a DH in the child's proposal is ignored (R7296-1.2) */
		return child_select_esp(peer, ours, n_ours, CHILD_DH_ANY, num, NULL);
	for (unsigned i = 0; i < peer->n_prop; i++) {
		int best = -1;
		for (size_t j = 0; j < n_ours; j++) {
			if (!ike_prop_fits(&peer->prop[i], &ours[j]))
				continue;
			if (best < 0)
				best = (int)j;
			if (ours[j].dh == ke_group) {
				best = (int)j;
				break;
			}
		}
		if (best >= 0) {
			*num = peer->prop[i].num;
			return best;
		}
	}
	return -1;
}

/* Initiator: the response's single proposal must be one we offered, with
 * exactly one transform of each type (R7296-3.3.a). */
int isa_check_chosen(const struct ike_sa *resp, const struct ikesa_prop *ours, size_t n_ours, bool esp)
{
	if (esp) /* IKE_AUTH: no DH in the answer, whatever our PFS policy */
		return child_check_esp(resp, ours, n_ours, CHILD_DH_ANY);
	if (resp->n_prop != 1)
		return -1;
	const struct ike_proposal *pp = &resp->prop[0];
	if (pp->num == 0 || pp->num > n_ours)
		return -1;
	const struct ikesa_prop *o = &ours[pp->num - 1];
	if (!ike_prop_fits(pp, o) || pp->n_xf != 3u + (o->integ != XFORM_INTEG_NONE))
		return -1;
	return pp->num - 1;
}

/* ---- sending ---- */

/* One datagram, or every fragment of a fragmented message. */
int isa_send_bytes(struct ikesa *sa, const uint8_t *msg, size_t len, const struct frag_set *frags)
{
	if (frags->n == 0)
		return sa->ops->send(sa->arg, msg, len, &sa->path);
	int rc = 0;
	size_t off = 0;
	for (unsigned i = 0; i < frags->n; i++) {
		int r = sa->ops->send(sa->arg, msg + off, frags->len[i], &sa->path);
		rc = rc != 0 ? rc : r;
		off += frags->len[i];
		sa->frx.st.sent++;
	}
	return rc;
}

static size_t frag_size(const struct ikesa *sa)
{
	if (sa->p.fragment_size == 0)
		return FRAG_SIZE_DEFAULT;
	return sa->p.fragment_size < FRAG_SIZE_MIN ? FRAG_SIZE_MIN : sa->p.fragment_size;
}

/* Wrap sa->plain[0..plain_len) (first payload type first) in an SK payload
 * of a new message in out; *out_len its length. As SKF fragments instead
 * when both sides support them and it would not fit (R7383-2.4.a/b). */
static int seal_msg(struct ikesa *sa, uint8_t exch, bool response, uint32_t msg_id, uint8_t first,
		    size_t plain_len, uint8_t *out, size_t *out_len, struct frag_set *frags)
{
	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h = isa_our_hdr(sa, exch, response, msg_id);
	size_t body_off = 0, len = 0;
	frags->n = 0;
	if (sa->peer_frag && frag_needed(sa->cx, plain_len, frag_size(sa)))
		return frag_seal(sa->cx, &h, first, sa->plain, plain_len, frag_size(sa), out, sa->buf_cap, frags,
				 out_len);
	wbuf_init(&w, out, sa->buf_cap);
	ike_build_begin(&b, &w, &h);
	ike_build_sk_reserve(&b, first, ikesa_cx_sk_body_len(sa->cx, plain_len), &body_off);
	int rc = ike_build_end(&b, &len);
	if (rc != 0)
		return rc;
	memcpy(out + body_off + ikesa_cx_sk_iv_len(sa->cx), sa->plain, plain_len);
	rc = ikesa_cx_seal(sa->cx, out, len, body_off, plain_len);
	if (rc == 0)
		*out_len = len;
	return rc;
}

/* The next retransmission: the nominal delay shortened by a random part of
 * up to 1/IKESA_RETX_JITTER_DIV, so SAs started together drift apart. */
static uint64_t retx_due(struct ikesa *sa, uint64_t now_ms)
{
	uint8_t r[2];
	uint32_t span = sa->retx_delay_ms / IKESA_RETX_JITTER_DIV;
	sa->ops->random(sa->arg, r, sizeof(r));
	return now_ms + sa->retx_delay_ms - (span ? ((uint32_t)r[0] << 8 | r[1]) % (span + 1) : 0);
}

void isa_arm_retx(struct ikesa *sa, uint64_t now_ms)
{
	sa->retx_sent = 1;
	sa->retx_delay_ms = IKESA_RETX_INITIAL_MS;
	sa->retx_at = retx_due(sa, now_ms);
}

/* A new encrypted request from sa->plain; window of 1 (R7296-2.3.a). */
int isa_send_request(struct ikesa *sa, uint8_t exch, uint8_t first, size_t plain_len, uint64_t now_ms)
{
	if (sa->req_pending)
		return M6E_AGAIN;
	int rc = seal_msg(sa, exch, false, sa->next_req_id, first, plain_len, sa->req, &sa->req_len, &sa->req_frags);
	if (rc != 0)
		return rc;
	sa->req_id = sa->next_req_id++;
	sa->req_exch = exch;
	sa->req_pending = true;
	sa->req_kind = REQ_OTHER;
	isa_arm_retx(sa, now_ms);
	isa_send_bytes(sa, sa->req, sa->req_len, &sa->req_frags);
	return 0;
}

/* Answer the peer's request msg_id and keep the bytes for its
 * retransmissions (R7296-2.1.a). */
int isa_send_response(struct ikesa *sa, uint8_t exch, uint32_t msg_id, uint8_t first, size_t plain_len)
{
	int rc = seal_msg(sa, exch, true, msg_id, first, plain_len, sa->resp, &sa->resp_len, &sa->resp_frags);
	if (rc != 0) {
		sa->resp_len = 0;
		return rc;
	}
	sa->peer_next_id = msg_id + 1;
	isa_send_bytes(sa, sa->resp, sa->resp_len, &sa->resp_frags);
	return 0;
}

void isa_inner_begin(struct ikesa *sa, struct ike_builder *b, struct wbuf *w)
{
	wbuf_init(w, sa->plain, sa->buf_cap);
	ike_build_inner_begin(b, w);
}

bool isa_has_notify(const struct ike_chain *c, uint16_t type)
{
	struct ike_notify n;
	return ike_chain_find_notify(c, type, &n) == 0;
}

void isa_put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* ---- randomness and lifecycle ---- */

void isa_random_bytes(const struct ikesa_ops *ops, void *arg, void *buf, size_t len)
{
	ops->random(arg, buf, len);
}

void isa_new_spi64(const struct ikesa_ops *ops, void *arg, uint8_t spi[IKE_SPI_LEN])
{
	do /* R7296-2.6.a: never zero */
		isa_random_bytes(ops, arg, spi, IKE_SPI_LEN);
	while (isa_spi_zero(spi));
}

uint32_t isa_new_child_spi(struct ikesa *sa)
{
	uint8_t b[4];
	uint32_t v;
	do { /* R4303-2.1.a: 1..255 are reserved */
		isa_random_bytes(sa->ops, sa->arg, b, sizeof(b));
		v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	} while (v < 256 || child_spi_taken(&sa->children, v) ||
		 (sa->ops->spi_taken != NULL && sa->ops->spi_taken(sa->arg, v)));
	return v;
}

struct ikesa *isa_alloc(const struct ikesa_params *p, const struct ikesa_ops *ops, void *arg,
			const struct ikesa_path *path, bool initiator)
{
	if (p->n_ike == 0 || p->n_ike > IKESA_PROP_MAX || p->n_esp > IKESA_PROP_MAX)
		return NULL;
	struct ikesa *sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return NULL;
	sa->buf_cap = p->cred != NULL ? IKESA_MSG_BIG : IKESA_MSG_MAX;
	sa->req = malloc(4 * sa->buf_cap);
	sa->ni = malloc(2 * IKE_NONCE_MAX);
	if (sa->req == NULL || sa->ni == NULL || ikesa_cx_new(&sa->cx) != 0) {
		free(sa->ni);
		free(sa->req);
		free(sa);
		return NULL;
	}
	sa->nr = sa->ni + IKE_NONCE_MAX;
	sa->resp = sa->req + sa->buf_cap;
	sa->rx = sa->resp + sa->buf_cap;
	sa->plain = sa->rx + sa->buf_cap;
	sa->p = *p;
	if (sa->p.local_id.type == 0 && ikeauth_cred_can_sign(p->cred)) { /* our ID from our certificate */
		size_t id_len = 0;
		if (ikeauth_cred_id(p->cred, &sa->p.local_id.type, sa->p.local_id.data, IKESA_ID_MAX, &id_len) == 0)
			sa->p.local_id.len = (uint8_t)id_len;
		else
			sa->p.local_id.type = 0;
	}
	sa->ops = ops;
	sa->arg = arg;
	sa->path = *path;
	sa->initiator = initiator;
	sa->retx_at = sa->half_open_at = IKESA_NEVER;
	sa->ike_rekey_at = sa->ike_expire_at = IKESA_NEVER;
	return sa;
}

int ikesa_new_initiator(struct ikesa **out, const struct ikesa_params *p, const struct ikesa_ops *ops, void *arg,
			const struct ikesa_path *path)
{
	struct ikesa *sa = isa_alloc(p, ops, arg, path, true);
	if (sa == NULL)
		return M6E_NOMEM;
	*out = sa;
	return 0;
}

void ikesa_free(struct ikesa *sa)
{
	if (sa == NULL)
		return;
	ikesa_dh_free(sa->pc.kex);
	isa_pc_release_ts(&sa->pc);
	ikesa_cx_free(sa->cx);
	frag_rx_release(&sa->frx);
	child_table_release(&sa->children);
	/* Nonces and the IKE_SA_INIT messages feed AUTH: wipe like keys. */
	drop_copy(&sa->init_req, &sa->init_req_len);
	drop_copy(&sa->init_resp, &sa->init_resp_len);
	nonces_release(sa);
	if (sa->buf_cap != 0) {
		crypto_wipe(sa->req, 4 * sa->buf_cap);
		free(sa->req);
	} else {
		drop_copy(&sa->resp, &sa->resp_len);
	}
	crypto_wipe(sa, sizeof(*sa));
	free(sa);
}

/* ---- input ---- */

/* Between exchanges an established SA needs none of req, rx and plain,
 * and its response cache (R7296-2.1.a) only at its size: the block of
 * 4 * buf_cap (IKESA_MSG_BIG with a certificate: IKE_AUTH only) gives
 * way to a copy of resp, and the IKE_SA_INIT copies go. isa_buffers_work()
 * brings the block back (IKESA_MSG_MAX) before anything reads or builds
 * a message. Allocation failure keeps what is there. */
static void buffers_idle(struct ikesa *sa)
{
	if (sa->state != IKESA_ESTABLISHED)
		return;
	drop_copy(&sa->init_req, &sa->init_req_len);
	drop_copy(&sa->init_resp, &sa->init_resp_len);
	nonces_release(sa);
	if (!sa->req_pending) /* no CREATE_CHILD_SA of ours outstanding */
		isa_pc_release_ts(&sa->pc);
	if (sa->buf_cap == 0 || sa->req_pending || sa->resp_frags.n != 0 || sa->resp_len > IKESA_MSG_MAX)
		return;
	uint8_t *kept = NULL;
	if (sa->resp_len > 0) {
		kept = malloc(sa->resp_len);
		if (kept == NULL)
			return;
		memcpy(kept, sa->resp, sa->resp_len);
	}
	crypto_wipe(sa->req, 4 * sa->buf_cap);
	free(sa->req);
	sa->buf_cap = 0;
	sa->req = sa->rx = sa->plain = NULL;
	sa->resp = kept;
	sa->req_len = 0;
	sa->req_frags.n = 0;
}

int isa_buffers_work(struct ikesa *sa)
{
	if (sa->buf_cap != 0)
		return 0;
	uint8_t *block = malloc(4 * IKESA_MSG_MAX);
	if (block == NULL)
		return M6E_NOMEM;
	if (sa->resp != NULL) {
		memcpy(block + IKESA_MSG_MAX, sa->resp, sa->resp_len);
		crypto_wipe(sa->resp, sa->resp_len);
		free(sa->resp);
	}
	sa->buf_cap = IKESA_MSG_MAX;
	sa->req = block;
	sa->resp = sa->req + sa->buf_cap;
	sa->rx = sa->resp + sa->buf_cap;
	sa->plain = sa->rx + sa->buf_cap;
	return 0;
}

static bool spis_match(const struct ikesa *sa, const struct ike_hdr *h)
{
	if (h->spi_i != isa_be64(sa->spi_i))
		return false;
	/* The IKE_SA_INIT response brings SPIr; its refusals carry 0. */
	if (sa->state == IKESA_INIT_SENT && h->exchange == IKE_EXCH_SA_INIT)
		return true;
	/* A retransmitted IKE_SA_INIT request still carries SPIr 0. */
	if (h->exchange == IKE_EXCH_SA_INIT && !(h->flags & IKE_FLAG_R) && h->spi_r == 0)
		return true;
	return h->spi_r == isa_be64(sa->spi_r);
}

/* An SKF message in sa->rx (RFC 7383): kept (M6E_AGAIN), dropped, or the
 * last one missing: then *c is the whole inner chain, its views in the
 * reassembly buffer until ikesa_input() returns. */
static int open_skf(struct ikesa *sa, const struct ike_msg *m, size_t len, struct ike_chain *c, uint64_t now_ms)
{
	struct frag_msg whole;
	if (!sa->peer_frag || !ikesa_cx_has_keys(sa->cx)) /* R7383-2.4.a: only once negotiated */
		return isa_drop(sa, IKESA_DROP_FRAG, M6E_PROTO);
	int rc = frag_input(&sa->frx, sa->cx, sa->rx, len, m, now_ms, &whole);
	if (rc == M6E_AGAIN)
		return rc;
	if (rc != 0) /* R7383-2.6.a: a fragment that does not verify is never kept */
		return isa_drop(sa, rc == M6E_AUTH ? IKESA_DROP_SK : IKESA_DROP_FRAG, rc);
	if (ike_parse_chain(whole.first, whole.plain, whole.plain_len, true, c, NULL) != 0 ||
	    ike_chain_validate(c, NULL) != 0)
		return isa_drop(sa, IKESA_DROP_INNER, M6E_INVAL);
	return 0;
}

/* Verify and decrypt the SK payload of sa->rx (or collect SKF fragments:
 * M6E_AGAIN until the last one); inner chain into *c. */
static int open_sk(struct ikesa *sa, const struct ike_msg *m, size_t len, struct ike_chain *c, uint64_t now_ms)
{
	if (m->chain.encrypted && m->chain.sk_type == IKE_PL_SKF)
		return open_skf(sa, m, len, c, now_ms);
	if (!m->chain.encrypted || m->chain.sk_type != IKE_PL_SK || !ikesa_cx_has_keys(sa->cx))
		return isa_drop(sa, IKESA_DROP_NO_SK, M6E_PROTO);
	const struct ike_payload *sk = &m->chain.pl[m->chain.n - 1];
	size_t plain_off = 0, plain_len = 0;
	int why = 0;
	if (ikesa_cx_open(sa->cx, sa->rx, len, sk->offset + IKE_PL_HDR_LEN, &plain_off, &plain_len, &why) != 0)
		return isa_drop(sa, IKESA_DROP_SK, M6E_AUTH); /* R7296-2.21.a, RFC 7296 3.14: never act on it */
	if (ike_parse_chain(m->chain.inner_first, sa->rx + plain_off, plain_len, true, c, NULL) != 0 ||
	    ike_chain_validate(c, NULL) != 0)
		return isa_drop(sa, IKESA_DROP_INNER, M6E_INVAL);
	return 0;
}

static int input_response(struct ikesa *sa, const uint8_t *msg, size_t len, const struct ike_msg *m,
			  uint64_t now_ms)
{
	if (!sa->req_pending || m->hdr.msg_id != sa->req_id || m->hdr.exchange != sa->req_exch)
		return isa_drop(sa, IKESA_DROP_RESPONSE, M6E_PROTO);
	if (m->hdr.exchange == IKE_EXCH_SA_INIT) {
		if (m->chain.encrypted || ike_chain_validate(&m->chain, NULL) != 0)
			return isa_drop(sa, IKESA_DROP_PARSE, M6E_INVAL);
		return isa_on_init_response(sa, msg, len, m, now_ms);
	}
	struct ike_chain c;
	int rc = open_sk(sa, m, len, &c, now_ms);
	if (rc != 0)
		return rc == M6E_AGAIN ? 0 : rc;
	if (m->hdr.exchange == IKE_EXCH_AUTH)
		return isa_on_auth_response(sa, &c, now_ms);
	sa->req_pending = false;
	sa->last_heard = now_ms;
	if (m->hdr.exchange == IKE_EXCH_CREATE_CHILD_SA)
		return isa_on_create_response(sa, &c, now_ms);
	isa_on_info_response(sa);
	return 0;
}

static int input_request(struct ikesa *sa, const struct ike_msg *m, size_t len, uint64_t now_ms)
{
	uint32_t id = m->hdr.msg_id;
	/* A retransmitted IKE_SA_INIT reaches the responder before IKE_AUTH. */
	if (m->hdr.exchange == IKE_EXCH_SA_INIT) {
		if (sa->initiator || sa->state != IKESA_INIT_DONE || id != 0)
			return isa_drop(sa, IKESA_DROP_EXCHANGE, M6E_PROTO);
		sa->st.cache_answers++;
		isa_send_bytes(sa, sa->resp, sa->resp_len, &sa->resp_frags);
		return 0;
	}
	if (sa->peer_next_id > 0 && id == sa->peer_next_id - 1 && sa->resp_len > 0) {
		/* Only a genuine retransmission is answered; of a fragmented
		 * one only fragment 1 (R7383-2.6.1.a). */
		if (m->chain.encrypted && m->chain.sk_type == IKE_PL_SKF) {
			if (!sa->peer_frag || frag_verify(sa->cx, sa->rx, len, m) != 0)
				return isa_drop(sa, IKESA_DROP_SK, M6E_AUTH);
			if (m->chain.frag_number != 1)
				return 0;
		} else {
			struct ike_chain c;
			int rc = open_sk(sa, m, len, &c, now_ms);
			if (rc != 0)
				return rc;
		}
		sa->st.cache_answers++;
		isa_send_bytes(sa, sa->resp, sa->resp_len, &sa->resp_frags);
		return 0;
	}
	if (id != sa->peer_next_id) /* R7296-2.3.a */
		return isa_drop(sa, IKESA_DROP_MSG_ID, M6E_PROTO);
	bool expect_auth = !sa->initiator && sa->state == IKESA_INIT_DONE;
	bool expect_info = sa->state == IKESA_ESTABLISHED || sa->state == IKESA_DELETING;
	bool known = m->hdr.exchange == IKE_EXCH_AUTH || m->hdr.exchange == IKE_EXCH_INFORMATIONAL ||
		     m->hdr.exchange == IKE_EXCH_CREATE_CHILD_SA;
	if (!known || (m->hdr.exchange == IKE_EXCH_AUTH && !expect_auth) ||
	    (m->hdr.exchange != IKE_EXCH_AUTH && !expect_info))
		return isa_drop(sa, IKESA_DROP_EXCHANGE, M6E_PROTO);
	struct ike_chain c;
	int rc = open_sk(sa, m, len, &c, now_ms);
	if (rc != 0)
		return rc == M6E_AGAIN ? 0 : rc;
	if (m->hdr.exchange == IKE_EXCH_AUTH)
		return isa_on_auth_request(sa, id, &c, now_ms);
	sa->last_heard = now_ms;
	if (m->hdr.exchange == IKE_EXCH_CREATE_CHILD_SA)
		return isa_on_create_request(sa, id, &c);
	return isa_on_info_request(sa, id, &c);
}

int ikesa_input(struct ikesa *sa, const uint8_t *msg, size_t len, const struct ikesa_path *path, uint64_t now_ms)
{
	struct ike_msg m;
	(void)path; /* MOBIKE will look at it; today the SA keeps its path */
	sa->now_ms = now_ms;
	if (sa->state == IKESA_CLOSED || sa->state == IKESA_IDLE)
		return isa_drop(sa, IKESA_DROP_STATE, M6E_PROTO);
	if (isa_buffers_work(sa) != 0)
		return M6E_NOMEM;
	if (len > sa->buf_cap)
		return isa_drop(sa, IKESA_DROP_TOO_BIG, M6E_RANGE);
	/* Decryption works in place: keep the caller's bytes intact. */
	memcpy(sa->rx, msg, len);
	if (ike_parse_msg(sa->rx, len, &m, NULL) != 0)
		return isa_drop(sa, IKESA_DROP_PARSE, M6E_INVAL);
	if (!spis_match(sa, &m.hdr))
		return isa_drop(sa, IKESA_DROP_SPI, M6E_NOTFOUND);
	/* R7296-3.1.a: I is set exactly in what the original initiator sends. */
	if (!!(m.hdr.flags & IKE_FLAG_I) == sa->initiator)
		return isa_drop(sa, IKESA_DROP_FLAGS, M6E_PROTO);
	int rc = (m.hdr.flags & IKE_FLAG_R) ? input_response(sa, msg, len, &m, now_ms)
					     : input_request(sa, &m, len, now_ms);
	frag_rx_done(&sa->frx); /* a reassembled message was processed: free its buffers */
	isa_kick(sa, now_ms); /* queued work may go now that the window is free */
	buffers_idle(sa);
	return rc;
}

/* ---- timers ---- */

/* When the SA has something of its own to start (a queued Delete, a rekey,
 * an expiry); only while no request of ours is outstanding. */
static uint64_t work_due(const struct ikesa *sa)
{
	if (sa->state != IKESA_ESTABLISHED || sa->req_pending || sa->rekeyed_to != NULL)
		return IKESA_NEVER;
	uint64_t t = sa->ike_expire_at;
	if (sa->ops->ike_rekeyed != NULL && sa->ike_rekey_at < t)
		t = sa->ike_rekey_at;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++) {
		const struct child_sa *c = &sa->children.c[i];
		if (c->state == CHILD_DELETE_WANTED)
			return 0;
		if (c->state == CHILD_INSTALLED && c->rekey_at < t)
			t = c->rekey_at;
		if (c->state != CHILD_FREE && c->state != CHILD_DELETING && c->expire_at < t)
			t = c->expire_at;
	}
	return t;
}

/* Start what is due, one request at a time (window of 1). Deletes first,
 * then the IKE SA's own rekey (R7296-1.3.2.a: no CHILD_SA work on an SA
 * about to be rekeyed), then the children's rekeys. */
void isa_kick(struct ikesa *sa, uint64_t now_ms)
{
	if (work_due(sa) > now_ms)
		return;
	sa->now_ms = now_ms;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++) {
		struct child_sa *c = &sa->children.c[i];
		if (c->state != CHILD_FREE && c->state != CHILD_DELETING && c->state != CHILD_DELETE_WANTED &&
		    c->expire_at <= now_ms) { /* R7296-2.8.a: an expired SA is not used */
			sa->st.child_expired++;
			child_set_state(c, CHILD_DELETE_WANTED);
		}
	}
	if (isa_send_child_deletes(sa, now_ms) != 0 || sa->req_pending)
		return;
	if (sa->ike_expire_at <= now_ms) {
		isa_info_request(sa, true, now_ms);
		return;
	}
	if (sa->ops->ike_rekeyed != NULL && sa->ike_rekey_at <= now_ms) {
		if (ikesa_rekey_ike(sa, now_ms) != 0)
			sa->ike_rekey_at = IKESA_NEVER; /* the hard lifetime ends it */
		return;
	}
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++) {
		struct child_sa *c = &sa->children.c[i];
		if (c->state == CHILD_INSTALLED && c->rekey_at <= now_ms) {
			if (isa_rekey_child_start(sa, c, now_ms) != 0)
				c->rekey_at = IKESA_NEVER;
			return;
		}
	}
}

uint64_t ikesa_next_timeout(const struct ikesa *sa)
{
	if (sa->state == IKESA_CLOSED)
		return IKESA_NEVER;
	uint64_t t = sa->req_pending ? sa->retx_at : work_due(sa);
	uint64_t f = frag_rx_deadline(&sa->frx);
	t = f < t ? f : t;
	return sa->half_open_at < t ? sa->half_open_at : t;
}

void ikesa_tick(struct ikesa *sa, uint64_t now_ms)
{
	if (sa->state == IKESA_CLOSED)
		return;
	sa->now_ms = now_ms;
	if (sa->half_open_at <= now_ms) {
		isa_go_down(sa, IKESA_DOWN_TIMEOUT);
		return;
	}
	frag_rx_expire(&sa->frx, now_ms); /* R7383-2.6.b */
	if (!sa->req_pending) {
		if (work_due(sa) <= now_ms && isa_buffers_work(sa) == 0) {
			isa_kick(sa, now_ms);
			buffers_idle(sa);
		}
		return;
	}
	if (sa->retx_at > now_ms)
		return;
	if (sa->retx_sent >= IKESA_RETX_TRIES) { /* R7296-2.4.b: give up, the peer is gone */
		enum ikesa_down why = sa->state == IKESA_DELETING ? IKESA_DOWN_LOCAL_DELETE : IKESA_DOWN_TIMEOUT;
		isa_go_down(sa, sa->rekeyed_to != NULL ? IKESA_DOWN_REKEYED : why);
		return;
	}
	sa->retx_sent++;
	sa->retx_delay_ms = sa->retx_delay_ms * 2 > IKESA_RETX_MAX_MS ? IKESA_RETX_MAX_MS : sa->retx_delay_ms * 2;
	sa->retx_at = retx_due(sa, now_ms);
	sa->st.retransmits++;
	isa_send_bytes(sa, sa->req, sa->req_len, &sa->req_frags); /* every fragment again */
}

/* ---- accessors ---- */

int ikesa_debug_sk_dump(const struct ikesa *sa, struct ikesa_sk_dump *out)
{
	memset(out, 0, sizeof(*out));
	out->spi_i = isa_be64(sa->spi_i);
	out->spi_r = isa_be64(sa->spi_r);
	out->suite = sa->suite;
	return ikesa_cx_debug_sk(sa->cx, out->sk_ei, out->sk_er, &out->encr_len, out->sk_ai, out->sk_ar,
				 &out->integ_len);
}

enum ikesa_state ikesa_state(const struct ikesa *sa) { return sa->state; }
const struct ikesa_stats *ikesa_stats(const struct ikesa *sa) { return &sa->st; }
bool ikesa_is_initiator(const struct ikesa *sa) { return sa->initiator; }
uint64_t ikesa_spi_i(const struct ikesa *sa) { return isa_be64(sa->spi_i); }
uint64_t ikesa_spi_r(const struct ikesa *sa) { return isa_be64(sa->spi_r); }
const struct ikesa_id *ikesa_peer_id(const struct ikesa *sa) { return &sa->peer_id; }
const struct ikesa_prop *ikesa_suite(const struct ikesa *sa) { return &sa->suite; }
bool ikesa_nat_local(const struct ikesa *sa) { return sa->nat_local; }
bool ikesa_nat_remote(const struct ikesa *sa) { return sa->nat_remote; }
bool ikesa_peer_fragmentation(const struct ikesa *sa) { return sa->peer_frag; }
uint64_t ikesa_last_heard(const struct ikesa *sa) { return sa->last_heard; }

size_t ikesa_children(const struct ikesa *sa, struct ikesa_child_info *out, size_t cap)
{
	size_t n = 0;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++) {
		const struct child_sa *c = &sa->children.c[i];
		if (c->state == CHILD_FREE)
			continue;
		if (n < cap)
			out[n] = (struct ikesa_child_info){ c->spi_in, c->spi_out, child_state_name(c->state), c->transport,
							    c->created_ms, c->rekey_at, c->expire_at };
		n++;
	}
	return n;
}
const struct frag_stats *ikesa_frag_stats(const struct ikesa *sa) { return &sa->frx.st; }
uint8_t ikesa_our_auth_method(const struct ikesa *sa) { return sa->our_auth_method; }
uint8_t ikesa_peer_auth_method(const struct ikesa *sa) { return sa->peer_auth_method; }
unsigned ikesa_peer_auth_fail(const struct ikesa *sa) { return sa->auth_fail; }
size_t ikesa_heap_bytes(const struct ikesa *sa)
{
	size_t bufs = sa->buf_cap != 0 ? 4 * sa->buf_cap : sa->resp_len;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		bufs += ((size_t)sa->children.c[i].n_tsi + sa->children.c[i].n_tsr) * sizeof(struct ike_ts);
	if (sa->ni != NULL)
		bufs += 2 * IKE_NONCE_MAX;
	return sizeof(*sa) + bufs + sa->init_req_len + sa->init_resp_len + frag_rx_bytes(&sa->frx);
}
