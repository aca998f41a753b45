/*
 * IKE_SA_INIT (RFC 7296 1.2, 2.6, 2.7, 2.23) for one IKE SA, both roles: the
 * initiator's request and its retries after N(COOKIE) (2.6) and
 * N(INVALID_KE_PAYLOAD) (1.2), the responder's stateless gate
 * (ikesa_accept: cookies under load, NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD)
 * and its response, NAT detection (2.23), the keys (2.14) and what the
 * exchange says about certificates (R7427-3.a) and fragmentation
 * (RFC 7383 2.3). Part of the engine of ikesa.h.
 */
#include "ike/ikesa_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "crypto/crypto.h"

/* ---- helpers ---- */

static void put_be64(uint8_t b[IKE_SPI_LEN], uint64_t v)
{
	for (unsigned i = IKE_SPI_LEN; i-- > 0; v >>= 8)
		b[i] = (uint8_t)v;
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

/* ---- both roles: NAT detection (R7296-2.23), certificates, KE ---- */

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

/* ---- initiator ---- */

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
		isa_fill_ike_prop(&sa_pl.prop[i], (uint8_t)(i + 1), &sa->p.ike[i]);
	sa_pl.n_prop = (uint8_t)sa->p.n_ike;

	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h = isa_our_hdr(sa, IKE_EXCH_SA_INIT, false, 0);
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
	isa_arm_retx(sa, now_ms);
	isa_send_bytes(sa, sa->req, sa->req_len, &sa->req_frags);
	return 0;
}

int ikesa_start(struct ikesa *sa, uint64_t now_ms)
{
	if (sa->state != IKESA_IDLE)
		return M6E_PROTO;
	isa_new_spi64(sa->ops, sa->arg, sa->spi_i);
	sa->ni_len = IKESA_NONCE_LEN;
	isa_random_bytes(sa->ops, sa->arg, sa->ni, sa->ni_len);
	sa->dh_group = sa->p.ike[0].dh;
	int rc = init_request(sa, now_ms);
	if (rc != 0)
		return rc;
	ikesa_set_state(sa, IKESA_INIT_SENT);
	return 0;
}

/* ---- the responder's stateless front ---- */

struct ikesa_gate {
	const struct ikesa_ops *ops;
	void *arg;
	struct ikesa_cx_cookie *cookies;
	struct ikesa_gate_stats st;
};

