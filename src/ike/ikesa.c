/*
 * One IKEv2 SA: IKE_SA_INIT, IKE_AUTH (PSK) with the first CHILD_SA,
 * retransmission, the response cache, INFORMATIONAL. States, timers and
 * rules: ikesa.h. Crypto goes through ikesa_crypto.h.
 */
#include "ike/ikesa.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/wbuf.h"
#include "crypto/crypto.h"
#include "crypto/xform.h"
#include "ike/child.h"
#include "ike/ikeauth.h"
#include "ike/ikesa_crypto.h"

/* What our outstanding request is, for its response. */
enum req_kind {
	REQ_OTHER = 0,     /* IKE_SA_INIT, IKE_AUTH, liveness */
	REQ_DELETE_IKE,
	REQ_DELETE_CHILD,  /* every child in CHILD_DELETING */
	REQ_CREATE,        /* CREATE_CHILD_SA: struct pending_create */
};

enum create_kind { CREATE_NEW_CHILD, CREATE_REKEY_CHILD, CREATE_REKEY_IKE };

/* Our outstanding CREATE_CHILD_SA (R7296-1.3): what to do with its answer. */
struct pending_create {
	enum create_kind kind;
	uint32_t old_spi_in;           /* REKEY_CHILD: the pair being replaced */
	uint32_t new_spi_in;           /* child: our SPI of the new pair */
	uint8_t new_spi_ike[IKE_SPI_LEN]; /* REKEY_IKE: our SPI of the new IKE SA */
	/* Child kinds: TSi, TSr we ask for; on the heap while the exchange
	 * runs (2 x 612 bytes an idle SA does not need), see pc_begin. */
	struct ike_ts_list *ts;
	bool transport;
	uint16_t dh;                   /* group of our KE, 0: none */
	struct ikesa_dh *kex;
	uint8_t ni[IKESA_NONCE_LEN];
	unsigned ke_retries;
	struct child_collision coll;   /* REKEY_CHILD: the peer rekeyed the same pair meanwhile */
};

/* A peer's IKE SA rekey answered while ours was outstanding (R7296-2.8.2.a). */
struct ike_collision {
	struct ikesa *new_sa;          /* what the peer's exchange created (the adapter has it) */
	uint8_t peer_ni[IKE_NONCE_MAX], our_nr[IKESA_NONCE_LEN];
	size_t peer_ni_len;
};

struct ikesa {
	struct ikesa_params p;
	const struct ikesa_ops *ops;
	void *arg;
	struct ikesa_path path;
	enum ikesa_state state;
	bool initiator;
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	/* IKE_NONCE_MAX each, one heap block: SKEYSEED, AUTH and the first
	 * CHILD_SA's KEYMAT read them; released once established (rekeys
	 * bring fresh nonces, R7296-2.17/2.18). */
	uint8_t *ni, *nr;
	size_t ni_len, nr_len;
	uint16_t dh_group;             /* of our KE */
	struct ikesa_prop suite;       /* negotiated IKE suite */
	struct ikesa_cx *cx;
	uint8_t cookie[IKE_COOKIE_MAX];
	size_t cookie_len;
	unsigned init_retries;
	/* Both IKE_SA_INIT messages: the AUTH payloads sign them (R7296-2.15);
	 * heap copies at their size, freed once established (nothing after
	 * IKE_AUTH reads them: no EAP). */
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	/* Our outstanding request (window of 1); fragments back to back
	 * when req_frags.n > 0. */
	uint8_t *req;
	size_t req_len;
	struct frag_set req_frags;
	uint32_t req_id, next_req_id;
	uint8_t req_exch;
	bool req_pending;
	enum req_kind req_kind;
	unsigned retx_sent;
	uint32_t retx_delay_ms;
	uint64_t retx_at, half_open_at;
	/* Response cache for the peer's last request (R7296-2.1.a). */
	uint8_t *resp;
	size_t resp_len;
	struct frag_set resp_frags;
	uint32_t peer_next_id;
	/* Scratch: received message (decrypted in place), inner chain built. */
	uint8_t *rx, *plain;
	/* Of req, resp, rx, plain (one allocation); 0 while idle: then only
	 * resp is held, at resp_len octets (buffers_idle). */
	size_t buf_cap;
	struct frag_rx frx;            /* RFC 7383 reassembly */
	/* Signature AUTH (ikeauth.h): the peer's SIGNATURE_HASH_ALGORITHMS,
	 * and whether both sides sent one (R7427-3.a). */
	unsigned peer_hashes;
	bool hashes_ok;
	uint8_t our_auth_method, peer_auth_method;
	enum ikeauth_fail auth_fail;
	uint32_t child_spi_in;         /* our SPI of the child IKE_AUTH negotiates */
	struct child_table children;
	struct pending_create pc;
	/* IKE SA rekey: the SA that replaced this one (children moved there),
	 * a collision being resolved, the lifetime timers. */
	struct ikesa *rekeyed_to;
	bool ike_coll_seen;
	struct ike_collision ike_coll;
	uint64_t ike_rekey_at, ike_expire_at;
	uint64_t now_ms;               /* of the engine call running */
	struct ikesa_id peer_id;
	bool nat_local, nat_remote, peer_frag;
	uint64_t last_heard;
	struct ikesa_stats st;
};

struct ikesa_gate {
	const struct ikesa_ops *ops;
	void *arg;
	struct ikesa_cx_cookie *cookies;
	struct ikesa_gate_stats st;
};

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

static uint64_t be64(const uint8_t b[IKE_SPI_LEN])
{
	uint64_t v = 0;
	for (unsigned i = 0; i < IKE_SPI_LEN; i++)
		v = v << 8 | b[i];
	return v;
}

static void put_be64(uint8_t b[IKE_SPI_LEN], uint64_t v)
{
	for (unsigned i = IKE_SPI_LEN; i-- > 0; v >>= 8)
		b[i] = (uint8_t)v;
}

static bool spi_zero(const uint8_t b[IKE_SPI_LEN])
{
	return be64(b) == 0;
}

static int drop(struct ikesa *sa, enum ikesa_drop why, int rc)
{
	sa->st.drop[why]++;
	LOG_RL(LOG_LVL_DEBUG, LOG_SUB_IKE, "IKE SA %016llx: dropped: %s", (unsigned long long)be64(sa->spi_i),
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

static void ikesa_set_state(struct ikesa *sa, enum ikesa_state next)
{
	if (sa->state == next || sa->state == IKESA_CLOSED)
		return;
	if (next != IKESA_CLOSED && !(legal_next[sa->state] & (1u << next))) {
		LOG_ERR(LOG_SUB_IKE, "IKE SA %016llx: refused move %s -> %s", (unsigned long long)be64(sa->spi_i),
			ikesa_state_name(sa->state), ikesa_state_name(next));
		return;
	}
	LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx/%016llx: %s -> %s", (unsigned long long)be64(sa->spi_i),
		 (unsigned long long)be64(sa->spi_r), ikesa_state_name(sa->state), ikesa_state_name(next));
	sa->state = next;
	if (next == IKESA_ESTABLISHED) { /* R7296-2.8: each end enforces its own lifetime */
		uint8_t r[2];
		sa->ops->random(sa->arg, r, sizeof(r));
		child_timers(sa->now_ms, sa->p.ike_lifetime_ms, sa->p.rekey_margin_ms, (uint16_t)(r[0] << 8 | r[1]),
			     &sa->ike_rekey_at, &sa->ike_expire_at);
	}
}

static int buffers_work(struct ikesa *sa);

static void nonces_release(struct ikesa *sa)
{
	if (sa->ni == NULL)
		return;
	crypto_wipe(sa->ni, 2 * IKE_NONCE_MAX);
	free(sa->ni);
	sa->ni = sa->nr = NULL;
	sa->ni_len = sa->nr_len = 0;
}

static void pc_release_ts(struct pending_create *pc)
{
	free(pc->ts);
	pc->ts = NULL;
}

static void go_down(struct ikesa *sa, enum ikesa_down why)
{
	if (sa->state == IKESA_CLOSED)
		return;
	ikesa_set_state(sa, IKESA_CLOSED);
	sa->req_pending = false;
	if (sa->ops->ike_down != NULL)
		sa->ops->ike_down(sa->arg, sa, why);
}

/* *dst becomes a heap copy of src[0..len); the old one is wiped (it feeds
 * AUTH like a key). */
static int keep_copy(uint8_t **dst, size_t *dst_len, const uint8_t *src, size_t len)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		return M6E_NOMEM;
	memcpy(copy, src, len);
	if (*dst != NULL)
		crypto_wipe(*dst, *dst_len);
	free(*dst);
	*dst = copy;
	*dst_len = len;
	return 0;
}

static void drop_copy(uint8_t **p, size_t *len)
{
	if (*p != NULL)
		crypto_wipe(*p, *len);
	free(*p);
	*p = NULL;
	*len = 0;
}

static struct ike_hdr our_hdr(const struct ikesa *sa, uint8_t exch, bool response, uint32_t msg_id)
{
	struct ike_hdr h = {
		.spi_i = be64(sa->spi_i),
		.spi_r = be64(sa->spi_r),
		.version = IKE_VERSION,
		.exchange = exch,
		/* R7296-3.1.a: I marks the original initiator, R a response. */
		.flags = (uint8_t)((sa->initiator ? IKE_FLAG_I : 0) | (response ? IKE_FLAG_R : 0)),
		.msg_id = msg_id,
	};
	return h;
}

static void id_body(const struct ikesa_id *id, uint8_t *out, size_t *len)
{
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	*len = 4u + id->len;
}

static int id_from_wire(const struct ike_id *w, struct ikesa_id *id)
{
	if (w->data.len > IKESA_ID_MAX || w->data.len == 0)
		return M6E_RANGE;
	memset(id, 0, sizeof(*id));
	id->type = w->type;
	id->len = (uint8_t)w->data.len;
	memcpy(id->data, w->data.ptr, w->data.len);
	return 0;
}

/* ---- proposals (R7296-2.7, R7296-3.3); the ESP side is in child.c ---- */

static bool ike_prop_fits(const struct ike_proposal *pp, const struct ikesa_prop *o)
{
	return pp->proto == IKE_PROTO_IKE && child_known_types_only(pp) &&
	       ikesa_cx_supported(XFORM_ENCR, o->encr, o->key_bits) && ikesa_cx_supported(XFORM_PRF, o->prf, 0) &&
	       ikesa_cx_supported(XFORM_DH, o->dh, 0) &&
	       (o->integ == XFORM_INTEG_NONE || ikesa_cx_supported(XFORM_INTEG, o->integ, 0)) &&
	       child_xf_has(pp, XFORM_ENCR, o->encr, o->key_bits) && child_xf_has(pp, XFORM_PRF, o->prf, 0) &&
	       child_integ_ok(pp, o->integ) && child_xf_has(pp, XFORM_DH, o->dh, 0);
}

static uint32_t spi32(const struct ike_proposal *pp)
{
	return child_spi32(pp);
}

static void fill_ike_prop(struct ike_proposal *pp, uint8_t num, const struct ikesa_prop *o)
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

/* IKE_AUTH children carry no DH (R7296-1.2). */
static void fill_esp_prop(struct ike_proposal *pp, uint8_t num, const struct ikesa_prop *o, uint32_t spi)
{
	child_fill_esp(pp, num, o, 0, spi);
}

/* Responder: first peer proposal (the initiator's order, R7296-2.7) that one
 * of ours fits; for IKE prefer our suite with the group of the KE sent.
 * Returns the index into ours and the peer's proposal number, or -1. */
static int select_prop(const struct ike_sa *peer, const struct ikesa_prop *ours, size_t n_ours, bool esp,
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
static int check_chosen(const struct ike_sa *resp, const struct ikesa_prop *ours, size_t n_ours, bool esp)
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

/* ---- traffic selectors (R7296-2.9): child.c ---- */

static bool ts_subset(const struct ike_ts_list *narrowed, const struct ike_ts_list *proposed)
{
	return child_ts_subset(narrowed, proposed);
}

/* ---- sending ---- */

/* One datagram, or every fragment of a fragmented message. */
static int send_bytes(struct ikesa *sa, const uint8_t *msg, size_t len, const struct frag_set *frags)
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
	struct ike_hdr h = our_hdr(sa, exch, response, msg_id);
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

static void arm_retx(struct ikesa *sa, uint64_t now_ms)
{
	sa->retx_sent = 1;
	sa->retx_delay_ms = IKESA_RETX_INITIAL_MS;
	sa->retx_at = retx_due(sa, now_ms);
}

/* A new encrypted request from sa->plain; window of 1 (R7296-2.3.a). */
static int send_request(struct ikesa *sa, uint8_t exch, uint8_t first, size_t plain_len, uint64_t now_ms)
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
	arm_retx(sa, now_ms);
	send_bytes(sa, sa->req, sa->req_len, &sa->req_frags);
	return 0;
}

/* Answer the peer's request msg_id and keep the bytes for its
 * retransmissions (R7296-2.1.a). */
static int send_response(struct ikesa *sa, uint8_t exch, uint32_t msg_id, uint8_t first, size_t plain_len)
{
	int rc = seal_msg(sa, exch, true, msg_id, first, plain_len, sa->resp, &sa->resp_len, &sa->resp_frags);
	if (rc != 0) {
		sa->resp_len = 0;
		return rc;
	}
	sa->peer_next_id = msg_id + 1;
	send_bytes(sa, sa->resp, sa->resp_len, &sa->resp_frags);
	return 0;
}