int ikesa_gate_new(struct ikesa_gate **out, const struct ikesa_ops *ops, void *arg)
{
	uint8_t secret[IKESA_CX_COOKIE_SECRET];
	struct ikesa_gate *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return M6E_NOMEM;
	g->ops = ops;
	g->arg = arg;
	isa_random_bytes(ops, arg, secret, sizeof(secret));
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
	isa_random_bytes(g->ops, g->arg, secret, sizeof(secret));
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
	isa_new_spi64(sa->ops, sa->arg, sa->spi_r);
	sa->nr_len = IKESA_NONCE_LEN;
	isa_random_bytes(sa->ops, sa->arg, sa->nr, sa->nr_len);
	rc = ikesa_cx_derive(sa->cx, sa->suite.encr, sa->suite.key_bits, sa->suite.integ, sa->suite.prf,
			     ip->ke.data.ptr, ip->ke.data.len, sa->ni, sa->ni_len, sa->nr, sa->nr_len, sa->spi_i,
			     sa->spi_r, false, &why);
	if (rc != 0)
		return rc;
	struct ike_sa sa_pl;
	memset(&sa_pl, 0, sizeof(sa_pl));
	isa_fill_ike_prop(&sa_pl.prop[0], prop_num, &sa->suite);
	sa_pl.n_prop = 1;

	struct wbuf w;
	struct ike_builder b;
	struct ike_hdr h = isa_our_hdr(sa, IKE_EXCH_SA_INIT, true, 0);
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
	isa_send_bytes(sa, sa->resp, sa->resp_len, &sa->resp_frags);
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
	int idx = isa_select_prop(&ip.sa, p->ike, p->n_ike, false, ip.ke.group, &num);
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

	struct ikesa *sa = isa_alloc(p, ops, arg, path, false);
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

/* ---- initiator: the answer ---- */

/* Initiator: IKE_SA_INIT response, or one of its unprotected refusals. */
int isa_on_init_response(struct ikesa *sa, const uint8_t *msg, size_t len, const struct ike_msg *m,
			 uint64_t now_ms)
{
	const struct ike_chain *c = &m->chain;
	struct ike_notify n;
	if (len > IKESA_MSG_MAX)
		return isa_drop(sa, IKESA_DROP_TOO_BIG, M6E_RANGE);
	if (ike_chain_find(c, IKE_PL_SA, 0) < 0) {
		if (++sa->init_retries > IKESA_INIT_RETRIES) {
			isa_go_down(sa, IKESA_DOWN_PEER_ERROR);
			return 0;
		}
		if (ike_chain_find_notify(c, IKE_N_COOKIE, &n) == 0) { /* R7296-2.6.b: same SPIi, Ni */
			if (n.data.len == 0 || n.data.len > IKE_COOKIE_MAX)
				return isa_drop(sa, IKESA_DROP_PARSE, M6E_INVAL);
			memcpy(sa->cookie, n.data.ptr, n.data.len);
			sa->cookie_len = n.data.len;
			return init_request(sa, now_ms) == 0 ? 0 : M6E_IO;
		}
		if (ike_chain_find_notify(c, IKE_N_INVALID_KE_PAYLOAD, &n) == 0) {
			uint16_t group = 0;
			bool offered = false;
			if (ike_notify_invalid_ke_group(&n, &group) != 0)
				return isa_drop(sa, IKESA_DROP_PARSE, M6E_INVAL);
			for (size_t i = 0; i < sa->p.n_ike; i++)
				offered |= sa->p.ike[i].dh == group;
			if (!offered || group == sa->dh_group) /* R7296-1.2.b: only a group we offered */
				return isa_drop(sa, IKESA_DROP_KE, M6E_INVAL);
			LOG_INFO(LOG_SUB_IKE, "IKE SA %016llx: responder wants DH group %u",
				 (unsigned long long)isa_be64(sa->spi_i), group);
			sa->dh_group = group;
			return init_request(sa, now_ms) == 0 ? 0 : M6E_IO;
		}
		if (ike_chain_find_notify(c, IKE_N_NO_PROPOSAL_CHOSEN, &n) == 0) {
			isa_go_down(sa, IKESA_DOWN_NO_PROPOSAL);
			return 0;
		}
		sa->init_retries--;
		return isa_drop(sa, IKESA_DROP_MISSING, M6E_NOTFOUND);
	}
	struct init_payloads ip;
	if (init_payloads(c, &ip) != 0)
		return isa_drop(sa, IKESA_DROP_MISSING, M6E_NOTFOUND);
	int idx = isa_check_chosen(&ip.sa, sa->p.ike, sa->p.n_ike, false);
	if (idx < 0 || m->hdr.spi_r == 0)
		return isa_drop(sa, IKESA_DROP_PROPOSAL, M6E_PROTO);
	if (ip.ke.group != sa->dh_group || sa->p.ike[idx].dh != sa->dh_group)
		return isa_drop(sa, IKESA_DROP_KE, M6E_PROTO);
	sa->suite = sa->p.ike[idx];
	put_be64(sa->spi_r, m->hdr.spi_r);
	sa->nr_len = ip.nonce.len;
	memcpy(sa->nr, ip.nonce.ptr, ip.nonce.len);
	int why = 0;
	if (ikesa_cx_derive(sa->cx, sa->suite.encr, sa->suite.key_bits, sa->suite.integ, sa->suite.prf,
			    ip.ke.data.ptr, ip.ke.data.len, sa->ni, sa->ni_len, sa->nr, sa->nr_len, sa->spi_i, sa->spi_r,
			    true, &why) != 0) {
		/* A bad KE value ends this attempt: the DH pair is gone (R6989-2.5.a). */
		isa_go_down(sa, IKESA_DOWN_PEER_ERROR);
		return isa_drop(sa, IKESA_DROP_KE, M6E_INVAL);
	}
	natd_check(sa, c, sa->spi_r);
	if (keep_copy(&sa->init_resp, &sa->init_resp_len, msg, len) != 0)
		return M6E_NOMEM; /* nothing changed: a retransmitted response may do */
	sa->req_pending = false;
	sa->last_heard = now_ms;
	int rc = isa_auth_request(sa, now_ms);
	if (rc != 0) {
		isa_go_down(sa, rc == M6E_AUTH ? IKESA_DOWN_AUTH_FAILED : IKESA_DOWN_INTERNAL);
		return 0;
	}
	ikesa_set_state(sa, IKESA_AUTH_SENT);
	return 0;
}