static void inner_begin(struct ikesa *sa, struct ike_builder *b, struct wbuf *w)
{
	wbuf_init(w, sa->plain, sa->buf_cap);
	ike_build_inner_begin(b, w);
}

/* ---- IKE_SA_INIT ---- */

static void natd_build(struct ikesa *sa, struct ike_builder *b)
{
	uint8_t h[IKE_NATD_LEN];
	/* R7296-2.23.a: SOURCE is about our address and port, DESTINATION the peer's. */
	if (ikesa_cx_natd(sa->spi_i, sa->spi_r, sa->path.local.s6_addr, sa->path.local_port, h) == 0)
		ike_build_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	if (ikesa_cx_natd(sa->spi_i, sa->spi_r, sa->path.remote.s6_addr, sa->path.remote_port, h) == 0)
		ike_build_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

/* NAT detection from the peer's notifies; spi_r as the peer hashed it. */
static void natd_check(struct ikesa *sa, const struct ike_chain *c, const uint8_t spi_r[IKE_SPI_LEN])
{
	uint8_t mine[IKE_NATD_LEN], theirs[IKE_NATD_LEN];
	bool have_src = false, src_match = false;
	if (ikesa_cx_natd(sa->spi_i, spi_r, sa->path.local.s6_addr, sa->path.local_port, mine) != 0 ||
	    ikesa_cx_natd(sa->spi_i, spi_r, sa->path.remote.s6_addr, sa->path.remote_port, theirs) != 0)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		struct ike_notify n;
		if (c->pl[i].type != IKE_PL_NOTIFY || ike_parse_notify(&c->pl[i], &n, NULL) != 0 ||
		    n.data.len != IKE_NATD_LEN)
			continue;
		if (n.type == IKE_N_NAT_DETECTION_SOURCE_IP) {
			have_src = true; /* R7296-2.23.b: any of several may match */
			src_match |= memcmp(n.data.ptr, theirs, IKE_NATD_LEN) == 0;
		} else if (n.type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
			sa->nat_local = memcmp(n.data.ptr, mine, IKE_NATD_LEN) != 0;
		}
	}
	sa->nat_remote = have_src && !src_match;
	struct ike_notify n;
	sa->peer_frag = !sa->p.frag_off && ike_chain_find_notify(c, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, &n) == 0;
	bool peer_sent = false;
	sa->peer_hashes = ikeauth_peer_hashes(c, &peer_sent);
	sa->hashes_ok = peer_sent && sa->p.cred != NULL; /* we send ours with a cred */
}

/* What IKE_SA_INIT says about certificates when we have some (R7427-3.a;
 * the responder's CERTREQ, R7296-1.2.a). */
static void init_cert_payloads(const struct ikesa *sa, struct ike_builder *b)
{
	if (sa->p.cred == NULL)
		return;
	uint8_t h[IKEAUTH_HASH_NOTIFY_LEN];
	ikeauth_hash_notify(h);
	ike_build_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, h, sizeof(h));
	if (!sa->initiator)
		ikeauth_build_certreq(sa->p.cred, b);
}

static int ke_start(struct ikesa *sa, uint16_t group, uint8_t *pub, size_t *pub_len)
{
	sa->dh_group = group;
	return ikesa_cx_dh_start(sa->cx, group, pub, IKESA_MSG_MAX / 2, pub_len);
}

/* Initiator: (re)build and send the IKE_SA_INIT request (message ID 0). */
static int init_request(struct ikesa *sa, uint64_t now_ms)
{
	uint8_t pub[IKESA_MSG_MAX / 2];
	size_t pub_len = 0;
	int rc = ke_start(sa, sa->dh_group, pub, &pub_len);
	if (rc != 0)
		return rc;
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	for (size_t i = 0; i < sa->p.n_ike; i++)
		fill_ike_prop(&sa_pl.prop[i], (uint8_t)(i + 1), &sa->p.ike[i]);
	sa_pl.n_prop = (uint8_t)sa->p.n_ike;

	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h = our_hdr(sa, IKE_EXCH_SA_INIT, false, 0);
	wbuf_init(&w, sa->req, IKESA_MSG_MAX);
	ike_build_begin(&b, &w, &h);
	if (sa->cookie_len > 0) /* R7296-2.6.b: the cookie comes first */
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_COOKIE, sa->cookie, sa->cookie_len);
	ike_build_sa(&b, &sa_pl);
	ike_build_ke(&b, sa->dh_group, pub, pub_len);
	ike_build_nonce(&b, sa->ni, sa->ni_len);
	natd_build(sa, &b);
	if (!sa->p.frag_off) /* R7383-2.3.a */
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	init_cert_payloads(sa, &b);
	rc = ike_build_end(&b, &sa->req_len);
	if (rc != 0)
		return rc;
	sa->req_frags.n = 0;
	rc = keep_copy(&sa->init_req, &sa->init_req_len, sa->req, sa->req_len);
	if (rc != 0)
		return rc;
	sa->req_id = 0;
	sa->next_req_id = 1;
	sa->req_exch = IKE_EXCH_SA_INIT;
	sa->req_pending = true;
	arm_retx(sa, now_ms);
	send_bytes(sa, sa->req, sa->req_len, &sa->req_frags);
	return 0;
}

static void random_bytes(const struct ikesa_ops *ops, void *arg, void *buf, size_t len)
{
	ops->random(arg, buf, len);
}

static void new_spi64(const struct ikesa_ops *ops, void *arg, uint8_t spi[IKE_SPI_LEN])
{
	do /* R7296-2.6.a: never zero */
		random_bytes(ops, arg, spi, IKE_SPI_LEN);
	while (spi_zero(spi));
}

static uint32_t new_child_spi(struct ikesa *sa)
{
	uint8_t b[4];
	uint32_t v;
	do { /* R4303-2.1.a: 1..255 are reserved */
		random_bytes(sa->ops, sa->arg, b, sizeof(b));
		v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	} while (v < 256 || child_spi_taken(&sa->children, v) ||
		 (sa->ops->spi_taken != NULL && sa->ops->spi_taken(sa->arg, v)));
	return v;
}

static struct ikesa *sa_alloc(const struct ikesa_params *p, const struct ikesa_ops *ops, void *arg,
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
	struct ikesa *sa = sa_alloc(p, ops, arg, path, true);
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
	pc_release_ts(&sa->pc);
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

int ikesa_start(struct ikesa *sa, uint64_t now_ms)
{
	if (sa->state != IKESA_IDLE)
		return M6E_PROTO;
	new_spi64(sa->ops, sa->arg, sa->spi_i);
	sa->ni_len = IKESA_NONCE_LEN;
	random_bytes(sa->ops, sa->arg, sa->ni, sa->ni_len);
	sa->dh_group = sa->p.ike[0].dh;
	int rc = init_request(sa, now_ms);
	if (rc != 0)
		return rc;
	ikesa_set_state(sa, IKESA_INIT_SENT);
	return 0;
}

/* ---- the responder's stateless front ---- */

int ikesa_gate_new(struct ikesa_gate **out, const struct ikesa_ops *ops, void *arg)
{
	uint8_t secret[IKESA_CX_COOKIE_SECRET];
	struct ikesa_gate *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return M6E_NOMEM;
	g->ops = ops;
	g->arg = arg;
	random_bytes(ops, arg, secret, sizeof(secret));
	int rc = ikesa_cx_cookie_new(&g->cookies, secret);
	memset(secret, 0, sizeof(secret));
	if (rc != 0) {
		free(g);
		return rc;
	}
	*out = g;
	return 0;
}

void ikesa_gate_free(struct ikesa_gate *g)
{
	if (g == NULL)
		return;
	ikesa_cx_cookie_free(g->cookies);
	free(g);
}

void ikesa_gate_rotate(struct ikesa_gate *g)
{
	uint8_t secret[IKESA_CX_COOKIE_SECRET];
	random_bytes(g->ops, g->arg, secret, sizeof(secret));
	ikesa_cx_cookie_rotate(g->cookies, secret);
	memset(secret, 0, sizeof(secret));
}

const struct ikesa_gate_stats *ikesa_gate_stats(const struct ikesa_gate *g)
{
	return &g->st;
}

/* An unprotected IKE_SA_INIT answer with one notify; no state (R7296-1.2). */
static void gate_notify(struct ikesa_gate *g, const struct ike_hdr *req, const struct ikesa_path *path,
			uint16_t type, const void *data, size_t len)
{
	uint8_t buf[IKE_HDR_LEN + IKE_PL_HDR_LEN + 8 + IKE_COOKIE_MAX];
	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h = {
		.spi_i = req->spi_i,
		.version = IKE_VERSION,
		.exchange = IKE_EXCH_SA_INIT,
		.flags = IKE_FLAG_R,
	};
	size_t out_len = 0;
	wbuf_init(&w, buf, sizeof(buf));
	ike_build_begin(&b, &w, &h);
	ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, type, data, len);
	if (ike_build_end(&b, &out_len) == 0)
		g->ops->send(g->arg, buf, out_len, path);
}

static int gate_drop(struct ikesa_gate *g, enum ikesa_drop why)
{
	g->st.drop[why]++;
	return M6E_INVAL;
}

/* The request's payloads an IKE_SA_INIT needs, parsed. */
struct init_payloads {
	struct ike_sa sa;
	struct ike_ke ke;
	struct ike_span nonce;
};

static int init_payloads(const struct ike_chain *c, struct init_payloads *ip)
{
	int i_sa = ike_chain_find(c, IKE_PL_SA, 0), i_ke = ike_chain_find(c, IKE_PL_KE, 0);
	int i_n = ike_chain_find(c, IKE_PL_NONCE, 0);
	if (i_sa < 0 || i_ke < 0 || i_n < 0)
		return M6E_NOTFOUND;
	if (ike_parse_sa(&c->pl[i_sa], &ip->sa, NULL) != 0 || ike_parse_ke(&c->pl[i_ke], &ip->ke, NULL) != 0 ||
	    ike_parse_nonce(&c->pl[i_n], &ip->nonce, NULL) != 0)
		return M6E_INVAL;
	return 0;
}

/* Responder: build and send the IKE_SA_INIT response; keys derived. */
static int init_respond(struct ikesa *sa, const struct init_payloads *ip, uint8_t prop_num,
			const struct ike_chain *c)
{
	uint8_t pub[IKESA_MSG_MAX / 2];
	size_t pub_len = 0;
	int why = 0;
	int rc = ke_start(sa, sa->suite.dh, pub, &pub_len);
	if (rc != 0)
		return rc;
	natd_check(sa, c, sa->spi_r); /* the request hashed SPIr 0: spi_r is still zero here */
	new_spi64(sa->ops, sa->arg, sa->spi_r);
	sa->nr_len = IKESA_NONCE_LEN;
	random_bytes(sa->ops, sa->arg, sa->nr, sa->nr_len);
	rc = ikesa_cx_derive(sa->cx, sa->suite.encr, sa->suite.key_bits, sa->suite.integ, sa->suite.prf,
			     ip->ke.data.ptr, ip->ke.data.len, sa->ni, sa->ni_len, sa->nr, sa->nr_len, sa->spi_i,
			     sa->spi_r, false, &why);
	if (rc != 0)
		return rc;
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	fill_ike_prop(&sa_pl.prop[0], prop_num, &sa->suite);
	sa_pl.n_prop = 1;

	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h = our_hdr(sa, IKE_EXCH_SA_INIT, true, 0);
	wbuf_init(&w, sa->resp, IKESA_MSG_MAX);
	ike_build_begin(&b, &w, &h);
	ike_build_sa(&b, &sa_pl);
	ike_build_ke(&b, sa->suite.dh, pub, pub_len);
	ike_build_nonce(&b, sa->nr, sa->nr_len);
	natd_build(sa, &b);
	if (!sa->p.frag_off) /* R7383-2.3.a */
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	init_cert_payloads(sa, &b);
	rc = ike_build_end(&b, &sa->resp_len);
	if (rc != 0)
		return rc;
	rc = keep_copy(&sa->init_resp, &sa->init_resp_len, sa->resp, sa->resp_len);
	if (rc != 0)
		return rc;
	sa->resp_frags.n = 0;
	sa->peer_next_id = 1;
	send_bytes(sa, sa->resp, sa->resp_len, &sa->resp_frags);
	return 0;
}

int ikesa_accept(struct ikesa_gate *g, const struct ikesa_params *p, const struct ikesa_ops *ops, void *arg,
		 uint32_t half_open, const uint8_t *msg, size_t len, const struct ikesa_path *path, uint64_t now_ms,
		 struct ikesa **out)
{
	struct ike_msg m;
	struct init_payloads ip;
	if (len > IKESA_MSG_MAX)
		return gate_drop(g, IKESA_DROP_TOO_BIG);
	if (ike_parse_msg(msg, len, &m, NULL) != 0 || m.chain.encrypted || ike_chain_validate(&m.chain, NULL) != 0)
		return gate_drop(g, IKESA_DROP_PARSE);
	if (m.hdr.exchange != IKE_EXCH_SA_INIT || m.hdr.msg_id != 0 || (m.hdr.flags & IKE_FLAG_R))
		return gate_drop(g, IKESA_DROP_EXCHANGE);
	if (!(m.hdr.flags & IKE_FLAG_I))
		return gate_drop(g, IKESA_DROP_FLAGS);
	if (m.hdr.spi_r != 0)
		return gate_drop(g, IKESA_DROP_SPI);
	if (init_payloads(&m.chain, &ip) != 0)
		return gate_drop(g, IKESA_DROP_MISSING);
	uint8_t spi_i[IKE_SPI_LEN];
	put_be64(spi_i, m.hdr.spi_i);

	/* R7296-2.6.b: under load, no state before the initiator proves it
	 * receives at its address; the cookie must be the first payload. */
	if (half_open >= p->cookie_threshold) {
		struct ike_notify n;
		bool ok = m.chain.n > 0 && m.chain.pl[0].type == IKE_PL_NOTIFY &&
			  ike_parse_notify(&m.chain.pl[0], &n, NULL) == 0 && n.type == IKE_N_COOKIE &&
			  ikesa_cx_cookie_check(g->cookies, ip.nonce.ptr, ip.nonce.len, path->remote.s6_addr, spi_i,
						n.data.ptr, n.data.len);
		if (!ok) {
			uint8_t cookie[IKESA_CX_COOKIE_LEN];
			if (ikesa_cx_cookie_make(g->cookies, ip.nonce.ptr, ip.nonce.len, path->remote.s6_addr, spi_i,
						 cookie) == 0) {
				gate_notify(g, &m.hdr, path, IKE_N_COOKIE, cookie, sizeof(cookie));
				g->st.cookie_sent++;
			}
			g->st.drop[IKESA_DROP_COOKIE]++;
			return M6E_AGAIN;
		}
	}
	uint8_t num = 0;
	int idx = select_prop(&ip.sa, p->ike, p->n_ike, false, ip.ke.group, &num);
	if (idx < 0) { /* R7296-2.7.a */
		gate_notify(g, &m.hdr, path, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		g->st.no_proposal_sent++;
		return M6E_AGAIN;
	}
	if (ip.ke.group != p->ike[idx].dh) { /* R7296-1.2.b: name the group we want */
		uint8_t grp[2] = { (uint8_t)(p->ike[idx].dh >> 8), (uint8_t)p->ike[idx].dh };
		gate_notify(g, &m.hdr, path, IKE_N_INVALID_KE_PAYLOAD, grp, sizeof(grp));
		g->st.invalid_ke_sent++;
		return M6E_AGAIN;
	}
	if (ip.ke.data.len != ikesa_cx_dh_public_len(ip.ke.group))
		return gate_drop(g, IKESA_DROP_KE);

	struct ikesa *sa = sa_alloc(p, ops, arg, path, false);
	if (sa == NULL)
		return M6E_NOMEM;
	memcpy(sa->spi_i, spi_i, IKE_SPI_LEN);
	sa->suite = p->ike[idx];
	sa->ni_len = ip.nonce.len;
	memcpy(sa->ni, ip.nonce.ptr, ip.nonce.len);
	int rc = keep_copy(&sa->init_req, &sa->init_req_len, msg, len);
	if (rc == 0)
		rc = init_respond(sa, &ip, num, &m.chain);
	if (rc != 0) {
		ikesa_free(sa);
		return gate_drop(g, IKESA_DROP_KE);
	}
	ikesa_set_state(sa, IKESA_INIT_DONE);
	sa->half_open_at = now_ms + IKESA_HALF_OPEN_MS;
	g->st.accepted++;
	*out = sa;
	return 0;
}

/* ---- IKE_AUTH ---- */

/* Inner payloads of a verified message. */
struct inner {
	struct ike_chain c;
};

static int find_parse_id(const struct ike_chain *c, uint8_t type, struct ike_id *id)
{
	int i = ike_chain_find(c, type, 0);
	return i < 0 ? M6E_NOTFOUND : ike_parse_id(&c->pl[i], id, NULL);
}

static int find_parse_auth(const struct ike_chain *c, struct ike_auth *a)
{
	int i = ike_chain_find(c, IKE_PL_AUTH, 0);
	return i < 0 ? M6E_NOTFOUND : ike_parse_auth(&c->pl[i], a, NULL);
}

/* The PSK for a peer; an empty one is none (then certificates). */
static const uint8_t *psk_lookup(struct ikesa *sa, const struct ikesa_id *id, size_t *len)
{
	*len = 0;
	const uint8_t *psk = sa->ops->psk_for(sa->arg, id, len);
	return *len > 0 ? psk : NULL;
}

/* Our AUTH payload over our signed octets (R7296-2.15): with the PSK, or
 * without one our certificate's key (ikeauth.h picks the method). */
static int our_auth(struct ikesa *sa, const uint8_t *psk, size_t psk_len, uint8_t *method, uint8_t *out,
		    size_t cap, size_t *out_len)
{
	uint8_t idb[4 + IKESA_ID_MAX];
	size_t idb_len;
	int rc;
	id_body(&sa->p.local_id, idb, &idb_len);
	const uint8_t *msg = sa->initiator ? sa->init_req : sa->init_resp;
	size_t msg_len = sa->initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = sa->initiator ? sa->nr : sa->ni;
	size_t nonce_len = sa->initiator ? sa->nr_len : sa->ni_len;
	if (psk == NULL) {
		struct ike_signed_octets so;
		rc = ikesa_cx_signed_octets(sa->cx, sa->initiator, msg, msg_len, nonce, nonce_len, idb, idb_len, &so);
		if (rc == 0)
			rc = ikeauth_sign(sa->p.cred, sa->hashes_ok, sa->peer_hashes, &so, method, out, cap, out_len);
		crypto_wipe(&so, sizeof(so));
	} else {
		*method = IKE_AUTH_PSK;
		rc = cap < IKESA_CX_AUTH_MAX ? M6E_NOSPACE
					     : ikesa_cx_auth_psk(sa->cx, sa->initiator, psk, psk_len, msg, msg_len,
								 nonce, nonce_len, idb, idb_len, out, out_len);
	}
	sa->our_auth_method = rc == 0 ? *method : 0;
	return rc;
}

/* The peer's certificate, ID and signature AUTH (R7296-1.2.a). */
static int peer_cert_ok(struct ikesa *sa, const struct ike_chain *c, const struct ike_id *id,
			const struct ike_auth *a)
{
	struct ike_signed_octets so;
	char reason[96];
	int rc = sa->initiator ? ikesa_cx_signed_octets(sa->cx, false, sa->init_resp, sa->init_resp_len, sa->ni,
							sa->ni_len, id->rest.ptr, id->rest.len, &so)
			       : ikesa_cx_signed_octets(sa->cx, true, sa->init_req, sa->init_req_len, sa->nr,
							sa->nr_len, id->rest.ptr, id->rest.len, &so);
	if (rc == 0)
		rc = ikeauth_verify_peer(sa->p.cred, c, id, a, &so, &sa->auth_fail, reason, sizeof(reason));
	crypto_wipe(&so, sizeof(so));
	if (rc != 0)
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "IKE SA %016llx: peer certificate AUTH (%s) failed: %s%s%s",
		       (unsigned long long)be64(sa->spi_i), ike_auth_method_name(a->method),
		       ikeauth_fail_name(sa->auth_fail), reason[0] ? ": " : "", reason);
	return rc != 0 ? M6E_AUTH : 0;
}

/* The peer's AUTH: with the PSK we hold for it (constant-time compare
 * inside ike_crypto), or without one by certificate. */
static int peer_auth_ok(struct ikesa *sa, const struct ike_chain *c, const struct ike_id *id,
			const struct ike_auth *a, const uint8_t *psk, size_t psk_len)
{
	sa->peer_auth_method = a->method;
	if (psk == NULL && sa->p.cred != NULL)
		return peer_cert_ok(sa, c, id, a);
	if (a->method != IKE_AUTH_PSK || psk == NULL || psk_len < IKESA_PSK_MIN)
		return M6E_AUTH;
	if (sa->initiator) /* the responder signed its IKE_SA_INIT response and Ni */
		return ikesa_cx_auth_psk_check(sa->cx, false, psk, psk_len, sa->init_resp, sa->init_resp_len, sa->ni,
					       sa->ni_len, id->rest.ptr, id->rest.len, a->data.ptr, a->data.len);
	return ikesa_cx_auth_psk_check(sa->cx, true, psk, psk_len, sa->init_req, sa->init_req_len, sa->nr, sa->nr_len,
				       id->rest.ptr, id->rest.len, a->data.ptr, a->data.len);
}

static uint16_t random_u16(struct ikesa *sa)
{
	uint8_t r[2];
	sa->ops->random(sa->arg, r, sizeof(r));
	return (uint16_t)(r[0] << 8 | r[1]);
}

/* Put a negotiated pair into sa's table and report it (child_up). cx: the
 * keys of the IKE SA the exchange ran on (SK_d, R7296-2.17.a); we_init: we
 * initiated that exchange; gir: its PFS secret or NULL. */
static struct child_sa *child_install(struct ikesa *sa, const struct ikesa_cx *cx, const struct ikesa_prop *esp,
				      uint16_t pfs_group,
				      uint32_t spi_in, uint32_t spi_out, bool transport, const struct ike_ts_list *tsi,
				      const struct ike_ts_list *tsr, bool we_init, const uint8_t *gir, size_t gir_len,
				      const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len, uint32_t rekey_of)
{
	struct ikesa_child ch;
	memset(&ch, 0, sizeof(ch));
	struct child_sa *c = child_slot(&sa->children);
	if (c == NULL || child_keep_ts(c, tsi, tsr) != 0 ||
	    child_keys(&ch, cx, esp, we_init, gir, gir_len, ni, ni_len, nr, nr_len) != 0) {
		LOG_ERR(LOG_SUB_IKE, "IKE SA %016llx: CHILD_SA %08x not installed (%s)",
			(unsigned long long)be64(sa->spi_i), spi_in, c == NULL ? "table full" : "no keys");
		if (c != NULL) {
			free(c->ts);
			c->ts = NULL;
		}
		memset(&ch, 0, sizeof(ch));
		return NULL;
	}
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	c->suite = *esp;
	c->suite.dh = pfs_group;
	c->transport = transport;
	c->we_init = we_init;
	c->created_ms = sa->now_ms;
	child_timers(sa->now_ms, sa->p.child_lifetime_ms, sa->p.rekey_margin_ms, random_u16(sa), &c->rekey_at,
		     &c->expire_at);
	child_set_state(c, CHILD_INSTALLED);
	ch.initiator = we_init;
	ch.transport = transport;
	ch.udp_encap = sa->nat_local || sa->nat_remote;
	ch.spi_in = spi_in;
	ch.spi_out = spi_out;
	ch.tsi = *tsi;
	ch.tsr = *tsr;
	ch.peer_id = sa->peer_id;
	ch.path = sa->path;
	ch.rekey_of = rekey_of;
	ch.pfs_group = pfs_group;
	if (sa->ops->child_up != NULL)
		sa->ops->child_up(sa->arg, &ch);
	memset(&ch, 0, sizeof(ch));
	return c;
}

/* The first CHILD_SA, negotiated inside IKE_AUTH. */
static void child_report(struct ikesa *sa, const struct ikesa_prop *esp, uint32_t spi_peer, bool transport,
			 const struct ike_ts_list *tsi, const struct ike_ts_list *tsr)
{
	child_install(sa, sa->cx, esp, 0, sa->child_spi_in, spi_peer, transport, tsi, tsr, sa->initiator, NULL, 0, sa->ni,
		      sa->ni_len, sa->nr, sa->nr_len, 0);
}

static int parse_ts_pair(const struct ike_chain *c, struct ike_ts_list *tsi, struct ike_ts_list *tsr)
{
	return child_parse_ts_pair(c, tsi, tsr);
}

static bool has_notify(const struct ike_chain *c, uint16_t type)
{
	struct ike_notify n;
	return ike_chain_find_notify(c, type, &n) == 0;
}

/* Initiator: the IKE_AUTH request with the first CHILD_SA (R7296-1.2). */
static int auth_request(struct ikesa *sa, uint64_t now_ms)
{
	size_t psk_len = 0;
	const uint8_t *psk = psk_lookup(sa, &sa->p.remote_id, &psk_len);
	uint8_t auth[IKEAUTH_SIG_MAX];
	size_t auth_len = 0;
	uint8_t method = 0;
	if (psk == NULL && !ikeauth_cred_can_sign(sa->p.cred))
		return M6E_AUTH;
	if (our_auth(sa, psk, psk_len, &method, auth, sizeof(auth), &auth_len) != 0)
		return M6E_AUTH;
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	sa->child_spi_in = new_child_spi(sa);
	for (size_t i = 0; i < sa->p.n_esp; i++)
		fill_esp_prop(&sa_pl.prop[i], (uint8_t)(i + 1), &sa->p.esp[i], sa->child_spi_in);
	sa_pl.n_prop = (uint8_t)sa->p.n_esp;

	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	inner_begin(sa, &b, &w);
	ike_build_id(&b, IKE_PL_IDI, sa->p.local_id.type, sa->p.local_id.data, sa->p.local_id.len);
	if (psk == NULL) /* R7296-1.2.a: IDi, [CERT+], [CERTREQ], [IDr], AUTH */
		ikeauth_build_certs(sa->p.cred, &b);
	ikeauth_build_certreq(sa->p.cred, &b);
	if (sa->p.remote_id.type != 0)
		ike_build_id(&b, IKE_PL_IDR, sa->p.remote_id.type, sa->p.remote_id.data, sa->p.remote_id.len);
	ike_build_auth(&b, method, auth, auth_len);
	if (sa->p.n_esp > 0) {
		if (sa->p.transport)
			ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
		ike_build_sa(&b, &sa_pl);
		ike_build_ts(&b, IKE_PL_TSI, &sa->p.tsi);
		ike_build_ts(&b, IKE_PL_TSR, &sa->p.tsr);
	}
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	memset(auth, 0, sizeof(auth));
	if (rc != 0)
		return rc;
	return send_request(sa, IKE_EXCH_AUTH, first, plain_len, now_ms);
}

/* Initiator: IKE_SA_INIT response, or one of its unprotected refusals. */
static int on_init_response(struct ikesa *sa, const uint8_t *msg, size_t len, const struct ike_msg *m,
			    uint64_t now_ms)
{
	const struct ike_chain *c = &m->chain;
	struct ike_notify n;
	if (len > IKESA_MSG_MAX)
		return drop(sa, IKESA_DROP_TOO_BIG, M6E_RANGE);
	if (ike_chain_find(c, IKE_PL_SA, 0) < 0) {
		if (++sa->init_retries > IKESA_INIT_RETRIES) {
			go_down(sa, IKESA_DOWN_PEER_ERROR);
			return 0;
		}
		if (ike_chain_find_notify(c, IKE_N_COOKIE, &n) == 0) { /* R7296-2.6.b: same SPIi, Ni */
			if (n.data.len == 0 || n.data.len > IKE_COOKIE_MAX)
				return drop(sa, IKESA_DROP_PARSE, M6E_INVAL);
			memcpy(sa->cookie, n.data.ptr, n.data.len);
			sa->cookie_len = n.data.len;
			return init_request(sa, now_ms) == 0 ? 0 : M6E_IO;
		}
		if (ike_chain_find_notify(c, IKE_N_INVALID_KE_PAYLOAD, &n) == 0) {
			uint16_t group = 0;
			bool offered = false;
			if (ike_notify_invalid_ke_group(&n, &group) != 0)
				return drop(sa, IKESA_DROP_PARSE, M6E_INVAL);
			for (size_t i = 0; i < sa->p.n_ike; i++)
				offered |= sa->p.ike[i].dh == group;
			if (!offered || group == sa->dh_group) /* R7296-1.2.b: only a group we offered */
				return drop(sa, IKESA_DROP_KE, M6E_INVAL);
			LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx: responder wants DH group %u",
				 (unsigned long long)be64(sa->spi_i), group);
			sa->dh_group = group;
			return init_request(sa, now_ms) == 0 ? 0 : M6E_IO;
		}
		if (ike_chain_find_notify(c, IKE_N_NO_PROPOSAL_CHOSEN, &n) == 0) {
			go_down(sa, IKESA_DOWN_NO_PROPOSAL);
			return 0;
		}
		sa->init_retries--;
		return drop(sa, IKESA_DROP_MISSING, M6E_NOTFOUND);
	}
	struct init_payloads ip;
	if (init_payloads(c, &ip) != 0)
		return drop(sa, IKESA_DROP_MISSING, M6E_NOTFOUND);
	int idx = check_chosen(&ip.sa, sa->p.ike, sa->p.n_ike, false);
	if (idx < 0 || m->hdr.spi_r == 0)
		return drop(sa, IKESA_DROP_PROPOSAL, M6E_PROTO);
	if (ip.ke.group != sa->dh_group || sa->p.ike[idx].dh != sa->dh_group)
		return drop(sa, IKESA_DROP_KE, M6E_PROTO);
	sa->suite = sa->p.ike[idx];
	put_be64(sa->spi_r, m->hdr.spi_r);
	sa->nr_len = ip.nonce.len;
	memcpy(sa->nr, ip.nonce.ptr, ip.nonce.len);
	int why = 0;
	if (ikesa_cx_derive(sa->cx, sa->suite.encr, sa->suite.key_bits, sa->suite.integ, sa->suite.prf,
			    ip.ke.data.ptr, ip.ke.data.len, sa->ni, sa->ni_len, sa->nr, sa->nr_len, sa->spi_i, sa->spi_r,
			    true, &why) != 0) {
		/* A bad KE value ends this attempt: the DH pair is gone (R6989-2.5.a). */
		go_down(sa, IKESA_DOWN_PEER_ERROR);
		return drop(sa, IKESA_DROP_KE, M6E_INVAL);
	}
	natd_check(sa, c, sa->spi_r);
	if (keep_copy(&sa->init_resp, &sa->init_resp_len, msg, len) != 0)
		return M6E_NOMEM; /* nothing changed: a retransmitted response may do */
	sa->req_pending = false;
	sa->last_heard = now_ms;
	int rc = auth_request(sa, now_ms);
	if (rc != 0) {
		go_down(sa, rc == M6E_AUTH ? IKESA_DOWN_AUTH_FAILED : IKESA_DOWN_INTERNAL);
		return 0;
	}
	ikesa_set_state(sa, IKESA_AUTH_SENT);
	return 0;
}

/* Responder: decide the first CHILD_SA. Returns the notify to refuse it
 * with, or 0 with *esp, *tsi, *tsr, *transport filled. */
static uint16_t child_decide(struct ikesa *sa, const struct ike_chain *c, const struct ikesa_prop **esp,
			     uint32_t *spi_peer, uint8_t *num, struct ike_ts_list *tsi, struct ike_ts_list *tsr,
			     bool *transport)
{
	struct ike_sa peer;
	struct ike_ts_list ptsi, ptsr;
	int i_sa = ike_chain_find(c, IKE_PL_SA, 0);
	if (i_sa < 0 || ike_parse_sa(&c->pl[i_sa], &peer, NULL) != 0 || parse_ts_pair(c, &ptsi, &ptsr) != 0)
		return IKE_N_INVALID_SYNTAX;
	int idx = select_prop(&peer, sa->p.esp, sa->p.n_esp, true, 0, num);
	if (idx < 0)
		return IKE_N_NO_PROPOSAL_CHOSEN;
	*esp = &sa->p.esp[idx];
	for (unsigned i = 0; i < peer.n_prop; i++)
		if (peer.prop[i].num == *num)
			*spi_peer = spi32(&peer.prop[i]);
	*transport = has_notify(c, IKE_N_USE_TRANSPORT_MODE);
	bool asked = *transport;
	if (sa->ops->ts_policy == NULL) {
		*tsi = ptsi;
		*tsr = ptsr;
	} else if (sa->ops->ts_policy(sa->arg, &sa->peer_id, &ptsi, &ptsr, transport, tsi, tsr) != 0) {
		return IKE_N_TS_UNACCEPTABLE; /* R3776-4.2.k, RFC 4877 4.4 */
	}
	/* R7296-2.9.a: narrowing only; transport only if asked (R7296-1.3.1.a). */
	if (!ts_subset(tsi, &ptsi) || !ts_subset(tsr, &ptsr))
		return IKE_N_TS_UNACCEPTABLE;
	*transport = *transport && asked;
	return 0;
}

/* Responder: IKE_AUTH request, SK verified. */
static int on_auth_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c, uint64_t now_ms)
{
	struct ike_id idi;
	struct ike_auth a;
	if (find_parse_id(c, IKE_PL_IDI, &idi) != 0 || find_parse_auth(c, &a) != 0 ||
	    id_from_wire(&idi, &sa->peer_id) != 0)
		return drop(sa, IKESA_DROP_MISSING, M6E_NOTFOUND);
	size_t psk_len = 0;
	const uint8_t *psk = psk_lookup(sa, &sa->peer_id, &psk_len);
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	inner_begin(sa, &b, &w);
	if (peer_auth_ok(sa, c, &idi, &a, psk, psk_len) != 0) {
		/* R7296-2.21.a: AUTHENTICATION_FAILED in the encrypted response. */
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "IKE SA %016llx: AUTH of %s peer failed",
		       (unsigned long long)be64(sa->spi_i), ike_id_type_name(idi.type));
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		if (ike_build_inner_end(&b, &first, &plain_len) == 0)
			send_response(sa, IKE_EXCH_AUTH, msg_id, first, plain_len);
		go_down(sa, IKESA_DOWN_AUTH_FAILED);
		return 0;
	}
	uint8_t auth[IKEAUTH_SIG_MAX];
	size_t auth_len = 0;
	uint8_t method = 0;
	if (our_auth(sa, psk, psk_len, &method, auth, sizeof(auth), &auth_len) != 0) {
		go_down(sa, IKESA_DOWN_INTERNAL);
		return 0;
	}
	const struct ikesa_prop *esp = NULL;
	uint32_t spi_peer = 0;
	uint8_t num = 0;
	bool transport = false;
	struct ike_ts_list tsi, tsr;
	memset(&tsi, 0, sizeof(tsi));
	memset(&tsr, 0, sizeof(tsr));
	bool want_child = ike_chain_find(c, IKE_PL_SA, 0) >= 0;
	uint16_t refuse = want_child ? child_decide(sa, c, &esp, &spi_peer, &num, &tsi, &tsr, &transport) : 0;

	ike_build_id(&b, IKE_PL_IDR, sa->p.local_id.type, sa->p.local_id.data, sa->p.local_id.len);
	if (psk == NULL) /* R7296-1.2.a: IDr, [CERT+], AUTH */
		ikeauth_build_certs(sa->p.cred, &b);
	ike_build_auth(&b, method, auth, auth_len);
	memset(auth, 0, sizeof(auth));
	if (want_child && refuse != 0) {
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, refuse, NULL, 0);
	} else if (want_child) {
		struct ike_sa sa_pl;
		memset(&sa_pl, 0, sizeof(sa_pl));
		sa->child_spi_in = new_child_spi(sa);
		fill_esp_prop(&sa_pl.prop[0], num, esp, sa->child_spi_in);
		sa_pl.n_prop = 1;
		if (transport)
			ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
		ike_build_sa(&b, &sa_pl);
		ike_build_ts(&b, IKE_PL_TSI, &tsi);
		ike_build_ts(&b, IKE_PL_TSR, &tsr);
	}
	if (ike_build_inner_end(&b, &first, &plain_len) != 0 ||
	    send_response(sa, IKE_EXCH_AUTH, msg_id, first, plain_len) != 0) {
		go_down(sa, IKESA_DOWN_INTERNAL);
		return 0;
	}
	sa->half_open_at = IKESA_NEVER;
	sa->last_heard = now_ms;
	ikesa_set_state(sa, IKESA_ESTABLISHED);
	if (sa->ops->ike_up != NULL)
		sa->ops->ike_up(sa->arg, sa);
	if (want_child && refuse == 0)
		child_report(sa, esp, spi_peer, transport, &tsi, &tsr);
	else if (want_child)
		LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "IKE SA %016llx: CHILD_SA refused: %s",
		       (unsigned long long)be64(sa->spi_i), ike_notify_name(refuse));
	return 0;
}

/* Initiator refusing the responder's AUTH: RFC 7296 2.21.2 lets it say so
 * in an INFORMATIONAL of its own, so the responder does not keep an SA we
 * refused (strongSwan would until DPD). Sent once; we are gone after it. */
static void tell_auth_failed(struct ikesa *sa, uint64_t now_ms)
{
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	inner_begin(sa, &b, &w);
	ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	if (ike_build_inner_end(&b, &first, &plain_len) == 0)
		send_request(sa, IKE_EXCH_INFORMATIONAL, first, plain_len, now_ms);
}

/* Initiator: IKE_AUTH response, SK verified. */
static int on_auth_response(struct ikesa *sa, const struct ike_chain *c, uint64_t now_ms)
{
	if (has_notify(c, IKE_N_AUTHENTICATION_FAILED)) {
		go_down(sa, IKESA_DOWN_PEER_AUTH_FAILED);
		return 0;
	}
	struct ike_id idr;
	struct ike_auth a;
	struct ikesa_id peer;
	if (find_parse_id(c, IKE_PL_IDR, &idr) != 0 || find_parse_auth(c, &a) != 0 || id_from_wire(&idr, &peer) != 0)
		return drop(sa, IKESA_DROP_MISSING, M6E_NOTFOUND);
	size_t psk_len = 0;
	const uint8_t *psk = psk_lookup(sa, &peer, &psk_len);
	sa->req_pending = false;
	bool expected = sa->p.remote_id.type == 0 || (peer.type == sa->p.remote_id.type &&
						       peer.len == sa->p.remote_id.len &&
						       memcmp(peer.data, sa->p.remote_id.data, peer.len) == 0);
	if (!expected || peer_auth_ok(sa, c, &idr, &a, psk, psk_len) != 0) {
		tell_auth_failed(sa, now_ms);
		go_down(sa, IKESA_DOWN_AUTH_FAILED);
		return 0;
	}
	sa->peer_id = peer;
	sa->last_heard = now_ms;
	ikesa_set_state(sa, IKESA_ESTABLISHED);
	if (sa->ops->ike_up != NULL)
		sa->ops->ike_up(sa->arg, sa);
	if (sa->p.n_esp == 0)
		return 0;
	/* The IKE SA stays up whatever happened to the child (R7296-1.3.1.c). */
	for (unsigned i = 0; i < c->n; i++) {
		struct ike_notify n;
		if (c->pl[i].type == IKE_PL_NOTIFY && ike_parse_notify(&c->pl[i], &n, NULL) == 0 &&
		    ike_notify_is_error(n.type)) {
			if (sa->ops->child_failed != NULL)
				sa->ops->child_failed(sa->arg, sa, n.type);
			return 0;
		}
	}
	struct ike_sa chosen;
	struct ike_ts_list tsi, tsr;
	int i_sa = ike_chain_find(c, IKE_PL_SA, 0);
	int idx = -1;
	if (i_sa >= 0 && ike_parse_sa(&c->pl[i_sa], &chosen, NULL) == 0)
		idx = check_chosen(&chosen, sa->p.esp, sa->p.n_esp, true);
	bool transport = has_notify(c, IKE_N_USE_TRANSPORT_MODE);
	/* R7296-2.9.a: the responder may only narrow; R7296-1.3.1.a: no transport unasked. */
	if (idx < 0 || parse_ts_pair(c, &tsi, &tsr) != 0 || !ts_subset(&tsi, &sa->p.tsi) ||
	    !ts_subset(&tsr, &sa->p.tsr) || (transport && !sa->p.transport) || spi32(&chosen.prop[0]) < 256) {
		if (sa->ops->child_failed != NULL)
			sa->ops->child_failed(sa->arg, sa, 0);
		return 0;
	}
	child_report(sa, &sa->p.esp[idx], spi32(&chosen.prop[0]), transport, &tsi, &tsr);
	return 0;
}

/* ---- INFORMATIONAL (R7296-1.4) ---- */

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* The inner chain "Delete(ESP, spis)" into sa->plain (no payload for n 0). */
static int build_child_delete(struct ikesa *sa, const uint32_t *spis, unsigned n, uint8_t *first, size_t *plain_len)
{
	struct wbuf w;
	struct ike_builder b;
	uint8_t raw[4 * IKESA_CHILD_MAX];
	for (unsigned i = 0; i < n; i++)
		put_be32(raw + 4 * i, spis[i]);
	inner_begin(sa, &b, &w);
	if (n > 0)
		ike_build_delete(&b, IKE_PROTO_ESP, 4, raw, (uint16_t)n);
	return ike_build_inner_end(&b, first, plain_len);
}

/* A pair leaves the table (either side deleted it): tell the adapter. */
static void child_gone(struct ikesa *sa, struct child_sa *c)
{
	uint32_t in = c->spi_in, out = c->spi_out;
	sa->st.child_deleted++;
	child_set_state(c, CHILD_FREE);
	if (sa->ops->child_down != NULL)
		sa->ops->child_down(sa->arg, sa, in, out);
}

/* Children move to the SA that replaced this one (R7296-2.8.2.a): no
 * child_down, no child_up; a rekey of ours in flight is forgotten. */
static void children_move(struct ikesa *to, struct ikesa *from)
{
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++) {
		struct child_sa *c = &from->children.c[i];
		if (c->state == CHILD_FREE)
			continue;
		struct child_sa *d = child_slot(&to->children);
		if (d == NULL)
			break;
		*d = *c;
		/* A rekey of ours still in flight on the old SA finishes into
		 * the new one (create_child_done); any other is forgotten. */
		bool in_flight = from->req_pending && from->req_kind == REQ_CREATE &&
				 from->pc.kind == CREATE_REKEY_CHILD && from->pc.old_spi_in == c->spi_in;
		if (d->state == CHILD_REKEYING && !in_flight)
			d->state = CHILD_INSTALLED;
		else if (d->state == CHILD_DELETING)
			d->state = CHILD_DELETE_WANTED; /* ask again on the new SA */
		memset(c, 0, sizeof(*c));
	}
	from->rekeyed_to = to;
}

static int on_info_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c)
{
	bool delete_ike = false;
	uint32_t answer[IKESA_CHILD_MAX];
	struct child_sa *gone[IKESA_CHILD_MAX];
	unsigned n_answer = 0, n_gone = 0;
	for (unsigned i = 0; i < c->n; i++) {
		struct ike_delete d;
		if (c->pl[i].type != IKE_PL_DELETE || ike_parse_delete(&c->pl[i], &d, NULL) != 0)
			continue;
		if (d.proto == IKE_PROTO_IKE) {
			delete_ike = true;
			continue;
		}
		if (d.proto != IKE_PROTO_ESP || d.spi_size != 4)
			continue;
		/* The peer names its inbound SPIs, our spi_out (RFC 7296 3.11). */
		for (unsigned k = 0; k < d.n_spi; k++) {
			uint32_t spi;
			struct child_sa *ch;
			if (ike_delete_spi32(&d, k, &spi) != 0 || (ch = child_by_spi_out(&sa->children, spi)) == NULL)
				continue;
			bool listed = false;
			for (unsigned j = 0; j < n_gone; j++)
				listed |= gone[j] == ch;
			/* Both ends deleting at once: our Delete's answer removes
			 * it, ours must not name it again (RFC 7296 1.4.1). */
			if (listed || ch->state == CHILD_DELETING || n_gone == IKESA_CHILD_MAX)
				continue;
			gone[n_gone++] = ch;
			answer[n_answer++] = ch->spi_in;
		}
	}
	if (c->n == 0)
		sa->st.dpd_answered++;
	/* R7296-1.4.a: the answer to an IKE SA delete is empty. A CHILD_SA
	 * delete is answered with a Delete for our inbound half of the pair
	 * (R7296-1.4.1.a); SPIs we do not have are ignored. */
	uint8_t first = IKE_PL_NONE;
	size_t plain_len = 0;
	if (delete_ike || build_child_delete(sa, answer, n_answer, &first, &plain_len) != 0) {
		first = IKE_PL_NONE;
		plain_len = 0;
	}
	send_response(sa, IKE_EXCH_INFORMATIONAL, msg_id, first, plain_len);
	for (unsigned j = 0; !delete_ike && j < n_gone; j++)
		child_gone(sa, gone[j]);
	if (delete_ike) {
		/* A rekeyed SA's children live on in its successor; one whose
		 * collision is still open goes to the peer's, the survivor. */
		if (sa->ike_coll_seen && sa->rekeyed_to == NULL)
			children_move(sa->ike_coll.new_sa, sa);
		go_down(sa, sa->rekeyed_to != NULL ? IKESA_DOWN_REKEYED : IKESA_DOWN_PEER_DELETE);
	}
	else if (has_notify(c, IKE_N_AUTHENTICATION_FAILED)) /* R7296-2.21.a: the SA goes, no Delete */
		go_down(sa, IKESA_DOWN_PEER_AUTH_FAILED);
	return 0;
}

static int info_request(struct ikesa *sa, bool delete_ike, uint64_t now_ms)
{
	if (sa->state != IKESA_ESTABLISHED)
		return M6E_PROTO;
	if (sa->req_pending)
		return M6E_AGAIN;
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	inner_begin(sa, &b, &w);
	if (delete_ike)
		ike_build_delete(&b, IKE_PROTO_IKE, 0, NULL, 0);
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0)
		rc = send_request(sa, IKE_EXCH_INFORMATIONAL, first, plain_len, now_ms);
	if (rc != 0)
		return rc;
	if (delete_ike) {
		sa->req_kind = REQ_DELETE_IKE;
		ikesa_set_state(sa, IKESA_DELETING);
	}
	return 0;
}

int ikesa_dpd(struct ikesa *sa, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (buffers_work(sa) != 0)
		return M6E_NOMEM;
	return info_request(sa, false, now_ms);
}

int ikesa_delete(struct ikesa *sa, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (buffers_work(sa) != 0)
		return M6E_NOMEM;
	return info_request(sa, true, now_ms);
}

/* One Delete for every child waiting for it (window permitting). */
static int send_child_deletes(struct ikesa *sa, uint64_t now_ms)
{
	uint32_t spis[IKESA_CHILD_MAX];
	unsigned n = 0;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		if (sa->children.c[i].state == CHILD_DELETE_WANTED)
			spis[n++] = sa->children.c[i].spi_in;
	if (n == 0)
		return 0;
	uint8_t first = 0;
	size_t plain_len = 0;
	int rc = build_child_delete(sa, spis, n, &first, &plain_len);
	if (rc == 0)
		rc = send_request(sa, IKE_EXCH_INFORMATIONAL, first, plain_len, now_ms);
	if (rc != 0)
		return rc;
	sa->req_kind = REQ_DELETE_CHILD;
	for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
		if (sa->children.c[i].state == CHILD_DELETE_WANTED)
			child_set_state(&sa->children.c[i], CHILD_DELETING);
	return 0;
}

static void kick(struct ikesa *sa, uint64_t now_ms);

int ikesa_delete_child(struct ikesa *sa, uint32_t spi_in, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (buffers_work(sa) != 0)
		return M6E_NOMEM;
	if (sa->state != IKESA_ESTABLISHED)
		return M6E_PROTO;
	struct child_sa *c = child_by_spi_in(&sa->children, spi_in);
	if (c == NULL || c->state == CHILD_DELETING)
		return M6E_NOTFOUND;
	child_set_state(c, CHILD_DELETE_WANTED);
	kick(sa, now_ms);
	return 0;
}

/* ---- CREATE_CHILD_SA (RFC 7296 1.3, 2.8, 2.17, 2.18) ---- */

/* Can we start a CREATE_CHILD_SA now? (R7296-1.3.2.a: not on an IKE SA
 * being rekeyed; window of 1.) */
static int create_allowed(const struct ikesa *sa)
{
	if (sa->state != IKESA_ESTABLISHED || sa->rekeyed_to != NULL)
		return M6E_PROTO;
	if (sa->req_pending)
		return M6E_AGAIN;
	return 0;
}

/* Build and send our request from sa->pc: fresh Ni, a fresh KE if pc.dh. */
static int create_request(struct ikesa *sa, uint64_t now_ms)
{
	struct pending_create *pc = &sa->pc;
	uint8_t pub[IKESA_MSG_MAX / 2];
	size_t pub_len = 0;
	ikesa_dh_free(pc->kex);
	pc->kex = NULL;
	if (pc->dh != 0) {
		int rc = ikesa_dh_new(&pc->kex, pc->dh, pub, sizeof(pub), &pub_len);
		if (rc != 0)
			return rc;
	}
	random_bytes(sa->ops, sa->arg, pc->ni, sizeof(pc->ni));
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	if (pc->kind == CREATE_REKEY_IKE) {
		for (size_t i = 0; i < sa->p.n_ike; i++) {
			fill_ike_prop(&sa_pl.prop[i], (uint8_t)(i + 1), &sa->p.ike[i]);
			sa_pl.prop[i].spi_size = IKE_SPI_LEN; /* R7296-1.3.2.a: the new SPIi */
			memcpy(sa_pl.prop[i].spi, pc->new_spi_ike, IKE_SPI_LEN);
		}
		sa_pl.n_prop = (uint8_t)sa->p.n_ike;
	} else {
		for (size_t i = 0; i < sa->p.n_esp; i++) {
			struct ike_proposal *pp = &sa_pl.prop[i];
			child_fill_esp(pp, (uint8_t)(i + 1), &sa->p.esp[i], pc->dh, pc->new_spi_in);
			/* R7296-1.3.a: the KE's group first, our other IKE groups
			 * after it, so a peer may ask for one of those instead. */
			for (size_t g = 0; pc->dh != 0 && g < sa->p.n_ike; g++)
				if (!child_xf_has(pp, XFORM_DH, sa->p.ike[g].dh, 0) && pp->n_xf < IKE_MAX_TRANSFORMS)
					child_add_xf(pp, XFORM_DH, sa->p.ike[g].dh, 0);
		}
		sa_pl.n_prop = (uint8_t)sa->p.n_esp;
	}
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	inner_begin(sa, &b, &w);
	if (pc->kind == CREATE_REKEY_CHILD) { /* R7296-1.3.3.a: the SPI we receive on */
		uint8_t spi[4];
		put_be32(spi, pc->old_spi_in);
		ike_build_notify(&b, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	}
	if (pc->kind != CREATE_REKEY_IKE && pc->transport)
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_build_sa(&b, &sa_pl);
	ike_build_nonce(&b, pc->ni, sizeof(pc->ni));
	if (pc->dh != 0)
		ike_build_ke(&b, pc->dh, pub, pub_len);
	if (pc->kind != CREATE_REKEY_IKE) {
		ike_build_ts(&b, IKE_PL_TSI, &pc->ts[0]);
		ike_build_ts(&b, IKE_PL_TSR, &pc->ts[1]);
	}
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0)
		rc = send_request(sa, IKE_EXCH_CREATE_CHILD_SA, first, plain_len, now_ms);
	if (rc == 0)
		sa->req_kind = REQ_CREATE;
	return rc;
}

/* The KE group of a CREATE_CHILD_SA of ours: our ESP suite's if it names
 * one (policy), else the IKE SA's when PFS is wanted. */
static uint16_t pfs_group(const struct ikesa *sa, bool want)
{
	if (sa->p.n_esp > 0 && sa->p.esp[0].dh != 0)
		return sa->p.esp[0].dh;
	return want ? sa->suite.dh : 0;
}

static int pc_begin(struct ikesa *sa, enum create_kind kind)
{
	ikesa_dh_free(sa->pc.kex);
	pc_release_ts(&sa->pc);
	memset(&sa->pc, 0, sizeof(sa->pc));
	sa->pc.kind = kind;
	if (kind != CREATE_REKEY_IKE) {
		sa->pc.ts = calloc(2, sizeof(*sa->pc.ts));
		if (sa->pc.ts == NULL)
			return M6E_NOMEM;
	}
	return 0;
}

int ikesa_create_child(struct ikesa *sa, const struct ikesa_child_req *req, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (buffers_work(sa) != 0)
		return M6E_NOMEM;
	int rc = create_allowed(sa);
	if (rc != 0)
		return rc;
	if (sa->p.n_esp == 0 || req->tsi.n == 0 || req->tsr.n == 0)
		return M6E_INVAL;
	if (child_count(&sa->children) >= IKESA_CHILD_MAX)
		return M6E_NOSPACE;
	if (pc_begin(sa, CREATE_NEW_CHILD) != 0)
		return M6E_NOMEM;
	sa->pc.new_spi_in = new_child_spi(sa);
	sa->pc.ts[0] = req->tsi;
	sa->pc.ts[1] = req->tsr;
	sa->pc.transport = req->transport;
	sa->pc.dh = pfs_group(sa, req->pfs);
	return create_request(sa, now_ms);
}

static int rekey_child_start(struct ikesa *sa, struct child_sa *c, uint64_t now_ms)
{
	if (child_count(&sa->children) >= IKESA_CHILD_MAX)
		return M6E_NOSPACE; /* the new pair needs a slot before the old one goes */
	if (pc_begin(sa, CREATE_REKEY_CHILD) != 0)
		return M6E_NOMEM;
	sa->pc.old_spi_in = c->spi_in;
	sa->pc.new_spi_in = new_child_spi(sa);
	/* R7296-2.8.a: same selectors and mode as the pair it replaces; TSi
	 * is always the side of the exchange's initiator (RFC 7296 2.9). */
	if (c->we_init)
		child_ts_lists(c, &sa->pc.ts[0], &sa->pc.ts[1]);
	else
		child_ts_lists(c, &sa->pc.ts[1], &sa->pc.ts[0]);
	sa->pc.transport = c->transport;
	sa->pc.dh = pfs_group(sa, sa->p.pfs || c->suite.dh != 0);
	int rc = create_request(sa, now_ms);
	if (rc == 0)
		child_set_state(c, CHILD_REKEYING);
	return rc;
}

int ikesa_rekey_child(struct ikesa *sa, uint32_t spi_in, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (buffers_work(sa) != 0)
		return M6E_NOMEM;
	int rc = create_allowed(sa);
	if (rc != 0)
		return rc;
	struct child_sa *c = child_by_spi_in(&sa->children, spi_in);
	if (c == NULL || c->state != CHILD_INSTALLED)
		return M6E_NOTFOUND;
	return rekey_child_start(sa, c, now_ms);
}

int ikesa_rekey_ike(struct ikesa *sa, uint64_t now_ms)
{
	sa->now_ms = now_ms;
	if (buffers_work(sa) != 0)
		return M6E_NOMEM;
	if (sa->ops->ike_rekeyed == NULL)
		return M6E_UNSUPP;
	int rc = create_allowed(sa);
	if (rc != 0)
		return rc;
	pc_begin(sa, CREATE_REKEY_IKE); /* allocates nothing */
	new_spi64(sa->ops, sa->arg, sa->pc.new_spi_ike);
	sa->pc.dh = sa->suite.dh; /* R7296-2.18.a: always a new DH */
	return create_request(sa, now_ms);
}

/* The payloads of a CREATE_CHILD_SA message (either direction). */
struct create_payloads {
	struct ike_sa sa;
	struct ike_span nonce;
	bool has_ke;
	struct ike_ke ke;
};

static int create_payloads(const struct ike_chain *c, struct create_payloads *cp)
{
	int i_sa = ike_chain_find(c, IKE_PL_SA, 0), i_n = ike_chain_find(c, IKE_PL_NONCE, 0);
	int i_ke = ike_chain_find(c, IKE_PL_KE, 0);
	memset(cp, 0, sizeof(*cp));
	if (i_sa < 0 || i_n < 0)
		return M6E_NOTFOUND;
	if (ike_parse_sa(&c->pl[i_sa], &cp->sa, NULL) != 0 || ike_parse_nonce(&c->pl[i_n], &cp->nonce, NULL) != 0)
		return M6E_INVAL;
	cp->has_ke = i_ke >= 0;
	if (cp->has_ke && ike_parse_ke(&c->pl[i_ke], &cp->ke, NULL) != 0)
		return M6E_INVAL;
	return 0;
}

/* A fresh DH pair for the peer's KE: our KE data and g^ir. */
static int respond_dh(uint16_t group, const struct ike_ke *ke, uint8_t *pub, size_t *pub_len, uint8_t *gir,
		      size_t *gir_len)
{
	struct ikesa_dh *dh = NULL;
	if (ke->data.len != ikesa_cx_dh_public_len(group))
		return M6E_INVAL; /* R7296-3.4.a */
	int rc = ikesa_dh_new(&dh, group, pub, IKESA_MSG_MAX / 2, pub_len);
	if (rc == 0)
		rc = ikesa_dh_secret(dh, ke->data.ptr, ke->data.len, gir, gir_len, NULL);
	ikesa_dh_free(dh);
	return rc;
}

/* An error notify as the whole answer to a CREATE_CHILD_SA request. */
static int create_refuse(struct ikesa *sa, uint32_t msg_id, uint16_t type, const void *data, size_t len)
{
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	sa->st.child_refused++;
	LOG_RL(LOG_LVL_NOTICE, LOG_SUB_IKE, "IKE SA %016llx: CREATE_CHILD_SA refused: %s",
	       (unsigned long long)be64(sa->spi_i), ike_notify_name(type));
	inner_begin(sa, &b, &w);
	ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, type, data, len);
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0)
		rc = send_response(sa, IKE_EXCH_CREATE_CHILD_SA, msg_id, first, plain_len);
	return rc;
}

static int refuse_ke(struct ikesa *sa, uint32_t msg_id, uint16_t group)
{
	uint8_t g[2] = { (uint8_t)(group >> 8), (uint8_t)group }; /* R7296-1.3.a */
	return create_refuse(sa, msg_id, IKE_N_INVALID_KE_PAYLOAD, g, sizeof(g));
}

/* Responder: a new or rekeyed CHILD_SA (R7296-1.3.1, 1.3.3). */
static int on_create_child(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c,
			   const struct create_payloads *cp)
{
	struct child_sa *old = NULL;
	struct ike_notify n;
	if (ike_chain_find_notify(c, IKE_N_REKEY_SA, &n) == 0) {
		uint32_t spi = n.spi_size == 4 ? (uint32_t)n.spi[0] << 24 | (uint32_t)n.spi[1] << 16 |
							 (uint32_t)n.spi[2] << 8 | n.spi[3]
					       : 0;
		/* The initiator names its inbound SPI: our spi_out. */
		old = n.proto == IKE_PROTO_ESP ? child_by_spi_out(&sa->children, spi) : NULL;
		if (old == NULL) /* R7296-2.8.1.a: gone already; the sender ignores this */
			return create_refuse(sa, msg_id, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
		/* Being closed or replaced already: try later (RFC 7296 2.25.1). */
		if (old->state != CHILD_INSTALLED && old->state != CHILD_REKEYING)
			return create_refuse(sa, msg_id, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	}
	if (child_count(&sa->children) >= IKESA_CHILD_MAX)
		return create_refuse(sa, msg_id, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
	uint8_t num = 0;
	uint16_t ke_group = cp->has_ke ? cp->ke.group : 0, want = 0;
	int idx = child_select_esp(&cp->sa, sa->p.esp, sa->p.n_esp, ke_group, &num, &want);
	if (idx < 0 && want != 0)
		return refuse_ke(sa, msg_id, want);
	if (idx < 0)
		return create_refuse(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	const struct ikesa_prop *esp = &sa->p.esp[idx];
	uint32_t spi_peer = 0;
	for (unsigned i = 0; i < cp->sa.n_prop; i++)
		if (cp->sa.prop[i].num == num)
			spi_peer = child_spi32(&cp->sa.prop[i]);
	struct ike_ts_list ptsi, ptsr, tsi, tsr;
	if (child_parse_ts_pair(c, &ptsi, &ptsr) != 0)
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	bool transport = has_notify(c, IKE_N_USE_TRANSPORT_MODE), asked = transport;
	memset(&tsi, 0, sizeof(tsi));
	memset(&tsr, 0, sizeof(tsr));
	if (sa->ops->ts_policy == NULL) {
		tsi = ptsi;
		tsr = ptsr;
	} else if (sa->ops->ts_policy(sa->arg, &sa->peer_id, &ptsi, &ptsr, &transport, &tsi, &tsr) != 0) {
		return create_refuse(sa, msg_id, IKE_N_TS_UNACCEPTABLE, NULL, 0); /* R3776-4.2.k */
	}
	if (!child_ts_subset(&tsi, &ptsi) || !child_ts_subset(&tsr, &ptsr)) /* R7296-2.9.a */
		return create_refuse(sa, msg_id, IKE_N_TS_UNACCEPTABLE, NULL, 0);
	transport = transport && asked; /* R7296-1.3.1.a */

	uint8_t pub[IKESA_MSG_MAX / 2], gir[IKESA_DH_SECRET_MAX], nr[IKESA_NONCE_LEN];
	size_t pub_len = 0, gir_len = 0;
	if (ke_group != 0 && respond_dh(ke_group, &cp->ke, pub, &pub_len, gir, &gir_len) != 0) {
		crypto_wipe(gir, sizeof(gir));
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	random_bytes(sa->ops, sa->arg, nr, sizeof(nr));
	uint32_t spi_in = new_child_spi(sa);
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	child_fill_esp(&sa_pl.prop[0], num, esp, ke_group, spi_in);
	sa_pl.n_prop = 1;
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	inner_begin(sa, &b, &w);
	if (transport)
		ike_build_notify(&b, IKE_PROTO_NONE, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_build_sa(&b, &sa_pl);
	ike_build_nonce(&b, nr, sizeof(nr));
	if (ke_group != 0)
		ike_build_ke(&b, ke_group, pub, pub_len);
	ike_build_ts(&b, IKE_PL_TSI, &tsi);
	ike_build_ts(&b, IKE_PL_TSR, &tsr);
	int rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0) /* R7296-2.8.b: inbound ready before the answer leaves; the adapter installs on child_up */
		rc = send_response(sa, IKE_EXCH_CREATE_CHILD_SA, msg_id, first, plain_len);
	struct child_sa *made = NULL;
	if (rc == 0)
		made = child_install(sa, sa->cx, esp, ke_group, spi_in, spi_peer, transport, &tsi, &tsr, false,
				     ke_group ? gir : NULL, gir_len, cp->nonce.ptr, cp->nonce.len, nr, sizeof(nr),
				     old != NULL ? old->spi_in : 0);
	crypto_wipe(gir, sizeof(gir));
	if (made == NULL)
		return rc != 0 ? rc : M6E_NOSPACE;
	sa->st.child_created++;
	if (old == NULL)
		return 0;
	sa->st.child_rekeyed++;
	struct child_collision *coll = &sa->pc.coll;
	if (old->state == CHILD_REKEYING && sa->req_pending && sa->req_kind == REQ_CREATE &&
	    sa->pc.kind == CREATE_REKEY_CHILD && sa->pc.old_spi_in == old->spi_in) {
		/* Both ends rekey this pair (R7296-2.8.1.a): settled when our
		 * own answer arrives. */
		coll->seen = true;
		coll->new_spi_in = spi_in;
		memcpy(coll->peer_ni, cp->nonce.ptr, cp->nonce.len);
		coll->peer_ni_len = cp->nonce.len;
		memcpy(coll->our_nr, nr, sizeof(nr));
		return 0;
	}
	child_set_state(old, CHILD_REKEYED); /* its Delete comes from the initiator */
	return 0;
}

/* A new IKE SA from a rekey: keys derived, ESTABLISHED, message IDs 0. */
static struct ikesa *ike_successor(struct ikesa *sa, bool we_init, const struct ikesa_prop *suite,
				   const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN], const uint8_t *gir,
				   size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	struct ikesa *n = sa_alloc(&sa->p, sa->ops, sa->arg, &sa->path, we_init);
	if (n == NULL)
		return NULL;
	memcpy(n->spi_i, spi_i, IKE_SPI_LEN);
	memcpy(n->spi_r, spi_r, IKE_SPI_LEN);
	n->suite = *suite;
	n->ni_len = ni_len;
	memcpy(n->ni, ni, ni_len);
	n->nr_len = nr_len;
	memcpy(n->nr, nr, nr_len);
	/* R7296-2.18.a: SKEYSEED from the old SK_d; R7296-1.3.2.a: the rekey's
	 * initiator is the new original initiator. */
	if (ikesa_cx_derive_rekey(n->cx, sa->cx, suite->encr, suite->key_bits, suite->integ, suite->prf, gir, gir_len,
				  ni, ni_len, nr, nr_len, spi_i, spi_r, we_init) != 0) {
		ikesa_free(n);
		return NULL;
	}
	n->peer_id = sa->peer_id;
	n->nat_local = sa->nat_local;
	n->nat_remote = sa->nat_remote;
	n->peer_frag = sa->peer_frag;
	n->last_heard = sa->now_ms;
	n->now_ms = sa->now_ms;
	ikesa_set_state(n, IKESA_ESTABLISHED);
	return n;
}

/* Responder: the peer rekeys the IKE SA (R7296-1.3.2.a). */
static int on_create_ike(struct ikesa *sa, uint32_t msg_id, const struct create_payloads *cp)
{
	if (sa->ops->ike_rekeyed == NULL)
		return create_refuse(sa, msg_id, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
	if (!cp->has_ke) /* R7296-2.18.a */
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	uint8_t num = 0;
	int idx = select_prop(&cp->sa, sa->p.ike, sa->p.n_ike, false, cp->ke.group, &num);
	const struct ike_proposal *pp = NULL;
	for (unsigned i = 0; idx >= 0 && i < cp->sa.n_prop; i++)
		if (cp->sa.prop[i].num == num)
			pp = &cp->sa.prop[i];
	if (pp == NULL || pp->spi_size != IKE_SPI_LEN || spi_zero(pp->spi))
		return create_refuse(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	const struct ikesa_prop *suite = &sa->p.ike[idx];
	if (suite->dh != cp->ke.group)
		return refuse_ke(sa, msg_id, suite->dh);
	uint8_t pub[IKESA_MSG_MAX / 2], gir[IKESA_DH_SECRET_MAX], nr[IKESA_NONCE_LEN], spi_r[IKE_SPI_LEN];
	size_t pub_len = 0, gir_len = 0;
	int rc = respond_dh(suite->dh, &cp->ke, pub, &pub_len, gir, &gir_len);
	if (rc != 0) {
		crypto_wipe(gir, sizeof(gir));
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	random_bytes(sa->ops, sa->arg, nr, sizeof(nr));
	new_spi64(sa->ops, sa->arg, spi_r);
	struct ikesa *n = ike_successor(sa, false, suite, pp->spi, spi_r, gir, gir_len, cp->nonce.ptr, cp->nonce.len,
					nr, sizeof(nr));
	crypto_wipe(gir, sizeof(gir));
	if (n == NULL)
		return create_refuse(sa, msg_id, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	fill_ike_prop(&sa_pl.prop[0], num, suite);
	sa_pl.prop[0].spi_size = IKE_SPI_LEN;
	memcpy(sa_pl.prop[0].spi, spi_r, IKE_SPI_LEN);
	sa_pl.n_prop = 1;
	struct wbuf w;
	struct ike_builder b;
	uint8_t first = 0;
	size_t plain_len = 0;
	inner_begin(sa, &b, &w);
	ike_build_sa(&b, &sa_pl);
	ike_build_nonce(&b, nr, sizeof(nr));
	ike_build_ke(&b, suite->dh, pub, pub_len);
	rc = ike_build_inner_end(&b, &first, &plain_len);
	if (rc == 0)
		rc = send_response(sa, IKE_EXCH_CREATE_CHILD_SA, msg_id, first, plain_len);
	if (rc != 0) {
		ikesa_free(n);
		return rc;
	}
	bool colliding = sa->req_pending && sa->req_kind == REQ_CREATE && sa->pc.kind == CREATE_REKEY_IKE;
	if (colliding) { /* R7296-2.8.2.a: children stay until our own answer settles it */
		sa->ike_coll_seen = true;
		sa->ike_coll.new_sa = n;
		memcpy(sa->ike_coll.peer_ni, cp->nonce.ptr, cp->nonce.len);
		sa->ike_coll.peer_ni_len = cp->nonce.len;
		memcpy(sa->ike_coll.our_nr, nr, sizeof(nr));
	} else {
		children_move(n, sa);
	}
	LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx: rekeyed by the peer into %016llx/%016llx%s",
		 (unsigned long long)be64(sa->spi_i), (unsigned long long)be64(n->spi_i),
		 (unsigned long long)be64(n->spi_r), colliding ? " (collision)" : "");
	sa->ops->ike_rekeyed(sa->arg, sa, n);
	return 0;
}

static int on_create_request(struct ikesa *sa, uint32_t msg_id, const struct ike_chain *c)
{
	struct create_payloads cp;
	/* R7296-2.8.2.a: an SA already replaced or being deleted takes no more. */
	if (sa->state != IKESA_ESTABLISHED || sa->rekeyed_to != NULL)
		return create_refuse(sa, msg_id, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	if (create_payloads(c, &cp) != 0 || cp.sa.n_prop == 0)
		return create_refuse(sa, msg_id, IKE_N_INVALID_SYNTAX, NULL, 0);
	if (cp.sa.prop[0].proto == IKE_PROTO_IKE)
		return on_create_ike(sa, msg_id, &cp);
	return on_create_child(sa, msg_id, c, &cp);
}

/* Initiator: a collision of CHILD_SA rekeys settled (R7296-2.8.1.a). old
 * may be gone already (the peer won and its Delete came first). */
static void child_collision(struct ikesa *sa, struct child_sa *old, struct child_sa *ours, const uint8_t *nr,
			    size_t nr_len)
{
	struct child_collision *coll = &sa->pc.coll;
	bool we_lose = ikesa_cx_rekey_we_lose(sa->pc.ni, sizeof(sa->pc.ni), nr, nr_len, coll->peer_ni,
					      coll->peer_ni_len, coll->our_nr, sizeof(coll->our_nr));
	LOG_INFO(LOG_SUB_IKE, "CHILD_SA %08x: rekey collision, %s pair %08x survives", sa->pc.old_spi_in,
		 we_lose ? "the peer's" : "our", we_lose ? coll->new_spi_in : ours->spi_in);
	sa->st.collisions++;
	coll->seen = false;
	if (we_lose) {
		/* Ours is redundant: we created it, we delete it; the peer,
		 * initiator of the survivor, deletes the old pair. */
		child_set_state(ours, CHILD_DELETE_WANTED);
		if (old != NULL)
			child_set_state(old, CHILD_REKEYED);
	} else if (old != NULL) {
		child_set_state(old, CHILD_DELETE_WANTED); /* the peer deletes its redundant pair */
	}
}

/* A rekey or creation of ours ended without a new pair. */
static void create_failed(struct ikesa *sa, uint16_t notify)
{
	struct pending_create *pc = &sa->pc;
	struct ikesa *home = sa->rekeyed_to != NULL ? sa->rekeyed_to : sa;
	if (pc->kind == CREATE_NEW_CHILD) {
		if (sa->ops->child_failed != NULL)
			sa->ops->child_failed(sa->arg, sa, notify);
		return;
	}
	if (pc->kind == CREATE_REKEY_IKE) {
		if (sa->ike_coll_seen) { /* the peer's rekey survives alone */
			sa->ike_coll_seen = false;
			children_move(sa->ike_coll.new_sa, sa);
		} else {
			sa->ike_rekey_at = sa->now_ms + IKESA_REKEY_RETRY_MS;
		}
		return;
	}
	struct child_sa *old = child_by_spi_in(&home->children, pc->old_spi_in);
	if (old == NULL || old->state != CHILD_REKEYING)
		return; /* R7296-2.8.1.a: CHILD_SA_NOT_FOUND for a pair gone meanwhile is ignored */
	if (pc->coll.seen) { /* the peer's rekey of it survives alone */
		pc->coll.seen = false;
		child_set_state(old, CHILD_REKEYED);
		return;
	}
	child_set_state(old, CHILD_INSTALLED);
	old->rekey_at = sa->now_ms + IKESA_REKEY_RETRY_MS < old->expire_at ? sa->now_ms + IKESA_REKEY_RETRY_MS
									      : IKESA_NEVER;
	if (notify != IKE_N_CHILD_SA_NOT_FOUND && sa->ops->child_failed != NULL)
		sa->ops->child_failed(sa->arg, sa, notify);
}

/* Initiator: the answer to our CHILD_SA creation or rekey. 0 with the
 * pair installed, else the notify to report (0: malformed answer). */
static uint16_t create_child_done(struct ikesa *sa, const struct ike_chain *c, const struct create_payloads *cp)
{
	struct pending_create *pc = &sa->pc;
	struct ikesa *home = sa->rekeyed_to != NULL ? sa->rekeyed_to : sa;
	struct ike_ts_list tsi, tsr;
	int idx = child_check_esp(&cp->sa, sa->p.esp, sa->p.n_esp, pc->dh);
	bool transport = has_notify(c, IKE_N_USE_TRANSPORT_MODE);
	/* R7296-2.9.a: narrowing only; R7296-1.3.1.a: no transport unasked. */
	if (idx < 0 || child_spi32(&cp->sa.prop[0]) < 256 || child_parse_ts_pair(c, &tsi, &tsr) != 0 ||
	    pc->ts == NULL || !child_ts_subset(&tsi, &pc->ts[0]) || !child_ts_subset(&tsr, &pc->ts[1]) ||
	    (transport && !pc->transport) ||
	    cp->has_ke != (pc->dh != 0) || (cp->has_ke && cp->ke.group != pc->dh))
		return 0;
	uint8_t gir[IKESA_DH_SECRET_MAX];
	size_t gir_len = 0;
	if (pc->dh != 0 && ikesa_dh_secret(pc->kex, cp->ke.data.ptr, cp->ke.data.len, gir, &gir_len, NULL) != 0) {
		crypto_wipe(gir, sizeof(gir));
		return 0;
	}
	struct child_sa *made = child_install(home, sa->cx, &sa->p.esp[idx], pc->dh, pc->new_spi_in,
					      child_spi32(&cp->sa.prop[0]), transport, &tsi, &tsr, true,
					      pc->dh ? gir : NULL, gir_len, pc->ni, sizeof(pc->ni), cp->nonce.ptr,
					      cp->nonce.len, pc->kind == CREATE_REKEY_CHILD ? pc->old_spi_in : 0);
	crypto_wipe(gir, sizeof(gir));
	if (made == NULL)
		return IKE_N_NO_ADDITIONAL_SAS;
	sa->st.child_created++;
	if (pc->kind != CREATE_REKEY_CHILD)
		return 0;
	sa->st.child_rekeyed++;
	struct child_sa *old = child_by_spi_in(&home->children, pc->old_spi_in);
	if (old != NULL && old->state != CHILD_REKEYING)
		old = NULL; /* being deleted meanwhile */
	if (pc->coll.seen)
		child_collision(sa, old, made, cp->nonce.ptr, cp->nonce.len);
	else if (old != NULL)
		child_set_state(old, CHILD_DELETE_WANTED); /* make before break: new pair up first */
	return 0;
}

/* Initiator: the answer to our IKE SA rekey (R7296-1.3.2.a, 2.8.2.a). */
static bool create_ike_done(struct ikesa *sa, const struct create_payloads *cp, uint64_t now_ms)
{
	struct pending_create *pc = &sa->pc;
	int idx = check_chosen(&cp->sa, sa->p.ike, sa->p.n_ike, false);
	if (idx < 0 || cp->sa.prop[0].spi_size != IKE_SPI_LEN || spi_zero(cp->sa.prop[0].spi) || !cp->has_ke ||
	    cp->ke.group != pc->dh || sa->p.ike[idx].dh != pc->dh)
		return false;
	uint8_t gir[IKESA_DH_SECRET_MAX];
	size_t gir_len = 0;
	struct ikesa *n = NULL;
	if (ikesa_dh_secret(pc->kex, cp->ke.data.ptr, cp->ke.data.len, gir, &gir_len, NULL) == 0)
		n = ike_successor(sa, true, &sa->p.ike[idx], pc->new_spi_ike, cp->sa.prop[0].spi, gir, gir_len, pc->ni,
				  sizeof(pc->ni), cp->nonce.ptr, cp->nonce.len);
	crypto_wipe(gir, sizeof(gir));
	if (n == NULL)
		return false;
	bool we_lose = false;
	if (sa->ike_coll_seen) {
		we_lose = ikesa_cx_rekey_we_lose(pc->ni, sizeof(pc->ni), cp->nonce.ptr, cp->nonce.len,
						 sa->ike_coll.peer_ni, sa->ike_coll.peer_ni_len, sa->ike_coll.our_nr,
						 sizeof(sa->ike_coll.our_nr));
		sa->st.collisions++;
		sa->ike_coll_seen = false;
		LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx: rekey collision, %s new SA survives",
			 (unsigned long long)be64(sa->spi_i), we_lose ? "the peer's" : "our");
	}
	children_move(we_lose ? sa->ike_coll.new_sa : n, sa);
	sa->ops->ike_rekeyed(sa->arg, sa, n);
	if (we_lose && buffers_work(n) == 0) /* ours is redundant: we created it, we delete it; the peer deletes this one */
		info_request(n, true, now_ms);
	else /* R7296-2.8.a: the Delete of the old IKE SA is its last request */
		info_request(sa, true, now_ms);
	return true;
}

/* A group our CREATE_CHILD_SA offered: one of our IKE suites' (create_request). */
static bool ke_group_offered(const struct ikesa *sa, uint16_t group)
{
	for (size_t i = 0; i < sa->p.n_ike; i++)
		if (sa->p.ike[i].dh == group)
			return true;
	return false;
}

static int on_create_response(struct ikesa *sa, const struct ike_chain *c, uint64_t now_ms)
{
	struct pending_create *pc = &sa->pc;
	struct create_payloads cp;
	for (unsigned i = 0; i < c->n; i++) {
		struct ike_notify n;
		if (c->pl[i].type != IKE_PL_NOTIFY || ike_parse_notify(&c->pl[i], &n, NULL) != 0 ||
		    !ike_notify_is_error(n.type))
			continue;
		uint16_t group = 0;
		/* R7296-1.3.a: once more with the group the peer names, if ours. */
		if (n.type == IKE_N_INVALID_KE_PAYLOAD && ike_notify_invalid_ke_group(&n, &group) == 0 &&
		    pc->dh != 0 && group != pc->dh && pc->ke_retries == 0 && ke_group_offered(sa, group)) {
			pc->ke_retries++;
			pc->dh = group;
			if (create_request(sa, now_ms) == 0)
				return 0;
		}
		create_failed(sa, n.type);
		return 0;
	}
	bool ok;
	if (create_payloads(c, &cp) != 0)
		ok = false;
	else if (pc->kind == CREATE_REKEY_IKE)
		ok = create_ike_done(sa, &cp, now_ms);
	else
		ok = create_child_done(sa, c, &cp) == 0;
	if (!ok)
		create_failed(sa, 0);
	return 0;
}

/* ---- input ---- */

/* Between exchanges an established SA needs none of req, rx and plain,
 * and its response cache (R7296-2.1.a) only at its size: the block of
 * 4 * buf_cap (IKESA_MSG_BIG with a certificate: IKE_AUTH only) gives
 * way to a copy of resp, and the IKE_SA_INIT copies go. buffers_work()
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
		pc_release_ts(&sa->pc);
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

static int buffers_work(struct ikesa *sa)
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
	if (h->spi_i != be64(sa->spi_i))
		return false;
	/* The IKE_SA_INIT response brings SPIr; its refusals carry 0. */
	if (sa->state == IKESA_INIT_SENT && h->exchange == IKE_EXCH_SA_INIT)
		return true;
	/* A retransmitted IKE_SA_INIT request still carries SPIr 0. */
	if (h->exchange == IKE_EXCH_SA_INIT && !(h->flags & IKE_FLAG_R) && h->spi_r == 0)
		return true;
	return h->spi_r == be64(sa->spi_r);
}

/* An SKF message in sa->rx (RFC 7383): kept (M6E_AGAIN), dropped, or the
 * last one missing: then *c is the whole inner chain, its views in the
 * reassembly buffer until ikesa_input() returns. */
static int open_skf(struct ikesa *sa, const struct ike_msg *m, size_t len, struct ike_chain *c, uint64_t now_ms)
{
	struct frag_msg whole;
	if (!sa->peer_frag || !ikesa_cx_has_keys(sa->cx)) /* R7383-2.4.a: only once negotiated */
		return drop(sa, IKESA_DROP_FRAG, M6E_PROTO);
	int rc = frag_input(&sa->frx, sa->cx, sa->rx, len, m, now_ms, &whole);
	if (rc == M6E_AGAIN)
		return rc;
	if (rc != 0) /* R7383-2.6.a: a fragment that does not verify is never kept */
		return drop(sa, rc == M6E_AUTH ? IKESA_DROP_SK : IKESA_DROP_FRAG, rc);
	if (ike_parse_chain(whole.first, whole.plain, whole.plain_len, true, c, NULL) != 0 ||
	    ike_chain_validate(c, NULL) != 0)
		return drop(sa, IKESA_DROP_INNER, M6E_INVAL);
	return 0;
}

/* Verify and decrypt the SK payload of sa->rx (or collect SKF fragments:
 * M6E_AGAIN until the last one); inner chain into *c. */
static int open_sk(struct ikesa *sa, const struct ike_msg *m, size_t len, struct ike_chain *c, uint64_t now_ms)
{
	if (m->chain.encrypted && m->chain.sk_type == IKE_PL_SKF)
		return open_skf(sa, m, len, c, now_ms);
	if (!m->chain.encrypted || m->chain.sk_type != IKE_PL_SK || !ikesa_cx_has_keys(sa->cx))
		return drop(sa, IKESA_DROP_NO_SK, M6E_PROTO);
	const struct ike_payload *sk = &m->chain.pl[m->chain.n - 1];
	size_t plain_off = 0, plain_len = 0;
	int why = 0;
	if (ikesa_cx_open(sa->cx, sa->rx, len, sk->offset + IKE_PL_HDR_LEN, &plain_off, &plain_len, &why) != 0)
		return drop(sa, IKESA_DROP_SK, M6E_AUTH); /* R7296-2.21.a, RFC 7296 3.14: never act on it */
	if (ike_parse_chain(m->chain.inner_first, sa->rx + plain_off, plain_len, true, c, NULL) != 0 ||
	    ike_chain_validate(c, NULL) != 0)
		return drop(sa, IKESA_DROP_INNER, M6E_INVAL);
	return 0;
}

static int input_response(struct ikesa *sa, const uint8_t *msg, size_t len, const struct ike_msg *m,
			  uint64_t now_ms)
{
	if (!sa->req_pending || m->hdr.msg_id != sa->req_id || m->hdr.exchange != sa->req_exch)
		return drop(sa, IKESA_DROP_RESPONSE, M6E_PROTO);
	if (m->hdr.exchange == IKE_EXCH_SA_INIT) {
		if (m->chain.encrypted || ike_chain_validate(&m->chain, NULL) != 0)
			return drop(sa, IKESA_DROP_PARSE, M6E_INVAL);
		return on_init_response(sa, msg, len, m, now_ms);
	}
	struct ike_chain c;
	int rc = open_sk(sa, m, len, &c, now_ms);
	if (rc != 0)
		return rc == M6E_AGAIN ? 0 : rc;
	if (m->hdr.exchange == IKE_EXCH_AUTH)
		return on_auth_response(sa, &c, now_ms);
	sa->req_pending = false;
	sa->last_heard = now_ms;
	if (m->hdr.exchange == IKE_EXCH_CREATE_CHILD_SA)
		return on_create_response(sa, &c, now_ms);
	/* INFORMATIONAL: DPD or the answer to our DELETE. */
	if (sa->req_kind == REQ_DELETE_IKE) {
		go_down(sa, sa->rekeyed_to != NULL ? IKESA_DOWN_REKEYED : IKESA_DOWN_LOCAL_DELETE);
	} else if (sa->req_kind == REQ_DELETE_CHILD) {
		/* The peer's answer names its halves (R7296-1.4.1.a); either
		 * way the pairs we asked about are gone now. */
		for (unsigned i = 0; i < IKESA_CHILD_MAX; i++)
			if (sa->children.c[i].state == CHILD_DELETING)
				child_gone(sa, &sa->children.c[i]);
	} else {
		sa->st.dpd_ok++;
	}
	return 0;
}

static int input_request(struct ikesa *sa, const struct ike_msg *m, size_t len, uint64_t now_ms)
{
	uint32_t id = m->hdr.msg_id;
	/* A retransmitted IKE_SA_INIT reaches the responder before IKE_AUTH. */
	if (m->hdr.exchange == IKE_EXCH_SA_INIT) {
		if (sa->initiator || sa->state != IKESA_INIT_DONE || id != 0)
			return drop(sa, IKESA_DROP_EXCHANGE, M6E_PROTO);
		sa->st.cache_answers++;
		send_bytes(sa, sa->resp, sa->resp_len, &sa->resp_frags);
		return 0;
	}
	if (sa->peer_next_id > 0 && id == sa->peer_next_id - 1 && sa->resp_len > 0) {
		/* Only a genuine retransmission is answered; of a fragmented
		 * one only fragment 1 (R7383-2.6.1.a). */
		if (m->chain.encrypted && m->chain.sk_type == IKE_PL_SKF) {
			if (!sa->peer_frag || frag_verify(sa->cx, sa->rx, len, m) != 0)
				return drop(sa, IKESA_DROP_SK, M6E_AUTH);
			if (m->chain.frag_number != 1)
				return 0;
		} else {
			struct ike_chain c;
			int rc = open_sk(sa, m, len, &c, now_ms);
			if (rc != 0)
				return rc;
		}
		sa->st.cache_answers++;
		send_bytes(sa, sa->resp, sa->resp_len, &sa->resp_frags);
		return 0;
	}
	if (id != sa->peer_next_id) /* R7296-2.3.a */
		return drop(sa, IKESA_DROP_MSG_ID, M6E_PROTO);
	bool expect_auth = !sa->initiator && sa->state == IKESA_INIT_DONE;
	bool expect_info = sa->state == IKESA_ESTABLISHED || sa->state == IKESA_DELETING;
	bool known = m->hdr.exchange == IKE_EXCH_AUTH || m->hdr.exchange == IKE_EXCH_INFORMATIONAL ||
		     m->hdr.exchange == IKE_EXCH_CREATE_CHILD_SA;
	if (!known || (m->hdr.exchange == IKE_EXCH_AUTH && !expect_auth) ||
	    (m->hdr.exchange != IKE_EXCH_AUTH && !expect_info))
		return drop(sa, IKESA_DROP_EXCHANGE, M6E_PROTO);
	struct ike_chain c;
	int rc = open_sk(sa, m, len, &c, now_ms);
	if (rc != 0)
		return rc == M6E_AGAIN ? 0 : rc;
	if (m->hdr.exchange == IKE_EXCH_AUTH)
		return on_auth_request(sa, id, &c, now_ms);
	sa->last_heard = now_ms;
	if (m->hdr.exchange == IKE_EXCH_CREATE_CHILD_SA)
		return on_create_request(sa, id, &c);
	return on_info_request(sa, id, &c);
}

int ikesa_input(struct ikesa *sa, const uint8_t *msg, size_t len, const struct ikesa_path *path, uint64_t now_ms)
{
	struct ike_msg m;
	(void)path; /* MOBIKE will look at it; today the SA keeps its path */
	sa->now_ms = now_ms;
	if (sa->state == IKESA_CLOSED || sa->state == IKESA_IDLE)
		return drop(sa, IKESA_DROP_STATE, M6E_PROTO);
	if (buffers_work(sa) != 0)
		return M6E_NOMEM;
	if (len > sa->buf_cap)
		return drop(sa, IKESA_DROP_TOO_BIG, M6E_RANGE);
	/* Decryption works in place: keep the caller's bytes intact. */
	memcpy(sa->rx, msg, len);
	if (ike_parse_msg(sa->rx, len, &m, NULL) != 0)
		return drop(sa, IKESA_DROP_PARSE, M6E_INVAL);
	if (!spis_match(sa, &m.hdr))
		return drop(sa, IKESA_DROP_SPI, M6E_NOTFOUND);
	/* R7296-3.1.a: I is set exactly in what the original initiator sends. */
	if (!!(m.hdr.flags & IKE_FLAG_I) == sa->initiator)
		return drop(sa, IKESA_DROP_FLAGS, M6E_PROTO);
	int rc = (m.hdr.flags & IKE_FLAG_R) ? input_response(sa, msg, len, &m, now_ms)
					     : input_request(sa, &m, len, now_ms);
	frag_rx_done(&sa->frx); /* a reassembled message was processed: free its buffers */
	kick(sa, now_ms); /* queued work may go now that the window is free */
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
static void kick(struct ikesa *sa, uint64_t now_ms)
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
	if (send_child_deletes(sa, now_ms) != 0 || sa->req_pending)
		return;
	if (sa->ike_expire_at <= now_ms) {
		info_request(sa, true, now_ms);
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
			if (rekey_child_start(sa, c, now_ms) != 0)
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
		go_down(sa, IKESA_DOWN_TIMEOUT);
		return;
	}
	frag_rx_expire(&sa->frx, now_ms); /* R7383-2.6.b */
	if (!sa->req_pending) {
		if (work_due(sa) <= now_ms && buffers_work(sa) == 0) {
			kick(sa, now_ms);
			buffers_idle(sa);
		}
		return;
	}
	if (sa->retx_at > now_ms)
		return;
	if (sa->retx_sent >= IKESA_RETX_TRIES) { /* R7296-2.4.b: give up, the peer is gone */
		enum ikesa_down why = sa->state == IKESA_DELETING ? IKESA_DOWN_LOCAL_DELETE : IKESA_DOWN_TIMEOUT;
		go_down(sa, sa->rekeyed_to != NULL ? IKESA_DOWN_REKEYED : why);
		return;
	}
	sa->retx_sent++;
	sa->retx_delay_ms = sa->retx_delay_ms * 2 > IKESA_RETX_MAX_MS ? IKESA_RETX_MAX_MS : sa->retx_delay_ms * 2;
	sa->retx_at = retx_due(sa, now_ms);
	sa->st.retransmits++;
	send_bytes(sa, sa->req, sa->req_len, &sa->req_frags); /* every fragment again */
}

/* ---- accessors ---- */

int ikesa_debug_sk_dump(const struct ikesa *sa, struct ikesa_sk_dump *out)
{
	memset(out, 0, sizeof(*out));
	out->spi_i = be64(sa->spi_i);
	out->spi_r = be64(sa->spi_r);
	out->suite = sa->suite;
	return ikesa_cx_debug_sk(sa->cx, out->sk_ei, out->sk_er, &out->encr_len, out->sk_ai, out->sk_ar,
				 &out->integ_len);
}

enum ikesa_state ikesa_state(const struct ikesa *sa) { return sa->state; }
const struct ikesa_stats *ikesa_stats(const struct ikesa *sa) { return &sa->st; }
bool ikesa_is_initiator(const struct ikesa *sa) { return sa->initiator; }
uint64_t ikesa_spi_i(const struct ikesa *sa) { return be64(sa->spi_i); }
uint64_t ikesa_spi_r(const struct ikesa *sa) { return be64(sa->spi_r); }
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
